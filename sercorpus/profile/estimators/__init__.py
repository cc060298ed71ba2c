"""One estimator per module; :data:`ESTIMATORS` lists them in output-column order.

Each module defines ``COLUMNS`` (the numeric features it fills, each with a ``<name>_reason`` column
beside it in a profile), ``NEEDS_VAD`` and ``estimate(clip) -> dict[str, Value]``. An estimator never
raises for bad audio and never returns NaN/inf: a feature it cannot measure is ``null(reason)``.
"""

from __future__ import annotations

from types import ModuleType

from sercorpus.profile.estimators import (
    bandwidth,
    c50,
    clipping,
    dc_offset,
    duration,
    loudness,
    mos,
    native_rate,
    peak,
    snr,
    spectral_tilt,
    speech_activity,
    t60,
    wada_snr,
)

#: every estimator, in column order; ``mos`` runs only when asked for (it is slow and optional)
ESTIMATORS: tuple[ModuleType, ...] = (
    duration,
    native_rate,
    loudness,
    peak,
    clipping,
    dc_offset,
    speech_activity,
    snr,
    wada_snr,
    t60,
    c50,
    bandwidth,
    spectral_tilt,
    mos,
)
OPTIONAL = frozenset({"mos"})


def module_name(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def columns(include_mos: bool = False) -> list[str]:
    """Numeric feature columns in order (without the reason columns)."""
    return [c for m in ESTIMATORS if include_mos or module_name(m) not in OPTIONAL for c in m.COLUMNS]
