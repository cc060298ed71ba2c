"""Dimensional (CCC, Pearson, MAE) and soft-target (KL, JS, Brier) metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.spatial.distance import jensenshannon

from sercorpus.evaluate import EvaluationError
from sercorpus.evaluate.metrics import (
    brier_score,
    ccc,
    js_divergence,
    kl_divergence,
    mae,
    one_hot,
    pearson,
)

floats = st.floats(-5, 5, allow_nan=False, allow_infinity=False)


@st.composite
def paired_vectors(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 40))
    return draw(hnp.arrays(np.float64, n, elements=floats)), draw(hnp.arrays(np.float64, n, elements=floats))


@st.composite
def distributions(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n, c = draw(st.integers(1, 20)), draw(st.integers(2, 6))
    raw = st.floats(0, 1, allow_nan=False)
    a = draw(hnp.arrays(np.float64, (n, c), elements=raw)) + 1e-3
    b = draw(hnp.arrays(np.float64, (n, c), elements=raw)) + 1e-3
    return a / a.sum(1, keepdims=True), b / b.sum(1, keepdims=True)


# ------------------------------------------------------------------------------------------ CCC / r / MAE


def test_ccc_hand_computed() -> None:
    # t = [1,2,3], p = [2,3,4]: var 2/3 each, cov 2/3, mean shift 1 -> 2·(2/3) / (4/3 + 1) = 4/7
    assert ccc([1, 2, 3], [2, 3, 4]).value == pytest.approx(4 / 7)
    assert ccc([1, 2, 3], [1, 2, 3]).value == pytest.approx(1.0)
    assert ccc([1, 2, 3], [3, 2, 1]).value == pytest.approx(-1.0)


def test_ccc_and_pearson_constant_cases_are_documented_not_silent() -> None:
    one = ccc([0.1, 0.5, 0.9], [0.5, 0.5, 0.5])
    assert one.value == 0.0 and "prediction is constant" in (one.reason or "")
    both_same = ccc([0.5, 0.5], [0.5, 0.5])
    assert both_same.value is None and "0/0" in (both_same.reason or "")
    both_differ = ccc([0.2, 0.2], [0.7, 0.7])
    assert both_differ.value == 0.0 and both_differ.reason
    r = pearson([0.1, 0.5, 0.9], [0.3, 0.3, 0.3])
    assert r.value is None and "undefined" in (r.reason or "")
    single = pearson([0.4], [0.6])
    assert single.value is None
    assert ccc([0.4], [0.6]).value == 0.0  # both constant, different means: 0 / shift


@settings(max_examples=60, deadline=None, database=None)
@given(paired_vectors())
def test_ccc_pearson_mae_match_references(case) -> None:
    t, p = case
    value = ccc(t, p)
    if np.ptp(t) > 0 and np.ptp(p) > 0:
        cov = np.mean((t - t.mean()) * (p - p.mean()))
        denom = t.var() + p.var() + (t.mean() - p.mean()) ** 2
        if denom > 1e-12:  # the naive reference underflows for tiny spreads; ours rescales first
            assert value.value == pytest.approx(2 * cov / denom, abs=1e-9)
        r = pearson(t, p).value
        assert r is not None
        if t.std() > 1e-6 and p.std() > 1e-6:
            assert r == pytest.approx(scipy.stats.pearsonr(t, p)[0], abs=1e-7)
        assert -1.0 <= value.value <= 1.0
    assert mae(t, p) == pytest.approx(skm.mean_absolute_error(t, p), abs=1e-12)
    # symmetry and permutation invariance
    order = np.random.default_rng(0).permutation(len(t))
    for other in (ccc(p, t), ccc(t[order], p[order])):
        assert (other.value is None) == (value.value is None)
        if value.value is not None:
            assert other.value == pytest.approx(value.value, abs=1e-12)


def test_tiny_spreads_do_not_underflow() -> None:
    t = np.array([3e-292, 0.0, 1e-292])
    assert ccc(t, t).value == pytest.approx(1.0)
    assert pearson(t, t[::-1]).value == pytest.approx(1 / 7)  # as pearsonr([3, 0, 1], [1, 0, 3])


def test_dimensional_bad_input() -> None:
    with pytest.raises(EvaluationError, match="row 1 .id 'b'. is nan"):
        ccc([0.1, float("nan")], [0.1, 0.2], ids=["a", "b"])
    with pytest.raises(EvaluationError, match="differ in length"):
        mae([0.1, 0.2], [0.1])
    with pytest.raises(EvaluationError, match="empty"):
        pearson([], [])
    with pytest.raises(EvaluationError, match="not numeric"):
        ccc(["x", "y"], [0.1, 0.2])


# ------------------------------------------------------------------------------------------ soft targets


def test_soft_hand_computed() -> None:
    t = [[0.5, 0.5], [1.0, 0.0]]
    q = [[0.25, 0.75], [0.5, 0.5]]
    kl_rows = [0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75), math.log(1 / 0.5)]
    assert kl_divergence(t, q).value == pytest.approx(np.mean(kl_rows))
    assert kl_divergence(t, q, base=2).value == pytest.approx(np.mean(kl_rows) / math.log(2))
    brier_rows = [0.25**2 + 0.25**2, 0.5**2 + 0.5**2]
    assert brier_score(t, q) == pytest.approx(np.mean(brier_rows))
    assert js_divergence(t, t) == 0.0
    assert js_divergence([[1, 0]], [[0, 1]]) == pytest.approx(math.log(2))
    assert js_divergence([[0.2, 0.8]], [[0.6, 0.4]]) == pytest.approx(
        jensenshannon([0.2, 0.8], [0.6, 0.4]) ** 2
    )
    assert js_divergence([[1, 0]], [[0, 1]], base=2) == pytest.approx(1.0)


def test_kl_zero_prediction_with_eps_zero_is_null_with_reason() -> None:
    result = kl_divergence([[0.5, 0.5]], [[1.0, 0.0]], eps=0.0)
    assert result.value is None and "infinite" in (result.reason or "")
    floored = kl_divergence([[0.5, 0.5]], [[1.0, 0.0]])
    assert floored.value is not None and math.isfinite(floored.value)


@settings(max_examples=50, deadline=None, database=None)
@given(distributions())
def test_soft_metrics_match_scipy_and_sklearn(case) -> None:
    t, q = case
    kl = kl_divergence(t, q).value
    assert kl == pytest.approx(
        np.mean([scipy.stats.entropy(a, b) for a, b in zip(t, q, strict=True)]), abs=1e-9
    )
    js = js_divergence(t, q)
    ref = [
        0.5 * scipy.stats.entropy(a, (a + b) / 2) + 0.5 * scipy.stats.entropy(b, (a + b) / 2)
        for a, b in zip(t, q, strict=True)
    ]
    assert js == pytest.approx(np.mean(ref), abs=1e-9)
    assert 0.0 <= js <= math.log(2) + 1e-12
    labels = t.argmax(axis=1)
    hard = one_hot(labels.tolist(), list(range(t.shape[1])))
    sk = skm.brier_score_loss(labels, q, labels=list(range(t.shape[1])), scale_by_half=False)
    assert brier_score(hard, q) == pytest.approx(sk, abs=1e-9)
    assert 0.0 <= brier_score(t, q) <= 2.0


def test_soft_bad_input() -> None:
    with pytest.raises(EvaluationError, match="row 0 contains NaN"):
        js_divergence([[float("nan"), 1.0]], [[0.5, 0.5]])
    with pytest.raises(EvaluationError, match="sums to 0.9"):
        brier_score([[0.5, 0.4]], [[0.5, 0.5]])
    with pytest.raises(EvaluationError, match="negative"):
        brier_score([[1.5, -0.5]], [[0.5, 0.5]])
    with pytest.raises(EvaluationError, match="3 columns, but the class list has 2"):
        kl_divergence([[0.5, 0.5]], [[0.2, 0.3, 0.5]])
    with pytest.raises(EvaluationError, match="differ in length"):
        kl_divergence([[0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(EvaluationError, match="empty"):
        js_divergence(np.zeros((0, 2)), np.zeros((0, 2)))
