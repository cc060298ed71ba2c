"""The per-utterance predictions table: what ``sercorpus evaluate`` writes and ``sercorpus score`` re-scores.

One Parquet file, one row per utterance, sorted by id. Scoring needs no model, only this table.
The class order of ``probabilities`` lives in the Arrow schema metadata, with the label view name. Keeping
it there, and not in a side file, means the order cannot get separated from the numbers.
Schema (see ``docs/metrics.md``):

=================  ====================  ==========================================================
column             type                  meaning
=================  ====================  ==========================================================
id                 string, not null      utterance id (unique)
corpus             string, not null      corpus name
speaker            string                speaker id (null: unknown; excluded from per-speaker views)
gender             string                "female" / "male" / null
split              string                split name (e.g. "test") / null
label              string                true class name in the view, or null (no consensus)
probabilities      list<float32>         class probabilities in the metadata's class order
top_k              list<string>          the ``top_k`` best classes, best first (ties: class order)
soft_label         list<float32>         optional: the true vote distribution, same order / null
<dim>_true         double                optional, per dimension (arousal, valence, dominance,
<dim>_pred         double                sentiment): truth and prediction, null where absent
=================  ====================  ==========================================================

Writes are byte-deterministic: rows sorted by id, fixed column order, JSON metadata with sorted keys,
and no timestamps. The same predictions give the same bytes. Writes are atomic (temporary sibling, then
``os.replace``) and the file mode honours the umask. The reader validates everything the writer
guarantees, and also that ``top_k`` agrees with the probabilities.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sercorpus.core.atomic import write_bytes
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.kbest import rank_classes
from sercorpus.evaluate.validation import PROB_SUM_ATOL, check_probabilities, row_name

FORMAT = "sercorpus.predictions"
FORMAT_VERSION = 1
METADATA_KEY = b"sercorpus.predictions"
DIMENSIONS: tuple[str, ...] = ("arousal", "valence", "dominance", "sentiment")
GENDERS: tuple[str, ...] = ("female", "male")
DEFAULT_TOP_K = 3


@dataclass(frozen=True)
class DimensionColumns:
    """Truth and prediction of one dimension (float64). In memory NaN marks null; it is written as null."""

    truth: np.ndarray
    prediction: np.ndarray


@dataclass(frozen=True, eq=False)
class Predictions:
    """A validated predictions table in memory (construct with :func:`make_predictions`)."""

    ids: tuple[str, ...]
    corpus: tuple[str, ...]
    speaker: tuple[str | None, ...]
    gender: tuple[str | None, ...]
    split: tuple[str | None, ...]
    label: tuple[str | None, ...]
    classes: tuple[str, ...]
    label_view: str | None
    probabilities: np.ndarray | None
    soft_label: np.ndarray | None
    dimensions: Mapping[str, DimensionColumns] = field(default_factory=dict)
    top_k: int = 0

    def __post_init__(self) -> None:
        _validate(self)

    def __len__(self) -> int:
        return len(self.ids)

    def top_k_labels(self) -> list[list[str]]:
        """The ``top_k`` best classes of every row (empty lists without probabilities)."""
        if self.probabilities is None:
            return [[] for _ in self.ids]
        ranked = rank_classes(self.probabilities)[:, : self.top_k]
        return [[self.classes[j] for j in row] for row in ranked]

    def metadata(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "classes": list(self.classes),
            "label_view": self.label_view,
            "top_k": self.top_k,
            "dimensions": sorted(self.dimensions, key=DIMENSIONS.index),
        }


def _fail(msg: str) -> None:
    raise EvaluationError(msg)


def _validate(p: Predictions) -> None:
    n = len(p.ids)
    if n == 0:
        _fail("the predictions table is empty: no utterance to score")
    for name in ("corpus", "speaker", "gender", "split", "label"):
        if len(getattr(p, name)) != n:
            _fail(f"column {name!r} has {len(getattr(p, name))} rows, but there are {n} ids")
    seen: set[str] = set()
    for i, u in enumerate(p.ids):
        if not isinstance(u, str) or not u:
            _fail(f"{row_name(i)}: id must be a non-empty string, got {u!r}")
        if u in seen:
            _fail(f"id {u!r} appears more than once (ids must be unique)")
        seen.add(u)
    for i, c in enumerate(p.corpus):
        if not isinstance(c, str) or not c:
            _fail(f"{row_name(i, p.ids)}: corpus must be a non-empty string, got {c!r}")
    for name in ("speaker", "split"):
        for i, v in enumerate(getattr(p, name)):
            if v is not None and (not isinstance(v, str) or not v):
                _fail(f"{row_name(i, p.ids)}: {name} must be a non-empty string or null, got {v!r}")
    for i, g in enumerate(p.gender):
        if g is not None and g not in GENDERS:
            _fail(f"{row_name(i, p.ids)}: gender must be one of {list(GENDERS)} or null, got {g!r}")
    if len(set(p.classes)) != len(p.classes) or any(not isinstance(c, str) or not c for c in p.classes):
        _fail(f"the class list must be unique non-empty strings, got {list(p.classes)}")
    _validate_categorical(p, n)
    for dim, cols in p.dimensions.items():
        if dim not in DIMENSIONS:
            _fail(f"unknown dimension {dim!r}; known: {list(DIMENSIONS)}")
        for what, arr in (("truth", cols.truth), ("prediction", cols.prediction)):
            if arr.dtype != np.float64 or arr.shape != (n,):
                _fail(f"{dim} {what}: expected float64 of shape ({n},), got {arr.dtype} {arr.shape}")
            if np.isinf(arr).any():
                r = int(np.flatnonzero(np.isinf(arr))[0])
                _fail(f"{dim} {what}: {row_name(r, p.ids)} is infinite")
    if p.probabilities is None and not p.dimensions:
        _fail("the predictions table has neither class probabilities nor dimensional predictions")


def _validate_categorical(p: Predictions, n: int) -> None:
    if p.probabilities is None:
        if p.classes:
            _fail("a class list is given but no probabilities")
        if p.soft_label is not None:
            _fail("soft labels are given but no probabilities")
        labelled = [i for i, lab in enumerate(p.label) if lab is not None]
        if labelled:
            _fail(f"{row_name(labelled[0], p.ids)} has a label but the table has no class probabilities")
        if p.top_k != 0:
            _fail("top_k must be 0 without probabilities")
        return
    if not p.classes:
        _fail("probabilities are given but the class list is empty")
    c = len(p.classes)
    for name, arr in (("probabilities", p.probabilities), ("soft_label", p.soft_label)):
        if arr is not None and arr.ndim == 2 and arr.shape[0] == n and arr.shape[1] != c:
            _fail(f"{name}: {arr.shape[1]} columns, but the class list has {c} classes {list(p.classes)}")
        if arr is not None and (arr.dtype != np.float32 or arr.shape != (n, c)):
            _fail(f"{name}: expected float32 of shape ({n}, {c}), got {arr.dtype} {arr.shape}")
    check_probabilities(p.probabilities, "probabilities", n_classes=c, ids=p.ids)
    if p.soft_label is not None:
        null_rows = np.isnan(p.soft_label).all(axis=1)
        if (~null_rows).any():
            present = np.flatnonzero(~null_rows)
            try:
                check_probabilities(p.soft_label[present], "soft_label", n_classes=c)
            except EvaluationError as exc:  # re-name the row by its table position and id
                r = int(present[_first_bad_row(p.soft_label[present])])
                raise EvaluationError(
                    f"soft_label: {row_name(r, p.ids)} is not a distribution ({exc})"
                ) from None
    index = set(p.classes)
    for i, lab in enumerate(p.label):
        if lab is not None and lab not in index:
            _fail(f"{row_name(i, p.ids)} has label {lab!r}, which is not in the class list {list(p.classes)}")
    if not isinstance(p.top_k, int) or not 1 <= p.top_k <= c:
        _fail(f"top_k must be in [1, {c}], got {p.top_k!r}")


def _first_bad_row(rows: np.ndarray) -> int:
    bad = ~np.isfinite(rows).all(axis=1) | (rows < 0).any(axis=1)
    bad |= np.abs(np.nan_to_num(rows).sum(axis=1) - 1.0) > PROB_SUM_ATOL
    return int(np.flatnonzero(bad)[0]) if bad.any() else 0


def _strings(values: Sequence[Any] | None, n: int, name: str) -> list[Any]:
    if values is None:
        return [None] * n
    out = list(values)
    if len(out) != n:
        raise EvaluationError(f"column {name!r} has {len(out)} rows, but there are {n} ids")
    return out


def _matrix(values: Any, n: int, name: str, allow_null_rows: bool) -> np.ndarray:
    rows = list(values)
    if len(rows) != n:
        raise EvaluationError(f"column {name!r} has {len(rows)} rows, but there are {n} ids")
    width = {len(r) for r in rows if r is not None}
    if len(width) > 1:
        raise EvaluationError(f"{name}: rows have different lengths {sorted(width)}")
    c = width.pop() if width else 0
    out = np.full((n, c), np.nan, dtype=np.float32)
    for i, r in enumerate(rows):
        if r is None:
            if not allow_null_rows:
                raise EvaluationError(f"{name}: row {i} is null")
            continue
        out[i] = np.asarray(r, dtype=np.float32)
    return out


def make_predictions(
    ids: Sequence[str],
    corpus: Sequence[str] | str,
    *,
    probabilities: Any = None,
    classes: Sequence[str] = (),
    label: Sequence[str | None] | None = None,
    speaker: Sequence[str | None] | None = None,
    gender: Sequence[str | None] | None = None,
    split: Sequence[str | None] | None = None,
    label_view: str | None = None,
    soft_label: Any = None,
    dimensions: Mapping[str, tuple[Sequence[float | None], Sequence[float | None]]] | None = None,
    top_k: int | None = None,
) -> Predictions:
    """Build a validated, id-sorted :class:`Predictions` from plain sequences (``None`` = null).

    ``probabilities`` (and ``soft_label``) are stored as float32; ``dimensions`` maps a dimension name to
    ``(truth, prediction)``. ``top_k`` defaults to min(3, number of classes).
    """
    ids = list(ids)
    n = len(ids)
    corp = [corpus] * n if isinstance(corpus, str) else _strings(corpus, n, "corpus")
    cols = {
        "corpus": corp,
        "speaker": _strings(speaker, n, "speaker"),
        "gender": _strings(gender, n, "gender"),
        "split": _strings(split, n, "split"),
        "label": _strings(label, n, "label"),
    }
    probs = (
        None if probabilities is None else _matrix(probabilities, n, "probabilities", allow_null_rows=False)
    )
    soft = None if soft_label is None else _matrix(soft_label, n, "soft_label", allow_null_rows=True)
    dims: dict[str, DimensionColumns] = {}
    for dim, (truth, pred) in (dimensions or {}).items():
        arrays = []
        for what, values in (("truth", truth), ("prediction", pred)):
            vals = list(values)
            if len(vals) != n:
                raise EvaluationError(f"{dim} {what} has {len(vals)} rows, but there are {n} ids")
            arrays.append(np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64))
        dims[dim] = DimensionColumns(arrays[0], arrays[1])
    k = 0 if probs is None else (min(DEFAULT_TOP_K, len(classes)) if top_k is None else int(top_k))
    order = sorted(range(n), key=lambda i: str(ids[i]))

    def pick(seq: list[Any]) -> tuple[Any, ...]:
        return tuple(seq[i] for i in order)

    return Predictions(
        ids=pick(ids),
        corpus=pick(cols["corpus"]),
        speaker=pick(cols["speaker"]),
        gender=pick(cols["gender"]),
        split=pick(cols["split"]),
        label=pick(cols["label"]),
        classes=tuple(classes),
        label_view=label_view,
        probabilities=None if probs is None else probs[order],
        soft_label=None if soft is None else soft[order],
        dimensions={d: DimensionColumns(c.truth[order], c.prediction[order]) for d, c in dims.items()},
        top_k=k,
    )


# --------------------------------------------------------------------------------------------- Arrow I/O


def _list_array(matrix: np.ndarray, null_rows: np.ndarray | None = None) -> pa.Array:
    n, c = matrix.shape
    offsets = pa.array(np.arange(0, (n + 1) * c, c, dtype=np.int32))
    values = pa.array(np.nan_to_num(matrix.reshape(-1)).astype(np.float32), type=pa.float32())
    mask = None if null_rows is None or not null_rows.any() else pa.array(null_rows)
    return pa.ListArray.from_arrays(offsets, values, type=pa.list_(pa.float32()), mask=mask)


def _optional_floats(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.float64(), from_pandas=True)  # from_pandas: NaN -> null


def to_arrow(preds: Predictions) -> pa.Table:
    """The table in its on-disk layout (rows sorted by id, fixed column order, metadata attached)."""
    order = sorted(range(len(preds)), key=lambda i: preds.ids[i])
    cols: dict[str, pa.Array] = {}
    fields: list[pa.Field] = []

    def add(name: str, array: pa.Array, nullable: bool = True) -> None:
        cols[name] = array
        fields.append(pa.field(name, array.type, nullable=nullable))

    for name in ("id", "corpus", "speaker", "gender", "split", "label"):
        attr = "ids" if name == "id" else name
        add(
            name,
            pa.array([getattr(preds, attr)[i] for i in order], type=pa.string()),
            nullable=name not in ("id", "corpus"),
        )
    if preds.probabilities is not None:
        add("probabilities", _list_array(preds.probabilities[order]))
        topk = preds.top_k_labels()
        add("top_k", pa.array([topk[i] for i in order], type=pa.list_(pa.string())))
        if preds.soft_label is not None:
            soft = preds.soft_label[order]
            add("soft_label", _list_array(soft, np.isnan(soft).all(axis=1)))
    for dim in DIMENSIONS:
        if dim in preds.dimensions:
            add(f"{dim}_true", _optional_floats(preds.dimensions[dim].truth[order]))
            add(f"{dim}_pred", _optional_floats(preds.dimensions[dim].prediction[order]))
    meta = json.dumps(preds.metadata(), sort_keys=True, separators=(",", ":")).encode("utf-8")
    schema = pa.schema(fields, metadata={METADATA_KEY: meta})
    return pa.Table.from_arrays([cols[f.name] for f in fields], schema=schema)


def to_parquet_bytes(preds: Predictions) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(to_arrow(preds), sink, compression="zstd", write_statistics=False)
    return bytes(sink.getvalue().to_pybytes())


def write_predictions(path: str | os.PathLike[str], preds: Predictions) -> Path:
    """Write ``preds`` to ``path`` (Parquet) atomically and byte-deterministically; returns the path."""
    out = Path(path)
    write_bytes(out, to_parquet_bytes(preds))
    return out


def _column_matrix(table: pa.Table, name: str, n_classes: int, where: str, allow_null: bool) -> np.ndarray:
    col = table.column(name).combine_chunks()
    if col.null_count and not allow_null:
        r = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise EvaluationError(f"{where}: column {name!r} is null in row {r}")
    lengths = np.asarray(pc.list_value_length(col).fill_null(n_classes).to_numpy(zero_copy_only=False))
    bad = np.flatnonzero(lengths != n_classes)
    if bad.size:
        r = int(bad[0])
        raise EvaluationError(
            f"{where}: {name!r} in row {r} has {lengths[r]} values, but the class list has {n_classes} classes"
        )
    out = np.full((len(col), n_classes), np.nan, dtype=np.float32)
    valid = ~col.is_null().to_numpy(zero_copy_only=False)
    if valid.any():
        flat = col.filter(pa.array(valid)).flatten().to_numpy(zero_copy_only=False)
        out[valid] = np.asarray(flat, dtype=np.float32).reshape(-1, n_classes)
    return out


def from_arrow(table: pa.Table, where: str = "predictions") -> Predictions:
    """Validate an Arrow table in the on-disk layout and return it as :class:`Predictions`."""
    meta_raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if meta_raw is None:
        raise EvaluationError(
            f"{where}: not a sercorpus predictions table (no {METADATA_KEY.decode()} metadata)"
        )
    try:
        meta = json.loads(meta_raw)
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"{where}: unreadable predictions metadata ({exc})") from None
    if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
        raise EvaluationError(
            f"{where}: predictions format {meta.get('format')!r} version {meta.get('version')!r}; "
            f"this reader understands {FORMAT!r} version {FORMAT_VERSION}"
        )
    classes = meta.get("classes")
    if not isinstance(classes, list):
        raise EvaluationError(f"{where}: metadata 'classes' must be a list")
    dims = list(meta.get("dimensions") or [])
    expected = ["id", "corpus", "speaker", "gender", "split", "label"]
    if classes:
        expected += ["probabilities", "top_k"]
    optional = {"soft_label"} if classes else set()
    for d in dims:
        expected += [f"{d}_true", f"{d}_pred"]
    names = table.column_names
    missing = [c for c in expected if c not in names]
    unknown = [c for c in names if c not in expected and c not in optional]
    if missing or unknown:
        raise EvaluationError(
            f"{where}: columns missing {missing}, unexpected {unknown} (expected {expected})"
        )
    n = table.num_rows
    text = {c: table.column(c).to_pylist() for c in ("id", "corpus", "speaker", "gender", "split", "label")}
    probs = soft = None
    if classes:
        probs = _column_matrix(table, "probabilities", len(classes), where, allow_null=False)
        if "soft_label" in names:
            soft = _column_matrix(table, "soft_label", len(classes), where, allow_null=True)
    dimensions = {}
    for d in dims:
        arrays = []
        for suffix in ("true", "pred"):
            col = table.column(f"{d}_{suffix}")
            if not pa.types.is_floating(col.type):
                raise EvaluationError(f"{where}: column {d}_{suffix} must be floating point, got {col.type}")
            if pc.any(pc.is_nan(col)).as_py():
                raise EvaluationError(
                    f"{where}: column {d}_{suffix} holds NaN; undefined values must be null"
                )
            arrays.append(np.asarray(col.to_numpy(), dtype=np.float64))  # nulls become NaN (= null in memory)
        dimensions[d] = DimensionColumns(arrays[0], arrays[1])
    try:
        preds = Predictions(
            ids=tuple(text["id"]),
            corpus=tuple(text["corpus"]),
            speaker=tuple(text["speaker"]),
            gender=tuple(text["gender"]),
            split=tuple(text["split"]),
            label=tuple(text["label"]),
            classes=tuple(classes),
            label_view=meta.get("label_view"),
            probabilities=probs,
            soft_label=soft,
            dimensions=dimensions,
            top_k=int(meta.get("top_k") or 0),
        )
    except EvaluationError as exc:
        raise EvaluationError(f"{where}: {exc}") from None
    if list(preds.ids) != sorted(preds.ids):
        raise EvaluationError(f"{where}: rows are not sorted by id (was it written by write_predictions?)")
    if classes:
        stored = table.column("top_k").to_pylist()
        computed = preds.top_k_labels()
        for i in range(n):
            if stored[i] != computed[i]:
                raise EvaluationError(
                    f"{where}: {row_name(i, preds.ids)} top_k {stored[i]} disagrees with its probabilities "
                    f"(expected {computed[i]})"
                )
    return preds


def read_predictions(path: str | os.PathLike[str]) -> Predictions:
    """Read and validate a predictions Parquet file; every problem raises :class:`EvaluationError`."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such predictions file")
    try:
        table = pq.read_table(p)
    except (pa.ArrowException, OSError) as exc:
        raise EvaluationError(f"{p}: not a readable Parquet file ({exc})") from None
    return from_arrow(table, where=str(p))
