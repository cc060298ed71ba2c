"""Demo stage: write every miniature corpus in its native release layout."""

from __future__ import annotations

from pathlib import Path

from sercorpus.corpora import CORPORA
from sercorpus.demo.context import Block, DemoContext, Table


def stage_synth(ctx: DemoContext) -> list[Block]:
    """Write every miniature corpus in its native layout."""
    rows: list[list[object]] = []
    for name, entry in sorted(CORPORA.items()):
        ctx.roots[name] = Path(entry.writer_function()(ctx.out_dir / "corpora" / name, seed=ctx.seed))
        files = sum(1 for p in ctx.roots[name].rglob("*") if p.is_file())
        rows.append([name, files, f"`{ctx.rel(ctx.roots[name])}`"])
    return [Table(["corpus", "files", "folder"], rows, align="lrl")]
