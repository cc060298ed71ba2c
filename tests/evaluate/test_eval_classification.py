"""Classification metrics: hand-computed cases, equality with scikit-learn on random cases, invariances,
degenerate cases and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from sercorpus.evaluate import EvaluationError
from sercorpus.evaluate.metrics import (
    accuracy,
    confusion_matrix,
    macro_f1,
    per_class_scores,
    uar,
    weighted_f1,
)

CLASSES = ["neutral", "happy", "sad", "angry"]


@st.composite
def label_pairs(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    n_classes = draw(st.integers(2, 6))
    n = draw(st.integers(1, 40))
    labels = st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)
    return draw(labels), draw(labels), list(range(n_classes))


def _sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ------------------------------------------------------------------------------------------ hand-computed


def test_hand_computed_four_class_case() -> None:
    y = ["neutral", "neutral", "happy", "happy", "sad", "angry"]
    p = ["neutral", "happy", "happy", "happy", "neutral", "angry"]
    # recalls: neutral 1/2, happy 2/2, sad 0/1, angry 1/1 -> UAR = 2.5 / 4
    assert uar(y, p, CLASSES) == pytest.approx(0.625)
    assert accuracy(y, p, CLASSES) == pytest.approx(4 / 6)
    # F1: neutral 2*1/(2+2)=0.5, happy 2*2/(2+3)=0.8, sad 0, angry 1 -> macro 2.3/4
    assert macro_f1(y, p, CLASSES) == pytest.approx(2.3 / 4)
    assert weighted_f1(y, p, CLASSES) == pytest.approx((0.5 * 2 + 0.8 * 2 + 0 * 1 + 1 * 1) / 6)
    cm = confusion_matrix(y, p, CLASSES)
    assert cm.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]
    scores = {s.name: s for s in per_class_scores(y, p, CLASSES)}
    assert scores["happy"].precision == pytest.approx(2 / 3) and scores["happy"].recall == 1.0
    assert scores["sad"].precision is None and scores["sad"].recall == 0.0 and scores["sad"].f1 == 0.0
    assert "never predicted" in (scores["sad"].note or "")


def test_uar_follows_sklearn_not_audmetric() -> None:
    # audmetric's doctest gives 0.25 here (class 1 only in the prediction counts as recall 0)
    assert uar([0, 0], [0, 1], [0, 1]) == 0.5
    assert _sk(skm.balanced_accuracy_score, [0, 0], [0, 1]) == 0.5


def test_class_absent_from_test_set_is_not_scored() -> None:
    y = ["happy", "happy", "sad"]
    p = ["happy", "sad", "sad"]
    assert uar(y, p, CLASSES) == pytest.approx((0.5 + 1.0) / 2)  # neutral/angry absent: not 0
    assert macro_f1(y, p, CLASSES) == pytest.approx(2 / 3)  # happy 2·1/(2+1), sad 2·1/(1+2)
    by_name = {s.name: s for s in per_class_scores(y, p, CLASSES)}
    assert by_name["angry"].f1 is None and by_name["angry"].support == 0
    assert confusion_matrix(y, p, CLASSES)[CLASSES.index("angry")].sum() == 0


def test_all_predictions_one_class() -> None:
    y = ["neutral", "happy", "sad", "angry", "angry"]
    p = ["angry"] * 5
    assert uar(y, p, CLASSES) == pytest.approx(0.25)
    assert accuracy(y, p, CLASSES) == pytest.approx(0.4)
    assert macro_f1(y, p, CLASSES) == pytest.approx((2 * 2 / (2 + 5)) / 4)
    assert macro_f1(y, p, CLASSES) == pytest.approx(_sk(skm.f1_score, y, p, average="macro"))


def test_single_class_truth_and_single_utterance() -> None:
    assert uar(["sad"], ["sad"], CLASSES) == 1.0
    assert uar(["sad"], ["happy"], CLASSES) == 0.0
    assert weighted_f1(["sad", "sad"], ["sad", "happy"], CLASSES) == pytest.approx(2 / 3)


# ------------------------------------------------------------------------------------------ vs sklearn


@settings(max_examples=60, deadline=None, database=None)
@given(label_pairs())
def test_every_classification_metric_equals_sklearn(case: tuple[list[int], list[int], list[int]]) -> None:
    y, p, classes = case
    assert uar(y, p, classes) == pytest.approx(_sk(skm.balanced_accuracy_score, y, p), abs=1e-12)
    assert accuracy(y, p, classes) == pytest.approx(skm.accuracy_score(y, p), abs=1e-12)
    assert macro_f1(y, p, classes) == pytest.approx(_sk(skm.f1_score, y, p, average="macro"), abs=1e-12)
    assert weighted_f1(y, p, classes) == pytest.approx(_sk(skm.f1_score, y, p, average="weighted"), abs=1e-12)
    assert np.array_equal(confusion_matrix(y, p, classes), skm.confusion_matrix(y, p, labels=classes))
    prec, rec, f1, sup = _sk(skm.precision_recall_fscore_support, y, p, labels=classes, zero_division=np.nan)
    for i, s in enumerate(per_class_scores(y, p, classes)):
        for ours, theirs in ((s.precision, prec[i]), (s.recall, rec[i]), (s.f1, f1[i])):
            if ours is None:
                assert math.isnan(theirs)
            else:
                assert ours == pytest.approx(theirs, abs=1e-12)
        assert s.support == sup[i]


@settings(max_examples=60, deadline=None, database=None)
@given(label_pairs(), st.randoms(use_true_random=False))
def test_row_and_class_permutation_invariance(case, rnd) -> None:
    y, p, classes = case
    order = list(range(len(y)))
    rnd.shuffle(order)
    ys, ps = [y[i] for i in order], [p[i] for i in order]
    shuffled_classes = classes[:]
    rnd.shuffle(shuffled_classes)
    for fn in (uar, accuracy, macro_f1, weighted_f1):
        base = fn(y, p, classes)
        assert fn(ys, ps, classes) == pytest.approx(base, abs=1e-12)
        assert fn(y, p, shuffled_classes) == pytest.approx(base, abs=1e-12)


@settings(max_examples=50, deadline=None, database=None)
@given(label_pairs())
def test_string_labels_equal_integer_labels(case) -> None:
    y, p, classes = case
    names = [f"c{c}" for c in classes]
    assert uar([f"c{v}" for v in y], [f"c{v}" for v in p], names) == uar(y, p, classes)


# ------------------------------------------------------------------------------------------ bad input


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(EvaluationError, match="differ in length: y_true=2, y_pred=1"):
        uar(["sad", "sad"], ["sad"], CLASSES)
    with pytest.raises(EvaluationError, match="row 1 .id 'u2'. has class 'bored'"):
        uar(["sad", "sad"], ["sad", "bored"], CLASSES, ids=["u1", "u2"])
    with pytest.raises(EvaluationError, match="empty"):
        macro_f1([], [], CLASSES)
    with pytest.raises(EvaluationError, match="appears twice"):
        accuracy(["sad"], ["sad"], ["sad", "sad"])
    with pytest.raises(EvaluationError, match="class list is empty"):
        accuracy(["sad"], ["sad"], [])
    with pytest.raises(EvaluationError, match="truth: row 0 has class None"):
        uar([None], ["sad"], CLASSES)
    assert issubclass(EvaluationError, ValueError)
