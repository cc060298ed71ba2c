"""Speech-like audio with learnable structure, for miniature corpora.

Not speech, but it has what an SER pipeline must be able to pick up and what cross-corpus work must fight:
- emotion -> pitch level and range, loudness, syllable rate, spectral tilt, jitter (the classic prosodic cues);
- speaker -> base pitch by gender and vocal-tract length (formant scaling), breathiness;
- recording condition -> room reverberation and background noise (IEMOCAP-like), close-mic podcast (MSP-like),
  clean short acted clips (CREMA-D-like), telephone band (call centres).
Everything is driven by an explicit numpy Generator, so a seed reproduces the corpus byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from sercorpus.core.seeding import rng_for


@dataclass(frozen=True)
class Prosody:
    pitch: float  # multiplier on the speaker's base f0
    pitch_range: float  # relative f0 excursion
    loudness_db: float
    rate: float  # syllables per second
    tilt: float  # 0 = dull, 1 = bright (high-frequency emphasis)
    jitter: float  # relative random f0 perturbation


PROSODY: dict[str, Prosody] = {
    "neutral": Prosody(1.00, 0.06, 0.0, 4.0, 0.3, 0.005),
    "happy": Prosody(1.28, 0.22, 3.0, 5.0, 0.6, 0.01),
    "excited": Prosody(1.35, 0.28, 5.0, 5.6, 0.7, 0.012),
    "sad": Prosody(0.86, 0.04, -7.0, 2.8, 0.1, 0.004),
    "angry": Prosody(1.12, 0.16, 8.0, 5.4, 0.95, 0.02),
    "frustrated": Prosody(1.05, 0.12, 4.0, 4.6, 0.7, 0.015),
    "surprised": Prosody(1.45, 0.35, 4.0, 4.4, 0.6, 0.01),
    "fearful": Prosody(1.32, 0.12, -2.0, 6.0, 0.4, 0.04),
    "disgusted": Prosody(0.94, 0.10, 1.0, 3.4, 0.5, 0.02),
    "contempt": Prosody(0.92, 0.08, -1.0, 3.3, 0.4, 0.01),
    "other": Prosody(1.05, 0.10, 0.0, 4.2, 0.5, 0.01),
}


@dataclass(frozen=True)
class Speaker:
    name: str
    gender: str  # "female" | "male"
    base_f0: float
    tract: float  # formant scale (shorter tract = higher formants)
    breath: float  # aspiration noise share


def make_speaker(name: str, gender: str, seed: int = 0) -> Speaker:
    rng = rng_for(seed, "speaker", name)
    base = 205.0 if gender == "female" else 118.0
    tract = 1.12 if gender == "female" else 0.95
    return Speaker(
        name, gender, base * rng.uniform(0.88, 1.12), tract * rng.uniform(0.94, 1.06), rng.uniform(0.1, 0.35)
    )


CONDITIONS = ("room", "podcast", "acted", "telephone", "clean")


def synth_utterance(
    rng: np.random.Generator,
    emotion: str,
    speaker: Speaker,
    duration: float,
    sample_rate: int = 16000,
    condition: str = "clean",
) -> np.ndarray:
    """Float32 mono samples in [-1, 1] of ``duration`` seconds."""
    if emotion not in PROSODY:
        raise ValueError(f"no prosody for emotion {emotion!r}; known: {sorted(PROSODY)}")
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; known: {CONDITIONS}")
    p, sr = PROSODY[emotion], sample_rate
    n = max(int(round(duration * sr)), 1)
    t = np.arange(n) / sr
    # f0: declination + slow intonation + jitter
    f0 = speaker.base_f0 * p.pitch * (1.0 - 0.08 * t / max(duration, 1e-3))
    f0 = f0 * (1 + p.pitch_range * np.sin(2 * np.pi * rng.uniform(0.3, 0.9) * t + rng.uniform(0, 2 * np.pi)))
    f0 = f0 * (1 + p.jitter * rng.standard_normal(n).cumsum() / np.sqrt(np.arange(1, n + 1)))
    phase = np.cumsum(f0) / sr
    source = 2 * (phase % 1.0) - 1.0
    source = source + speaker.breath * rng.standard_normal(n)
    voiced = np.zeros(n)
    nyq = sr / 2
    for f_nominal, bw in ((600.0, 140.0), (1500.0, 220.0), (2600.0, 320.0)):
        fc = min(f_nominal * speaker.tract * rng.uniform(0.9, 1.1), nyq * 0.8)
        lo, hi = max(fc - bw, 50.0), min(fc + bw, nyq * 0.95)
        sos = signal.butter(2, [lo, hi], btype="bandpass", fs=sr, output="sos")
        voiced += signal.sosfilt(sos, source) * rng.uniform(0.5, 1.0)
    # spectral tilt: bright voices keep more of the high band
    high = signal.sosfilt(
        signal.butter(2, min(2000.0, nyq * 0.9), btype="highpass", fs=sr, output="sos"), voiced
    )
    voiced = voiced + (p.tilt - 0.5) * 1.2 * high
    # syllabic envelope with pauses, leading/trailing silence
    rate = p.rate * rng.uniform(0.9, 1.1)
    env = np.abs(np.sin(np.pi * rate * t + rng.uniform(0, np.pi))) ** 1.5
    gates = rng.random(int(duration * rate) + 2) > 0.18
    env *= gates[np.minimum((t * rate).astype(int), len(gates) - 1)]
    edge = int(min(0.15, duration / 8) * sr)
    env[:edge] = 0
    env[n - edge :] = 0
    y = voiced * env
    rms = np.sqrt(np.mean(y**2)) + 1e-12
    y = y / rms * 10 ** ((-26.0 + p.loudness_db) / 20)
    y = _apply_condition(rng, y, sr, condition)
    peak = np.max(np.abs(y))
    if peak > 0.99:
        y = y * (0.99 / peak)
    return y.astype(np.float32)


def _apply_condition(rng: np.random.Generator, y: np.ndarray, sr: int, condition: str) -> np.ndarray:
    n = len(y)
    if condition == "room":  # reverberant room + steady background (IEMOCAP's lab recordings)
        t60 = rng.uniform(0.3, 0.6)
        k = int(t60 * sr)
        tail = rng.standard_normal(k) * np.exp(-6.9 * np.arange(k) / k)
        rir = np.concatenate([[1.0], 0.25 * tail[1:]])
        y = signal.fftconvolve(y, rir)[:n]
        y = _add_noise(rng, y, brownish(rng, n, sr), rng.uniform(15, 25))
    elif condition == "podcast":  # close mic, mild compression, very low noise floor
        y = np.tanh(3 * y) / 3
        y = _add_noise(rng, y, rng.standard_normal(n), rng.uniform(40, 50))
    elif condition == "acted":  # studio clip, small noise floor
        y = _add_noise(rng, y, rng.standard_normal(n), rng.uniform(30, 40))
    elif condition == "telephone":
        band = [300.0, min(3400.0, sr / 2 * 0.95)]
        y = signal.sosfilt(signal.butter(4, band, btype="bandpass", fs=sr, output="sos"), y)
        y = _add_noise(rng, y, rng.standard_normal(n), rng.uniform(25, 35))
    return y


def brownish(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Low-frequency-heavy background (air conditioning, room rumble): integrated noise, DC removed."""
    noise = np.cumsum(rng.standard_normal(n))
    return signal.sosfilt(signal.butter(1, 40.0, btype="highpass", fs=sr, output="sos"), noise)


def _add_noise(rng: np.random.Generator, y: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    p_sig = np.mean(y**2) + 1e-12
    p_noise = np.mean(noise**2) + 1e-12
    return y + noise * np.sqrt(p_sig / p_noise / 10 ** (snr_db / 10))
