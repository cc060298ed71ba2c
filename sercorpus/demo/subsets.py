"""Demo stage: IEMOCAP leave-one-session-out fold, an MSP*-style matched MSP-Podcast subset, stats.

Kept out of :mod:`sercorpus.demo` so the demo module stays a list of stages owned by their features.
"""

from __future__ import annotations

from collections import Counter

from sercorpus.core.atomic import atomic_output
from sercorpus.core.manifest import read_manifest, write_manifest
from sercorpus.core.schema import Utterance
from sercorpus.demo.context import Block, DemoContext, Image, Table
from sercorpus.selection.filters import FilterSpec, filter_records
from sercorpus.selection.splits import check_leakage, guard_leakage, make_splits
from sercorpus.selection.stats import compute_stats, split_order, stats_markdown, stats_png
from sercorpus.selection.steps import split_key, with_step
from sercorpus.selection.subsets import SubsetError, Targets, cell_counts, subset
from sercorpus.selection.views import get_view

VIEW = "4class"
SPLIT_MAP = {"train": "train", "test": "test1"}  # IEMOCAP fold split -> MSP-Podcast split


def stage_subsets(ctx: DemoContext) -> list[Block]:
    """IEMOCAP fold (Session5 = test), an MSP*-style matched MSP-Podcast subset, and their stats.

    Leave-one-session-out split of the IEMOCAP miniature, then an MSP-Podcast subset whose 4-class counts
    equal the fold's (train -> train, test -> test1), printed side by side; stats as Markdown and PNG.
    """
    missing = [c for c in ("iemocap", "msp-podcast") if c not in ctx.manifests]
    if missing:
        return [
            f"skipped: corpora {missing} are not prepared in this demo (their loaders are not registered)"
        ]
    lines: list[str] = []
    iemocap = read_manifest(ctx.manifests["iemocap"])
    fold = make_splits(iemocap.records, "logo", fold="Session5")[0]
    guard_leakage(fold.records, source="iemocap fold")
    fold_path = ctx.out_dir / "splits" / "iemocap-logo-session5.parquet"
    write_manifest(fold_path, fold.records, iemocap.roots, with_step(iemocap.meta, fold.recipe))
    report = check_leakage(fold.records)
    lines.append(
        f"IEMOCAP leave-one-session-out, fold {fold.recipe['fold']} of {fold.recipe['folds']} "
        f"(test = {fold.recipe['test_group']}): {_sizes(fold.records)}; {report.describe()}"
    )

    msp = read_manifest(ctx.manifests["msp-podcast"])
    try:
        result = subset(msp.records, VIEW, reference=fold.records, split_map=SPLIT_MAP, seed=ctx.seed)
    except SubsetError as exc:  # a miniature too small for the reference: show what is missing, go on
        lines.append(f"NOTE: exact match impossible, taking what there is: {exc}")
        result = subset(
            msp.records, VIEW, reference=fold.records, split_map=SPLIT_MAP, seed=ctx.seed, allow_short=True
        )
    star_path = ctx.out_dir / "subsets" / "msp-star.parquet"
    write_manifest(
        star_path,
        result.records,
        msp.roots,
        with_step(msp.meta, {**result.recipe, "reference": str(fold_path.relative_to(ctx.out_dir))}),
    )
    ctx.state["msp_star"] = star_path
    ctx.state["iemocap_fold5"] = fold_path

    ref_counts, star_counts = cell_counts(fold.records, VIEW), cell_counts(result.records, VIEW)
    blocks: list[Block] = [*lines]
    blocks.append(
        f"MSP* = MSP-Podcast subset matched to the IEMOCAP fold in view {VIEW} "
        f"(train->train, test->test1, seed {ctx.seed}): {_sizes(result.records)}"
    )
    blocks.append(side_by_side(ref_counts, star_counts))
    exact = all(ref_counts.get(ref, {}) == star_counts.get(target, {}) for ref, target in SPLIT_MAP.items())
    blocks.append("per-class counts match exactly: " + ("yes" if exact else "NO (see NOTE above)"))

    in_view = filter_records(fold.records + result.records, FilterSpec(view=VIEW, drop_null=True)).records
    stats = compute_stats(in_view, view=VIEW)  # the records a 4-class model sees: shares comparable
    md_path = ctx.out_dir / "stats" / "iemocap-vs-msp-star.md"
    with atomic_output(md_path, "w") as handle:
        handle.write(stats_markdown(stats, "IEMOCAP fold 5 vs MSP*"))
    png_path = stats_png(stats, ctx.out_dir / "stats" / "iemocap-vs-msp-star.png", "IEMOCAP fold 5 vs MSP*")
    blocks.append(
        Table(
            ["corpus", "split", "n", "minutes", "speakers", "female %", "male %", "unknown %", "agreement"],
            [
                [
                    row.corpus,
                    row.split,
                    row.n,
                    f"{row.hours * 60:.1f}",
                    row.speakers,
                    f"{row.gender_share('female'):.0f}",
                    f"{row.gender_share('male'):.0f}",
                    f"{row.gender_share('unknown'):.0f}",
                    f"{row.agreement:.2f}" if row.agreement is not None else "-",
                ]
                for row in stats.rows
            ],
            caption="Statistics of the records a 4-class model sees",
            align="llrrrrrrr",
        )
    )
    blocks.append(Image(ctx.rel(png_path), "class distribution: IEMOCAP fold 5 vs MSP*"))
    blocks.append(
        f"wrote {ctx.rel(fold_path)}, {ctx.rel(star_path)}, {ctx.rel(md_path)}, {ctx.rel(png_path)}"
    )
    return blocks


def side_by_side(ref: Targets, star: Targets) -> Table:
    """Per split and class, IEMOCAP and MSP* counts with their shares of the view's classes."""
    rows: list[list[object]] = []
    for ref_split, target in sorted(SPLIT_MAP.items(), key=lambda kv: split_order(kv[0])):
        a, b = ref.get(ref_split, {}), star.get(target, {})
        ta, tb = sum(a.values()) or 1, sum(b.values()) or 1
        split = f"{split_key(ref_split)} / {target}"
        for cls in get_view(VIEW).classes:
            na, nb = a.get(cls, 0), b.get(cls, 0)
            rows.append([split, cls, na, f"{100 * na / ta:.1f}", nb, f"{100 * nb / tb:.1f}"])
        rows.append([split, "**total**", sum(a.values()), "", sum(b.values()), ""])
    return Table(
        ["IEMOCAP / MSP\\* split", "class", "IEMOCAP", "%", "MSP\\*", "%"],
        rows,
        caption="MSP\\* matches the IEMOCAP fold class by class",
        align="llrrrr",
    )


def _sizes(records: list[Utterance]) -> str:
    counts = Counter(split_key(u.split) for u in records)
    return ", ".join(f"{s} {counts[s]}" for s in sorted(counts, key=split_order))
