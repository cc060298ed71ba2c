"""Mean and standard deviation of a metric over folds or runs (the papers report "mean of 5 folds/runs").

``std`` uses ``ddof=1`` (sample std) by default; pass ``ddof=0`` for the population std. Null values (an
undefined metric in one run) are left out and counted in ``n_null``, never averaged as 0. With fewer
than ``ddof + 1`` defined values the std is null with the reason; with none, the mean is null too.
NaN or inf in the input is an error: undefined values must arrive as ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.value import MetricValue


@dataclass(frozen=True)
class Aggregate:
    mean: float | None
    std: float | None
    n: int
    n_null: int
    ddof: int
    reason: str | None = None


def mean_std(values: Iterable[float | MetricValue | None], *, ddof: int = 1) -> Aggregate:
    """Mean and std of the defined values; see the module doc for nulls."""
    if ddof < 0:
        raise EvaluationError(f"ddof must be >= 0, got {ddof}")
    defined: list[float] = []
    n_null = 0
    for i, v in enumerate(values):
        raw = v.value if isinstance(v, MetricValue) else v
        if raw is None:
            n_null += 1
            continue
        x = float(raw)
        if not math.isfinite(x):
            raise EvaluationError(f"value {i} is {x!r}: pass undefined values as None, not NaN/inf")
        defined.append(x)
    n = len(defined)
    null_note = f"{n_null} null value(s) left out" if n_null else None
    if n == 0:
        return Aggregate(
            None, None, 0, n_null, ddof, "no defined value" + (f" ({null_note})" if null_note else "")
        )
    arr = np.asarray(defined)
    mean = float(arr.mean())
    if n <= ddof:
        why = f"std with ddof={ddof} needs at least {ddof + 1} values, got {n}"
        return Aggregate(mean, None, n, n_null, ddof, why + (f"; {null_note}" if null_note else ""))
    return Aggregate(mean, float(arr.std(ddof=ddof)), n, n_null, ddof, null_note)


def aggregate_runs(
    runs: Sequence[Mapping[str, float | MetricValue | None]], *, ddof: int = 1
) -> dict[str, Aggregate]:
    """Per metric name, :func:`mean_std` over the runs; a metric missing from a run counts as null there."""
    if not runs:
        raise EvaluationError("no runs to aggregate")
    names = sorted({name for run in runs for name in run})
    return {name: mean_std((run.get(name) for run in runs), ddof=ddof) for name in names}
