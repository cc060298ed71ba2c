"""DC offset: the mean sample value in full-scale units (0 = centred; +-0.01 is already audible as a
click at edits). Valid for any finite clip, digital silence included (its offset is exactly 0).
Null reasons: ``non_finite_samples``, ``empty``.
"""

from __future__ import annotations

import numpy as np

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("dc_offset",)
NEEDS_VAD = False


def estimate(clip: Clip) -> dict[str, Value]:
    if clip.problem in ("empty", "non_finite_samples"):
        return {"dc_offset": null(clip.problem)}
    return {"dc_offset": ok(float(np.mean(clip.samples)))}
