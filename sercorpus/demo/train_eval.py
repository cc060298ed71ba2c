"""Demo stage: train a small cross-corpus model (CNN14 on MSP-Podcast + IEMOCAP miniatures) and write its
evaluation report (predictions, UAR/WA/F1 with CIs, per-speaker paUAR, confusion matrices, a cross-corpus matrix)
on an unseen corpus (CREMA-D) and MSP-Podcast's test1."""

from __future__ import annotations

from pathlib import Path

from sercorpus.demo.context import Block, DemoContext, Image, Table
from sercorpus.evaluate.runners.demo_report import build_demo_report
from sercorpus.train.recipe import SourceSpec
from sercorpus.train.run import train

RECIPE = "tiny/emmanouilidou_cnn14_msp_iemocap.yaml"


def recipes_dir() -> Path:
    """``recipes/`` of the checkout this package runs from (the demo runs from a clone, as the README says)."""
    return Path(__file__).resolve().parents[2] / "recipes" / "train"


def stage_train_eval(ctx: DemoContext) -> list[Block]:
    """Train a tiny CNN14 on MSP-Podcast + IEMOCAP, evaluate it across corpora, write the evaluation report."""
    recipe = recipes_dir() / RECIPE
    needed = ("msp-podcast", "iemocap", "crema-d")
    if not recipe.is_file() or any(c not in ctx.manifests for c in needed):
        return [
            f"skipped: needs {recipe} (a checkout's recipes/) and the {needed} manifests of the prepare stage"
        ]
    data = ctx.manifests["msp-podcast"].parent
    run = ctx.out_dir / "train" / "cnn14-msp-iemocap"
    metrics = train(
        recipe, run, overrides=[f"vars.data={data}", "trainer.progress=false", f"seed={ctx.seed}"]
    )
    test_sets = {
        "CREMA-D (unseen)": SourceSpec(path=str(ctx.manifests["crema-d"])),
        "MSP-Podcast test1": SourceSpec(path=str(ctx.manifests["msp-podcast"]), split="test1"),
    }
    report = build_demo_report({"MSP+IEMOCAP": run}, test_sets, ctx.out_dir / "evaluate")
    best = metrics.get("best") or {}
    blocks: list[Block] = [
        f"trained `{RECIPE}` into {ctx.rel(run)}: best dev {best.get('metric', 'UAR')} "
        f"{best.get('value', metrics.get('dev_uar', '-'))} at step {best.get('step', '-')}"
        if isinstance(best, dict)
        else f"trained `{RECIPE}` into {ctx.rel(run)}",
        Table(
            ["train", "test", "UAR"],
            [[r, t, "-" if v is None else f"{v:.3f}"] for (r, t), v in sorted(report.scores.items())],
            caption="Cross-corpus UAR (chance = 0.25 in the 4-class view)",
            align="llr",
        ),
    ]
    blocks += [Image(ctx.rel(path), caption) for caption, path in report.images]
    blocks.append(f"full report: {ctx.rel(report.markdown)}")
    return blocks
