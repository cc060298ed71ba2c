"""``sercorpus score``: re-score a saved predictions table (no model needed); a thin wrapper over
:mod:`sercorpus.evaluate`."""

from pathlib import Path
from typing import Annotated

import typer

from sercorpus.cli.common import console, user_errors, warn
from sercorpus.evaluate import ScoreSettings, read_predictions, score_predictions, write_report


def register(app: typer.Typer) -> None:
    @app.command("score")
    @user_errors
    def score_cmd(
        predictions: Annotated[
            Path, typer.Argument(help="predictions table (.parquet) written by `sercorpus evaluate`")
        ],
        out: Annotated[
            Path, typer.Option("-o", "--out", help="output folder for report.md, metrics.csv/json, PNGs")
        ],
        ci: Annotated[
            bool, typer.Option("--ci", help="bootstrap confidence intervals (plain and by speaker)")
        ] = False,
        seed: Annotated[int, typer.Option(help="seed of the bootstrap")] = 0,
        min_utterances: Annotated[
            int,
            typer.Option(
                help="speakers with fewer utterances are excluded (and listed) from per-speaker UAR / paUAR"
            ),
        ] = 2,
        min_classes: Annotated[
            int, typer.Option(help="speakers with fewer distinct true classes are excluded (and listed)")
        ] = 1,
        threshold: Annotated[
            list[float] | None,
            typer.Option(help="paUAR threshold as a fraction (repeatable; default 0.5 and 0.75)"),
        ] = None,
        inclusive: Annotated[
            bool, typer.Option("--inclusive", help="paUAR counts UAR >= threshold (default: strictly >)")
        ] = False,
        k: Annotated[
            list[int] | None, typer.Option("-k", help="k of the k-best metrics (repeatable; default 1 2 3)")
        ] = None,
        n_samples: Annotated[
            int,
            typer.Option(help="utterances drawn per plain bootstrap resample (0: as many as the set has)"),
        ] = 200,
        n_repeats: Annotated[int, typer.Option(help="bootstrap resamples")] = 1000,
    ) -> None:
        """Compute every applicable metric of PREDICTIONS and write the report into OUT."""
        settings = ScoreSettings(
            ci=ci,
            seed=seed,
            n_samples=n_samples or None,
            n_repeats=n_repeats,
            min_utterances=min_utterances,
            min_classes=min_classes,
            thresholds=tuple(threshold) if threshold else ScoreSettings.thresholds,
            strict=not inclusive,
            ks=tuple(k) if k else ScoreSettings.ks,
        )
        report = score_predictions(read_predictions(predictions), settings)
        written = write_report(report, out, title=f"Evaluation report: {predictions.name}")
        warn(list(report.exclusions))
        for row in report.metrics:
            if row.family in ("categorical", "dimensional") and row.value is not None:
                console.print(f"{row.name:>18} {row.value:.4f}", highlight=False, markup=False)
        console.print(f"wrote {len(written)} files to {out}", highlight=False, markup=False)


app = typer.Typer(
    help="Score saved predictions (stand-alone part of the evaluation commands).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _group() -> None:
    """Evaluation commands."""


register(app)
