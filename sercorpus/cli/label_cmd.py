"""``sercorpus filter``, ``merge``, ``scramble`` and ``stats``: thin wrappers over
:mod:`sercorpus.transforms` and :mod:`sercorpus.stats`."""

from pathlib import Path
from typing import Annotated

import typer

from sercorpus.cli.common import (
    CorpusOpt,
    MaxDurOpt,
    MinAgreeOpt,
    MinDurOpt,
    SplitOpt,
    console,
    print_wide,
    user_errors,
    warn,
)
from sercorpus.core.atomic import atomic_output
from sercorpus.core.manifest import read_manifest, write_manifest
from sercorpus.selection.filters import FilterSpec, filter_records
from sercorpus.selection.merge import merge_manifests
from sercorpus.selection.scramble import scramble
from sercorpus.selection.stats import compute_stats, pool_files, stats_markdown, stats_png, stats_table
from sercorpus.selection.steps import with_step
from sercorpus.selection.summary import overview_table
from sercorpus.selection.views import OutOfView


def register(app: typer.Typer) -> None:
    @app.command("filter")
    @user_errors
    def filter_cmd(
        manifest: Annotated[Path, typer.Argument(help="input manifest")],
        out: Annotated[Path, typer.Option("-o", "--out", help="output manifest (.parquet or .jsonl)")],
        view: Annotated[
            str | None, typer.Option(help="project labels, votes, soft labels into this view")
        ] = None,
        out_of_view: Annotated[
            OutOfView,
            typer.Option(help="votes outside the view: renormalize the rest, or exclude the record"),
        ] = OutOfView.RENORMALIZE,
        drop_null: Annotated[
            bool, typer.Option(help="drop records without a consensus label (in the view)")
        ] = False,
        min_agreement: MinAgreeOpt = None,
        min_duration: MinDurOpt = None,
        max_duration: MaxDurOpt = None,
        corpus: CorpusOpt = None,
        split: SplitOpt = None,
    ) -> None:
        """Keep the records that pass: corpus/split selection, view projection, consensus, agreement, duration."""
        source = read_manifest(manifest)
        spec = FilterSpec(
            corpora=tuple(corpus or ()),
            splits=tuple(split or ()),
            view=view,
            out_of_view=out_of_view,
            drop_null=drop_null,
            min_agreement=min_agreement,
            min_duration=min_duration,
            max_duration=max_duration,
        )
        result = filter_records(source.records, spec)
        if not result.records:
            raise ValueError(f"no record passes the filter (dropped: {dict(result.dropped)})")
        write_manifest(
            out,
            result.records,
            source.roots,
            with_step(source.meta, spec.recipe(str(manifest), result.dropped)),
        )
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(result.dropped.items())) or "none"
        print_wide(overview_table(result.records, title=str(out)))
        console.print(
            f"kept {len(result.records)} of {len(source.records)}; dropped: {dropped}", highlight=False
        )

    @app.command("merge")
    @user_errors
    def merge_cmd(
        manifests: Annotated[list[Path], typer.Argument(help="manifests to merge")],
        out: Annotated[Path, typer.Option("-o", "--out", help="output manifest (.parquet or .jsonl)")],
    ) -> None:
        """One manifest from several (roots merged; a repeated id is an error)."""
        merged = merge_manifests([read_manifest(m) for m in manifests], [str(m) for m in manifests])
        write_manifest(out, merged.records, merged.roots, merged.meta)
        print_wide(overview_table(merged.records, title=str(out)))

    @app.command("scramble")
    @user_errors
    def scramble_cmd(
        manifest: Annotated[Path, typer.Argument(help="input manifest")],
        out: Annotated[Path, typer.Option("-o", "--out", help="output manifest (.parquet or .jsonl)")],
        swap: Annotated[
            list[str], typer.Option(help="A:B swaps two categories (repeatable), e.g. neutral:sad")
        ],
        corpus: Annotated[
            list[str] | None, typer.Option(help="scramble only this corpus (repeatable)")
        ] = None,
    ) -> None:
        """Swap categories in labels, votes, soft labels and raters' categories together (for generalisation
        studies); the permutation is recorded in each record's extra['scrambled']."""
        source = read_manifest(manifest)
        pairs = [tuple(p.split(":", 1)) for p in swap]
        bad = [s for s, p in zip(swap, pairs, strict=True) if len(p) != 2]
        if bad:
            raise ValueError(f"--swap expects A:B, got {bad}")
        records, recipe = scramble(source.records, pairs, tuple(corpus or ()))  # type: ignore[arg-type]
        if corpus and not recipe["changed"]:
            warn([f"no record of corpus {corpus} changed"])
        write_manifest(
            out, records, source.roots, with_step(source.meta, {**recipe, "source": str(manifest)})
        )
        console.print(
            f"scrambled {recipe['changed']} of {len(records)} records "
            f"({', '.join(recipe['swaps'])}) -> {out}",
            highlight=False,
        )

    @app.command("stats")
    @user_errors
    def stats_cmd(
        manifests: Annotated[list[Path], typer.Argument(help="manifest(s); records are pooled")],
        view: Annotated[
            str | None, typer.Option(help="count classes in this label view (e.g. 4class)")
        ] = None,
        png: Annotated[
            Path | None, typer.Option(help="write a bar chart of class shares to this PNG")
        ] = None,
        markdown: Annotated[
            Path | None, typer.Option(help="write the table as Markdown to this file")
        ] = None,
        title: Annotated[str, typer.Option(help="table/chart title")] = "class distribution",
    ) -> None:
        """Per corpus and split: n (%) per class, hours, speakers, gender balance, mean agreement."""
        stats = compute_stats(pool_files([(m, read_manifest(m).records) for m in manifests]), view)
        print_wide(stats_table(stats, title))
        if markdown is not None:
            with atomic_output(markdown, "w") as handle:
                handle.write(stats_markdown(stats, title))
            console.print(f"markdown: {markdown}")
        if png is not None:
            console.print(f"chart: {stats_png(stats, png, title)}")
