"""``sercorpus demo``: the whole pipeline built so far, end to end, on embedded miniature corpora.

Each stage is a function ``(DemoContext) -> list[str]`` returning summary lines; later features append their
stage to :data:`STAGES`. The run writes everything under one output folder and a human-readable
``SUMMARY.md`` at the end, and is seeded so two runs give the same files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sercorpus.augment.demo_stage import stage_augment
from sercorpus.calls_demo import stage_calls
from sercorpus.corpora import CORPORA
from sercorpus.manifest import atomic_output
from sercorpus.prepare import prepare
from sercorpus.subset_demo import stage_subsets


@dataclass
class DemoContext:
    out_dir: Path
    seed: int = 0
    roots: dict[str, Path] = field(default_factory=dict)  # corpus -> miniature corpus root
    manifests: dict[str, Path] = field(default_factory=dict)  # corpus -> prepared manifest
    state: dict[str, Any] = field(default_factory=dict)  # anything a later stage wants from an earlier one


Stage = Callable[[DemoContext], list[str]]


def stage_synth(ctx: DemoContext) -> list[str]:
    """Write every miniature corpus in its native layout."""
    lines = []
    for name, entry in sorted(CORPORA.items()):
        ctx.roots[name] = Path(entry.writer_function()(ctx.out_dir / "corpora" / name, seed=ctx.seed))
        files = sum(1 for p in ctx.roots[name].rglob("*") if p.is_file())
        lines.append(f"{name}: {files} files in {ctx.roots[name].relative_to(ctx.out_dir)}")
    return lines


def stage_prepare(ctx: DemoContext) -> list[str]:
    """Read each miniature corpus as shipped into a validated unified manifest (+ report of skips)."""
    lines = []
    for name, root in sorted(ctx.roots.items()):
        out = ctx.out_dir / "manifests" / f"{name}.parquet"
        records, report = prepare(name, root, out)  # validated on write
        ctx.manifests[name] = out
        hours = sum(u.duration for u in records) / 3600
        skips = ", ".join(f"{k} {v}" for k, v in sorted(report.skip_counts().items())) or "none"
        lines.append(f"{name}: {len(records)} utterances, {hours * 60:.1f} min; skipped: {skips}")
    return lines


STAGES: list[Stage] = [stage_synth, stage_prepare, stage_subsets, stage_calls, stage_augment]


def run_demo(out_dir: str | Path, seed: int = 0, log: Callable[[str], None] = print) -> Path:
    """Run all stages; returns the path of SUMMARY.md."""
    ctx = DemoContext(out_dir=Path(out_dir).resolve(), seed=seed)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    sections = [f"# sercorpus demo\n\nseed {seed}; output folder `{ctx.out_dir}`\n"]
    for stage in STAGES:
        title = (stage.__doc__ or stage.__name__).strip().splitlines()[0]
        log(f"[stage] {stage.__name__}: {title}")
        start = time.perf_counter()
        lines = stage(ctx)
        elapsed = time.perf_counter() - start
        for line in lines:
            log(f"    {line}")
        sections.append(f"## {stage.__name__.removeprefix('stage_')} ({elapsed:.1f} s)\n\n{title}\n\n"
                        + "\n".join(f"- {line}" for line in lines) + "\n")
    summary = ctx.out_dir / "SUMMARY.md"
    with atomic_output(summary, "w") as handle:
        handle.write("\n".join(sections))
    return summary
