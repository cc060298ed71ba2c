"""``sercorpus manifest validate|show``."""

from pathlib import Path
from typing import Annotated

import typer

from sercorpus.cli.common import console, parse_roots, print_wide, user_errors
from sercorpus.core.manifest import read_manifest
from sercorpus.selection.summary import overview_table


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Inspect and check manifests (.parquet or .jsonl).", no_args_is_help=True)

    @group.command("validate")
    @user_errors
    def validate(file: Annotated[Path, typer.Argument(help="manifest to check")]) -> None:
        """Check schema version, required fields, soft labels, ranges and unique ids; exit 1 on any problem."""
        manifest = read_manifest(file)
        console.print(
            f"[green]ok[/green] {file}: {len(manifest.records)} utterances, "
            f"corpora {', '.join(manifest.corpora()) or '-'}"
        )

    @group.command("show")
    @user_errors
    def show(
        file: Annotated[Path, typer.Argument(help="manifest to summarise")],
        root: Annotated[list[str] | None, typer.Option(help="override a corpus root: CORPUS=DIR")] = None,
    ) -> None:
        """Counts per corpus, split and label, with durations."""
        manifest = read_manifest(file, roots=parse_roots(root))
        print_wide(overview_table(manifest.records, title=str(file)))
        for corpus, path in sorted(manifest.roots.items()):
            console.print(f"root {corpus}: {path}")

    app.add_typer(group, name="manifest")
