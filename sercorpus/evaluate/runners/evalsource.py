"""A test set for evaluation: a manifest or a shard folder, narrowed as a recipe narrows a source, and read
as contract batches (``sercorpus.shards.collate``) in a fixed order.

Narrowing is the training package's own (:func:`sercorpus.train.data.load_source`: split, corpora,
``make_split`` for corpora without official splits), so a test set named in a matrix file holds exactly
the records a recipe's ``data.test`` section would. A manifest's narrowed records are written into the
output folder (what was evaluated, and what the reader decodes); a shard folder is read in place and
narrowed by id. Audio that fails to decode is counted and named, never dropped silently.

Reading is streaming and deterministic: the source's read units (manifest slices, Parquet row groups) in
order, each unit's samples sorted by length (less padding), ``batch_size`` samples per batch. Every
prediction is per utterance, so the order never changes a score.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.shards.batch import Batch, Sample, collate
from sercorpus.shards.sources import ManifestSource, ShardSource
from sercorpus.train.data import SourceData, load_source
from sercorpus.train.recipe import DataSpec, SourceSpec


@dataclass
class EvalSet:
    """One test set, narrowed, ready to be read at ``sample_rate``."""

    name: str
    spec: SourceSpec
    data: SourceData
    source: ManifestSource | ShardSource
    sample_rate: int
    skipped: list[str] = field(default_factory=list)  # "id: reason" of audio that did not decode

    @property
    def records(self) -> list[Utterance]:
        return self.data.records

    def describe(self) -> dict[str, object]:
        s = self.spec
        return {
            "name": self.name,
            "path": str(Path(s.path).resolve()),
            "kind": self.data.kind,
            "split": s.split,
            "corpora": list(s.corpora),
            "make_split": None if s.make_split is None else vars(s.make_split),
            "records": len(self.records),
        }

    def batches(self, batch_size: int, view: str) -> Iterator[tuple[Batch, list[str | None]]]:
        """(batch, split of each row) in the fixed order; decode failures are recorded in ``skipped``."""
        if batch_size < 1:
            raise EvaluationError(f"--batch-size must be >= 1, got {batch_size}")
        wanted = set(self.data.ids)
        meta = self.source.metadata()
        by_unit: dict[int, list[int]] = {}
        for i, ident in enumerate(meta.ids):
            if ident in wanted:
                by_unit.setdefault(int(meta.unit[i]), []).append(int(meta.row[i]))
        self.skipped = []
        pending: list[Sample] = []
        for unit in sorted(by_unit):
            raw = self.source.read(unit, by_unit[unit])
            decoded = [self._decode(raw[r]) for r in sorted(raw)]
            samples = sorted((s for s in decoded if s is not None), key=lambda s: (len(s.audio), s.id))
            pending.extend(samples)
            while len(pending) >= batch_size:
                chunk, pending = pending[:batch_size], pending[batch_size:]
                yield collate(chunk, view), [s.split for s in chunk]
        if pending:
            yield collate(pending, view), [s.split for s in pending]

    def _decode(self, raw: object) -> Sample | None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sample = self.source.decode(raw)  # type: ignore[arg-type]
        if sample is None:
            reason = "; ".join(str(w.message) for w in caught) or "audio could not be decoded"
            self.skipped.append(reason)
            return None
        if sample.sample_rate != self.sample_rate:
            raise EvaluationError(
                f"{self.spec.path}: {sample.id} is stored at {sample.sample_rate} Hz, the model expects "
                f"{self.sample_rate} Hz; rebuild the shards at that rate or evaluate the manifest"
            )
        return sample


def as_source_spec(value: SourceSpec | str | Path, split: str | None = None) -> SourceSpec:
    if isinstance(value, SourceSpec):
        return value
    return SourceSpec(path=str(value), split=split)


def open_eval_set(
    spec: SourceSpec | str | Path,
    *,
    name: str,
    view: str,
    sample_rate: int,
    workdir: Path,
) -> EvalSet:
    """Narrow ``spec``, check the data can serve ``view``, and open a reader (manifests via ``workdir``)."""
    src = as_source_spec(spec)
    data = load_source(src, f"test set {name!r}", DataSpec(train=[], dev=[], view=view))
    if data.shard_view is not None and data.shard_view != view:
        raise EvaluationError(
            f"{data.path}: its shards were built for label view {data.shard_view!r}, the model predicts "
            f"{view!r}; rebuild them with --view {view} or evaluate the manifest"
        )
    if data.kind == "manifest":
        used = {u.corpus for u in data.records}
        roots = {c: str(Path(r).resolve()) for c, r in data.roots.items() if c in used}
        narrowed = write_manifest(workdir / f"{name}.parquet", data.records, roots)
        data.materialised = narrowed
        source: ManifestSource | ShardSource = ManifestSource(narrowed, sample_rate=sample_rate, name=name)
    else:
        source = ShardSource(data.path, name=name)
    return EvalSet(name, src, data, source, sample_rate)
