"""``sercorpus demo``: the whole pipeline built so far, end to end, on embedded miniature corpora.

Each stage is a function ``(DemoContext) -> list[Block]`` (strings, tables, images; see
:mod:`sercorpus.demo.context`); later features append their stage to :data:`STAGES`. The run writes everything
under one output folder and a Markdown ``SUMMARY.md`` at the end, and is seeded so two runs give the same files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sercorpus.core.atomic import atomic_output
from sercorpus.demo.augment import stage_augment
from sercorpus.demo.calls import stage_calls
from sercorpus.demo.context import DemoContext, Image, Stage, Table, render_blocks
from sercorpus.demo.prepare import stage_prepare
from sercorpus.demo.profile import stage_profile
from sercorpus.demo.shards import stage_shards
from sercorpus.demo.subsets import stage_subsets
from sercorpus.demo.synth import stage_synth
from sercorpus.demo.train_eval import stage_train_eval

STAGES: list[Stage] = [
    stage_synth,
    stage_prepare,
    stage_subsets,
    stage_calls,
    stage_augment,
    stage_profile,
    stage_shards,
    stage_train_eval,
]


def _console_lines(block: str | Table | Image) -> list[str]:
    if isinstance(block, Table):
        return block.markdown().splitlines()
    if isinstance(block, Image):
        return [f"plot: {block.path}"]
    return [block]


def run_demo(out_dir: str | Path, seed: int = 0, log: Callable[[str], None] = print) -> Path:
    """Run all stages; returns the path of SUMMARY.md."""
    ctx = DemoContext(out_dir=Path(out_dir).resolve(), seed=seed)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    sections = [f"# sercorpus demo\n\nseed {seed}; output folder `{ctx.out_dir}`\n"]
    timings = []
    for stage in STAGES:
        title = (stage.__doc__ or stage.__name__).strip().splitlines()[0]
        name = stage.__name__.removeprefix("stage_")
        log(f"[stage] {name}: {title}")
        start = time.perf_counter()
        blocks = stage(ctx)
        elapsed = time.perf_counter() - start
        timings.append((name, f"{elapsed:.1f}"))
        for block in blocks:
            for line in _console_lines(block):
                log(f"    {line}")
        sections.append(f"## {name} ({elapsed:.1f} s)\n\n{title}\n\n{render_blocks(blocks)}\n")
    sections.insert(1, Table(["stage", "seconds"], timings, align="lr").markdown() + "\n")
    summary = ctx.out_dir / "SUMMARY.md"
    with atomic_output(summary, "w") as handle:
        handle.write("\n".join(sections))
    return summary
