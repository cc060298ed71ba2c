"""k-best metrics (Mitra et al.): is the target among the model's top-k hypotheses?

**Ranking and ties.** Classes are ranked by descending score; equal scores keep the order of the class
list (the earlier class ranks higher). So ``argmax`` picks the first of tied classes, as ``numpy.argmax``
does. scikit-learn's ``top_k_accuracy_score`` breaks ties the other way (later class first), so the two
agree only on tie-free scores; the tests compare them there and check ties by hand.

**k-best predictions.** For UAR and paUAR on k-best, each utterance's effective prediction is its true
class when that class is among the top k, else its top-1 class. Recall of class c is then the share of
c's utterances with c in the top k, so 1-best equals ordinary UAR and k-best UAR rises with k.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.classification import Labels, confusion_from_codes, uar_from_confusion
from sercorpus.evaluate.metrics.speaker import PaUAR, PerSpeakerUAR, pa_uar, per_speaker_uar
from sercorpus.evaluate.validation import (
    PROB_SUM_ATOL,
    check_classes,
    check_nonempty,
    check_probabilities,
    check_same_length,
    encode_labels,
)


def _check_k(k: int, n_classes: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_classes:
        raise EvaluationError(f"k must be an integer in [1, {n_classes}] (the number of classes), got {k!r}")
    return int(k)


def rank_classes(scores: np.ndarray) -> np.ndarray:
    """Class indices of each row by descending score; ties keep class-list order (stable sort)."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), axis=1, kind="stable")


def top_k_indices(scores: Any, k: int) -> np.ndarray:
    """The ``k`` best class indices per row ([n, k], best first), ties broken as :func:`rank_classes`.

    ``scores`` may be probabilities or any finite scores (fused scores need not sum to one).
    """
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise EvaluationError(f"scores: expected a 2-D matrix (utterances x classes), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise EvaluationError("scores contain NaN or inf")
    return rank_classes(arr)[:, : _check_k(k, arr.shape[1])]


def predict_labels(scores: Any, classes: Sequence[Hashable]) -> list[Hashable]:
    """The top-1 class name of every row (first class on ties)."""
    cls = check_classes(classes)
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != len(cls):
        raise EvaluationError(f"scores: shape {arr.shape} does not match {len(cls)} classes")
    return [cls[i] for i in top_k_indices(arr, 1)[:, 0]]


def top_k_labels(scores: Any, classes: Sequence[Hashable], k: int) -> list[list[Hashable]]:
    """The ``k`` best class names of every row, best first."""
    cls = check_classes(classes)
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != len(cls):
        raise EvaluationError(f"scores: shape {arr.shape} does not match {len(cls)} classes")
    return [[cls[i] for i in row] for row in top_k_indices(arr, k)]


def _prepare(
    y_true: Labels,
    probabilities: Any,
    classes: Sequence[Hashable],
    k: int,
    ids: Sequence[str] | None,
    atol: float,
) -> tuple[np.ndarray, np.ndarray, tuple[Hashable, ...], int]:
    cls = check_classes(classes)
    probs = check_probabilities(probabilities, "probabilities", n_classes=len(cls), ids=ids, atol=atol)
    check_same_length(y_true=y_true, probabilities=probs)
    check_nonempty(len(probs))
    return encode_labels(y_true, cls, "truth", ids), probs, cls, _check_k(k, len(cls))


def k_best_hits(
    y_true: Labels,
    probabilities: Any,
    classes: Sequence[Hashable],
    k: int,
    ids: Sequence[str] | None = None,
    atol: float = PROB_SUM_ATOL,
) -> np.ndarray:
    """Boolean per row: the true class is among the top ``k``."""
    t, probs, _, k = _prepare(y_true, probabilities, classes, k, ids, atol)
    return (rank_classes(probs)[:, :k] == t[:, None]).any(axis=1)


def k_best_hit_rate(
    y_true: Labels,
    probabilities: Any,
    classes: Sequence[Hashable],
    k: int,
    ids: Sequence[str] | None = None,
    atol: float = PROB_SUM_ATOL,
) -> float:
    """Share of utterances whose true class is among the top ``k`` (top-k accuracy; k = 1 is WA)."""
    return float(np.mean(k_best_hits(y_true, probabilities, classes, k, ids, atol)))


def k_best_codes(t: np.ndarray, probs: np.ndarray, k: int) -> np.ndarray:
    """Effective prediction indices: the truth where it is in the top ``k``, else the top-1 class."""
    ranked = rank_classes(probs)
    hit = (ranked[:, :k] == t[:, None]).any(axis=1)
    return np.where(hit, t, ranked[:, 0])


def k_best_predictions(
    y_true: Labels,
    probabilities: Any,
    classes: Sequence[Hashable],
    k: int,
    ids: Sequence[str] | None = None,
    atol: float = PROB_SUM_ATOL,
) -> list[Hashable]:
    """Effective k-best predictions (class names): see the module doc."""
    t, probs, cls, k = _prepare(y_true, probabilities, classes, k, ids, atol)
    return [cls[i] for i in k_best_codes(t, probs, k)]


def k_best_uar(
    y_true: Labels,
    probabilities: Any,
    classes: Sequence[Hashable],
    k: int,
    ids: Sequence[str] | None = None,
    atol: float = PROB_SUM_ATOL,
) -> float:
    """UAR of the effective k-best predictions (k = 1: ordinary UAR)."""
    t, probs, cls, k = _prepare(y_true, probabilities, classes, k, ids, atol)
    return uar_from_confusion(confusion_from_codes(t, k_best_codes(t, probs, k), len(cls)))


def per_speaker_k_best_uar(
    y_true: Labels,
    probabilities: Any,
    speakers: Sequence[str],
    classes: Sequence[Hashable],
    k: int,
    *,
    min_utterances: int = 2,
    min_classes: int = 1,
    ids: Sequence[str] | None = None,
    atol: float = PROB_SUM_ATOL,
) -> PerSpeakerUAR:
    """Per-speaker UAR of the effective k-best predictions (exclusions as :func:`per_speaker_uar`)."""
    preds = k_best_predictions(y_true, probabilities, classes, k, ids, atol)
    return per_speaker_uar(
        y_true, preds, speakers, classes, min_utterances=min_utterances, min_classes=min_classes, ids=ids
    )


def pa_uar_k_best(
    y_true: Labels,
    probabilities: Any,
    speakers: Sequence[str],
    classes: Sequence[Hashable],
    k: int,
    threshold: float,
    *,
    strict: bool = True,
    min_utterances: int = 2,
    min_classes: int = 1,
    ids: Sequence[str] | None = None,
) -> PaUAR:
    """paUAR-X on k-best: the share of speakers whose k-best UAR exceeds ``threshold``."""
    per = per_speaker_k_best_uar(
        y_true,
        probabilities,
        speakers,
        classes,
        k,
        min_utterances=min_utterances,
        min_classes=min_classes,
        ids=ids,
    )
    return pa_uar(per, threshold, strict=strict)
