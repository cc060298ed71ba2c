"""``sercorpus train`` and ``sercorpus saliency``: recipe YAML in, run folder out (thin: the library does it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sercorpus.cli.common import console, err_console, user_errors

app = typer.Typer(help="Train SER models from recipes (recipes/train).", add_completion=False)

SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="override a recipe key, KEY=VALUE (YAML value; repeatable), e.g. optim.lr=0.001"
    ),
]


def _log(line: str) -> None:
    err_console.print(line, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("train")
    @user_errors
    def train(
        recipe: Annotated[Path, typer.Argument(help="recipe YAML (see recipes/train and docs/training.md)")],
        out: Annotated[
            Path, typer.Option("-o", "--out", help="run folder; rerunning the same recipe resumes")
        ],
        set_: SetOpt = None,
        overwrite: Annotated[
            bool, typer.Option(help="empty a run folder made with another recipe instead of refusing")
        ] = False,
    ) -> None:
        """Train a recipe on one CPU, one GPU or many (launch with `torchrun --no-python sercorpus train ...`)."""
        from sercorpus.train.errors import NonFiniteLossError
        from sercorpus.train.run import train as run_train

        try:
            metrics = run_train(recipe, out, overrides=set_, log=_log, overwrite=overwrite)
        except NonFiniteLossError as exc:
            err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        best = metrics["best"]
        value = "n/a" if best["value"] is None else f"{best['value']:.4f}"
        console.print(
            f"[green]trained[/green] {metrics['recipe']}: best dev {metrics['monitor']} {value} at step "
            f"{best['step']} ({metrics['stopped']}, {metrics['steps']} steps); {out}/metrics.json"
        )
        for split, values in metrics["splits"].items():
            shown = ", ".join(f"{k} {v:.4f}" for k, v in values.items() if isinstance(v, float))
            console.print(f"  {split}: n {values.get('n')}, {shown}", highlight=False)

    @app.command("saliency")
    @user_errors
    def saliency(
        recipe: Annotated[
            Path, typer.Argument(help="a tcgru recipe YAML (its frozen encoder's layers are scored)")
        ],
        out: Annotated[
            Path, typer.Option("-o", "--out", help="folder for saliency.json, saliency.png, embeddings")
        ],
        set_: SetOpt = None,
    ) -> None:
        """Score every encoder layer by cross-correlation saliency on sampled training utterances."""
        from sercorpus.train.run import saliency_report

        result = saliency_report(recipe, out, overrides=set_, log=_log)
        console.print(
            f"cross-correlation saliency on {result.samples} sampled training utterances "
            f"({result.reduction}); targets: {', '.join(result.targets)}",
            highlight=False,
        )
        groups = list(result.by_group)
        console.print("layer  score   " + "  ".join(f"{g:>10}" for g in groups), highlight=False)
        for k, score in enumerate(result.scores):
            mark = "  <- chosen" if k == result.chosen else ""
            cells = "  ".join(f"{result.by_group[g][k]:10.4f}" for g in groups)
            console.print(f"{k:5d}  {score:.4f}  {cells}{mark}", highlight=False)
        console.print(f"plot: {out / 'saliency.png'}")


register(app)
