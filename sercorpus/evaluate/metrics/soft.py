"""Metrics between soft targets (rater-vote distributions) and predicted class distributions.

Both inputs are matrices (utterances x classes) in one class order; every row must be a distribution:
finite (NaN rejected), non-negative, summing to 1 within ``atol`` (default 1e-5). Rows inside the tolerance
are divided by their sum before scoring, so float32 rounding cannot make a divergence negative. Results are
means over utterances, in nats (natural log) unless ``base`` is given.

* **KL(target ‖ prediction)** = Σ_k t_k · log(t_k / q_k), with 0·log 0 = 0. It is infinite when the model
  gives 0 to a class the target supports; ``eps`` (default 1e-12) floors q to keep it finite. With
  ``eps=0`` an infinite row makes the result null, naming the row.
* **JS divergence** = ½ KL(t ‖ m) + ½ KL(q ‖ m), m = (t + q) / 2; always finite, at most log 2
  (1 in base 2). ``scipy.spatial.distance.jensenshannon`` returns its square root.
* **Brier score** = mean over utterances of Σ_k (q_k − t_k)², in [0, 2]; with one-hot targets it equals
  ``sklearn.metrics.brier_score_loss(..., scale_by_half=False)`` (its default halves binary input).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.value import MetricValue
from sercorpus.evaluate.validation import (
    PROB_SUM_ATOL,
    check_classes,
    check_nonempty,
    check_probabilities,
    encode_labels,
    row_name,
)


def _pair(
    target: Any, prediction: Any, ids: Sequence[str] | None, atol: float
) -> tuple[np.ndarray, np.ndarray]:
    t = check_probabilities(target, "target distribution", ids=ids, atol=atol)
    q = check_probabilities(prediction, "predicted distribution", n_classes=t.shape[1], ids=ids, atol=atol)
    if t.shape[0] != q.shape[0]:
        raise EvaluationError(
            f"inputs differ in length: target={t.shape[0]} rows, prediction={q.shape[0]} rows"
        )
    check_nonempty(t.shape[0])
    return t / t.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)


def _kl_rows(t: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise KL with 0·log 0 = 0; +inf where q = 0 < t."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(t > 0, t * (np.log(t) - np.log(q)), 0.0)
    return terms.sum(axis=1)


def kl_divergence(
    target: Any,
    prediction: Any,
    *,
    eps: float = 1e-12,
    base: float | None = None,
    ids: Sequence[str] | None = None,
    atol: float = PROB_SUM_ATOL,
) -> MetricValue:
    """Mean KL(target ‖ prediction); see the module doc for ``eps`` and the null case."""
    if not (eps >= 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    t, q = _pair(target, prediction, ids, atol)
    rows = _kl_rows(t, np.maximum(q, eps))
    infinite = ~np.isfinite(rows)
    if infinite.any():
        r = int(np.flatnonzero(infinite)[0])
        return MetricValue(
            None,
            f"KL is infinite: {row_name(r, ids)} predicts probability 0 for a class the target supports "
            f"({int(infinite.sum())} such rows; pass eps > 0 to floor predictions)",
        )
    value = float(np.maximum(rows, 0.0).mean())  # clip rounding noise below 0
    return MetricValue(value / math.log(base) if base else value)


def js_divergence(
    target: Any,
    prediction: Any,
    *,
    base: float | None = None,
    ids: Sequence[str] | None = None,
    atol: float = PROB_SUM_ATOL,
) -> float:
    """Mean Jensen-Shannon divergence; in [0, log 2] nats ([0, 1] with ``base=2``)."""
    t, q = _pair(target, prediction, ids, atol)
    m = 0.5 * (t + q)
    rows = 0.5 * _kl_rows(t, m) + 0.5 * _kl_rows(q, m)
    value = float(np.maximum(rows, 0.0).mean())
    return value / math.log(base) if base else value


def brier_score(
    target: Any, prediction: Any, *, ids: Sequence[str] | None = None, atol: float = PROB_SUM_ATOL
) -> float:
    """Mean squared distance between the distributions, summed over classes (multiclass Brier, in [0, 2])."""
    t, q = _pair(target, prediction, ids, atol)
    return float(np.mean(np.sum((q - t) ** 2, axis=1)))


def one_hot(
    labels: Sequence[Any], classes: Sequence[Hashable], ids: Sequence[str] | None = None
) -> np.ndarray:
    """Hard labels as one-hot target rows (float64) in the order of ``classes``."""
    cls = check_classes(classes)
    codes = encode_labels(labels, cls, "truth", ids)
    out = np.zeros((len(codes), len(cls)))
    out[np.arange(len(codes)), codes] = 1.0
    return out
