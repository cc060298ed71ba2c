"""``sercorpus subset``, ``sercorpus split`` and ``sercorpus check-leakage``: thin wrappers over
:mod:`sercorpus.subsets` and :mod:`sercorpus.splits`."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

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
from sercorpus.core.manifest import FORMATS, read_manifest, write_manifest
from sercorpus.selection.filters import FilterSpec, filter_records
from sercorpus.selection.splits import STRATEGIES, check_leakage, guard_leakage, make_splits, split_counts
from sercorpus.selection.stats import split_order
from sercorpus.selection.steps import split_key, with_step
from sercorpus.selection.subsets import Targets, subset
from sercorpus.selection.views import OutOfView, get_view, project_utterance


# ---------------------------------------------------------------------------------------------- parsing
def parse_pairs(values: list[str] | None, what: str, sep: str = "=") -> dict[str, str]:
    """``a=b`` items, repeatable and/or comma-separated (``--split-map train=train,test=test1``)."""
    pairs: dict[str, str] = {}
    for value in values or []:
        for item in filter(None, (v.strip() for v in value.split(","))):
            key, found, val = item.partition(sep)
            if not found or not key.strip():
                raise ValueError(f"{what} expects KEY{sep}VALUE items, got {item!r}")
            if key.strip() in pairs:
                raise ValueError(f"{what}: {key.strip()!r} given twice")
            pairs[key.strip()] = val.strip()
    return pairs


def parse_fractions(values: list[str] | None, what: str) -> dict[str, float]:
    out = {}
    for key, raw in parse_pairs(values, what).items():
        try:
            out[key] = float(raw)
        except ValueError:
            raise ValueError(f"{what}: {key}={raw!r} is not a number") from None
    return out


def targets_table(
    targets: Targets,
    selected: Targets,
    classes: tuple[str, ...] | list[str],
    title: str,
    target_name: str = "target",
) -> Table:
    """Per split: target and selected count per class, side by side, with a check mark when equal."""
    table = Table(title=title, title_justify="left")
    table.add_column("split")
    for col in ("class", target_name, "selected", ""):
        table.add_column(col, justify="left" if col == "class" else "right")
    for split in sorted(targets, key=lambda s: split_order(split_key(s))):
        for cls in classes:
            want, got = targets[split].get(cls, 0), selected.get(split, {}).get(cls, 0)
            if want or got:
                table.add_row(
                    split_key(split), cls, str(want), str(got), "ok" if want == got else "[red]short"
                )
    return table


# Options shared by `subset` and `filter` (typer needs them spelled out per command).


# ---------------------------------------------------------------------------------------------- commands
def register(app: typer.Typer) -> None:
    @app.command("subset")
    @user_errors
    def subset_cmd(
        manifest: Annotated[Path, typer.Argument(help="input manifest (IN)")],
        out: Annotated[Path, typer.Option("-o", "--out", help="output manifest (.parquet or .jsonl)")],
        view: Annotated[
            str, typer.Option(help="label view the classes are counted in: full, 4class, msp8")
        ] = "4class",
        match: Annotated[
            Path | None,
            typer.Option(help="reference manifest: match its per-class counts split by split (MSP*-style)"),
        ] = None,
        split_map: Annotated[
            list[str] | None,
            typer.Option(
                help="REF split -> IN split, e.g. test=test1 (repeatable or comma-separated; dev= drops REF's dev)"
            ),
        ] = None,
        size: Annotated[
            int | None, typer.Option(help="total size; alone: stratified, keeps IN's distribution")
        ] = None,
        balanced: Annotated[
            bool, typer.Option(help="equal count per class (largest possible, or --size)")
        ] = False,
        distribution: Annotated[
            list[str] | None,
            typer.Option(
                help="class proportions, e.g. neutral=0.4,happy=0.2,sad=0.2,angry=0.2 (largest possible, or --size)"
            ),
        ] = None,
        max_per_speaker: Annotated[
            int | None, typer.Option(help="at most K utterances per speaker and split")
        ] = None,
        seed: Annotated[int, typer.Option(help="seed: the same seed selects the same ids")] = 0,
        allow_short: Annotated[
            bool, typer.Option(help="take what there is when a class cannot be filled")
        ] = False,
        project: Annotated[
            bool, typer.Option(help="write labels/votes/soft labels projected into the view")
        ] = False,
        corpus: CorpusOpt = None,
        split: SplitOpt = None,
        min_agreement: MinAgreeOpt = None,
        min_duration: MinDurOpt = None,
        max_duration: MaxDurOpt = None,
    ) -> None:
        """A subset of IN with exact per-class counts: --match REF, --size N, --balanced or --distribution.

        Selection never moves an utterance across splits, so speaker-independent splits stay so.
        """
        source = read_manifest(manifest)
        spec = FilterSpec(
            corpora=tuple(corpus or ()),
            splits=tuple(split or ()),
            min_agreement=min_agreement,
            min_duration=min_duration,
            max_duration=max_duration,
        )
        filtered = filter_records(source.records, spec)
        reference = read_manifest(match).records if match is not None else None
        result = subset(
            filtered.records,
            view,
            reference=reference,
            split_map=parse_pairs(split_map, "--split-map"),
            size=size,
            balanced=balanced,
            distribution=parse_fractions(distribution, "--distribution") if distribution else None,
            max_per_speaker=max_per_speaker,
            seed=seed,
            allow_short=allow_short,
        )
        warn([sh.describe(max_per_speaker) for sh in result.shortfalls])
        records = result.records
        if project:
            records = [project_utterance(u, view, OutOfView.RENORMALIZE) for u in records]  # type: ignore[misc]
        meta = source.meta
        if not spec.is_identity():
            meta = with_step(meta, spec.recipe(str(manifest), filtered.dropped))
        recipe = {
            **result.recipe,
            "source": str(manifest),
            "reference": str(match) if match else None,
            "projected": project,
        }
        write_manifest(out, records, source.roots, with_step(meta, recipe))
        title = f"{recipe['mode']} subset, view {view}, seed {seed}"
        print_wide(
            targets_table(
                result.targets,
                result.selected,
                get_view(view).classes,
                title,
                "reference" if match else "target",
            )
        )
        console.print(f"wrote {len(records)} utterances to {out}")

    @app.command("split")
    @user_errors
    def split_cmd(
        manifest: Annotated[Path, typer.Argument(help="input manifest (IN)")],
        out: Annotated[
            Path, typer.Option("-o", "--out", help="output manifest, or a folder for all folds of logo/loso")
        ],
        strategy: Annotated[str, typer.Option(help=f"one of {', '.join(STRATEGIES)}")] = "official",
        fold: Annotated[
            str | None,
            typer.Option(
                help="logo/loso: the left-out (test) fold, as 1-based index or group name (e.g. 5 or Session5)"
            ),
        ] = None,
        dev_fold: Annotated[
            str | None, typer.Option(help="logo/loso: a second left-out group used as dev")
        ] = None,
        fractions: Annotated[
            list[str] | None,
            typer.Option(help="speaker-random/random: e.g. train=0.8,dev=0.1,test=0.1 (must sum to 1)"),
        ] = None,
        seed: Annotated[int, typer.Option(help="seed for speaker-random/random")] = 0,
        view: Annotated[
            str | None, typer.Option(help="label view used to stratify (default: raw labels)")
        ] = None,
        allow_leak: Annotated[
            bool,
            typer.Option(
                help="speakers shared between splits: warn instead of fail (needed for --strategy random)"
            ),
        ] = False,
        fmt: Annotated[str, typer.Option("--format", help="file format when OUT is a folder")] = "parquet",
    ) -> None:
        """Assign train/dev/test with a strategy; every split written is checked for speaker leakage."""
        source = read_manifest(manifest)
        results = make_splits(
            source.records,
            strategy,
            fold=fold,
            dev_fold=dev_fold,
            fractions=parse_fractions(fractions, "--fractions") or None,
            seed=seed,
            view=view,
        )
        is_file = out.suffix.lower() in FORMATS
        if is_file and len(results) > 1:
            raise ValueError(
                f"--strategy {strategy} gives {len(results)} folds: pass --fold K for one file, or a "
                f"folder as -o to write them all"
            )
        if not is_file and f".{fmt}" not in FORMATS:
            raise ValueError(f"--format must be one of {[f.lstrip('.') for f in FORMATS]}, got {fmt!r}")
        for result in results:  # check every fold before writing any
            result.warnings += guard_leakage(result.records, allow_leak, source=result.name)
        for result in results:
            path = out if is_file else out / f"{result.name}.{fmt}"
            warn(result.warnings)
            write_manifest(
                path,
                result.records,
                source.roots,
                with_step(source.meta, {**result.recipe, "source": str(manifest)}),
            )
            held = result.recipe.get("test_group")
            counts = ", ".join(f"{k} {v}" for k, v in split_counts(result.records).items())
            console.print(f"{path}: {counts}" + (f" (test = {held})" if held else ""), highlight=False)

    @app.command("check-leakage")
    @user_errors
    def check_leakage_cmd(
        manifests: Annotated[list[Path], typer.Argument(help="manifest(s) to check, each on its own")],
        combined: Annotated[bool, typer.Option(help="check the records of all files together")] = False,
    ) -> None:
        """Speakers shared between splits (train/dev/test...); exit 1 when any speaker leaks."""
        groups = (
            [("+".join(str(m) for m in manifests), [u for m in manifests for u in read_manifest(m).records])]
            if combined
            else [(str(m), read_manifest(m).records) for m in manifests]
        )
        leaks = 0
        for name, records in groups:
            report = check_leakage(records)
            colour = "green" if report.ok else "red"
            console.print(
                f"[{colour}]{'ok' if report.ok else 'LEAK'}[/{colour}] {name}: {report.describe()}",
                highlight=False,
            )
            leaks += not report.ok
        if leaks:
            raise typer.Exit(1)
