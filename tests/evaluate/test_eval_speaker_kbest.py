"""Per-speaker UAR, paUAR-X and k-best metrics (hand-computed, sklearn on tie-free cases, ties, exclusions)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from sercorpus.evaluate import EvaluationError
from sercorpus.evaluate.metrics import (
    k_best_hit_rate,
    k_best_predictions,
    k_best_uar,
    pa_uar,
    pa_uar_k_best,
    per_speaker_uar,
    predict_labels,
    top_k_labels,
    uar,
)

CLASSES = ["neutral", "happy", "sad", "angry"]


def _speaker_case():
    #          A: recalls neutral 1, happy 1/2 -> 0.75;  B: sad 1, angry 0 -> 0.5;  C: one utterance
    y = ["neutral", "happy", "happy", "sad", "angry", "angry", "sad"]
    p = ["neutral", "happy", "sad", "sad", "sad", "neutral", "sad"]
    s = ["A", "A", "A", "B", "B", "B", "C"]
    return y, p, s


def test_per_speaker_uar_hand_computed_and_exclusion_reported() -> None:
    y, p, s = _speaker_case()
    per = per_speaker_uar(y, p, s, CLASSES, min_utterances=2)
    assert [(x.speaker, x.uar) for x in per.scores] == [("A", 0.75), ("B", 0.5)]
    assert [(e.speaker, e.n_utterances) for e in per.excluded] == [("C", 1)]
    assert "min_utterances=2" in per.excluded[0].reason


def test_pa_uar_strict_versus_inclusive_at_exact_threshold() -> None:
    y, p, s = _speaker_case()
    per = per_speaker_uar(y, p, s, CLASSES, min_utterances=2)
    strict = pa_uar(per, 0.75, strict=True)
    inclusive = pa_uar(per, 0.75, strict=False)
    assert (strict.value, strict.n_above, strict.n_speakers, strict.n_excluded) == (0.0, 0, 2, 1)
    assert inclusive.value == 0.5 and inclusive.name == "paUAR-75"
    assert pa_uar(per, 0.5, strict=True).value == 0.5
    assert pa_uar(per, 0.5, strict=False).value == 1.0


def test_pa_uar_tolerates_float_rounding_at_threshold() -> None:
    # recalls 2/3 and 5/6 average to 0.75 up to rounding: must count as equal to the threshold
    y = ["neutral"] * 3 + ["happy"] * 6
    p = ["neutral", "neutral", "sad"] + ["happy"] * 5 + ["sad"]
    per = per_speaker_uar(y, p, ["A"] * 9, CLASSES)
    assert per.scores[0].uar == pytest.approx(0.75)
    assert pa_uar(per, 0.75, strict=False).value == 1.0
    assert pa_uar(per, 0.75, strict=True).value == 0.0


def test_min_classes_and_one_speaker() -> None:
    y, p, s = _speaker_case()
    per = per_speaker_uar(y, p, s, CLASSES, min_utterances=1, min_classes=2)
    assert [x.speaker for x in per.scores] == ["A", "B"]
    assert per.excluded[0].speaker == "C" and "min_classes=2" in per.excluded[0].reason
    one = per_speaker_uar(y, p, ["solo"] * len(y), CLASSES)
    assert len(one.scores) == 1 and one.scores[0].uar == pytest.approx(uar(y, p, CLASSES))
    none_scored = per_speaker_uar(y, p, s, CLASSES, min_utterances=10)
    result = pa_uar(none_scored, 0.5)
    assert result.value is None and "no speaker is scored (3 excluded)" in (result.reason or "")


def test_speaker_bad_input() -> None:
    y, p, s = _speaker_case()
    with pytest.raises(EvaluationError, match="row 2 has no speaker id"):
        per_speaker_uar(y, p, ["A", "A", None, "B", "B", "B", "C"], CLASSES)
    with pytest.raises(EvaluationError, match="differ in length"):
        per_speaker_uar(y, p, s[:-1], CLASSES)
    with pytest.raises(EvaluationError, match="fraction"):
        pa_uar(per_speaker_uar(y, p, s, CLASSES), 75)


# ------------------------------------------------------------------------------------------ k-best

PROBS = np.array(
    [
        [0.1, 0.6, 0.2, 0.1],  # truth neutral: rank 3 (0.1 ties with angry; neutral first in order)
        [0.1, 0.6, 0.2, 0.1],  # truth happy: rank 1
        [0.3, 0.3, 0.3, 0.1],  # truth sad: 3-way tie -> ranks neutral, happy, sad
        [0.25, 0.25, 0.25, 0.25],  # truth angry: full tie -> angry last
    ]
)
TRUTH = ["neutral", "happy", "sad", "angry"]


def test_ties_break_by_class_order() -> None:
    assert top_k_labels(PROBS, CLASSES, 4)[0] == ["happy", "sad", "neutral", "angry"]
    assert top_k_labels(PROBS, CLASSES, 3)[2] == ["neutral", "happy", "sad"]
    assert predict_labels(PROBS, CLASSES) == ["happy", "happy", "neutral", "neutral"]
    assert [k_best_hit_rate(TRUTH, PROBS, CLASSES, k) for k in (1, 2, 3, 4)] == [0.25, 0.25, 0.75, 1.0]
    assert k_best_predictions(TRUTH, PROBS, CLASSES, 3) == ["neutral", "happy", "sad", "neutral"]


def test_k_best_uar_hand_computed() -> None:
    y = ["happy", "happy", "sad", "sad"]
    probs = [[0.1, 0.7, 0.2, 0.0], [0.5, 0.2, 0.3, 0.0], [0.1, 0.6, 0.3, 0.0], [0.0, 0.1, 0.2, 0.7]]
    assert k_best_uar(y, probs, CLASSES, 1) == pytest.approx(0.25)  # happy 1/2, sad 0/2
    assert k_best_uar(y, probs, CLASSES, 2) == pytest.approx((0.5 + 1.0) / 2)  # row 1: happy ranks 3rd
    # paUAR on k-best per speaker: S1 = rows 0,2 ; S2 = rows 1,3
    spk = ["S1", "S2", "S1", "S2"]
    assert pa_uar_k_best(y, probs, spk, CLASSES, 1, 0.5, min_utterances=1).value == 0.0
    assert pa_uar_k_best(y, probs, spk, CLASSES, 2, 0.5, min_utterances=1).value == 0.5
    assert pa_uar_k_best(y, probs, spk, CLASSES, 3, 0.5, min_utterances=1).value == 1.0


@st.composite
def scored_cases(draw: st.DrawFn):
    c = draw(st.integers(2, 6))
    n = draw(st.integers(1, 30))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, c))  # continuous: ties have probability 0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.integers(0, c, n).tolist()
    k = draw(st.integers(1, c))
    spk = [f"s{v}" for v in rng.integers(0, 4, n)]
    return y, probs, list(range(c)), k, spk


@settings(max_examples=80, deadline=None, database=None)
@given(scored_cases())
def test_k_best_matches_sklearn_top_k_on_tie_free_scores(case) -> None:
    y, probs, classes, k, spk = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = skm.top_k_accuracy_score(y, probs, k=k, labels=classes) if len(classes) > 2 else None
    if ref is not None:
        assert k_best_hit_rate(y, probs, classes, k) == pytest.approx(ref, abs=1e-12)
    assert k_best_uar(y, probs, classes, 1) == pytest.approx(uar(y, predict_labels(probs, classes), classes))
    # k-best UAR and paUAR never decrease with k; at k = C every hypothesis list contains the truth
    values = [k_best_uar(y, probs, classes, kk) for kk in range(1, len(classes) + 1)]
    assert all(a <= b + 1e-12 for a, b in zip(values, values[1:], strict=False)) and values[-1] == 1.0
    pas = [pa_uar_k_best(y, probs, spk, classes, kk, 0.5, min_utterances=1).value for kk in (1, len(classes))]
    assert pas[0] <= pas[1] == 1.0
    # permutation invariance of the hit rate
    order = np.random.default_rng(1).permutation(len(y))
    assert k_best_hit_rate([y[i] for i in order], probs[order], classes, k) == pytest.approx(
        k_best_hit_rate(y, probs, classes, k)
    )


def test_k_best_bad_input() -> None:
    with pytest.raises(EvaluationError, match="k must be an integer in .1, 4."):
        k_best_hit_rate(TRUTH, PROBS, CLASSES, 5)
    with pytest.raises(EvaluationError, match="k must be"):
        k_best_hit_rate(TRUTH, PROBS, CLASSES, 0)
    bad = PROBS.copy()
    bad[1, 1] = np.nan
    with pytest.raises(EvaluationError, match="row 1 contains NaN"):
        k_best_hit_rate(TRUTH, bad, CLASSES, 1)
    with pytest.raises(EvaluationError, match="differ in length"):
        k_best_hit_rate(TRUTH[:2], PROBS, CLASSES, 1)
    with pytest.raises(EvaluationError, match="'bored', which is not in the class list"):
        k_best_hit_rate(["bored", "happy", "sad", "angry"], PROBS, CLASSES, 1)
