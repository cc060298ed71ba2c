"""``sercorpus score`` (re-score a saved predictions table, no model needed), ``evaluate`` (a run on test
sets), ``matrix`` (cross-corpus train x test), ``robustness`` (augmented copies of a test set) and ``fuse``
(late fusion of saved predictions): thin wrappers over :mod:`sercorpus.evaluate` and its ``runners``.

The runners need torch; they are imported inside the commands so that ``sercorpus --help`` stays fast."""

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

    register_model_commands(app)


def _say(line: str) -> None:
    console.print(line, highlight=False, markup=False)


def _headline(report: object) -> None:
    for row in report.metrics:  # type: ignore[attr-defined]
        if row.family in ("categorical", "dimensional") and row.value is not None:
            _say(f"{row.name:>18} {row.value:.4f}")


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} expects KEY=VALUE, got {value!r}")
        out[key.strip()] = text
    return out


DeviceOpt = Annotated[str, typer.Option(help="auto (a GPU when there is one), cpu or cuda")]
BatchOpt = Annotated[int, typer.Option("--batch-size", help="utterances per evaluation batch")]


def register_model_commands(app: typer.Typer) -> None:
    @app.command("evaluate")
    @user_errors
    def evaluate_cmd(
        run: Annotated[
            Path, typer.Argument(help="training run folder (its best.pt) or a checkpoint file in one")
        ],
        on: Annotated[
            list[Path], typer.Option("--on", help="test set: a manifest or shard folder (repeatable)")
        ],
        out: Annotated[Path, typer.Option("-o", "--out", help="output folder (predictions.parquet, report)")],
        split: Annotated[
            str | None, typer.Option(help="keep only this split of every test set (e.g. test, test1)")
        ] = None,
        batch_size: BatchOpt = 16,
        device: DeviceOpt = "auto",
        ci: Annotated[bool, typer.Option("--ci", help="bootstrap confidence intervals")] = False,
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="replace an output folder made with other settings")
        ] = False,
    ) -> None:
        """Predict every test set with RUN's selected weights; write per-utterance predictions and the report."""
        from sercorpus.evaluate.runners.evaluate_run import evaluate_run

        result = evaluate_run(
            run, list(on), out, split=split, batch_size=batch_size, device=device,
            settings=ScoreSettings(ci=ci), overwrite=overwrite, log=_say,
        )  # fmt: skip
        warn([*result.report.exclusions, *(f"audio not decoded: {s}" for s in result.skipped)])
        _headline(result.report)
        _say(f"wrote {result.predictions} and {len(result.files) - 1} report files to {out}")

    @app.command("matrix")
    @user_errors
    def matrix_cmd(
        matrix: Annotated[
            Path, typer.Argument(help="matrix file (YAML; see recipes/evaluate/matrix_tiny.yaml)")
        ],
        out: Annotated[
            Path, typer.Option("-o", "--out", help="output folder (runs/, cells/, matrix.md/csv/png)")
        ],
        var: Annotated[
            list[str] | None,
            typer.Option("--var", help="NAME=VALUE for ${NAME} in the matrix file (repeatable)"),
        ] = None,
        set_: Annotated[
            list[str] | None,
            typer.Option("--set", help="recipe override KEY=VALUE applied to every run (repeatable)"),
        ] = None,
        device: DeviceOpt = "auto",
    ) -> None:
        """Train every row of MATRIX (reusing finished runs), evaluate every cell, write the matrix report."""
        from sercorpus.evaluate.runners.matrix import run_matrix

        overrides = list(set_ or []) + ([f"trainer.device={device}"] if device != "auto" else [])
        result = run_matrix(
            matrix, out, variables=_pairs(var, "--var"), overrides=overrides, device=device, log=_say
        )
        done = {
            a: sum(1 for x in result.actions if x["action"] == a)
            for a in ("trained", "reused-run", "evaluated", "reused-cell")
        }
        _say(
            f"runs: {done['trained']} trained, {done['reused-run']} reused; cells: {done['evaluated']} evaluated, "
            f"{done['reused-cell']} reused"
        )
        _say(f"wrote {result.files['matrix.md']}")

    @app.command("robustness")
    @user_errors
    def robustness_cmd(
        run: Annotated[Path, typer.Argument(help="training run folder or checkpoint file")],
        on: Annotated[Path, typer.Option("--on", help="the clean test set: a manifest or shard folder")],
        out: Annotated[Path, typer.Option("-o", "--out", help="output folder")],
        conditions: Annotated[
            Path | None, typer.Option(help="conditions file (default recipes/evaluate/robustness.yaml)")
        ] = None,
        noise_root: Annotated[
            Path | None, typer.Option(help="ESC-50 root for the noise conditions (else they are skipped)")
        ] = None,
        split: Annotated[str | None, typer.Option(help="keep only this split of the test set")] = None,
        seed: Annotated[
            int | None, typer.Option(help="augmentation seed (default: the conditions file's)")
        ] = None,
        batch_size: BatchOpt = 16,
        device: DeviceOpt = "auto",
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="replace an output folder made with other settings")
        ] = False,
    ) -> None:
        """Evaluate RUN on augmented copies of a test set; report the change of each score per condition."""
        from sercorpus.evaluate.runners.robustness_run import DEFAULT_CONDITIONS, run_robustness

        result = run_robustness(
            run, on, out, conditions=conditions or DEFAULT_CONDITIONS, noise_root=noise_root, split=split,
            seed=seed, batch_size=batch_size, device=device, overwrite=overwrite, log=_say,
        )  # fmt: skip
        warn([f"condition {k} skipped: {v}" for k, v in result.skipped.items()])
        for series in result.table.series:
            mean = result.table.mean_delta(series)
            _say(
                f"{series}: mean change {'n/a' if mean is None else f'{mean:+.4f}'} over {len(result.table.conditions)} conditions"
            )
        _say(f"wrote {result.files['robustness.md']}")

    @app.command("fuse")
    @user_errors
    def fuse_cmd(
        audio: Annotated[Path, typer.Argument(help="the audio model's predictions (.parquet)")],
        text: Annotated[Path, typer.Argument(help="the text model's predictions on the same utterances")],
        out: Annotated[Path, typer.Option("-o", "--out", help="output folder")],
        w_audio: Annotated[float, typer.Option(help="fixed weight of the audio probabilities")] = 0.75,
        w_text: Annotated[float, typer.Option(help="fixed weight of the text probabilities")] = 0.6,
        tune_on: Annotated[
            tuple[Path, Path] | None,
            typer.Option(
                help="DEV_AUDIO DEV_TEXT: also tune the weights on these dev predictions (never test)"
            ),
        ] = None,
        objective: Annotated[
            str, typer.Option(help="tuning objective: uar, wa, macro_f1, weighted_f1")
        ] = "uar",
    ) -> None:
        """Late-fuse audio and text class probabilities; report each model, fixed and dev-tuned weights."""
        from sercorpus.evaluate.runners.fusion_run import fuse_predictions

        result = fuse_predictions(
            audio, text, out, w_audio=w_audio, w_text=w_text, tune_on=tune_on, objective=objective
        )
        for variant, (wa, wt) in result.weights.items():
            uar = result.reports[variant].metric("uar").value
            _say(
                f"{variant:>6}: w_audio {wa:.2f} w_text {wt:.2f}  uar {'n/a' if uar is None else f'{uar:.4f}'}"
            )
        _say(f"wrote {result.files['fusion.md']}")


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
