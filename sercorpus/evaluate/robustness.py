"""Robustness table: the change of a score on augmented copies of a test set against the clean one.

The runner that builds the augmented copies (ESC-50 natural / human / interior noise at 0, 10, 20 dB,
speed-up, fades, telephone channel) and evaluates them lives with the training recipes; this module turns
its scores into the literature's table (Wagner et al. Table III: ΔCCC per condition and column) and bars.

``scores`` maps a series (a column such as "arousal CCC" or "uar") to ``{condition: score}``, one of
whose conditions is ``clean``. Delta = condition − clean; a missing score is null, never 0. The mean
delta per series averages the defined conditions (Wagner et al. report the average over conditions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.tables import csv_text, fmt, markdown_table


@dataclass(frozen=True)
class RobustnessTable:
    metric: str
    clean: str
    conditions: tuple[str, ...]  # without the clean condition
    series: tuple[str, ...]
    scores: tuple[tuple[float | None, ...], ...]  # [series][condition]
    clean_scores: tuple[float | None, ...]

    def delta_array(self) -> np.ndarray:
        s = np.array([[np.nan if v is None else v for v in row] for row in self.scores], dtype=np.float64)
        c = np.array([np.nan if v is None else v for v in self.clean_scores], dtype=np.float64)
        return s - c[:, None]

    def delta(self, series: str, condition: str) -> float | None:
        v = self.delta_array()[self.series.index(series), self.conditions.index(condition)]
        return float(v) if np.isfinite(v) else None

    def mean_delta(self, series: str) -> float | None:
        row = self.delta_array()[self.series.index(series)]
        finite = row[np.isfinite(row)]
        return float(finite.mean()) if finite.size else None


def robustness_table(
    scores: Mapping[str, Mapping[str, float | None]] | Mapping[str, float | None],
    *,
    clean: str = "clean",
    metric: str = "score",
    condition_order: Sequence[str] | None = None,
) -> RobustnessTable:
    """Build the table; a flat ``{condition: score}`` mapping is one series named ``metric``.

    Conditions keep their first-seen order unless ``condition_order`` is given.
    """
    if not scores:
        raise EvaluationError("no robustness scores given")
    nested: dict[str, Mapping[str, float | None]]
    if all(isinstance(v, Mapping) for v in scores.values()):
        nested = dict(scores)  # type: ignore[arg-type]
    elif any(isinstance(v, Mapping) for v in scores.values()):
        raise EvaluationError("robustness scores mix series mappings and plain scores")
    else:
        nested = {metric: scores}  # type: ignore[dict-item]
    seen = list(dict.fromkeys(c for per in nested.values() for c in per if c != clean))  # first-seen order
    conditions = list(condition_order) if condition_order is not None else seen
    extra = sorted(set(seen) - set(conditions))
    if extra:
        raise EvaluationError(f"conditions {extra} are not in condition_order")
    if not conditions:
        raise EvaluationError(f"no condition besides {clean!r}: nothing to compare")
    series = list(nested)
    clean_scores = []
    for name in series:
        if clean not in nested[name]:
            raise EvaluationError(f"series {name!r} has no {clean!r} score to compare against")
        clean_scores.append(_check(nested[name][clean], f"{name} / {clean}"))
    rows = tuple(tuple(_check(nested[s].get(c), f"{s} / {c}") for c in conditions) for s in series)
    return RobustnessTable(metric, clean, tuple(conditions), tuple(series), rows, tuple(clean_scores))


def _check(v: float | None, what: str) -> float | None:
    if v is None:
        return None
    x = float(v)
    if not math.isfinite(x):
        raise EvaluationError(f"score {what} is {x!r}: pass an undefined score as None")
    return x


def robustness_markdown(table: RobustnessTable) -> str:
    """Conditions as rows, series as columns of deltas, then the mean row and the clean scores."""
    header = ["condition", *table.series]
    rows = [[c, *(fmt(table.delta(s, c), 3, signed=True) for s in table.series)] for c in table.conditions]
    rows.append(["mean", *(fmt(table.mean_delta(s), 3, signed=True) for s in table.series)])
    rows.append([f"{table.clean} (absolute)", *(fmt(v, 3) for v in table.clean_scores)])
    return f"**{table.metric}: change vs {table.clean}**\n\n" + markdown_table(header, rows)


def robustness_csv(table: RobustnessTable) -> str:
    rows = []
    for j, s in enumerate(table.series):
        for i, c in enumerate(table.conditions):
            rows.append([s, c, table.scores[j][i], table.clean_scores[j], table.delta(s, c)])
    return csv_text(["series", "condition", table.metric, table.clean, "delta"], rows)
