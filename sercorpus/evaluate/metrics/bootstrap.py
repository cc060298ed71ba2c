"""Bootstrap confidence intervals, plain (utterances) and clustered by speaker.

The statistic is a callable over row indices (``lambda idx: uar(y[idx], p[idx], classes)``), so any metric
can be bootstrapped and the resampling code is written once.

* **Plain** (:func:`bootstrap_ci`): each of ``n_repeats`` resamples draws ``n_samples`` utterances with
  replacement. Defaults follow the literature (Wagner et al.: 200 samples, 1,000 repeats). ``n_samples=None``
  draws as many as the set has, the textbook bootstrap. Note that a fixed 200 gives the spread of a
  200-utterance score, wider than the spread of a score on a larger set.
* **Clustered** (:func:`speaker_bootstrap_ci`): each resample draws whole speakers with replacement
  (``n_clusters``, default: as many as there are) and takes all their utterances. Utterances of one speaker
  are correlated, so iid resampling gives intervals that are too narrow (confidence-intervals' README).

Randomness comes only from ``numpy.random.default_rng(seed)``; the same seed gives the same interval.
The interval is the percentile interval at ``confidence``. Resamples on which the statistic is undefined
(e.g. CCC of a constant resample) are left out and counted in ``n_null``; if none is defined the interval
is null with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.value import MetricValue, as_optional_float

Statistic = Callable[[np.ndarray], "float | MetricValue | None"]

#: Literature defaults (Wagner et al.): 200 samples with replacement, 1,000 repeats.
DEFAULT_SAMPLES = 200
DEFAULT_REPEATS = 1000


@dataclass(frozen=True)
class BootstrapCI:
    """Point estimate on all rows, and the percentile interval over the defined resamples."""

    estimate: float | None
    low: float | None
    high: float | None
    mean: float | None
    std: float | None
    confidence: float
    n_repeats: int
    n_null: int
    draw: int
    clustered: bool
    seed: int
    reason: str | None = None


def _check(n_repeats: int, confidence: float) -> None:
    if n_repeats < 1:
        raise EvaluationError(f"n_repeats must be >= 1, got {n_repeats}")
    if not 0.0 < confidence < 1.0:
        raise EvaluationError(f"confidence must be in (0, 1), got {confidence}")


def _summarise(
    statistic: Statistic,
    all_rows: np.ndarray,
    resamples: Callable[[], list[np.ndarray]],
    *,
    confidence: float,
    n_repeats: int,
    draw: int,
    clustered: bool,
    seed: int,
) -> BootstrapCI:
    estimate = as_optional_float(statistic(all_rows))
    values = [as_optional_float(statistic(idx)) for idx in resamples()]
    defined = np.array([v for v in values if v is not None], dtype=np.float64)
    n_null = len(values) - defined.size

    def result(
        low: float | None, high: float | None, mean: float | None, std: float | None, reason: str | None
    ) -> BootstrapCI:
        return BootstrapCI(
            estimate, low, high, mean, std, confidence, n_repeats, n_null, draw, clustered, seed, reason
        )

    if defined.size == 0:
        return result(None, None, None, None, "the statistic is undefined on every resample")
    alpha = 1.0 - confidence
    low, high = np.quantile(defined, [alpha / 2, 1 - alpha / 2])
    std = float(defined.std(ddof=1)) if defined.size > 1 else 0.0
    reason = f"{n_null} of {n_repeats} resamples undefined, left out" if n_null else None
    return result(float(low), float(high), float(defined.mean()), std, reason)


def bootstrap_ci(
    statistic: Statistic,
    n: int,
    *,
    n_samples: int | None = DEFAULT_SAMPLES,
    n_repeats: int = DEFAULT_REPEATS,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapCI:
    """Plain bootstrap over ``n`` rows: ``n_repeats`` draws of ``n_samples`` row indices with replacement."""
    _check(n_repeats, confidence)
    if n < 1:
        raise EvaluationError("the test set is empty: nothing to bootstrap")
    draw = n if n_samples is None else int(n_samples)
    if draw < 1:
        raise EvaluationError(f"n_samples must be >= 1 (or None for the set size), got {n_samples}")
    rng = np.random.default_rng(seed)

    def resamples() -> list[np.ndarray]:
        return list(rng.integers(0, n, size=(n_repeats, draw)))

    return _summarise(
        statistic,
        np.arange(n),
        resamples,
        confidence=confidence,
        n_repeats=n_repeats,
        draw=draw,
        clustered=False,
        seed=seed,
    )


def speaker_bootstrap_ci(
    statistic: Statistic,
    speakers: Sequence[Hashable],
    *,
    n_clusters: int | None = None,
    n_repeats: int = DEFAULT_REPEATS,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapCI:
    """Speaker-clustered bootstrap: draw ``n_clusters`` speakers with replacement, keep all their rows."""
    _check(n_repeats, confidence)
    spk = list(speakers)
    if not spk:
        raise EvaluationError("the test set is empty: nothing to bootstrap")
    for i, s in enumerate(spk):
        if s is None or (isinstance(s, float) and math.isnan(s)):
            raise EvaluationError(
                f"speaker: row {i} has no speaker id; a clustered bootstrap needs one per row"
            )
    groups: dict[Hashable, list[int]] = {}
    for i, s in enumerate(spk):
        groups.setdefault(s, []).append(i)
    members = [np.asarray(groups[s], dtype=np.int64) for s in sorted(groups, key=str)]
    draw = len(members) if n_clusters is None else int(n_clusters)
    if draw < 1:
        raise EvaluationError(
            f"n_clusters must be >= 1 (or None for the number of speakers), got {n_clusters}"
        )
    rng = np.random.default_rng(seed)

    def resamples() -> list[np.ndarray]:
        picks = rng.integers(0, len(members), size=(n_repeats, draw))
        return [np.concatenate([members[j] for j in row]) for row in picks]

    return _summarise(
        statistic,
        np.arange(len(spk)),
        resamples,
        confidence=confidence,
        n_repeats=n_repeats,
        draw=draw,
        clustered=True,
        seed=seed,
    )
