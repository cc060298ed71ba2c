"""Decode one planned segment: read (only) its span, pick the channel or mix down, resample, and optionally
normalise loudness. Bad audio raises :class:`SkipAudio` with a short reason: a counted, named skip in the
shard report, never a crash halfway through a shard and never a NaN written as audio."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sercorpus.core.audio import AudioError, read_audio

#: pyloudnorm's gating block: integrated loudness is undefined for anything shorter
LOUDNESS_BLOCK_S = 0.4


class SkipAudio(Exception):
    """This input cannot become a sample; ``reason`` is the report category, the message names the file."""

    def __init__(self, reason: str, detail: str):
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


@dataclass
class Decoded:
    audio: np.ndarray  # float32 mono at the target rate
    input_sample_rate: int
    loudness: dict[str, Any] | None  # measured LUFS and applied gain, or why it was not applied


def decode_segment(
    path: Path,
    offset: float,
    duration: float | None,
    channel: int | None,
    sample_rate: int,
    target_lufs: float | None = None,
    utt_id: str = "",
) -> Decoded:
    if not path.is_file():
        raise SkipAudio("missing-audio", f"{path}: audio file not found (utterance {utt_id})")
    try:
        y, rate = read_audio(path, offset, duration, channel)
    except AudioError as exc:
        raise SkipAudio("undecodable-audio", f"{exc} (utterance {utt_id})") from None
    if y.size == 0:
        raise SkipAudio("empty-audio", f"{path}: no samples at offset {offset:.3f}s (utterance {utt_id})")
    if not np.isfinite(y).all():
        raise SkipAudio("non-finite-audio", f"{path}: NaN or inf samples in the audio of {utt_id}")
    if y.ndim == 1 and rate == sample_rate:
        mono = y
    else:  # imported here: the engine's module pulls in torch, which a plain 16 kHz mono run never needs
        from sercorpus.augment.dsp import mono_at_rate

        mono = np.asarray(mono_at_rate(y, rate, sample_rate), dtype=np.float32)
    loudness = None
    if target_lufs is not None:
        mono, loudness = normalise_loudness(mono, sample_rate, target_lufs)
    return Decoded(mono, rate, loudness)


def normalise_loudness(
    y: np.ndarray, sample_rate: int, target_lufs: float
) -> tuple[np.ndarray, dict[str, Any]]:
    """Gain to ``target_lufs`` (ITU-R BS.1770 via pyloudnorm); too short or silent clips are left as they are,
    with the reason recorded (null + reason, never a fake number)."""
    if len(y) < LOUDNESS_BLOCK_S * sample_rate:
        return y, {"lufs": None, "gain_db": 0.0, "reason": "shorter than the 400 ms loudness block"}
    import pyloudnorm

    lufs = float(pyloudnorm.Meter(sample_rate).integrated_loudness(y.astype(np.float64)))
    if not math.isfinite(lufs):
        return y, {"lufs": None, "gain_db": 0.0, "reason": "silent (loudness below the absolute gate)"}
    gain_db = target_lufs - lufs
    out = (y.astype(np.float64) * 10.0 ** (gain_db / 20.0)).astype(np.float32)
    return out, {"lufs": round(lufs, 4), "gain_db": round(gain_db, 4), "target_lufs": target_lufs}
