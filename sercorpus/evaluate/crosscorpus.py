"""Cross-corpus matrix (train set x test set) as data, tables and a heatmap; the runner that fills the cells
(training every cell, reusing finished runs) lives with the training recipes.

Each test set's **in-domain baseline** is, by default, the cell whose training set has the same name
(``("msp_podcast", "msp_podcast")``); pass ``baselines`` to give them explicitly. The delta of a cell is
``cell − baseline[test set]``, so the in-domain cell itself is 0 and cross-corpus cells are usually
negative. Pretrain-finetune-test triples are rows too, named as the user likes (``"iemocap>msp*"``).
A missing cell or baseline is null with a note, never 0. Means (a mean row and a mean column, as in
nkululeko's multidb) average the defined cells only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.tables import csv_text, fmt, markdown_table


@dataclass(frozen=True)
class CrossCorpusMatrix:
    metric: str
    train_sets: tuple[str, ...]
    test_sets: tuple[str, ...]
    absolute: tuple[tuple[float | None, ...], ...]  # [train][test]
    baseline: tuple[float | None, ...]  # per test set
    notes: tuple[str, ...] = ()

    def absolute_array(self) -> np.ndarray:
        return _array(self.absolute)

    def delta_array(self) -> np.ndarray:
        base = np.array([np.nan if b is None else b for b in self.baseline], dtype=np.float64)
        return self.absolute_array() - base[None, :]

    def delta(self, train: str, test: str) -> float | None:
        v = self.delta_array()[self.train_sets.index(train), self.test_sets.index(test)]
        return float(v) if np.isfinite(v) else None

    @staticmethod
    def with_means(values: np.ndarray) -> np.ndarray:
        """``values`` with a mean column appended to each row and a mean row (corner: mean of all cells)."""
        r, c = values.shape
        out = np.full((r + 1, c + 1), np.nan)
        out[:r, :c] = values
        for i in range(r):
            out[i, c] = _nanmean(values[i])
        for j in range(c):
            out[r, j] = _nanmean(values[:, j])
        out[r, c] = _nanmean(values.reshape(-1))
        return out


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else math.nan


def _array(rows: Sequence[Sequence[float | None]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64)


def _check_value(v: float | None, what: str) -> float | None:
    if v is None:
        return None
    x = float(v)
    if not math.isfinite(x):
        raise EvaluationError(f"{what} is {x!r}: pass an undefined score as None")
    return x


def cross_corpus_matrix(
    cells: Mapping[tuple[str, str], float | None],
    *,
    metric: str = "uar",
    baselines: Mapping[str, float | None] | None = None,
    train_order: Sequence[str] | None = None,
    test_order: Sequence[str] | None = None,
) -> CrossCorpusMatrix:
    """Build the matrix from ``{(train_set, test_set): score}``; orders default to sorted names."""
    if not cells:
        raise EvaluationError("the cross-corpus matrix has no cells")
    trains = list(train_order) if train_order is not None else sorted({tr for tr, _ in cells})
    tests = list(test_order) if test_order is not None else sorted({te for _, te in cells})
    for tr, te in cells:
        if tr not in trains or te not in tests:
            raise EvaluationError(f"cell ({tr!r}, {te!r}) is outside the given train/test order")
    absolute = tuple(
        tuple(_check_value(cells.get((tr, te)), f"cell ({tr!r}, {te!r})") for te in tests) for tr in trains
    )
    notes: list[str] = []
    missing = [(tr, te) for tr in trains for te in tests if (tr, te) not in cells or cells[(tr, te)] is None]
    if missing:
        notes.append(f"{len(missing)} cell(s) missing or undefined: {missing}")
    base: list[float | None] = []
    for te in tests:
        if baselines is not None and te in baselines:
            base.append(_check_value(baselines[te], f"baseline of {te!r}"))
        else:
            base.append(_check_value(cells.get((te, te)), f"cell ({te!r}, {te!r})"))
        if base[-1] is None:
            notes.append(f"test set {te!r} has no in-domain baseline: its deltas are null")
    return CrossCorpusMatrix(metric, tuple(trains), tuple(tests), absolute, tuple(base), tuple(notes))


def matrix_markdown(matrix: CrossCorpusMatrix) -> str:
    """Two Markdown tables (absolute, delta vs baseline) with mean row and column, then the notes."""
    out = []
    for title, arr, signed in (
        (
            f"{matrix.metric}, absolute (rows: training set, columns: test set)",
            matrix.absolute_array(),
            False,
        ),
        (f"{matrix.metric}, change vs the test set's in-domain baseline", matrix.delta_array(), True),
    ):
        full = matrix.with_means(arr)
        header = ["train \\ test", *matrix.test_sets, "mean"]
        names = [*matrix.train_sets, "mean"]
        rows = [[names[i], *(fmt(_opt(v), 4, signed) for v in full[i])] for i in range(len(names))]
        out.append(f"**{title}**\n\n" + markdown_table(header, rows))
    base = [[te, fmt(b)] for te, b in zip(matrix.test_sets, matrix.baseline, strict=True)]
    out.append("**in-domain baselines**\n\n" + markdown_table(["test set", "baseline"], base))
    if matrix.notes:
        out.append("\n".join(f"- {n}" for n in matrix.notes) + "\n")
    return "\n".join(out)


def matrix_csv(matrix: CrossCorpusMatrix) -> str:
    """Long format: one line per cell with its baseline and delta (empty = null)."""
    delta = matrix.delta_array()
    rows = []
    for i, tr in enumerate(matrix.train_sets):
        for j, te in enumerate(matrix.test_sets):
            rows.append([tr, te, matrix.absolute[i][j], matrix.baseline[j], _opt(delta[i, j])])
    return csv_text(["train", "test", matrix.metric, "baseline", "delta"], rows)


def _opt(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None
