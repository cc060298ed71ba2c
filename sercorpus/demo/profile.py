"""Demo stage: profile the MSP* subset and the IEMOCAP fold, compare them, and match MSP* toward IEMOCAP."""

from __future__ import annotations

from pathlib import Path

from sercorpus.core.atomic import write_text
from sercorpus.demo.context import Block, DemoContext, Image, Table
from sercorpus.profile.compare import compare_profiles, plot, to_markdown
from sercorpus.profile.match import match_profiles
from sercorpus.profile.runner import profile_manifest

MATCH_BUDGET_S = 20.0  # search time of the demo's match (the CLI default is 600 s)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def stage_profile(ctx: DemoContext) -> list[Block]:
    """Profile MSP* and the IEMOCAP fold, compare them, and search augmentation that moves MSP* toward IEMOCAP."""
    star, fold = ctx.state.get("msp_star"), ctx.state.get("iemocap_fold5")
    if star is None or fold is None:
        return ["skipped: needs the MSP* subset and the IEMOCAP fold of the subsets stage"]
    out = ctx.out_dir / "profile"
    profiles = {}
    blocks: list[Block] = []
    for name, manifest in (("msp-star", star), ("iemocap", fold)):
        summary = profile_manifest(manifest, out / f"{name}.parquet")
        profiles[name] = summary.out
        blocks.append(f"{name}: {summary}".replace(str(ctx.out_dir) + "/", ""))
    comparison = compare_profiles([profiles["msp-star"], profiles["iemocap"]], names=["MSP*", "IEMOCAP"])
    md = out / "compare.md"
    write_text(md, to_markdown(comparison, "MSP* vs IEMOCAP fold: acoustic profiles"))
    png = plot(comparison, out / "compare.png", "MSP* vs IEMOCAP fold")
    blocks.append(Image(ctx.rel(Path(png)), "per-feature distributions of MSP* and the IEMOCAP fold"))

    esc50 = ctx.roots.get("esc50")
    result = match_profiles(
        profiles["msp-star"],
        profiles["iemocap"],
        out / "msp-star-to-iemocap.yaml",
        budget_s=MATCH_BUDGET_S,
        seed=ctx.seed,
        noise_root=esc50,
    )
    ctx.state["matched_augment"] = out / "msp-star-to-iemocap.yaml"
    rows = [[f, _fmt(result.before.get(f)), _fmt(result.after.get(f))] for f in result.features]
    rows.append(["**objective**", _fmt(result.objective_before), _fmt(result.objective_after)])
    blocks.append(
        Table(
            ["feature", "distance before (scaled)", "after matching"],
            rows,
            caption=f"Matching MSP\\* toward IEMOCAP: {result.evaluations} candidates searched, seed {ctx.seed}",
            align="lrr",
        )
    )
    blocks += [f"the target is cleaner: {line}" for line in result.cleaner]
    match_png = result.outputs.get("png")
    if match_png:
        blocks.append(Image(ctx.rel(Path(match_png)), "feature distributions before and after matching"))
    blocks.append(
        f"wrote {ctx.rel(md)} and the augmentation config {ctx.rel(out / 'msp-star-to-iemocap.yaml')}"
    )
    return blocks
