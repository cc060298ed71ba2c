"""Descriptors and targets of example signals (shared by the training recipe and the benchmark)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sercorpus.profile.analyze import attach_speech_activity
from sercorpus.profile.clip import Clip
from sercorpus.profile.descriptors import describe
from sercorpus.profile.groundtruth import Example

TARGETS = ("snr_db", "t60_s", "c50_db")


def featurize(examples: Sequence[Example], batch: int = 64) -> np.ndarray:
    """(n, N_DESCRIPTORS) descriptors, with speech activity from silero as the profiler computes it."""
    out = []
    for start in range(0, len(examples), batch):
        clips = [Clip(e.signal, 16000) for e in examples[start : start + batch]]
        attach_speech_activity(clips)
        out += [describe(c) for c in clips]
    return np.stack(out)


def targets(examples: Sequence[Example]) -> np.ndarray:
    """(n, 3) truth: SNR (NaN without added noise), T60 and C50 (NaN for dry speech)."""

    def f(v: float | None) -> float:
        return np.nan if v is None else float(v)

    return np.array([[f(e.snr_db), f(e.t60_s), f(e.c50_db)] for e in examples])
