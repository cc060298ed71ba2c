"""Demo stage: read each miniature corpus as shipped into a validated manifest."""

from __future__ import annotations

from sercorpus.corpora.prepare import prepare
from sercorpus.demo.context import DemoContext


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
