"""A measured value or an explained absence: every feature is a number or null with a reason, never a fake.

Reasons are short snake_case codes (listed in :data:`REASONS`) so that a profile can be filtered and
counted by reason; ``estimator_error: ...`` carries the message of an unexpected failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: every reason code an estimator may give, with what it means (docs/profiling.md repeats this table)
REASONS: dict[str, str] = {
    "empty": "the clip has no samples",
    "too_short": "the clip is shorter than the estimator's minimum length",
    "silent": "the clip is digital silence (or below the estimator's level floor)",
    "non_finite_samples": "the clip holds NaN or inf samples",
    "no_speech": "the voice-activity detector found no speech",
    "too_little_speech": "too little speech for the estimator (see its minimum)",
    "too_noisy": "the estimated SNR is below the estimator's validity floor",
    "no_free_decay": "no free-decay region (speech offset) long enough to measure a decay",
    "outside_model": "the input lies outside what the estimator's model was trained or calibrated on",
    "vad_unavailable": "the silero-vad package is not installed (pip install silero-vad)",
    "model_unavailable": "the learned estimator's model file is missing or stale (retrain: recipes/profile)",
    "mos_unavailable": "MOS needs the optional extra sercorpus[quality] (speechmos + onnxruntime)",
    "not_requested": "the feature was switched off for this run",
    "non_finite_result": "the computation gave NaN or inf (a bug guard: reported, not stored)",
}


@dataclass(frozen=True)
class Value:
    """A feature value (``value``) or null with a ``reason`` (exactly one of the two is set)."""

    value: float | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError(f"Value needs exactly one of value/reason (got {self.value!r}, {self.reason!r})")


def ok(x: float) -> Value:
    """A computed number; NaN/inf turns into null with reason ``non_finite_result`` instead of leaking."""
    x = float(x)
    return Value(x) if math.isfinite(x) else Value(None, "non_finite_result")


def null(reason: str) -> Value:
    if reason not in REASONS and not reason.startswith("estimator_error"):
        raise ValueError(f"unknown reason code {reason!r}; known: {sorted(REASONS)}")
    return Value(None, reason)
