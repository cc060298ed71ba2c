"""The cross-corpus matrix file: which data sets train, which test, which pretrain -> finetune pairs, and the
one training recipe every cell shares.

Example (``recipes/evaluate/matrix_tiny.yaml``)::

    name: tiny
    recipe: recipes/evaluate/tiny_cnn14.yaml   # base recipe; the matrix fills its data.train/dev/test
    overrides: [trainer.max_steps=2]           # --set style, applied to every run
    finetune_overrides: [optim.lr=0.0005]      # applied on top, to fine-tuning runs only
    vars: {manifests: demo/manifests}          # ${manifests} below; `--var manifests=DIR` overrides
    metrics: [uar, wa]                         # report metric names; the first one is the headline
    batch_size: 16                             # evaluation batch size
    datasets:
      iemocap:
        path: ${manifests}/iemocap.parquet
        make_split: {strategy: speaker-random, seed: 0}   # corpora without official splits
      msp:
        path: ${manifests}/msp-podcast.parquet
        test: test1                            # split names; default train / dev / test
    train: [iemocap, msp]                      # one run per entry (rows)
    test: [iemocap, msp]                       # columns
    finetune: [[iemocap, msp]]                 # pretrain on iemocap, fine-tune on msp: row "iemocap>msp"

Relative paths are relative to the working directory, as in training recipes. Every key is checked before
anything trains; an error names the file and the key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.train.errors import RecipeError
from sercorpus.train.recipe import SourceSpec, SplitSpec, substitute

_TOP = {
    "name",
    "description",
    "recipe",
    "overrides",
    "finetune_overrides",
    "vars",
    "metrics",
    "batch_size",
    "datasets",
    "train",
    "test",
    "finetune",
}
_DATASET = {"path", "make_split", "corpora", "roots", "train", "dev", "test"}
_SPLIT = {"strategy", "fractions", "seed", "fold", "dev_fold"}


@dataclass(frozen=True)
class Dataset:
    name: str
    path: str
    train_split: str = "train"
    dev_split: str = "dev"
    test_split: str = "test"
    make_split: SplitSpec | None = None
    corpora: tuple[str, ...] = ()
    roots: dict[str, str] = field(default_factory=dict)

    def source(self, role: str) -> SourceSpec:
        split = {"train": self.train_split, "dev": self.dev_split, "test": self.test_split}[role]
        return SourceSpec(
            path=self.path,
            split=split,
            corpora=list(self.corpora),
            make_split=copy.deepcopy(self.make_split),
            roots=dict(self.roots),
        )


@dataclass(frozen=True)
class Row:
    """A training-set row of the matrix: one data set, or a pretrain -> finetune chain."""

    chain: tuple[str, ...]  # (train,) or (pretrain, finetune)

    @property
    def name(self) -> str:
        return ">".join(self.chain)

    @property
    def folder(self) -> str:
        return "__then__".join(self.chain)


@dataclass(frozen=True)
class MatrixSpec:
    name: str
    path: Path
    recipe: Path
    overrides: tuple[str, ...]
    finetune_overrides: tuple[str, ...]
    metrics: tuple[str, ...]
    batch_size: int
    datasets: dict[str, Dataset]
    rows: tuple[Row, ...]
    tests: tuple[str, ...]
    description: str = ""
    cli_overrides: tuple[str, ...] = ()  # --set: applied last, to every run

    def overrides_for(self, row: Row) -> list[str]:
        """The --set overrides of ``row``'s run: the file's, then fine-tuning's, then the command line's."""
        tuning = self.finetune_overrides if len(row.chain) > 1 else ()
        return [*self.overrides, *tuning, *self.cli_overrides]

    def base_rows(self) -> list[Row]:
        return [r for r in self.rows if len(r.chain) == 1]


def _fail(path: Path, key: str, message: str) -> EvaluationError:
    return EvaluationError(f"{path}: {key}: {message}")


def _names(path: Path, key: str, value: Any, known: dict[str, Dataset]) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _fail(path, key, f"must be a non-empty list of data set names, got {value!r}")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise _fail(path, key, f"unknown data set(s) {unknown}; defined: {sorted(known)}")
    if len(set(value)) != len(value):
        raise _fail(path, key, f"lists a data set twice: {value}")
    return list(value)


def _str_list(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, key, f"must be a list of strings, got {value!r}")
    return tuple(value)


def _dataset(path: Path, name: str, raw: Any) -> Dataset:
    key = f"datasets.{name}"
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a mapping with at least 'path'")
    unknown = sorted(set(raw) - _DATASET)
    if unknown:
        raise _fail(path, key, f"unknown keys {unknown}; allowed: {sorted(_DATASET)}")
    if not isinstance(raw.get("path"), str) or not raw["path"]:
        raise _fail(path, f"{key}.path", "a manifest (.parquet/.jsonl) or shard folder is required")
    make_split = None
    if raw.get("make_split") is not None:
        ms = raw["make_split"]
        if not isinstance(ms, dict) or sorted(set(ms) - _SPLIT):
            raise _fail(path, f"{key}.make_split", f"must be a mapping with keys from {sorted(_SPLIT)}")
        try:
            make_split = SplitSpec(**ms)
        except TypeError as exc:
            raise _fail(path, f"{key}.make_split", str(exc)) from None
    splits = {}
    for role in ("train", "dev", "test"):
        value = raw.get(role, role)
        if not isinstance(value, str) or not value:
            raise _fail(path, f"{key}.{role}", f"must be a split name, got {value!r}")
        splits[role] = value
    roots = raw.get("roots") or {}
    if not isinstance(roots, dict):
        raise _fail(path, f"{key}.roots", "must map corpus names to folders")
    return Dataset(
        name=name,
        path=raw["path"],
        train_split=splits["train"],
        dev_split=splits["dev"],
        test_split=splits["test"],
        make_split=make_split,
        corpora=_str_list(path, f"{key}.corpora", raw.get("corpora")),
        roots={str(k): str(v) for k, v in roots.items()},
    )


def load_matrix_spec(
    path: str | Path, variables: dict[str, str] | None = None, overrides: list[str] | None = None
) -> MatrixSpec:
    """Read and check a matrix file; ``variables`` override its ``vars``, ``overrides`` extend its own."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: matrix file not found") from None
    except yaml.YAMLError as exc:
        raise EvaluationError(f"{path}: invalid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise EvaluationError(f"{path}: a matrix file must be a YAML mapping")
    unknown = sorted(set(raw) - _TOP)
    if unknown:
        raise EvaluationError(f"{path}: unknown top-level keys {unknown}; allowed: {sorted(_TOP)}")
    declared = raw.get("vars") or {}
    if not isinstance(declared, dict):
        raise _fail(path, "vars", "must be a mapping")
    values = {str(k): str(v) for k, v in {**declared, **(variables or {})}.items()}
    try:
        raw = substitute({k: v for k, v in raw.items() if k != "vars"}, values)
    except RecipeError as exc:
        raise EvaluationError(f"{path}: {exc}") from None
    for key in ("name", "recipe"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _fail(path, key, "is required (a string)")
    datasets_raw = raw.get("datasets")
    if not isinstance(datasets_raw, dict) or not datasets_raw:
        raise _fail(path, "datasets", "must map data set names to their sources")
    datasets = {str(n): _dataset(path, str(n), d) for n, d in datasets_raw.items()}
    for n in datasets:
        if ">" in n or "/" in n:
            raise _fail(path, f"datasets.{n}", "a data set name may not contain '>' or '/'")
    trains = _names(path, "train", raw.get("train"), datasets)
    tests = _names(path, "test", raw.get("test"), datasets)
    rows = [Row((t,)) for t in trains]
    for i, pair in enumerate(raw.get("finetune") or []):
        if not isinstance(pair, list) or len(pair) != 2:
            raise _fail(path, f"finetune.{i}", f"must be [pretrain, finetune], got {pair!r}")
        chain = tuple(_names(path, f"finetune.{i}", pair, datasets))
        if chain[0] not in trains:
            raise _fail(path, f"finetune.{i}", f"pretrain set {chain[0]!r} must also be listed under train")
        if Row(chain) in rows:
            raise _fail(path, f"finetune.{i}", f"{'>'.join(chain)} is listed twice")
        rows.append(Row(chain))
    metrics = _str_list(path, "metrics", raw.get("metrics")) or ("uar",)
    batch_size = raw.get("batch_size", 16)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise _fail(path, "batch_size", f"must be an integer >= 1, got {batch_size!r}")
    return MatrixSpec(
        name=str(raw["name"]),
        path=path,
        recipe=Path(raw["recipe"]),
        overrides=_str_list(path, "overrides", raw.get("overrides")),
        finetune_overrides=_str_list(path, "finetune_overrides", raw.get("finetune_overrides")),
        metrics=metrics,
        batch_size=batch_size,
        datasets=datasets,
        rows=tuple(rows),
        tests=tuple(tests),
        description=str(raw.get("description") or ""),
        cli_overrides=tuple(overrides or ()),
    )
