"""``sercorpus evaluate`` as a library call: a run (or checkpoint) on one or more test sets -> the predictions
table and the metrics report, written with the package's own writers.

Output folder::

    OUT/RUN.json              what made the folder (checkpoint digest, test sets, settings); reruns with
                              other settings are refused, naming each difference
    OUT/predictions.parquet   every test set's rows (re-score with ``sercorpus score``, no model needed)
    OUT/report.md, metrics.csv/json, per_class.csv, confusion.csv/png, per_speaker.csv, per_speaker_uar.png
    OUT/sets/NAME/...         the same per test set, when there is more than one
    OUT/data/NAME.parquet     the narrowed manifest of each manifest test set (what was evaluated)
    OUT/evaluation.json       run, checkpoint, test sets, audio that failed to decode
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sercorpus.core.atomic import write_text
from sercorpus.core.runinfo import claim_output_dir
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.predictions import Predictions, make_predictions, write_predictions
from sercorpus.evaluate.report import write_report
from sercorpus.evaluate.runners.evalsource import EvalSet, as_source_spec, open_eval_set
from sercorpus.evaluate.runners.inference import check_servable, predict_set
from sercorpus.evaluate.runners.runfolder import LoadedRun, load_run
from sercorpus.evaluate.scoring import ScoreReport, ScoreSettings, score_predictions
from sercorpus.train.recipe import SourceSpec

TOOL = "sercorpus.evaluate"
PREDICTIONS = "predictions.parquet"


@dataclass
class SetResult:
    name: str
    predictions: Predictions
    report: ScoreReport
    files: dict[str, Path]
    skipped: list[str]


@dataclass
class EvaluationResult:
    out: Path
    predictions: Path
    report: ScoreReport
    files: dict[str, Path]
    sets: dict[str, SetResult] = field(default_factory=dict)

    @property
    def skipped(self) -> list[str]:
        return [s for r in self.sets.values() for s in r.skipped]


def set_name(spec: SourceSpec) -> str:
    """A folder-safe default name: the file (or folder) stem, plus the split when one is chosen."""
    stem = Path(spec.path).name
    for suffix in (".parquet", ".jsonl"):
        stem = stem.removesuffix(suffix)
    name = stem if spec.split is None else f"{stem}-{spec.split}"
    return safe_name(name)


def safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned or "set"


def _names(specs: Sequence[SourceSpec], names: Sequence[str] | None) -> list[str]:
    if names is not None:
        if len(names) != len(specs):
            raise EvaluationError(f"{len(names)} names for {len(specs)} test sets")
        out = [safe_name(n) for n in names]
    else:
        out = [set_name(s) for s in specs]
    seen: dict[str, int] = {}
    unique = []
    for n in out:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n}-{seen[n]}")
    return unique


def combine(parts: Sequence[Predictions], names: Sequence[str]) -> Predictions:
    """One table from several test sets' tables (same model, so the same classes and dimensions)."""
    if len(parts) == 1:
        return parts[0]
    owner: dict[str, str] = {}
    for name, p in zip(names, parts, strict=True):
        for i in p.ids:
            if i in owner:
                raise EvaluationError(
                    f"utterance {i!r} is in test sets {owner[i]!r} and {name!r}; give each once"
                )
            owner[i] = name
    first = parts[0]

    def col(attr: str) -> list[Any]:
        return [v for p in parts for v in getattr(p, attr)]

    kwargs: dict[str, Any] = {}
    if first.probabilities is not None:
        kwargs["probabilities"] = [row for p in parts for row in p.probabilities]  # type: ignore[union-attr]
        kwargs["classes"] = first.classes
        kwargs["top_k"] = first.top_k
        if any(p.soft_label is not None for p in parts):
            soft: list[Any] = []
            for p in parts:
                rows = p.soft_label if p.soft_label is not None else np.full((len(p), 1), np.nan)
                soft += [None if np.isnan(row).all() else row for row in rows]
            kwargs["soft_label"] = soft
    if first.dimensions:
        kwargs["dimensions"] = {
            d: (
                [None if v != v else float(v) for p in parts for v in p.dimensions[d].truth],
                [None if v != v else float(v) for p in parts for v in p.dimensions[d].prediction],
            )
            for d in first.dimensions
        }
    return make_predictions(
        col("ids"),
        col("corpus"),
        label=col("label"),
        speaker=col("speaker"),
        gender=col("gender"),
        split=col("split"),
        label_view=first.label_view,
        **kwargs,
    )


def evaluate_sets(
    run: LoadedRun,
    sets: Sequence[EvalSet],
    out: Path,
    batch_size: int,
    settings: ScoreSettings,
    log: Callable[[str], None],
) -> EvaluationResult:
    results: dict[str, SetResult] = {}
    for evalset in sets:
        log(f"evaluate: {run.name} on {evalset.name} ({len(evalset.records)} records)")
        preds = predict_set(run, evalset, batch_size)
        results[evalset.name] = SetResult(
            evalset.name, preds, score_predictions(preds, settings), {}, list(evalset.skipped)
        )
    names = list(results)
    combined = combine([r.predictions for r in results.values()], names)
    report = results[names[0]].report if len(names) == 1 else score_predictions(combined, settings)
    pred_path = write_predictions(out / PREDICTIONS, combined)
    title = f"Evaluation report: {run.name} on {', '.join(names)}"
    files = {PREDICTIONS: pred_path, **write_report(report, out, title=title)}
    if len(names) > 1:
        for name, r in results.items():
            folder = out / "sets" / name
            r.files = {PREDICTIONS: write_predictions(folder / PREDICTIONS, r.predictions)}
            r.files.update(write_report(r.report, folder, title=f"Evaluation report: {run.name} on {name}"))
    else:
        results[names[0]].files = files
    info = {
        "run": str(run.run_dir.resolve()),
        "checkpoint": str(run.checkpoint.resolve()),
        "checkpoint_sha256": run.checkpoint_sha256,
        "recipe": run.name,
        "view": run.view,
        "classes": list(run.classes),
        "dims": list(run.dims),
        "sets": [s.describe() for s in sets],
        "skipped_audio": {name: r.skipped for name, r in results.items()},
        "score_settings": settings.to_dict(),
    }
    files["evaluation.json"] = write_text(
        out / "evaluation.json", json.dumps(info, indent=2, sort_keys=True) + "\n"
    )
    return EvaluationResult(out, pred_path, report, files, results)


def evaluate_settings(
    checkpoint_sha256: str, test_sets: dict[str, SourceSpec], batch_size: int, settings: ScoreSettings
) -> dict[str, Any]:
    """What an evaluation folder's ``RUN.json`` records: same settings resume, others are refused."""
    return {
        "checkpoint_sha256": checkpoint_sha256,
        "test_sets": {n: asdict(s) for n, s in test_sets.items()},
        "batch_size": batch_size,
        "score_settings": settings.to_dict(),
    }


def evaluate_run(
    run_or_checkpoint: str | Path | LoadedRun,
    test_sets: Sequence[SourceSpec | str | Path],
    out: str | Path,
    *,
    split: str | None = None,
    names: Sequence[str] | None = None,
    batch_size: int = 16,
    device: str = "auto",
    settings: ScoreSettings | None = None,
    overwrite: bool = False,
    log: Callable[[str], None] = lambda line: None,
) -> EvaluationResult:
    """Predict every test set with the run's selected weights and write predictions + report into ``out``.

    ``split`` narrows test sets given as plain paths (a :class:`SourceSpec` carries its own).
    """
    if not test_sets:
        raise EvaluationError("no test set given (--on MANIFEST_OR_SHARDS)")
    if batch_size < 1:
        raise EvaluationError(f"--batch-size must be >= 1, got {batch_size}")
    run = (
        run_or_checkpoint if isinstance(run_or_checkpoint, LoadedRun) else load_run(run_or_checkpoint, device)
    )
    specs = [as_source_spec(s, split) for s in test_sets]
    set_names = _names(specs, names)
    settings = settings or ScoreSettings()
    out = Path(out)
    claim_output_dir(
        out,
        TOOL,
        evaluate_settings(
            run.checkpoint_sha256, dict(zip(set_names, specs, strict=True)), batch_size, settings
        ),
        overwrite=overwrite,
    )
    sets = [
        open_eval_set(s, name=n, view=run.view, sample_rate=run.sample_rate, workdir=out / "data")
        for s, n in zip(specs, set_names, strict=True)
    ]
    for evalset in sets:  # every test set is checked before the first prediction
        check_servable(run, evalset)
    return evaluate_sets(run, sets, out, batch_size, settings, log)
