"""Categorical metrics over hard labels: UAR, WA, macro/weighted F1, per-class P/R/F1, confusion matrix.

All of them derive from one confusion matrix in a fixed class order, so they can never disagree with each
other, and they are whole-set metrics (never averaged per batch, the EMO-SUPERB pitfall).

Conventions (each equal to scikit-learn's, which the tests check on random cases):

* **UAR** (unweighted average recall, "UA") is the mean recall over the classes **present in the truth**,
  exactly ``sklearn.metrics.balanced_accuracy_score``. audmetric's ``unweighted_average_recall`` differs:
  it averages over truth ∪ prediction, so a class that is only predicted counts as recall 0
  (``audmetric: UAR([0, 0], [0, 1]) = 0.25``; here and in scikit-learn it is 0.5). The difference is large
  per speaker, where many speakers lack some classes, so every paUAR number depends on it.
* **WA** ("weighted accuracy") is plain accuracy: correct / total.
* **Macro-F1** averages the per-class F1 over the classes in truth ∪ prediction (scikit-learn's
  ``f1_score(average="macro")`` without ``labels``); classes in neither are not scored.
* **Weighted F1** weights each class's F1 by its support in the truth (``average="weighted"``).
* Per-class F1 is ``2·TP / (2·TP + FP + FN)``; it is 0 for a class that is predicted or present but never hit.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sercorpus.evaluate.validation import check_classes, check_nonempty, check_same_length, encode_labels

Labels = Sequence[Any] | np.ndarray


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall and F1 of one class; ``None`` where undefined, with the reason in ``note``.

    Precision is undefined for a class never predicted, recall for a class absent from the truth, F1 for a
    class absent from both.
    """

    name: Hashable
    support: int
    predicted: int
    true_positives: int
    precision: float | None
    recall: float | None
    f1: float | None
    note: str | None = None


def encode_pair(
    y_true: Labels, y_pred: Labels, classes: Sequence[Hashable], ids: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[Hashable, ...]]:
    """Validate a truth/prediction pair and return their class indices (the shared front door)."""
    cls = check_classes(classes)
    n = check_same_length(y_true=y_true, y_pred=y_pred)
    check_nonempty(n)
    return encode_labels(y_true, cls, "truth", ids), encode_labels(y_pred, cls, "prediction", ids), cls


def confusion_from_codes(true_codes: np.ndarray, pred_codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts[i, j] = utterances of true class i predicted as class j (int64)."""
    flat = np.bincount(true_codes * n_classes + pred_codes, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)


def confusion_matrix(
    y_true: Labels, y_pred: Labels, classes: Sequence[Hashable], ids: Sequence[str] | None = None
) -> np.ndarray:
    """Confusion counts with rows = truth and columns = prediction, both in the order of ``classes``.

    Every class in the list gets a row and a column, also when it occurs nowhere (an all-zero row).
    """
    t, p, cls = encode_pair(y_true, y_pred, classes, ids)
    return confusion_from_codes(t, p, len(cls))


def uar_from_confusion(cm: np.ndarray) -> float:
    """Mean recall over the rows with support (classes present in the truth); the truth must be non-empty."""
    support = cm.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(cm)[present] / support[present]))


def accuracy_from_confusion(cm: np.ndarray) -> float:
    return float(np.trace(cm) / cm.sum())


def f1_per_class_from_confusion(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class F1 (0 where undefined) and the mask of classes in truth ∪ prediction."""
    tp = np.diag(cm).astype(np.float64)
    denom = cm.sum(axis=1) + cm.sum(axis=0)  # = 2TP + FP + FN
    scored = denom > 0
    f1 = np.zeros(len(tp))
    f1[scored] = 2.0 * tp[scored] / denom[scored]
    return f1, scored


def macro_f1_from_confusion(cm: np.ndarray) -> float:
    f1, scored = f1_per_class_from_confusion(cm)
    return float(np.mean(f1[scored]))


def weighted_f1_from_confusion(cm: np.ndarray) -> float:
    f1, _ = f1_per_class_from_confusion(cm)
    support = cm.sum(axis=1)
    return float(np.sum(f1 * support) / support.sum())


def unweighted_average_recall(
    y_true: Labels, y_pred: Labels, classes: Sequence[Hashable], ids: Sequence[str] | None = None
) -> float:
    """UAR: mean of per-class recall over the classes present in ``y_true`` (= sklearn balanced accuracy).

    Degenerate cases: a class of the list absent from the truth is left out of the mean (not scored as 0);
    a single class in the truth gives that class's recall; an empty set raises :class:`EvaluationError`.
    """
    t, p, cls = encode_pair(y_true, y_pred, classes, ids)
    return uar_from_confusion(confusion_from_codes(t, p, len(cls)))


def accuracy(
    y_true: Labels, y_pred: Labels, classes: Sequence[Hashable], ids: Sequence[str] | None = None
) -> float:
    """WA (weighted accuracy) = accuracy: share of utterances whose prediction equals the truth."""
    t, p, _ = encode_pair(y_true, y_pred, classes, ids)
    return float(np.mean(t == p))


def macro_f1(
    y_true: Labels, y_pred: Labels, classes: Sequence[Hashable], ids: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-class F1 over the classes in truth ∪ prediction (sklearn ``average="macro"``).

    Degenerate cases: all predictions one class -> every other present class has F1 0; a class in the list
    that occurs in neither truth nor prediction is not part of the mean.
    """
    t, p, cls = encode_pair(y_true, y_pred, classes, ids)
    return macro_f1_from_confusion(confusion_from_codes(t, p, len(cls)))


def weighted_f1(
    y_true: Labels, y_pred: Labels, classes: Sequence[Hashable], ids: Sequence[str] | None = None
) -> float:
    """Per-class F1 weighted by truth support (sklearn ``average="weighted"``); only-predicted classes weigh 0."""
    t, p, cls = encode_pair(y_true, y_pred, classes, ids)
    return weighted_f1_from_confusion(confusion_from_codes(t, p, len(cls)))


def per_class_scores(
    y_true: Labels, y_pred: Labels, classes: Sequence[Hashable], ids: Sequence[str] | None = None
) -> list[ClassScores]:
    """Precision, recall, F1 and support for every class of the list, in its order (undefined -> ``None``)."""
    t, p, cls = encode_pair(y_true, y_pred, classes, ids)
    return per_class_from_confusion(confusion_from_codes(t, p, len(cls)), cls)


def per_class_from_confusion(cm: np.ndarray, classes: Sequence[Hashable]) -> list[ClassScores]:
    out = []
    for i, name in enumerate(classes):
        tp = int(cm[i, i])
        support = int(cm[i].sum())
        predicted = int(cm[:, i].sum())
        notes = []
        precision = tp / predicted if predicted else None
        if precision is None:
            notes.append("never predicted: precision undefined")
        recall = tp / support if support else None
        if recall is None:
            notes.append("absent from the truth: recall undefined")
        f1 = 2 * tp / (support + predicted) if support + predicted else None
        out.append(
            ClassScores(
                name=name,
                support=support,
                predicted=predicted,
                true_positives=tp,
                precision=precision,
                recall=recall,
                f1=f1,
                note="; ".join(notes) or None,
            )
        )
    return out


#: Short names used in reports.
uar = unweighted_average_recall
weighted_accuracy = accuracy
