"""Write one planned shard: decode its sources, augment in engine batches, encode FLAC, stream row groups to a
temporary file, write the sidecar, then rename. Only a finished shard ever carries its final name.

Memory is one row group's audio (plus the sources still needed by the next one), whatever the shard or corpus
size. Engine batches are formed from the plan (the row group's augmented samples by decoded length, then
id, in groups of ``batch_size``), so the same plan gives the same batches on every worker count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sercorpus.core.atomic import atomic_output, write_text
from sercorpus.core.runinfo import canonical_json
from sercorpus.core.schema import Utterance
from sercorpus.shards import columns
from sercorpus.shards.decode import Decoded, SkipAudio, decode_segment
from sercorpus.shards.flac import encode_flac
from sercorpus.shards.plan import Item, ShardPlan
from sercorpus.shards.provenance import clean
from sercorpus.shards.settings import ShardSettings
from sercorpus.shards.sinks import HashingWriter, open_sink

SIDECAR_SUFFIX = ".json"


@dataclass
class ShardJob:
    """Everything a worker process needs to write one shard (picklable; only this shard's records)."""

    out_dir: str
    plan: ShardPlan
    records: dict[int, Utterance]
    roots: dict[str, str]
    settings: ShardSettings
    device: str = "cpu"


@dataclass
class ShardResult:
    """What the sidecar and the part index say about a finished shard."""

    name: str
    part: int
    position: int
    plan_digest: str
    samples: int = 0
    seconds: float = 0.0
    input_seconds: float = 0.0
    bytes: int = 0
    sha256: str = ""
    augmented: int = 0
    clean: int = 0
    rows: list[list[Any]] = field(default_factory=list)  # [id, num_samples] per row, in order
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardResult:
        return cls(**data)

    def summary(self) -> dict[str, Any]:
        """The index entry (per-row lists stay in the sidecar)."""
        return {k: v for k, v in self.to_dict().items() if k not in ("rows", "skipped", "plan_digest")} | {
            "skipped": len(self.skipped)
        }


def sidecar_path(out_dir: Path, name: str) -> Path:
    return out_dir / f"{name}{SIDECAR_SUFFIX}"


_AUGMENTERS: dict[str, Any] = {}


def augmenter_for(spec: Any) -> Any:
    """One Augmenter per config per process (building one loads noise banks and RIRs)."""
    key = canonical_json({"config": spec["config"], "resources": spec["resources"]})
    if key not in _AUGMENTERS:
        from sercorpus.augment import load_config

        _AUGMENTERS[key] = load_config(spec["source"], spec["resources"])  # checked by run.resolve_augment
    return _AUGMENTERS[key]


Cache = dict[tuple[int, int | None], Decoded | SkipAudio]


def write_shard(job: ShardJob, progress: Callable[[float], None] | None = None) -> ShardResult:
    """Write ``job.plan`` to its final name (via a temporary file) plus its sidecar; return the result."""
    plan, settings = job.plan, job.settings
    out_dir = Path(job.out_dir)
    result = ShardResult(plan.name, plan.part.index, plan.position, plan.digest)
    last_use = {it.source_key: j for j, it in enumerate(plan.items)}
    cache: Cache = {}
    rpg = settings.rows_per_group
    with atomic_output(out_dir / plan.name) as handle:
        hashing = HashingWriter(handle)
        sink = open_sink(settings.format, hashing)
        try:
            for start in range(0, len(plan.items), rpg):
                chunk = plan.items[start : start + rpg]
                rows = _chunk_rows(job, chunk, cache, result)
                sink.write(rows)
                result.rows += [[row["id"], row["num_samples"]] for row in rows]
                result.seconds += sum(row["duration"] for row in rows)
                for key in [k for k in cache if last_use[k] < start + rpg]:  # no later row group needs it
                    decoded = cache.pop(key)
                    if isinstance(decoded, Decoded):
                        result.input_seconds += len(decoded.audio) / settings.sample_rate
                if progress:
                    progress(sum(it.duration for it in chunk))
        except BaseException:
            sink.abort()
            raise
        result.samples = len(result.rows)
        result.seconds = round(result.seconds, 6)
        result.input_seconds = round(result.input_seconds, 6)
        sink.close({"plan_digest": plan.digest, "samples": result.samples, "seconds": result.seconds})
        result.bytes, result.sha256 = hashing.size, hashing.hexdigest()
        handle.flush()
        # the sidecar goes first: a kill between the two leaves a sidecar without its shard (redone), never
        # a shard without a sidecar
        write_text(sidecar_path(out_dir, plan.name), json.dumps(result.to_dict(), sort_keys=True) + "\n")
    return result


def _chunk_rows(
    job: ShardJob, chunk: Sequence[Item], cache: Cache, result: ShardResult
) -> list[dict[str, Any]]:
    """One row group: decode the sources not cached yet, augment the augmented items, build the rows."""
    for item in chunk:
        if item.source_key not in cache:
            cache[item.source_key] = decoded = _decode(job, item)
            if isinstance(decoded, SkipAudio):
                result.skipped.append(_skip_entry(job, item, decoded.reason, decoded.detail))
    augmented = _augment(job, [it for it in chunk if it.augment], cache)
    rows = []
    for item in chunk:
        decoded = cache[item.source_key]
        if isinstance(decoded, SkipAudio):
            continue
        audio, prov = augmented.get(item.id, (decoded.audio, None))
        if not np.isfinite(audio).all():
            result.skipped.append(_skip_entry(job, item, "non-finite-output", "augmentation gave NaN/inf"))
            continue
        rows.append(_row(job, item, decoded, audio, prov))
        result.augmented += int(item.augment)
        result.clean += int(not item.augment)
    return rows


def _decode(job: ShardJob, item: Item) -> Decoded | SkipAudio:
    utt = job.records[item.record]
    path = Path(job.roots[utt.corpus]) / utt.audio_path
    try:
        return decode_segment(
            path,
            item.offset,
            item.duration,
            utt.channel,
            job.settings.sample_rate,
            job.settings.target_lufs,
            utt.id,
        )
    except SkipAudio as skip:
        return skip


def _skip_entry(job: ShardJob, item: Item, reason: str, detail: str) -> dict[str, Any]:
    utt = job.records[item.record]
    return {
        "reason": reason,
        "file": str(Path(job.roots[utt.corpus]) / utt.audio_path),
        "id": item.id if reason == "non-finite-output" else item.base_id,
        "detail": detail,
    }


def _augment(job: ShardJob, items: list[Item], cache: Cache) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
    """Augmented audio and provenance per item id, in engine batches fixed by the plan."""
    todo = [it for it in items if isinstance(cache[it.source_key], Decoded)]
    if not todo:
        return {}
    import torch

    from sercorpus.augment import pad_batch, unpad

    settings = job.settings
    aug = augmenter_for(settings.augment)
    todo.sort(key=lambda it: (-len(cache[it.source_key].audio), it.id))  # type: ignore[union-attr]
    out: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # CPU reductions split by thread count: fixed, so --workers cannot change bits
    try:
        for b in range(0, len(todo), settings.batch_size):
            batch = todo[b : b + settings.batch_size]
            signals = [cache[it.source_key].audio for it in batch]  # type: ignore[union-attr]
            x, lengths = pad_batch(signals, job.device)
            with torch.inference_mode():
                res = aug(
                    x,
                    lengths,
                    ids=[it.base_id for it in batch],
                    copy=[it.copy for it in batch],
                    seed=settings.seed,
                    measure=True,
                    sample_rate=settings.sample_rate,
                )
            for it, y, prov in zip(batch, unpad(res.x, res.lengths), res.provenance, strict=True):
                out[it.id] = (y, clean(prov))
    finally:
        torch.set_num_threads(threads)
    return out


def _row(
    job: ShardJob, item: Item, decoded: Decoded, audio: np.ndarray, prov: dict[str, Any] | None
) -> dict[str, Any]:
    settings = job.settings
    utt = job.records[item.record]
    data, scale = encode_flac(audio, settings.sample_rate, settings.subtype)
    return {
        "id": item.id,
        "copy": item.copy,
        "segment": item.segment,
        **columns.label_columns(utt, settings.transcripts),
        "augmentation": columns.to_json(prov),
        "audio": data,
        "scale": scale,
        "sample_rate": settings.sample_rate,
        "num_samples": int(len(audio)),
        "duration": len(audio) / settings.sample_rate,
        "source_path": utt.audio_path,
        "source_offset": item.offset,
        "source_duration": item.duration,
        "source_channel": utt.channel,
        "source_sample_rate": decoded.input_sample_rate,
        "loudness": columns.to_json(decoded.loudness),
    }
