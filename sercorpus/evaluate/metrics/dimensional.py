"""Dimensional metrics (arousal, valence, dominance, sentiment): CCC, Pearson's r, MAE.

Definitions use population moments (ddof = 0), as Lin (1989) and audmetric do; the unbiased variant
differs by O(1/N). Degenerate inputs never yield a silent number:

* **CCC** = 2·cov(t, p) / (var(t) + var(p) + (mean(t) − mean(p))²). If exactly one side is constant the
  covariance is 0 and CCC = 0: returned as 0.0 *with a note* (a collapsed model scores 0, which is what the
  formula and the field report). If both sides are constant the ratio is 0/0 when their means agree (null,
  with the reason) and 0 otherwise (with a note).
* **Pearson's r** is undefined when either side is constant (null, with the reason).
* **MAE** = mean |t − p|, always defined for a non-empty set.

A single utterance is constant on both sides, so CCC and r need at least two distinct values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sercorpus.evaluate.metrics.value import MetricValue
from sercorpus.evaluate.validation import check_finite_vector, check_nonempty, check_same_length


def _pair(
    truth: Sequence[float] | np.ndarray, prediction: Sequence[float] | np.ndarray, ids: Sequence[str] | None
):
    n = check_same_length(truth=truth, prediction=prediction)
    check_nonempty(n)
    return check_finite_vector(truth, "truth", ids), check_finite_vector(prediction, "prediction", ids)


def _constant(x: np.ndarray) -> bool:
    return bool(x.max() == x.min())


def ccc_arrays(t: np.ndarray, p: np.ndarray) -> MetricValue:
    """CCC on validated float64 arrays (the fast path used by the bootstrap)."""
    t_const, p_const = _constant(t), _constant(p)
    mt, mp = float(t.mean()), float(p.mean())
    if t_const or p_const:
        shift = (mt - mp) ** 2
        var = float(t.var()) + float(p.var())  # the non-constant side's variance (0 for a constant)
        if t_const and p_const and shift == 0.0:
            return MetricValue(None, "truth and prediction are the same constant: CCC is 0/0")
        which = (
            "truth and prediction are"
            if t_const and p_const
            else ("truth is" if t_const else "prediction is")
        )
        if var + shift == 0.0:  # pragma: no cover - excluded above; kept as a guard
            return MetricValue(None, f"{which} constant: CCC is 0/0")
        return MetricValue(0.0, f"{which} constant: covariance 0, so CCC = 0")
    # CCC is invariant to one common shift and scale: centre on the pooled mean and scale to unit range so
    # that tiny spreads cannot underflow to a zero denominator
    centre = 0.5 * (mt + mp)
    scale = max(float(np.max(np.abs(t - centre))), float(np.max(np.abs(p - centre))))
    ts, ps = (t - centre) / scale, (p - centre) / scale
    mts, mps = float(ts.mean()), float(ps.mean())
    dt, dp = ts - mts, ps - mps
    cov = float(np.mean(dt * dp))
    denom = float(np.mean(dt * dt)) + float(np.mean(dp * dp)) + (mts - mps) ** 2
    if not denom > 0:  # pragma: no cover - only for spreads below float resolution
        return MetricValue(None, "truth and prediction are numerically constant: CCC is 0/0")
    return MetricValue(float(np.clip(2.0 * cov / denom, -1.0, 1.0)))


def concordance_cc(
    truth: Sequence[float] | np.ndarray,
    prediction: Sequence[float] | np.ndarray,
    ids: Sequence[str] | None = None,
) -> MetricValue:
    """Lin's concordance correlation coefficient in [-1, 1] (population moments); see the module doc."""
    t, p = _pair(truth, prediction, ids)
    return ccc_arrays(t, p)


def pearson_arrays(t: np.ndarray, p: np.ndarray) -> MetricValue:
    if _constant(t) or _constant(p):
        which = "truth" if _constant(t) else "prediction"
        return MetricValue(None, f"{which} is constant: Pearson's r is undefined")
    dt, dp = t - t.mean(), p - p.mean()
    st, sp = float(np.max(np.abs(dt))), float(np.max(np.abs(dp)))
    if st == 0.0 or sp == 0.0:  # pragma: no cover - spread below float resolution
        return MetricValue(None, "numerically constant input: Pearson's r is undefined")
    dt, dp = dt / st, dp / sp  # r is scale invariant; unit range keeps the squares from underflowing
    r = float(np.sum(dt * dp) / np.sqrt(np.sum(dt * dt) * np.sum(dp * dp)))
    return MetricValue(float(np.clip(r, -1.0, 1.0)))


def pearson_r(
    truth: Sequence[float] | np.ndarray,
    prediction: Sequence[float] | np.ndarray,
    ids: Sequence[str] | None = None,
) -> MetricValue:
    """Pearson's correlation in [-1, 1]; null (with the reason) when either side is constant."""
    t, p = _pair(truth, prediction, ids)
    return pearson_arrays(t, p)


def mean_absolute_error(
    truth: Sequence[float] | np.ndarray,
    prediction: Sequence[float] | np.ndarray,
    ids: Sequence[str] | None = None,
) -> float:
    """Mean absolute difference; in the units of the dimension (sercorpus dimensions live in [0, 1])."""
    t, p = _pair(truth, prediction, ids)
    return float(np.mean(np.abs(t - p)))


#: Short names used in reports.
ccc = concordance_cc
pearson = pearson_r
mae = mean_absolute_error
