"""Deterministic test signals for the augmentation tests (shared by conftest, the contract suite and the
golden-digest tool): speech-like utterances, tones, synthetic RIRs and the test resources on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16000


def speechlike(seconds: float, seed: int = 0, sr: int = SR, f0: float = 140.0) -> np.ndarray:
    """Harmonic voice-like signal with a syllabic envelope, pauses and silent edges (-25 dBFS)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    f = f0 * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(f) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 12)) + 0.05 * rng.standard_normal(n)
    env = np.abs(np.sin(np.pi * 4 * t + rng.uniform(0, 3))) ** 1.5
    env *= (rng.random(int(seconds * 4) + 2) > 0.2)[(t * 4).astype(int)]
    edge = int(0.1 * sr)
    env[:edge] = 0
    env[-edge:] = 0
    y = y * env
    y *= 10 ** (-25 / 20) / (np.sqrt(np.mean(y**2)) + 1e-12)
    return y.astype(np.float32)


def synthetic_rir(t60: float, sr: int, seed: int = 0, predelay_s: float = 0.004) -> np.ndarray:
    """Exponentially decaying noise tail after a unit direct path, preceded by a propagation delay."""
    rng = np.random.default_rng(seed)
    n = int(1.5 * t60 * sr)
    t = np.arange(n) / sr
    h = rng.standard_normal(n) * np.exp(-6.9078 * t / t60) * 0.3
    h[0] = 1.0
    return np.concatenate([np.zeros(int(predelay_s * sr)), h])


def tone_mix(n: int, seed: int, sr: int = SR) -> np.ndarray:
    """``n`` samples of harmonics plus a little noise, never silent (any length, for layout tests)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    f0 = 110.0 + 15.0 * (seed % 7)
    y = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6)) / k for k in range(1, 8))
    y = 0.05 * y + 0.005 * rng.standard_normal(n)
    return y.astype(np.float32)


def write_rir_folder(folder: Path) -> tuple[Path, float]:
    """One synthetic RIR of known T60, stored as 44.1 kHz stereo PCM_24 (rate and channels the op must handle)."""
    folder.mkdir(parents=True, exist_ok=True)
    t60 = 0.5
    h = synthetic_rir(t60, 44100, seed=3)
    h /= np.max(np.abs(h)) * 1.01
    sf.write(folder / "room.wav", np.stack([h, 0.5 * h], axis=1), 44100, subtype="PCM_24")
    return folder, t60


def write_esc50_mini(folder: Path) -> Path:
    from sercorpus.synth.esc50 import write_esc50

    return Path(write_esc50(folder, seed=0, clips_per_category=1))
