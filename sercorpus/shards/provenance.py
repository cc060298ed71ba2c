"""Provenance as strict JSON: numpy scalars become numbers; inf/NaN become null plus a ``<key>_reason``.

The engine measures things like an achieved SNR of +inf dB (nothing was added); JSON has no inf and a
reader must not meet a fake number, so the value is null and the reason says why.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def clean(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if _non_finite(item):
                out[str(key)] = None
                out[f"{key}_reason"] = f"not finite ({float(item)})"
            else:
                out[str(key)] = clean(item)
        return out
    if isinstance(value, (list, tuple)):
        return [None if _non_finite(v) else clean(v) for v in value]
    if isinstance(value, np.generic):
        return clean(value.item())
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    return value


def _non_finite(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and not math.isfinite(float(value))
