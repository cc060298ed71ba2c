"""Sample peak in dBFS (20 log10 max |x|; 0 dBFS = full scale 1.0; float files may exceed 0).

Not a true-peak (oversampled) measure. Null reasons: ``silent`` (all-zero: the peak is -inf dB),
``non_finite_samples``/``empty``.
"""

from __future__ import annotations

import math

import numpy as np

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("peak_dbfs",)
NEEDS_VAD = False


def estimate(clip: Clip) -> dict[str, Value]:
    if clip.problem is not None:
        return {"peak_dbfs": null(clip.problem)}
    return {"peak_dbfs": ok(20 * math.log10(float(np.max(np.abs(clip.samples)))))}
