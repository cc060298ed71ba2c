"""``sercorpus profile``, ``sercorpus profile compare`` and ``sercorpus match``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from sercorpus.cli.common import console, parse_roots, user_errors, warn


class _ProfileGroup(TyperGroup):
    """``sercorpus profile MANIFEST -o OUT`` runs the (hidden) ``run`` command; ``profile compare`` compares."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


profile_app = typer.Typer(
    cls=_ProfileGroup,
    help="Acoustic profile of a manifest: `sercorpus profile MANIFEST -o PROFILE.parquet`; "
    "`sercorpus profile compare A B [C]` for 2-3 profiles.",
    no_args_is_help=True,
    add_completion=False,
)


@profile_app.command("run", hidden=True)
@user_errors
def profile_cmd(
    manifest: Annotated[Path, typer.Argument(help="manifest (.parquet/.jsonl) to profile")],
    out: Annotated[Path, typer.Option("-o", "--out", help="output profile (.parquet)")],
    workers: Annotated[int, typer.Option(help="CPU processes (one thread each)")] = 1,
    batch_size: Annotated[int, typer.Option(help="utterances per batch (the resume unit)")] = 32,
    mos: Annotated[bool, typer.Option("--mos", help="add DNSMOS (needs sercorpus[quality])")] = False,
    max_seconds: Annotated[
        float, typer.Option(help="skip utterances longer than this (segment them)")
    ] = 900.0,
    root: Annotated[list[str] | None, typer.Option("--root", help="CORPUS=DIR for a moved corpus")] = None,
    limit: Annotated[int | None, typer.Option(help="only the first N utterances (by id)")] = None,
) -> None:
    """Per-utterance loudness, peak, clipping, DC, speech activity, SNR, T60, C50, bandwidth, tilt, ...
    A killed run restarted with the same command resumes; other settings are refused, not mixed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from sercorpus.profile.runner import profile_manifest

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("profiling", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = profile_manifest(
            manifest,
            out,
            workers=workers,
            batch_size=batch_size,
            include_mos=mos,
            max_seconds=max_seconds,
            roots=parse_roots(root),
            limit=limit,
            progress=progress,
        )
    if summary.reused_batches < 0:
        console.print(f"[green]already complete[/green] (same settings): {summary.out}")
    else:
        console.print(f"[green]profiled[/green] {summary}")
    if summary.skipped:
        warn(
            [f"{s['id']}: {s['reason']}" for s in summary.skips[:10]]
            + ([f"... and {summary.skipped - 10} more"] if summary.skipped > 10 else [])
        )
    console.print(f"report: {summary.report}")


@profile_app.command("compare")
@user_errors
def compare_cmd(
    profiles: Annotated[list[Path], typer.Argument(help="2 or 3 profiles (.parquet)")],
    png: Annotated[Path | None, typer.Option("--png", help="figure: one panel per feature")] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Markdown table")] = None,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="display name per profile (repeat)")
    ] = None,
) -> None:
    """Medians, quartiles and pairwise Wasserstein distances per feature, side by side."""
    from sercorpus.core.atomic import write_text
    from sercorpus.profile.compare import compare_profiles, plot, to_markdown

    cmp = compare_profiles(profiles, names=name)
    text = to_markdown(cmp)
    if markdown is not None:
        write_text(markdown, text)
        console.print(f"markdown: {markdown}")
    if png is not None:
        plot(cmp, png)
        console.print(f"figure: {png}")
    if markdown is None:
        console.print(text, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(profile_app, name="profile")

    @app.command("match")
    @user_errors
    def match_cmd(
        source: Annotated[Path, typer.Option("--source", help="profile of the corpus to augment")],
        target: Annotated[Path, typer.Option("--target", help="profile of the corpus to resemble")],
        out: Annotated[Path, typer.Option("-o", "--out", help="augmentation YAML for `sercorpus augment`")],
        budget_s: Annotated[
            float, typer.Option("--budget-s", help="time budget (sets the evaluation count)")
        ] = 600.0,
        seed: Annotated[int, typer.Option(help="seed: the same seed writes the same YAML")] = 0,
        subsample: Annotated[
            int | None, typer.Option(help="source utterances augmented per candidate")
        ] = None,
        noise_root: Annotated[Path | None, typer.Option(help="ESC-50 root or folder of noise wavs")] = None,
        rir_dir: Annotated[Path | None, typer.Option(help="folder of measured RIRs to choose from")] = None,
    ) -> None:
        """Search augmentation parameters so that the augmented source profiles like the target."""
        from sercorpus.profile.match import match_profiles

        result = match_profiles(
            source,
            target,
            out,
            budget_s=budget_s,
            seed=seed,
            subsample=subsample,
            noise_root=noise_root,
            rir_dir=rir_dir,
            log=console.print,
        )
        for f in result.features:
            b, a = result.before[f], result.after[f]
            console.print(
                f"  {f:22s} scaled distance {'-' if b is None else f'{b:.3f}'} -> "
                f"{'-' if a is None else f'{a:.3f}'}"
            )
        console.print(
            f"[green]objective[/green] {result.objective_before:.3f} -> {result.objective_after:.3f}; "
            f"wrote {out} (+ .match.md/.json/.png)"
        )
        if result.cleaner:
            warn(result.cleaner)
        if result.stopped_early:
            warn(["stopped by the time guard: this machine is slower than the nominal cost model"])
