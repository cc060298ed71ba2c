"""A metric result that may be undefined: a number, or null together with the reason.

Why: NaN must never leak into a report as if it were a score. Where a metric can be undefined for a
legitimate input (a constant prediction, a missing group), it returns ``MetricValue(None, reason)``;
where it is defined but degenerate (CCC of a constant prediction is 0) the value comes with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricValue:
    """``value`` is a finite float or ``None``; ``reason`` explains a null, or notes a degenerate case."""

    value: float | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.value is None:
            if not self.reason:
                raise ValueError("a null MetricValue needs a reason")
        elif not math.isfinite(self.value):
            raise ValueError(f"MetricValue must be finite or null, got {self.value!r}")

    @property
    def is_null(self) -> bool:
        return self.value is None


def as_optional_float(result: float | MetricValue | None) -> float | None:
    """The number in ``result`` (``None`` where undefined); plain floats must be finite."""
    if isinstance(result, MetricValue):
        return result.value
    if result is None:
        return None
    value = float(result)
    return value if math.isfinite(value) else None
