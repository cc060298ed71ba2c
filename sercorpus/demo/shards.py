"""Demo stage: shard the MSP* subset with augmentation (the matched config when the profile stage made one) and
read it back through the streaming loader."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sercorpus.demo.augment import demo_config
from sercorpus.demo.context import Block, DemoContext, Table
from sercorpus.shards.loader import ShardLoader
from sercorpus.shards.run import write_shards
from sercorpus.shards.settings import ShardSettings

VIEW = "4class"


def stage_shards(ctx: DemoContext) -> list[Block]:
    """Shard MSP* with 2 augmented copies + the clean one, then stream it back as 4-class batches."""
    star = ctx.state.get("msp_star")
    if star is None:
        return ["skipped: needs the MSP* subset of the subsets stage"]
    matched = ctx.state.get("matched_augment")
    augment: Path | dict[str, Any]
    resources: dict[str, Any] = {}
    if matched is not None:
        augment, source = Path(matched), f"the matched config `{ctx.rel(Path(matched))}`"
        if ctx.roots.get("esc50"):
            resources["noise_root"] = ctx.roots["esc50"]
    else:
        augment, source = demo_config(Path(ctx.roots["esc50"])), "the demo's room + background config"
    out = ctx.out_dir / "shards" / "msp-star"
    settings = ShardSettings(copies=2, keep_clean=True, seed=ctx.seed, shard_mb=2.0, view=VIEW)
    summary = write_shards([star], out, settings, augment=augment, resources=resources or None)
    ctx.state["shards"] = out
    index = summary.index or {}
    loader = ShardLoader(out, view=VIEW, max_seconds=60, seed=ctx.seed)
    batches = list(loader)
    classes: Counter[str] = Counter()
    for batch in batches:
        for label in batch.labels.tolist():
            classes[batch.classes[label] if label >= 0 else "(no label)"] += 1
    return [
        f"augmentation: {source}; copies 2 + clean copy 0 for the training split, other splits clean",
        Table(
            ["shards", "samples", "augmented", "hours", "skipped inputs"],
            [
                [
                    len(index.get("shards", [])),
                    index.get("samples"),
                    index.get("augmented"),
                    f"{index.get('hours', 0):.3f}",
                    index.get("skipped"),
                ]
            ],
            align="rrrrr",
        ),
        f"streamed back: {sum(len(b) for b in batches)} samples in {len(batches)} duration-bucketed batches "
        f"(<= 60 padded s each), view {VIEW}: " + ", ".join(f"{c} {n}" for c, n in sorted(classes.items())),
        f"wrote {ctx.rel(out)}/ (index.json, manifest.parquet, shards/*.parquet); `sercorpus shard verify` checks it",
    ]
