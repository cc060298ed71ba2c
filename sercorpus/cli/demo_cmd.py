"""``sercorpus demo``."""

from pathlib import Path
from typing import Annotated

import typer

from sercorpus.cli.common import console, user_errors
from sercorpus.demo.run import run_demo


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @user_errors
    def demo(
        out: Annotated[Path, typer.Option("-o", "--out", help="output folder")] = Path("sercorpus-demo"),
        seed: Annotated[int, typer.Option(help="seed for every random choice")] = 0,
    ) -> None:
        """Run the whole pipeline end to end on embedded miniature corpora (a few minutes on 2 cores)."""
        summary = run_demo(out, seed=seed, log=lambda line: console.print(line, highlight=False))
        console.print(f"[green]demo finished[/green]: {summary}")
