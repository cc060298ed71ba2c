"""Integrated loudness (ITU-R BS.1770-4, LUFS) with pyloudnorm, of the mono mixdown at the native rate.

Method: K-weighting, 400 ms blocks with 75 % overlap, absolute gate -70 LUFS and relative gate -10 LU
(pyloudnorm's ``Meter.integrated_loudness``; reference: ITU-R BS.1770-4, 2015).
Valid: clips of at least 0.4 s (one gating block). Null reasons: ``too_short`` (pyloudnorm raises below
one block), ``silent`` (every block is under the -70 LUFS gate, where pyloudnorm returns -inf),
``non_finite_samples``/``empty``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("loudness_lufs",)
NEEDS_VAD = False
MIN_SECONDS = 0.4


@functools.lru_cache(maxsize=8)
def _meter(rate: int) -> Any:
    import pyloudnorm

    return pyloudnorm.Meter(rate)


def estimate(clip: Clip) -> dict[str, Value]:
    if clip.problem is not None:
        return {"loudness_lufs": null(clip.problem)}
    if clip.duration < MIN_SECONDS:
        return {"loudness_lufs": null("too_short")}
    meter = _meter(clip.rate)
    try:
        value = float(meter.integrated_loudness(clip.samples))
    except ValueError:  # "Audio must have length greater than the block size"
        return {"loudness_lufs": null("too_short")}
    if math.isinf(value) and value < 0:
        return {"loudness_lufs": null("silent")}
    return {"loudness_lufs": ok(value)}
