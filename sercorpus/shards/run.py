"""``sercorpus shard``: manifests in, training-ready shards out, resumable, in parts on any engine.

The sequence is the same whoever runs it (this process, a pool of workers, Slurm array tasks or Ray tasks):
claim the folder with the settings (``RUN.json``), plan every part from the inputs alone, write the shards
that are not finished, write each part's manifest and index, and once every part index exists, join them
into ``manifest.parquet``, ``report.json`` and finally ``index.json``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sercorpus.core.runinfo import RUN_FILE, RunInfo, SettingsMismatch, claim_output_dir
from sercorpus.shards.index import finalize, missing_parts, read_part_index, remove_final_temps
from sercorpus.shards.layout import TOOL, Part
from sercorpus.shards.parts import finished, write_part
from sercorpus.shards.plan import WritePlan, build_plan
from sercorpus.shards.progress import Progress
from sercorpus.shards.settings import ShardSettings

EXECUTORS = ("local", "ray")


@dataclass
class ShardSummary:
    out_dir: Path
    parts_written: list[int]
    shards_written: int
    shards_reused: int
    index: dict[str, Any] | None  # None while other parts are still missing
    missing_parts: list[int]

    def __str__(self) -> str:
        head = f"{self.shards_written} shard(s) written, {self.shards_reused} already finished, in {self.out_dir}"
        if self.index is None:
            return f"{head}; waiting for parts {self.missing_parts} before the index is written"
        i = self.index
        return (
            f"{head}: {i['samples']} samples, {i['hours']:.3f} h in {len(i['shards'])} shard(s), "
            f"{i['skipped']} input(s) skipped (see report.json)"
        )


def resolve_augment(
    config: str | os.PathLike[str] | Mapping[str, Any] | None,
    resources: Mapping[str, Any] | None,
    sample_rate: int,
) -> dict[str, Any] | None:
    """What the workers need to rebuild the augmenter (the config file or mapping plus resources), checked
    by building it once here so a bad config fails before anything is planned.

    RUN.json records the config's *content* and the absolute resource paths (not the file name): editing
    the YAML between runs is then a settings difference, not a silent change.
    """
    if config is None:
        return None
    import yaml

    from sercorpus.augment import load_config

    res = {k: str(Path(v).resolve()) for k, v in sorted((resources or {}).items()) if v is not None}
    if isinstance(config, (str, os.PathLike)):
        path = Path(config).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"augmentation config not found: {config}")
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        source: str | dict[str, Any] = str(path)
    else:
        content = dict(config)
        source = content
    aug = load_config(source, res)
    if aug.domain != "waveform":
        raise ValueError("this config augments features (SpecAugment): apply it in training, not to shards")
    if aug.sample_rate != sample_rate:
        raise ValueError(
            f"the augmentation config works at {aug.sample_rate} Hz but --sample-rate is {sample_rate}; "
            "make them agree"
        )
    return {"config": content, "resources": res, "source": source}


def run_settings(plan: WritePlan, parts: int) -> dict[str, Any]:
    return {**plan.settings.record(), "parts": parts, "input": plan.input_digest}


def write_shards(
    manifests: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    settings: ShardSettings | None = None,
    *,
    augment: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    resources: Mapping[str, Any] | None = None,
    roots: Mapping[str, str] | None = None,
    part: Part | str | None = None,
    parts: int | None = None,
    workers: int = 1,
    executor: str = "local",
    device: str = "cpu",
    overwrite: bool = False,
    progress: Progress | None = None,
) -> ShardSummary:
    """Shard ``manifests`` into ``out_dir``; rerunning the same call resumes, other settings are refused.

    ``part="i/n"`` writes one slice (for Slurm arrays, torchrun ranks); without it all ``parts`` (default 1)
    are written here, or as Ray tasks with ``executor="ray"``.
    """
    settings = settings or ShardSettings()
    if augment is not None:
        settings = replace(settings, augment=resolve_augment(augment, resources, settings.sample_rate))
    if executor not in EXECUTORS:
        raise ValueError(f"--executor {executor!r} must be one of {list(EXECUTORS)}")
    if isinstance(part, str):
        part = Part.parse(part)
    if part is not None and parts is not None and parts != part.count:
        raise ValueError(f"--part {part} and --parts {parts} disagree")
    count = part.count if part is not None else (parts or 1)
    _check_device(device)
    out = Path(out_dir)
    plan = build_plan(manifests, settings, roots)
    info = claim(out, run_settings(plan, count), overwrite)
    todo = [part] if part is not None else [Part(i, count) for i in range(count)]
    written = reused = 0
    if executor == "ray":
        from sercorpus.shards.ray_executor import run_parts_on_ray

        for w, r in run_parts_on_ray(manifests, roots, settings, out, todo, info.digest, device):
            written, reused = written + w, reused + r
    else:
        for p in todo:
            if read_part_index(out, p) is not None and _part_complete(out, plan, p):
                reused += len(plan.part_shards(p))
                continue
            w, r = write_part(plan, out, p, info.digest, workers, device, progress)
            written, reused = written + w, reused + r
    if part is None:  # this run writes every part: no other process joins this folder now
        remove_final_temps(out)
    index = finalize(out)
    return ShardSummary(out, [p.index for p in todo], written, reused, index, missing_parts(out, count))


def claim(out: Path, settings: dict[str, Any], overwrite: bool, wait_s: float = 2.0) -> RunInfo:
    """``claim_output_dir``, tolerant of a ``RUN.json`` being written right now by another part (Slurm array
    tasks start together) or left half-written by a killed run (its temporary file is then removed)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return claim_output_dir(out, TOOL, settings, overwrite=overwrite)
        except SettingsMismatch:
            pending = list(out.glob(f".{RUN_FILE}.*.tmp")) if out.is_dir() else []
            others = [p for p in out.iterdir() if p not in pending] if out.is_dir() else []
            if not pending or others or (out / RUN_FILE).exists():
                raise
            if time.monotonic() > deadline:  # nobody finished it: a killed run's leftover
                for tmp in pending:
                    tmp.unlink(missing_ok=True)
            time.sleep(0.05)


def _part_complete(out: Path, plan: WritePlan, part: Part) -> bool:
    return all(finished(out, s) is not None for s in plan.part_shards(part))


def _check_device(device: str) -> None:
    if device == "cpu":
        return
    import torch

    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as exc:
        raise ValueError(f"device {device!r} is not usable here: {exc}") from None
