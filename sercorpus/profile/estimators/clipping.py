"""Clipping ratio: the share of samples that sit on a flat top at the clip's peak magnitude.

Method: samples whose magnitude is within 0.01 % (plus one 16-bit step) of the peak and that belong to a
run of at least 2 consecutive such samples (a peak-normalised but unclipped clip reaches its peak in
isolated samples, so it scores ~0; hard clipping, at full scale or after a later gain change, makes
plateaus). Reference: the consecutive-extremes rule of common clipping detectors (e.g. the plateau test
of Hayes & al.'s declipping literature), simplified to the global peak.
Valid: any non-silent clip; 0 = no plateau. Null reasons: ``silent``, ``non_finite_samples``, ``empty``.
"""

from __future__ import annotations

import numpy as np

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("clipping_ratio",)
NEEDS_VAD = False
MIN_RUN = 2


def estimate(clip: Clip) -> dict[str, Value]:
    if clip.problem is not None:
        return {"clipping_ratio": null(clip.problem)}
    a = np.abs(clip.samples)
    top = float(a.max())
    near = a >= top * (1 - 1e-4) - 1.0 / 32768
    padded = np.concatenate([[False], near, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    lengths = ends - starts
    clipped = int(lengths[lengths >= MIN_RUN].sum())
    return {"clipping_ratio": ok(clipped / a.size)}
