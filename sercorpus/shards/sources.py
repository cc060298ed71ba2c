"""What the loader reads from: shard datasets (local or any fsspec URL) and plain manifests.

A source exposes *metadata* (per sample: its read unit, row, duration and label; no audio) for the epoch
plan, and reads whole units (a Parquet row group, or a slice of manifest records) on demand. Units are the
granularity of reading, so a shuffled epoch never reads a row group once per sample.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sercorpus.shards import columns
from sercorpus.shards.batch import Sample
from sercorpus.shards.flac import decode_flac
from sercorpus.shards.layout import INDEX_FILE


@dataclass
class SourceMeta:
    """Per-sample facts the plan needs, as arrays (cheap to pickle to workers)."""

    ids: list[str]
    labels: list[str | None]
    seconds: np.ndarray  # float64
    unit: np.ndarray  # int64, the unit holding the sample
    row: np.ndarray  # int64, its row inside that unit
    units: int

    def __len__(self) -> int:
        return len(self.ids)


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}"


class ShardSource:
    """A dataset written by ``sercorpus shard`` (a folder or URL holding ``index.json``), or explicit shard
    files (``files=[...]``, local paths or URLs such as ``s3://bucket/ds/shards/part-00000-000000.parquet``).

    ``storage_options`` go to fsspec (credentials, endpoints); open files are cached per process.
    """

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        files: Sequence[str] | None = None,
        name: str | None = None,
        storage_options: dict[str, Any] | None = None,
        open_files: int = 8,
    ) -> None:
        if (location is None) == (files is None):
            raise ValueError("ShardSource: give a dataset location or files=[...], not both")
        self.storage_options = dict(storage_options or {})
        self.open_files = open_files
        if files is not None:
            self.files = [str(f) for f in files]
            self.name = name or (self.files[0] if self.files else "shards")
        else:
            base = str(location)
            index = json.loads(self._open(_join(base, INDEX_FILE)).read())
            if index.get("format") != "parquet":
                raise ValueError(
                    f"{base}: the loader reads Parquet shards; this dataset is {index.get('format')}"
                )
            self.files = [_join(base, entry["name"]) for entry in index["shards"] if entry["samples"] > 0]
            self.name = name or base
        self._meta: SourceMeta | None = None
        self._groups: list[tuple[int, int]] = []  # unit -> (file, row group)
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self._pid = os.getpid()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = OrderedDict()  # open files do not travel to worker processes
        return state

    def _open(self, url: str) -> Any:
        import fsspec

        return fsspec.open(url, "rb", **self.storage_options).open()

    def _parquet(self, file: int) -> Any:
        import pyarrow.parquet as pq

        if self._pid != os.getpid():  # a forked dataloader worker must not share file offsets
            self._cache, self._pid = OrderedDict(), os.getpid()
        if file in self._cache:
            self._cache.move_to_end(file)
            return self._cache[file]
        handle = pq.ParquetFile(self._open(self.files[file]))
        self._cache[file] = handle
        while len(self._cache) > self.open_files:
            self._cache.popitem(last=False)
        return handle

    def metadata(self) -> SourceMeta:
        if self._meta is not None:
            return self._meta
        ids: list[str] = []
        labels: list[str | None] = []
        seconds, unit, row = [], [], []
        groups: list[tuple[int, int]] = []
        for f in range(len(self.files)):
            pf = self._parquet(f)
            table = pf.read(columns=list(columns.PLAN_COLUMNS))
            ids += table.column("id").to_pylist()
            labels += table.column("label").to_pylist()
            n = table.column("num_samples").to_numpy().astype(np.float64)
            seconds.append(n / table.column("sample_rate").to_numpy().astype(np.float64))
            for g in range(pf.metadata.num_row_groups):
                rows = pf.metadata.row_group(g).num_rows
                unit.append(np.full(rows, len(groups), dtype=np.int64))
                row.append(np.arange(rows, dtype=np.int64))
                groups.append((f, g))
        self._groups = groups
        self._meta = SourceMeta(
            ids,
            labels,
            _concat(seconds, np.float64),
            _concat(unit, np.int64),
            _concat(row, np.int64),
            len(groups),
        )
        return self._meta

    def read(self, unit: int, rows: Sequence[int]) -> dict[int, Any]:
        """Raw rows (FLAC bytes still encoded) of one unit."""
        self.metadata()
        f, g = self._groups[unit]
        table = self._parquet(f).read_row_group(g)
        wanted = sorted(set(int(r) for r in rows))
        picked = table.take(wanted).to_pylist()
        return dict(zip(wanted, picked, strict=True))

    def decode(self, raw: dict[str, Any]) -> Sample | None:
        audio, rate = decode_flac(raw["audio"], raw["scale"])
        return sample_from_row(raw, audio, rate)


def sample_from_row(raw: dict[str, Any], audio: np.ndarray, rate: int) -> Sample:
    return Sample(
        id=raw["id"],
        audio=audio,
        sample_rate=rate,
        corpus=raw["corpus"],
        source_id=raw["source_id"],
        copy=int(raw["copy"]),
        speaker=raw["speaker"],
        gender=raw["gender"],
        split=raw["split"],
        label=raw["label"],
        votes=columns.cell_dist(raw["votes"]),
        soft_label=columns.cell_dist(raw["soft_label"]),
        arousal=raw["arousal"],
        valence=raw["valence"],
        dominance=raw["dominance"],
        sentiment=raw["sentiment"],
        transcript=raw["transcript"],
        augmentation=columns.from_json(raw["augmentation"]),
    )


class ManifestSource:
    """Train straight from a prepared manifest: wavs decoded with soundfile (segment, channel, mix-down,
    resampling as the shard writer does), in units of ``unit_size`` consecutive records.

    Audio that fails to decode is dropped from its batch with a warning naming the file (a shard dataset
    has already counted such inputs in its report).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        roots: dict[str, str] | None = None,
        sample_rate: int = 16000,
        max_duration: float | None = None,
        unit_size: int = 64,
        name: str | None = None,
    ) -> None:
        from sercorpus.core.manifest import read_manifest

        manifest = read_manifest(path, roots)
        self.records = sorted(manifest.records, key=lambda u: u.id)
        self.roots = dict(manifest.roots)
        self.sample_rate = int(sample_rate)
        self.max_duration = max_duration
        self.unit_size = int(unit_size)
        self.name = name or str(path)
        self._meta: SourceMeta | None = None

    def metadata(self) -> SourceMeta:
        if self._meta is None:
            n = len(self.records)
            seconds = np.array([u.duration for u in self.records], dtype=np.float64)
            if self.max_duration is not None:
                seconds = np.minimum(seconds, self.max_duration)
            index = np.arange(n, dtype=np.int64)
            self._meta = SourceMeta(
                [u.id for u in self.records],
                [u.label for u in self.records],
                seconds,
                index // self.unit_size,
                index % self.unit_size,
                -(-n // self.unit_size),
            )
        return self._meta

    def read(self, unit: int, rows: Sequence[int]) -> dict[int, Any]:
        base = unit * self.unit_size
        return {int(r): self.records[base + int(r)] for r in rows}

    def decode(self, utt: Any) -> Sample | None:
        from sercorpus.shards.decode import SkipAudio, decode_segment

        duration = utt.duration if self.max_duration is None else min(utt.duration, self.max_duration)
        path = Path(self.roots[utt.corpus]) / utt.audio_path
        try:
            decoded = decode_segment(path, utt.offset, duration, utt.channel, self.sample_rate, None, utt.id)
        except SkipAudio as skip:
            warnings.warn(f"skipped {utt.id}: {skip.detail}", stacklevel=2)
            return None
        return Sample(
            id=utt.id,
            audio=decoded.audio,
            sample_rate=self.sample_rate,
            corpus=utt.corpus,
            source_id=utt.id,
            copy=0,
            speaker=utt.speaker,
            gender=utt.gender,
            split=utt.split,
            label=utt.label,
            votes=dict(utt.votes),
            soft_label=dict(utt.soft_label),
            arousal=utt.arousal,
            valence=utt.valence,
            dominance=utt.dominance,
            sentiment=utt.sentiment,
            transcript=utt.transcript,
        )


Source = ShardSource | ManifestSource


def as_source(value: Any) -> Source:
    if isinstance(value, (ShardSource, ManifestSource)):
        return value
    text = str(value)
    if text.endswith((".jsonl",)) or (text.endswith(".parquet") and not Path(text).is_dir()):
        return ManifestSource(text) if _is_manifest(text) else ShardSource(files=[text])
    return ShardSource(text)


def _is_manifest(path: str) -> bool:
    if path.endswith(".jsonl"):
        return True
    try:
        import pyarrow.parquet as pq

        from sercorpus.core.manifest import METADATA_KEY

        return METADATA_KEY in (pq.read_schema(path).metadata or {})
    except (OSError, ValueError):
        return False
