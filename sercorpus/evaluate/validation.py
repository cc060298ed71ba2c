"""Input checks shared by every metric: one place that turns bad input into an :class:`EvaluationError`.

Every check names the offending row (by position, and by id where the caller passes ids) so a wrong
predictions file can be fixed without guessing.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence, Sized
from typing import Any

import numpy as np

from sercorpus.evaluate.errors import EvaluationError

#: Default tolerance for "each probability row sums to one" (float32 softmax rounding stays far inside it).
PROB_SUM_ATOL = 1e-5


def row_name(index: int, ids: Sequence[str] | None = None) -> str:
    """``row 3`` or ``row 3 (id 'spk1_0003')``: how every message refers to a row."""
    if ids is not None and 0 <= index < len(ids):
        return f"row {index} (id {ids[index]!r})"
    return f"row {index}"


def check_classes(classes: Sequence[Hashable]) -> tuple[Hashable, ...]:
    """The class list as a tuple; it must be non-empty and free of repeats (it fixes every class order)."""
    out = tuple(classes)
    if not out:
        raise EvaluationError("the class list is empty")
    seen: set[Hashable] = set()
    for c in out:
        if c is None:
            raise EvaluationError("the class list contains None")
        if c in seen:
            raise EvaluationError(f"class {c!r} appears twice in the class list")
        seen.add(c)
    return out


def check_nonempty(n: int, what: str = "the test set") -> None:
    if n == 0:
        raise EvaluationError(f"{what} is empty: no metric is defined on zero utterances")


def check_same_length(**columns: Sized) -> int:
    """All named columns have the same length (returned); the message lists every length."""
    lengths = {name: len(col) for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise EvaluationError(f"inputs differ in length: {listed}")
    return next(iter(lengths.values())) if lengths else 0


def encode_labels(
    values: Sequence[Any] | np.ndarray,
    classes: Sequence[Hashable],
    what: str,
    ids: Sequence[str] | None = None,
) -> np.ndarray:
    """Class indices (int64) of ``values`` in the order of ``classes``; a value outside the list is an error."""
    index = {c: i for i, c in enumerate(classes)}
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    codes = np.empty(len(items), dtype=np.int64)
    for i, v in enumerate(items):
        try:
            codes[i] = index[v]
        except (KeyError, TypeError):
            raise EvaluationError(
                f"{what}: {row_name(i, ids)} has class {v!r}, which is not in the class list {list(classes)}"
            ) from None
    return codes


def check_finite_vector(
    values: Sequence[float] | np.ndarray, what: str, ids: Sequence[str] | None = None
) -> np.ndarray:
    """A 1-D float64 array with no NaN or inf (the first bad row is named)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"{what}: not numeric ({exc})") from None
    if arr.ndim != 1:
        raise EvaluationError(f"{what}: expected a 1-D sequence, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise EvaluationError(
            f"{what}: {row_name(int(bad[0]), ids)} is {float(arr[bad[0]])} ({bad.size} non-finite values)"
        )
    return arr


def check_probabilities(
    probabilities: Any,
    what: str,
    n_classes: int | None = None,
    ids: Sequence[str] | None = None,
    atol: float = PROB_SUM_ATOL,
) -> np.ndarray:
    """A 2-D float64 array of probability rows: finite, in [0, 1], each row summing to 1 within ``atol``.

    The rows are returned as given (no renormalisation); callers that need exact sums divide by them.
    """
    try:
        arr = np.asarray(probabilities, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"{what}: not a numeric matrix ({exc})") from None
    if arr.ndim != 2:
        raise EvaluationError(f"{what}: expected a 2-D matrix (utterances x classes), got shape {arr.shape}")
    if n_classes is not None and arr.shape[1] != n_classes:
        raise EvaluationError(f"{what}: {arr.shape[1]} columns, but the class list has {n_classes} classes")
    if arr.shape[1] == 0:
        raise EvaluationError(f"{what}: zero classes")
    nonfinite = ~np.isfinite(arr)
    if nonfinite.any():
        r = int(np.flatnonzero(nonfinite.any(axis=1))[0])
        raise EvaluationError(f"{what}: {row_name(r, ids)} contains NaN or inf: {arr[r].tolist()}")
    negative = arr < 0
    if negative.any():
        r = int(np.flatnonzero(negative.any(axis=1))[0])
        raise EvaluationError(f"{what}: {row_name(r, ids)} has a negative probability: {arr[r].tolist()}")
    sums = arr.sum(axis=1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        r = int(np.flatnonzero(off)[0])
        raise EvaluationError(
            f"{what}: {row_name(r, ids)} sums to {sums[r]:.9g}, not 1 (tolerance {atol:g}; {int(off.sum())} such rows)"
        )
    return arr
