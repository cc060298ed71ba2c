"""``--executor ray``: each part is one Ray task writing into the shared output folder.

Ray is only a launcher here: the part plan, the names and the atomic renames are ours, so a rerun on Ray
writes the same files as a local run (no ``ray.data.write_parquet`` UUID names, no block-layout splits).
The folder must be visible to every Ray node under the same path (a shared file system).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sercorpus.shards.layout import Part
from sercorpus.shards.settings import ShardSettings


def _part_task(
    manifests: list[str],
    roots: dict[str, str] | None,
    settings: ShardSettings,
    out: str,
    part: Part,
    digest: str,
    device: str,
) -> tuple[int, int]:
    from sercorpus.shards.parts import write_part
    from sercorpus.shards.plan import build_plan

    plan = build_plan(manifests, settings, roots)
    return write_part(plan, Path(out), part, digest, workers=1, device=device)


def run_parts_on_ray(
    manifests: Sequence[str | os.PathLike[str]],
    roots: Mapping[str, str] | None,
    settings: ShardSettings,
    out: Path,
    parts: Sequence[Part],
    digest: str,
    device: str,
) -> list[tuple[int, int]]:
    try:
        import ray
    except ImportError:
        raise ValueError("--executor ray needs Ray: pip install 'sercorpus[distributed]'") from None
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS"), include_dashboard=False, log_to_driver=False)
    gpus = 1 if device.startswith("cuda") else 0
    task = ray.remote(_part_task).options(num_cpus=1, num_gpus=gpus, max_retries=2)
    paths = [str(Path(m).resolve()) for m in manifests]
    refs = [
        task.remote(paths, dict(roots) if roots else None, settings, str(out.resolve()), p, digest, device)
        for p in parts
    ]
    return list(ray.get(refs))
