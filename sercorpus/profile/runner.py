"""``sercorpus profile``: a manifest in, a per-utterance acoustic profile (Parquet) and a report out.

- Batches of utterances are profiled by ``workers`` processes (one torch/BLAS thread each); batches are
  fixed by position in the id-sorted manifest, so results do not depend on the number of workers.
- Resumable: every finished batch is written atomically to ``<out>.parts/part-NNNNNN.parquet`` with the
  run's settings beside it (``settings.json``); a restarted run with the same command skips finished
  batches, and a run with other settings (features, model, manifest content) is refused instead of mixed.
  When every batch is done the parts are merged into ``<out>`` (sorted by id) and removed.
- Memory: a worker holds one batch (at most ``batch_size`` utterances and ``batch_seconds`` of audio);
  segments of long recordings are read by offset and duration; an utterance longer than
  ``max_seconds`` is skipped with that reason (split it into segments first).
- Bad input: an unreadable file or one with NaN/inf samples is a counted skip naming the utterance and the
  reason in ``<out stem>.report.json``; every other utterance is profiled.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sercorpus.core.atomic import atomic_output
from sercorpus.profile import store

#: bump when an estimator's output changes for the same audio: resumes refuse to mix versions
PROFILE_VERSION = 1


@dataclass(frozen=True)
class Item:
    id: str
    corpus: str
    audio: str
    offset: float
    duration: float | None
    channel: int | None


@dataclass
class ProfileSummary:
    out: Path
    report: Path
    profiled: int = 0
    skipped: int = 0
    reused_batches: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    skips: list[dict[str, Any]] = field(default_factory=list)
    null_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def realtime_factor(self) -> float:
        return self.audio_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def __str__(self) -> str:
        return (
            f"{self.profiled} profiled, {self.skipped} skipped, {self.audio_seconds:.0f} s of audio in "
            f"{self.wall_seconds:.1f} s ({self.realtime_factor:.0f}x real time) -> {self.out}"
        )


def items_from_manifest(manifest: str | Path, roots: dict[str, str] | None = None) -> list[Item]:
    from sercorpus.core.manifest import read_manifest

    m = read_manifest(manifest, roots=roots)
    out = [
        Item(u.id, u.corpus, str(m.audio_file(u).resolve()), float(u.offset), float(u.duration), u.channel)
        for u in m.records
    ]
    return sorted(out, key=lambda i: i.id)


def manifest_fingerprint(items: Sequence[Item]) -> str:
    h = hashlib.sha256()
    for i in items:
        h.update(json.dumps([i.id, i.audio, i.offset, i.duration, i.channel]).encode())
    return h.hexdigest()[:16]


def run_settings(
    items: Sequence[Item], include_mos: bool, max_seconds: float, batch_size: int, batch_seconds: float
) -> dict[str, Any]:
    """What must agree for two runs' outputs to be mixed (workers and progress bars may differ)."""
    from sercorpus.profile.learned import ModelUnavailable, load_model

    try:
        model = load_model().meta.get("fingerprint", "unknown")
    except ModelUnavailable:
        model = "missing"
    return {
        "profile_version": PROFILE_VERSION,
        "model": model,
        "include_mos": include_mos,
        "max_seconds": max_seconds,
        "batch_size": batch_size,
        "batch_seconds": batch_seconds,
        "manifest": manifest_fingerprint(items),
        "utterances": len(items),
    }


def make_batches(items: Sequence[Item], batch_size: int, batch_seconds: float) -> list[list[Item]]:
    """Consecutive groups of at most ``batch_size`` items and ``batch_seconds`` of audio (a longer single
    item forms its own batch)."""
    batches: list[list[Item]] = []
    current: list[Item] = []
    seconds = 0.0
    for item in items:
        d = item.duration or 0.0
        if current and (len(current) >= batch_size or seconds + d > batch_seconds):
            batches.append(current)
            current, seconds = [], 0.0
        current.append(item)
        seconds += d
    if current:
        batches.append(current)
    return batches


# ------------------------------------------------------------------------------------------ worker
def _init_worker() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass


def profile_batch(
    batch: Sequence[Item],
    include_mos: bool,
    max_seconds: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float]:
    """Rows of the readable items, skip records of the others, and the seconds of audio profiled."""
    from sercorpus.core.audio import AudioError, read_audio
    from sercorpus.profile.analyze import profile_clips
    from sercorpus.profile.clip import Clip

    clips, kept, skips = [], [], []
    for item in batch:
        if item.duration is not None and item.duration > max_seconds:
            skips.append(
                {
                    "id": item.id,
                    "audio": item.audio,
                    "reason": f"longer than max_seconds={max_seconds:g} ({item.duration:.0f} s): "
                    "split the recording into segments first",
                }
            )
            continue
        try:
            y, rate = read_audio(item.audio, item.offset, item.duration, item.channel)
        except (AudioError, OSError) as exc:
            skips.append({"id": item.id, "audio": item.audio, "reason": f"unreadable audio: {exc}"})
            continue
        if not np.isfinite(y).all():
            bad = int(np.size(y) - np.count_nonzero(np.isfinite(y)))
            skips.append(
                {"id": item.id, "audio": item.audio, "reason": f"non-finite samples: {bad} NaN/inf value(s)"}
            )
            continue
        clips.append(Clip(y, rate, id=item.id))
        kept.append(item)
    rows = profile_clips(clips, include_mos=include_mos)
    out = []
    seconds = 0.0
    for item, clip, row in zip(kept, clips, rows, strict=True):
        seconds += clip.duration
        out.append(
            {
                "id": item.id,
                "corpus": item.corpus,
                "audio": item.audio,
                "offset": item.offset,
                "segment_duration": item.duration,
                "channel": item.channel,
                **row,
            }
        )
    return out, skips, seconds


# ------------------------------------------------------------------------------------------ driver
def _part_path(parts: Path, index: int) -> Path:
    return parts / f"part-{index:06d}.parquet"


def _write_part(
    path: Path,
    rows: list[dict[str, Any]],
    skips: list[dict[str, Any]],
    seconds: float,
    settings: dict[str, Any],
) -> None:
    table = store.to_table(rows, settings)
    meta = dict(table.schema.metadata or {})
    meta[b"sercorpus_profile_part"] = json.dumps(
        {"skips": skips, "seconds": seconds}, sort_keys=True
    ).encode()
    store.write_table(path, table.replace_schema_metadata(meta))


def _read_part(path: Path) -> tuple[pa.Table, list[dict[str, Any]], float]:
    table = pq.read_table(path)
    info = json.loads((table.schema.metadata or {})[b"sercorpus_profile_part"])
    return table, info["skips"], float(info["seconds"])


def _check_settings(settings: dict[str, Any], found: dict[str, Any], where: Path) -> None:
    if found != settings:
        diff = sorted(k for k in set(settings) | set(found) if settings.get(k) != found.get(k))
        detail = ", ".join(f"{k}: {found.get(k)!r} there vs {settings.get(k)!r} now" for k in diff)
        raise store.ProfileError(
            f"{where} was made with other settings ({detail}); refusing to mix them. Delete it or write to "
            "another output path."
        )


def report_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.report.json")


def profile_manifest(
    manifest: str | Path,
    out: str | Path,
    workers: int = 1,
    batch_size: int = 32,
    batch_seconds: float = 600.0,
    include_mos: bool = False,
    max_seconds: float = 900.0,
    roots: dict[str, str] | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ProfileSummary:
    """Profile every utterance of ``manifest`` into ``out`` (.parquet); see the module docstring."""
    out = Path(out)
    if out.suffix.lower() != ".parquet":
        raise ValueError(f"{out}: the profile is written as Parquet; use a .parquet path")
    if workers < 1 or batch_size < 1 or batch_seconds <= 0:
        raise ValueError("workers and batch_size must be >= 1 and batch_seconds > 0")
    if include_mos:
        from sercorpus.profile.estimators import mos

        if not mos.available():
            raise ValueError(
                "MOS needs the optional extra: pip install 'sercorpus[quality]' "
                "(speechmos + onnxruntime + librosa)"
            )
    start = time.perf_counter()
    items = items_from_manifest(manifest, roots)[:limit]
    settings = run_settings(items, include_mos, max_seconds, batch_size, batch_seconds)
    summary = ProfileSummary(out, report_path(out))
    if out.exists():
        _check_settings(settings, store.read_settings(out), out)
        summary = _summary_from_report(summary)
        summary.reused_batches = -1
        return summary
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    settings_file = parts / "settings.json"
    if settings_file.exists():
        _check_settings(settings, json.loads(settings_file.read_text(encoding="utf-8")), parts)
    else:
        with atomic_output(settings_file, "w") as handle:
            json.dump(settings, handle, sort_keys=True, indent=1)
    batches = make_batches(items, batch_size, batch_seconds)
    todo = [k for k in range(len(batches)) if not _part_path(parts, k).exists()]
    summary.reused_batches = len(batches) - len(todo)
    done_items = sum(len(batches[k]) for k in range(len(batches)) if k not in set(todo))
    if progress:
        progress(done_items, len(items))
    for k, result in _run_batches(batches, todo, workers, include_mos, max_seconds):
        rows, skips, seconds = result
        _write_part(_part_path(parts, k), rows, skips, seconds, settings)
        done_items += len(batches[k])
        if progress:
            progress(done_items, len(items))
    _merge(parts, len(batches), out, settings, summary)
    summary.wall_seconds = time.perf_counter() - start
    _write_report(summary, settings)
    shutil.rmtree(parts)
    return summary


def _run_batches(
    batches: list[list[Item]], todo: list[int], workers: int, include_mos: bool, max_seconds: float
) -> Iterator[tuple[int, tuple[list[dict[str, Any]], list[dict[str, Any]], float]]]:
    if workers == 1 or len(todo) <= 1:
        _init_worker()
        for k in todo:
            yield k, profile_batch(batches[k], include_mos, max_seconds)
        return
    import multiprocessing as mp

    with ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_init_worker
    ) as pool:
        pending: dict[Future[Any], int] = {}
        queue = list(todo)
        while queue or pending:
            while queue and len(pending) < 2 * workers:  # bounded: at most two batches per worker in flight
                k = queue.pop(0)
                pending[pool.submit(profile_batch, batches[k], include_mos, max_seconds)] = k
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=lambda f: pending[f]):
                yield pending.pop(fut), fut.result()


def _merge(parts: Path, n_batches: int, out: Path, settings: dict[str, Any], summary: ProfileSummary) -> None:
    tables = []
    for k in range(n_batches):
        table, skips, seconds = _read_part(_part_path(parts, k))
        tables.append(table.replace_schema_metadata(None))
        summary.skips += skips
        summary.audio_seconds += seconds
    merged = pa.concat_tables(tables) if tables else store.to_table([], None)
    merged = merged.sort_by("id")
    summary.profiled = merged.num_rows
    summary.skipped = len(summary.skips)
    summary.skips.sort(key=lambda s: s["id"])
    store.write_table(out, merged.replace_schema_metadata(store.schema(True, settings).metadata))
    summary.null_counts = _null_counts(merged)


def _null_counts(table: pa.Table) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for col in store.feature_columns(table):
        reasons = Counter(r for r in table.column(f"{col}_reason").to_pylist() if r is not None)
        if reasons:
            out[col] = dict(sorted(reasons.items()))
    return out


def _write_report(summary: ProfileSummary, settings: dict[str, Any]) -> None:
    payload = {
        "output": str(summary.out),
        "settings": settings,
        "profiled": summary.profiled,
        "skipped": summary.skipped,
        "skips": summary.skips,
        "null_reasons": summary.null_counts,
        "audio_seconds": round(summary.audio_seconds, 3),
        "wall_seconds": round(summary.wall_seconds, 3),
        "realtime_factor": round(summary.realtime_factor, 1),
        "reused_batches": summary.reused_batches,
    }
    with atomic_output(summary.report, "w") as handle:
        json.dump(payload, handle, indent=1, sort_keys=True)
        handle.write("\n")


def _summary_from_report(summary: ProfileSummary) -> ProfileSummary:
    if summary.report.exists():
        data = json.loads(summary.report.read_text(encoding="utf-8"))
        summary.profiled, summary.skipped = int(data["profiled"]), int(data["skipped"])
        summary.skips = list(data["skips"])
        summary.audio_seconds = float(data["audio_seconds"])
    return summary
