"""One part of a shard dataset: which of its shards are finished, writing the rest, and its part index.

A shard counts as finished only when its final name exists, its sidecar names the same plan digest and the
file has the size the sidecar promises. Temporary files of this part left by a killed run are removed first
(only this part's: other parts may be writing into the same folder at the same time).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sercorpus.core.atomic import write_text
from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance
from sercorpus.shards.layout import PARTS_DIR, SHARD_DIR, Part, temp_prefix
from sercorpus.shards.plan import Item, ShardPlan, WritePlan
from sercorpus.shards.progress import Progress
from sercorpus.shards.writer import ShardJob, ShardResult, sidecar_path


def remove_stale_temps(out_dir: Path, part: Part) -> int:
    removed = 0
    for folder in (out_dir / SHARD_DIR, out_dir / PARTS_DIR):
        if folder.is_dir():
            for tmp in folder.glob(f"{temp_prefix(part)}*.tmp"):
                tmp.unlink(missing_ok=True)
                removed += 1
    return removed


def finished(out_dir: Path, plan: ShardPlan) -> ShardResult | None:
    """The sidecar's result if the shard is complete and made from this very plan, else None."""
    shard, side = out_dir / plan.name, sidecar_path(out_dir, plan.name)
    if not (shard.is_file() and side.is_file()):
        return None
    try:
        result = ShardResult.from_dict(json.loads(side.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if result.plan_digest != plan.digest or shard.stat().st_size != result.bytes:
        return None
    return result


def jobs_for(plan: WritePlan, shards: Sequence[ShardPlan], out_dir: Path, device: str) -> list[ShardJob]:
    jobs = []
    for shard in shards:
        used = {it.record for it in shard.items}
        records = {i: plan.records[i] for i in sorted(used)}
        jobs.append(ShardJob(str(out_dir), shard, records, plan.roots, plan.settings, device))
    return jobs


def output_record(
    utt: Utterance, item: Item, shard: str, row: int, num_samples: int, plan: WritePlan
) -> Utterance:
    """The manifest record of one written sample (its audio is row ``row`` of ``shard``)."""
    settings = plan.settings
    return utt.replace(
        id=item.id,
        audio_path=shard,
        duration=num_samples / settings.sample_rate,
        sample_rate=settings.sample_rate,
        offset=0.0,
        num_channels=1,
        channel=None,
        transcript=utt.transcript if settings.transcripts else None,
        extra={
            **utt.extra,
            "source_id": utt.id,
            "source_path": utt.audio_path,
            "source_offset": item.offset,
            "copy": item.copy,
            "segment": item.segment,
            "augmented": item.augment,
            "shard_row": row,
        },
    )


def manifest_meta(digest: str) -> dict[str, Any]:
    """The same for a part's manifest and the joined one, so a one-part dataset's manifest is a plain copy."""
    return {"made_by": "sercorpus shard", "settings_digest": digest}


def part_index(
    part: Part, results: Sequence[ShardResult], settings_digest: str, records: Sequence[Utterance]
) -> dict[str, Any]:
    skipped = [s for r in results for s in r.skipped]
    return {
        "by_corpus": dict(sorted(Counter(r.corpus for r in records).items())),
        "by_split": dict(sorted(Counter(str(r.split) for r in records).items())),
        "part": part.index,
        "count": part.count,
        "settings_digest": settings_digest,
        "samples": sum(r.samples for r in results),
        "seconds": round(sum(r.seconds for r in results), 6),
        "input_seconds": round(sum(r.input_seconds for r in results), 6),
        "augmented": sum(r.augmented for r in results),
        "clean": sum(r.clean for r in results),
        "bytes": sum(r.bytes for r in results),
        "shards": [r.summary() for r in results],
        "skipped": skipped,
    }


def write_part_outputs(
    out_dir: Path,
    plan: WritePlan,
    part: Part,
    shards: Sequence[ShardPlan],
    results: dict[str, ShardResult],
    digest: str,
) -> dict[str, Any]:
    """Part manifest, then part index (the index last: it is what says the part is complete)."""
    ordered = [results[s.name] for s in shards]
    records = []
    for shard, result in zip(shards, ordered, strict=True):
        by_id = {it.id: it for it in shard.items}
        for row, (sample_id, num_samples) in enumerate(result.rows):
            item = by_id[sample_id]
            records.append(output_record(plan.records[item.record], item, shard.name, row, num_samples, plan))
    corpora = sorted({r.corpus for r in records})
    write_manifest(
        out_dir / part.manifest_name(),
        records,
        roots={c: str(out_dir) for c in corpora},
        meta=manifest_meta(digest),
        validate=False,  # input records validated on reading; only id/audio fields are ours, built above
    )
    index = part_index(part, ordered, digest, records)
    write_text(out_dir / part.index_name(), json.dumps(index, indent=1, sort_keys=True) + "\n")
    return index


def run_jobs(
    jobs: Sequence[ShardJob],
    workers: int,
    progress: Callable[[float], None] | None = None,
) -> list[ShardResult]:
    """Write ``jobs``: in this process for one worker, else in a pool of spawned processes (one shard each)."""
    from sercorpus.shards.writer import write_shard

    if workers <= 1 or len(jobs) <= 1:
        return [write_shard(job, progress) for job in jobs]
    import multiprocessing
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

    results: list[ShardResult] = []
    context = multiprocessing.get_context("spawn")  # no fork after torch/threads were started
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = {pool.submit(write_shard, job): job for job in jobs}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                if future.exception() is not None:
                    for other in pending:
                        other.cancel()
                    raise future.exception()  # type: ignore[misc]
                results.append(future.result())
                if progress:
                    progress(futures[future].plan.planned_seconds)
    return results


def write_part(
    plan: WritePlan,
    out_dir: Path,
    part: Part,
    digest: str,
    workers: int = 1,
    device: str = "cpu",
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Write one part's unfinished shards and its part outputs; (shards written, shards reused)."""
    remove_stale_temps(out_dir, part)
    shards = plan.part_shards(part)
    results = {}
    todo = []
    for shard in shards:
        done = finished(out_dir, shard)
        if done is not None:
            results[shard.name] = done
        else:
            todo.append(shard)
    if progress:
        progress.start(
            sum(s.planned_seconds for s in shards),
            sum(s.planned_seconds for s in shards if s.name in results),
        )
    for result in run_jobs(
        jobs_for(plan, todo, out_dir, device), workers, progress.advance if progress else None
    ):
        results[result.name] = result
    write_part_outputs(out_dir, plan, part, shards, results, digest)
    return len(todo), len(shards) - len(todo)
