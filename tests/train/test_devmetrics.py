"""In-loop metrics against scikit-learn / scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import pearsonr
from sklearn.metrics import balanced_accuracy_score

from sercorpus.train.devmetrics import ccc, mean_ccc, uar


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize("seed", range(5))
def test_uar_matches_sklearn_balanced_accuracy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, 200)
    pred = np.where(rng.random(200) < 0.6, truth, rng.integers(0, 5, 200))  # includes a class never true
    assert uar(truth, pred) == pytest.approx(balanced_accuracy_score(truth, pred))


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_uar_counts_only_classes_present_in_truth_and_ignores_minus_100() -> None:
    assert uar([0, 0], [0, 1]) == pytest.approx(balanced_accuracy_score([0, 0], [0, 1]))  # 0.5, not 0.25
    assert uar([0, -100, 1, -100], [0, 1, 1, 0]) == 1.0
    assert uar([-100, -100], [0, 1]) is None


def test_ccc_matches_its_definition() -> None:
    rng = np.random.default_rng(0)
    t = rng.normal(size=300)
    p = 0.7 * t + rng.normal(scale=0.5, size=300) + 0.2
    rho = pearsonr(t, p).statistic
    expected = 2 * rho * t.std() * p.std() / (t.var() + p.var() + (t.mean() - p.mean()) ** 2)
    assert ccc(t, p) == pytest.approx(expected)
    assert ccc(t, t) == pytest.approx(1.0)
    c = t - t.mean()
    assert ccc(c, -c) == pytest.approx(-1.0)


def test_ccc_is_none_when_undefined_never_nan() -> None:
    assert ccc([0.5], [0.5]) is None
    assert ccc([0.5, 0.5], [0.5, 0.5]) is None
    assert ccc([0.1, float("nan")], [0.2, 0.3]) is None
    assert ccc([0.1, 0.2], [0.3, 0.3]) == pytest.approx(0.0)  # constant prediction: defined, zero


def test_mean_ccc_uses_each_columns_valid_rows() -> None:
    t = np.array([[0.1, 0.9], [0.5, 0.2], [0.9, 0.4], [0.3, 0.0]])
    p = t.copy()
    mask = np.array([[1, 1], [1, 1], [1, 0], [1, 0]], dtype=bool)
    p[2, 1] = p[3, 1] = 99.0  # masked out: must not count
    assert mean_ccc(t, p, mask) == pytest.approx(1.0)
    assert mean_ccc(t[:1], p[:1]) is None
