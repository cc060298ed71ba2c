"""Gender fairness gap (Wagner et al.): a metric on female speakers minus the same metric on male speakers.

Positive means the model does better for female speakers. The metric is any statistic over a subset of
rows (a callable taking row indices), so the same code serves UAR, CCC, or F1. Utterances with gender
``None`` (or any other value) belong to neither group and are counted in ``n_other``.

A degenerate but defined group metric (CCC of a constant prediction) passes its note on in ``reason``.
A missing group, or a metric undefined on one group, gives a null gap with the reason (``on_missing="null"``,
the default, so one report can still be written), or an :class:`EvaluationError` with ``on_missing="error"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.value import MetricValue, as_optional_float

Statistic = Callable[[np.ndarray], "float | MetricValue | None"]


@dataclass(frozen=True)
class FairnessGap:
    metric: str
    value: float | None
    female: float | None
    male: float | None
    n_female: int
    n_male: int
    n_other: int
    reason: str | None = None


def gender_fairness_gap(
    statistic: Statistic,
    genders: Sequence[str | None],
    *,
    metric: str = "metric",
    female: str = "female",
    male: str = "male",
    on_missing: str = "null",
) -> FairnessGap:
    """``statistic(female rows) - statistic(male rows)``; see the module doc for the null cases."""
    if on_missing not in ("null", "error"):
        raise ValueError(f"on_missing must be 'null' or 'error', got {on_missing!r}")
    g = list(genders)
    if not g:
        raise EvaluationError("the test set is empty: no fairness gap is defined")
    f_idx = np.array([i for i, x in enumerate(g) if x == female], dtype=np.int64)
    m_idx = np.array([i for i, x in enumerate(g) if x == male], dtype=np.int64)
    n_other = len(g) - f_idx.size - m_idx.size

    def null(reason: str, fv: float | None = None, mv: float | None = None) -> FairnessGap:
        if on_missing == "error":
            raise EvaluationError(f"{metric} fairness gap: {reason}")
        return FairnessGap(metric, None, fv, mv, int(f_idx.size), int(m_idx.size), n_other, reason)

    missing = [name for name, idx in ((female, f_idx), (male, m_idx)) if idx.size == 0]
    if missing:
        return null(f"no utterance with gender {' or '.join(repr(m) for m in missing)}")
    fr, mr = statistic(f_idx), statistic(m_idx)
    fv, mv = as_optional_float(fr), as_optional_float(mr)
    for name, raw, val in ((female, fr, fv), (male, mr, mv)):
        if val is None:
            why = raw.reason if isinstance(raw, MetricValue) else "undefined"
            return null(f"{metric} is undefined on {name} utterances ({why})", fv, mv)
    assert fv is not None and mv is not None
    notes = [
        f"{name}: {raw.reason}"
        for name, raw in ((female, fr), (male, mr))
        if isinstance(raw, MetricValue) and raw.reason
    ]
    return FairnessGap(
        metric, fv - mv, fv, mv, int(f_idx.size), int(m_idx.size), n_other, "; ".join(notes) or None
    )
