"""Gender fairness gap, bootstrap CIs (plain and speaker-clustered), mean/std over folds and runs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sercorpus.evaluate import EvaluationError
from sercorpus.evaluate.metrics import (
    MetricValue,
    aggregate_runs,
    bootstrap_ci,
    ccc,
    gender_fairness_gap,
    mean_std,
    speaker_bootstrap_ci,
    uar,
)

CLASSES = ["neutral", "happy"]
Y = np.array(["neutral", "happy", "neutral", "happy", "neutral", "happy"])
P = np.array(["neutral", "happy", "neutral", "neutral", "happy", "happy"])
G = ["female", "female", "male", "male", "male", None]


def _uar_on(idx: np.ndarray) -> float:
    return uar(Y[idx], P[idx], CLASSES)


def test_gender_gap_hand_computed() -> None:
    gap = gender_fairness_gap(_uar_on, G, metric="uar")
    # female rows 0,1: UAR 1.0; male rows 2,3,4: neutral 1/2, happy 0/1 -> 0.25
    assert (gap.female, gap.male, gap.value) == (1.0, 0.25, 0.75)
    assert (gap.n_female, gap.n_male, gap.n_other) == (2, 3, 1)


def test_gender_gap_missing_group_is_null_or_error() -> None:
    only_female = ["female"] * 6
    gap = gender_fairness_gap(_uar_on, only_female, metric="uar")
    assert gap.value is None and "no utterance with gender 'male'" in (gap.reason or "")
    with pytest.raises(EvaluationError, match="uar fairness gap: no utterance with gender 'male'"):
        gender_fairness_gap(_uar_on, only_female, metric="uar", on_missing="error")


def test_gender_gap_undefined_metric_on_a_group_is_null() -> None:
    t = np.array([0.1, 0.5, 0.3, 0.3])
    p = np.array([0.2, 0.4, 0.3, 0.3])  # male: truth and prediction the same constant -> CCC 0/0
    gap = gender_fairness_gap(
        lambda idx: ccc(t[idx], p[idx]), ["female", "female", "male", "male"], metric="ccc"
    )
    assert gap.value is None and "undefined on male" in (gap.reason or "")


# ------------------------------------------------------------------------------------------ bootstrap


def _mean_stat(values: np.ndarray):
    return lambda idx: float(values[idx].mean())


def test_bootstrap_is_deterministic_for_a_seed_and_uses_literature_defaults() -> None:
    values = np.random.default_rng(3).normal(size=300)
    a = bootstrap_ci(_mean_stat(values), len(values), seed=7)
    b = bootstrap_ci(_mean_stat(values), len(values), seed=7)
    c = bootstrap_ci(_mean_stat(values), len(values), seed=8)
    assert a == b and a != c
    assert (a.draw, a.n_repeats, a.confidence) == (200, 1000, 0.95)
    assert a.low < a.estimate < a.high
    # a 200-sample draw is wider than the full-size (textbook) bootstrap of 300
    full = bootstrap_ci(_mean_stat(values), len(values), n_samples=None, seed=7)
    assert full.draw == 300 and (full.high - full.low) < (a.high - a.low)


@settings(max_examples=30, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1), st.integers(5, 60))
def test_bootstrap_determinism_property(seed: int, n: int) -> None:
    values = np.arange(n, dtype=np.float64)
    first = speaker_bootstrap_ci(_mean_stat(values), [i % 4 for i in range(n)], n_repeats=50, seed=seed)
    second = speaker_bootstrap_ci(_mean_stat(values), [i % 4 for i in range(n)], n_repeats=50, seed=seed)
    assert first == second
    plain = bootstrap_ci(_mean_stat(values), n, n_samples=20, n_repeats=50, seed=seed)
    assert plain == bootstrap_ci(_mean_stat(values), n, n_samples=20, n_repeats=50, seed=seed)
    assert plain.low <= plain.mean <= plain.high


def test_speaker_bootstrap_resamples_whole_speakers() -> None:
    speakers = ["a"] * 3 + ["b"] * 5 + ["c"] * 2
    seen: list[list[int]] = []

    def stat(idx: np.ndarray) -> float:
        seen.append(sorted(idx.tolist()))
        return float(len(idx))

    result = speaker_bootstrap_ci(stat, speakers, n_repeats=40, seed=1)
    members = {"a": [0, 1, 2], "b": [3, 4, 5, 6, 7], "c": [8, 9]}
    for draw in seen[1:]:  # the first call is the point estimate on all rows
        remaining = list(draw)
        while remaining:  # every resample is a union of complete speakers
            for rows in members.values():
                if rows[0] in remaining:
                    for r in rows:
                        remaining.remove(r)
                    break
            else:
                pytest.fail(f"resample {draw} is not made of whole speakers")
    assert result.clustered and result.draw == 3 and result.estimate == 10.0


def test_speaker_clustered_interval_is_wider_for_correlated_speakers() -> None:
    rng = np.random.default_rng(0)
    speaker_effect = np.repeat(rng.normal(0, 1, 20), 30)  # strong within-speaker correlation
    values = speaker_effect + rng.normal(0, 0.1, 600)
    speakers = np.repeat(np.arange(20), 30).tolist()
    plain = bootstrap_ci(_mean_stat(values), 600, n_samples=None, n_repeats=300, seed=0)
    clustered = speaker_bootstrap_ci(_mean_stat(values), speakers, n_repeats=300, seed=0)
    assert (clustered.high - clustered.low) > 2 * (plain.high - plain.low)


def test_bootstrap_undefined_resamples_are_counted() -> None:
    t = np.array([0.0, 1.0, 0.5, 0.5, 0.5])
    p = np.array([0.0, 1.0, 0.5, 0.5, 0.5])
    result = bootstrap_ci(lambda idx: ccc(t[idx], p[idx]), 5, n_samples=2, n_repeats=200, seed=0)
    assert 0 < result.n_null < 200 and "resamples undefined" in (result.reason or "")
    never = bootstrap_ci(lambda idx: MetricValue(None, "always"), 5, n_repeats=10)
    assert never.low is None and never.reason == "the statistic is undefined on every resample"


def test_bootstrap_bad_parameters() -> None:
    with pytest.raises(EvaluationError, match="empty"):
        bootstrap_ci(lambda idx: 0.0, 0)
    with pytest.raises(EvaluationError, match="n_repeats"):
        bootstrap_ci(lambda idx: 0.0, 5, n_repeats=0)
    with pytest.raises(EvaluationError, match="confidence"):
        bootstrap_ci(lambda idx: 0.0, 5, confidence=95)
    with pytest.raises(EvaluationError, match="row 1 has no speaker id"):
        speaker_bootstrap_ci(lambda idx: 0.0, ["a", None])


# ------------------------------------------------------------------------------------------ aggregation


def test_mean_std_over_folds_and_runs() -> None:
    agg = mean_std([0.5, 0.7, None, MetricValue(0.6)])
    assert agg.mean == pytest.approx(0.6) and agg.std == pytest.approx(0.1)
    assert (agg.n, agg.n_null) == (3, 1) and "1 null" in (agg.reason or "")
    assert mean_std([0.5, 0.7], ddof=0).std == pytest.approx(0.1)
    single = mean_std([0.4])
    assert single.mean == 0.4 and single.std is None and "at least 2" in (single.reason or "")
    assert mean_std([None]).mean is None
    with pytest.raises(EvaluationError, match="not NaN"):
        mean_std([0.5, float("nan")])
    runs = aggregate_runs([{"uar": 0.5, "wa": 0.6}, {"uar": 0.7}])
    assert runs["uar"].mean == pytest.approx(0.6) and runs["wa"].n_null == 1
