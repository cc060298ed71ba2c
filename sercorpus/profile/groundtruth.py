"""Signals of known acoustics for validating the blind estimators: speech x RIR (+ noise at a known SNR).

Shared by the tests, ``benchmarks/estimators.py`` and the training recipe in ``recipes/profile``, so all
three define the ground truth the same way:

- reverberation: the speech convolved with the RIR, aligned on the RIR's direct path (1 ms lead) and cut
  to the speech's length, as the augmentation engine does; T60/C50/DRR come from the RIR itself
  (:mod:`sercorpus.profile.rir_metrics`);
- SNR: whole-utterance mean power of the (reverberant) speech over the mean power of the added noise on
  the same samples, the augmentation engine's default (``reference: whole``) and the definition the
  blind SNR estimator reports.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy.signal import fftconvolve

from sercorpus.profile.clip import resample


def reverberate(speech: np.ndarray, rir: np.ndarray, rate: int) -> np.ndarray:
    """``speech * rir`` aligned on the direct path, same length as ``speech``, same mean power."""
    peak = int(np.argmax(np.abs(rir)))
    start = max(0, peak - int(round(0.001 * rate)))
    y = fftconvolve(speech, rir[start:])[: len(speech)]
    p_in, p_out = float(np.mean(speech**2)), float(np.mean(y**2))
    return y * math.sqrt(p_in / p_out) if p_out > 0 else y


def noise_segment(noise: np.ndarray, n: int, offset: int) -> np.ndarray:
    """``n`` samples of ``noise`` from ``offset``, looping when the noise is shorter."""
    reps = -(-(offset + n) // len(noise)) + 1
    return np.tile(noise, reps)[offset : offset + n]


def mix_at_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``signal`` plus ``noise`` (same length) scaled so the whole-utterance power ratio is ``snr_db``."""
    ps, pn = float(np.mean(signal**2)), float(np.mean(noise**2))
    if pn <= 0:
        raise ValueError("noise segment is silent")
    return signal + noise * math.sqrt(ps / (pn * 10 ** (snr_db / 10)))


def load_folder(folder: str | Path, rate: int = 16000, mono: bool = True) -> list[tuple[str, np.ndarray]]:
    """Every wav under ``folder`` (sorted) as (name, samples at ``rate``); first channel of multi-channel."""
    from sercorpus.core.audio import audio_files, read_audio

    out = []
    for path in audio_files(folder):
        y, r = read_audio(path)
        if y.ndim == 2:
            y = y[:, 0] if mono else y
        out.append((path.name, resample(y, r, rate)))
    return out


# ------------------------------------------------------------------------------------------ example sets
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from sercorpus.core.seeding import rng_for  # noqa: E402


@dataclass(frozen=True)
class Room:
    """An impulse response at 16 kHz with its measured acoustics."""

    name: str
    rir: np.ndarray
    t60_s: float | None
    c50_db: float
    drr_db: float


@dataclass(frozen=True)
class Example:
    """A signal of known conditions: ``room`` is None for dry speech, ``snr_db`` None when no noise was added."""

    signal: np.ndarray
    speech: str
    room: str | None
    noise: str | None
    snr_db: float | None
    t60_s: float | None
    c50_db: float | None
    drr_db: float | None


def room_from_rir(name: str, rir: np.ndarray, rate: int = 16000) -> Room:
    from sercorpus.profile.rir_metrics import rir_acoustics

    a = rir_acoustics(rir, rate)
    return Room(name, np.asarray(rir, dtype=np.float64), a.t60_s, a.c50_db, a.drr_db)


def make_examples(
    speech: Sequence[tuple[str, np.ndarray]],
    rooms: Sequence[Room],
    noises: Sequence[tuple[str, np.ndarray]],
    n: int,
    seed: int,
    snr_range: tuple[float, float] = (0.0, 30.0),
    p_room: float = 1.0,
    p_noise: float = 1.0,
    crop_range: tuple[float, float] | None = None,
    rate: int = 16000,
) -> list[Example]:
    """``n`` examples, each a random speech clip (optionally a random crop), a random room with probability
    ``p_room`` and a random noise excerpt at SNR ~ U(snr_range) with probability ``p_noise``; deterministic
    for ``seed``."""
    out = []
    for i in range(n):
        rng = rng_for("profile-examples", seed, i)
        name, s = speech[int(rng.integers(len(speech)))]
        if crop_range is not None:
            length = min(len(s), int(rng.uniform(*crop_range) * rate))
            start = int(rng.integers(0, len(s) - length + 1))
            s = s[start : start + length]
        room = rooms[int(rng.integers(len(rooms)))] if rooms and rng.random() < p_room else None
        y = reverberate(s, room.rir, rate) if room is not None else np.asarray(s, dtype=np.float64)
        noise_name, snr = None, None
        if noises and rng.random() < p_noise:
            noise_name, nz = noises[int(rng.integers(len(noises)))]
            seg = noise_segment(nz, len(y), int(rng.integers(len(nz))))
            if float(np.mean(seg**2)) > 1e-12:
                snr = float(rng.uniform(*snr_range))
                y = mix_at_snr(y, seg, snr)
            else:
                noise_name = None
        out.append(
            Example(
                y,
                name,
                room.name if room else None,
                noise_name,
                snr,
                room.t60_s if room else None,
                room.c50_db if room else None,
                room.drr_db if room else None,
            )
        )
    return out


def trim_digital_silence(y: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    """Drop leading/trailing near-zero samples (ESC-50 pads short recordings with zeros)."""
    loud = np.flatnonzero(np.abs(y) > threshold * max(float(np.max(np.abs(y))), 1e-12))
    return y[loud[0] : loud[-1] + 1] if loud.size else y[:0]
