"""Demo stage: read each miniature corpus as shipped into a validated manifest."""

from __future__ import annotations

from sercorpus.corpora.prepare import prepare
from sercorpus.demo.context import Block, DemoContext, Table


def stage_prepare(ctx: DemoContext) -> list[Block]:
    """Read each miniature corpus as shipped into a validated unified manifest (+ report of skips)."""
    rows: list[list[object]] = []
    for name, root in sorted(ctx.roots.items()):
        out = ctx.out_dir / "manifests" / f"{name}.parquet"
        records, report = prepare(name, root, out)  # validated on write
        ctx.manifests[name] = out
        minutes = sum(u.duration for u in records) / 60
        skips = ", ".join(f"{k} {v}" for k, v in sorted(report.skip_counts().items())) or "none"
        rows.append([name, len(records), f"{minutes:.1f}", skips])
    return [
        Table(
            ["corpus", "utterances", "minutes", "skipped (counted, with file:line in the report)"],
            rows,
            align="lrrl",
        )
    ]
