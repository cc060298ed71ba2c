"""Demo stage: write every miniature corpus in its native release layout."""

from __future__ import annotations

from pathlib import Path

from sercorpus.corpora import CORPORA
from sercorpus.demo.context import DemoContext


def stage_synth(ctx: DemoContext) -> list[str]:
    """Write every miniature corpus in its native layout."""
    lines = []
    for name, entry in sorted(CORPORA.items()):
        ctx.roots[name] = Path(entry.writer_function()(ctx.out_dir / "corpora" / name, seed=ctx.seed))
        files = sum(1 for p in ctx.roots[name].rglob("*") if p.is_file())
        lines.append(f"{name}: {files} files in {ctx.roots[name].relative_to(ctx.out_dir)}")
    return lines
