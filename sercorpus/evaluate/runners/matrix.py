"""``sercorpus matrix``: train every row of a cross-corpus matrix, evaluate it on every test set, report.

Output folder::

    OUT/runs/ROW/            one training run folder per row (``iemocap``, ``iemocap__then__msp``)
    OUT/cells/ROW/TEST/      ``sercorpus evaluate``'s output for that cell (predictions + report)
    OUT/matrix.md            per metric: absolute scores and the change vs each test set's in-domain baseline
    OUT/matrix_METRIC.csv    long format (train, test, score, baseline, delta)
    OUT/matrix_METRIC.png    the heatmaps (absolute | delta), with mean row and column
    OUT/matrix.json          every cell's scores, the run and cell folders, and what this invocation did

Reuse and resume: a run folder with ``metrics.json`` (the trainer's final file) is not trained again; one
without it is handed to the trainer, which resumes from its last checkpoint. A cell whose folder holds
predictions made by the same checkpoint (sha256) on the same test set is re-scored from its saved
predictions, without a model; a cell made by an older checkpoint is evaluated again. A finished run made
with another recipe is refused, naming the differences (delete it, or use another -o), so stale numbers
never enter the matrix. ``MatrixResult.actions`` (and
``matrix.json``) lists what was trained, evaluated and reused.

The in-domain baseline of test set T is the cell (T, T); a test set that is not also a training set has
no baseline, so its deltas are null with a note.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sercorpus.core.atomic import write_text
from sercorpus.core.runinfo import RUN_FILE, canonical_json, differences
from sercorpus.evaluate.crosscorpus import CrossCorpusMatrix, cross_corpus_matrix, matrix_csv, matrix_markdown
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.plots import matrix_heatmap_png
from sercorpus.evaluate.predictions import read_predictions
from sercorpus.evaluate.runners.evaluate_run import PREDICTIONS, TOOL, evaluate_run, evaluate_settings
from sercorpus.evaluate.runners.finetune_init import export_init
from sercorpus.evaluate.runners.matrix_spec import MatrixSpec, Row, load_matrix_spec
from sercorpus.evaluate.runners.runfolder import file_sha256, resolve_checkpoint
from sercorpus.evaluate.scoring import ScoreReport, ScoreSettings, score_predictions
from sercorpus.train.recipe import Recipe, SourceSpec, apply_override, recipe_from_dict
from sercorpus.train.sources import LoaderFactory

Log = Callable[[str], None]


@dataclass
class MatrixResult:
    out: Path
    spec: MatrixSpec
    matrices: dict[str, CrossCorpusMatrix]
    files: dict[str, Path]
    actions: list[dict[str, str]] = field(default_factory=list)
    reports: dict[tuple[str, str], ScoreReport] = field(default_factory=dict)

    def trained(self) -> list[str]:
        return [a["row"] for a in self.actions if a["action"] == "trained"]


def metric_value(report: ScoreReport, metric: str) -> float | None:
    try:
        return report.metric(metric).value
    except KeyError:
        have = ", ".join(r.name for r in report.metrics)
        raise EvaluationError(f"metric {metric!r} is not in the report (have: {have})") from None


def file_stem(metric: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", metric).strip("_") or "metric"


# ------------------------------------------------------------------------------------------- training
def _source_dict(src: SourceSpec) -> dict[str, Any]:
    out = asdict(src)
    if out.get("make_split") is None:
        out.pop("make_split", None)
    return out


def row_recipe(spec: MatrixSpec, row: Row, init: list[str], init_sha: str | None) -> Recipe:
    """The base recipe with the row's data (train/dev of its last data set) and the matrix overrides."""
    try:
        raw = yaml.safe_load(spec.recipe.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{spec.path}: recipe: {spec.recipe}: not found") from None
    except yaml.YAMLError as exc:
        raise EvaluationError(f"{spec.recipe}: invalid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise EvaluationError(f"{spec.recipe}: a recipe must be a YAML mapping")
    raw = copy.deepcopy(raw)
    ds = spec.datasets[row.chain[-1]]
    data = dict(raw.get("data") or {})
    data["train"] = [_source_dict(ds.source("train"))]
    data["dev"] = [_source_dict(ds.source("dev"))]
    data["test"] = {}  # every test set is evaluated by the matrix, with the full predictions table
    raw["data"] = data
    raw["name"] = f"{spec.name}-{row.folder}"
    if init_sha is not None:
        raw["description"] = (
            f"{raw.get('description') or ''} [matrix {spec.name}: fine-tuned from {row.chain[0]}, "
            f"best.pt sha256 {init_sha}]"
        ).strip()
    for item in [*spec.overrides_for(row), *init]:
        apply_override(raw, item)
    return recipe_from_dict(raw)


def _check_same_recipe(run_dir: Path, recipe: Recipe) -> None:
    run_file = run_dir / RUN_FILE
    try:
        old = json.loads(run_file.read_text(encoding="utf-8")).get("settings") or {}
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"{run_file}: unreadable ({exc}); remove the run folder to retrain") from None
    new = json.loads(canonical_json(recipe.to_dict()))
    if old != new:
        diff = "; ".join(differences(old, new)[:6])
        raise EvaluationError(
            f"{run_dir}: finished with another recipe ({diff}); delete the folder to retrain, or use another -o"
        )


def ensure_run(
    spec: MatrixSpec,
    row: Row,
    out: Path,
    loaders: LoaderFactory | None,
    log: Log,
    actions: list[dict[str, str]],
) -> Path:
    """The row's finished run folder: reused if it has final metrics, else trained (or resumed)."""
    from sercorpus.train.run import train

    run_dir = out / "runs" / row.folder
    init: list[str] = []
    init_sha = None
    if len(row.chain) > 1:
        base = row_recipe(spec, Row(row.chain[:1]), [], None)
        init, init_sha = export_init(out / "runs" / Row(row.chain[:1]).folder, base)
    recipe = row_recipe(spec, row, init, init_sha)
    if (run_dir / "metrics.json").is_file():
        _check_same_recipe(run_dir, recipe)
        log(f"matrix: {row.name}: finished run reused ({run_dir})")
        actions.append({"action": "reused-run", "row": row.name, "folder": str(run_dir)})
        return run_dir
    resumed = (run_dir / "checkpoints").is_dir()
    log(f"matrix: {row.name}: {'resuming' if resumed else 'training'} in {run_dir}")
    train(recipe, run_dir, log=log, loaders=loaders)
    actions.append({"action": "trained", "row": row.name, "folder": str(run_dir)})
    return run_dir


# ----------------------------------------------------------------------------------------- evaluation
def _cell_reusable(cell: Path, settings: dict[str, Any]) -> bool:
    run_file = cell / RUN_FILE
    if not (cell / PREDICTIONS).is_file() or not (cell / "metrics.json").is_file() or not run_file.is_file():
        return False
    try:
        old = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(old.get("tool") == TOOL and old.get("settings") == json.loads(canonical_json(settings)))


def evaluate_cell(
    run_dir: Path,
    row: str,
    test: str,
    source: SourceSpec,
    cell: Path,
    batch_size: int,
    score: ScoreSettings,
    device: str,
    log: Log,
    actions: list[dict[str, str]],
) -> ScoreReport:
    """The cell's report: re-scored from saved predictions when the same checkpoint made them on the same
    test set, else evaluated (again)."""
    _, checkpoint = resolve_checkpoint(run_dir)
    settings = evaluate_settings(file_sha256(checkpoint), {test: source}, batch_size, score)
    if _cell_reusable(cell, settings):
        actions.append({"action": "reused-cell", "row": row, "test": test, "folder": str(cell)})
        log(f"matrix: {row} on {test}: reused saved predictions ({cell})")
        return score_predictions(read_predictions(cell / PREDICTIONS), score)
    # a cell is derived data: one made by an older checkpoint of the run is recomputed in place
    result = evaluate_run(
        run_dir, [source], cell, names=[test], batch_size=batch_size, device=device, settings=score,
        overwrite=True, log=log,
    )  # fmt: skip
    actions.append({"action": "evaluated", "row": row, "test": test, "folder": str(cell)})
    return result.report


# -------------------------------------------------------------------------------------------- reports
def _heatmap(m: CrossCorpusMatrix, path: Path, title: str) -> Path:
    """The heatmap PNG, drawn again only when its data or title changed (drawing is the slow part of a
    rerun that reuses every cell); the key of the drawn data sits beside it."""
    key_file = path.with_name(f".{path.name}.key")
    key = hashlib.sha256(f"{title}\n{matrix_csv(m)}\n{m.notes}".encode()).hexdigest()
    if path.is_file() and key_file.is_file() and key_file.read_text(encoding="utf-8").strip() == key:
        return path
    matrix_heatmap_png(m, path, title=title)
    write_text(key_file, key + "\n")
    return path


def write_matrix_reports(
    title: str,
    cells: Mapping[tuple[str, str], ScoreReport],
    rows: Sequence[str],
    tests: Sequence[str],
    metrics: Sequence[str],
    out: Path,
    baselines: Mapping[str, str] | None = None,
) -> tuple[dict[str, CrossCorpusMatrix], dict[str, Path]]:
    """matrix.md, matrix_METRIC.csv and matrix_METRIC.png for each metric. ``baselines`` maps a test set
    to the row that is its in-domain baseline (default: the row of the same name)."""
    matrices: dict[str, CrossCorpusMatrix] = {}
    files: dict[str, Path] = {}
    parts = [
        f"# {title}\n",
        "Rows: training set (`a>b`: pretrained on a, fine-tuned on b); columns: test set.\n",
    ]
    for metric in metrics:
        values = {key: metric_value(report, metric) for key, report in cells.items()}
        base = {te: values.get((tr, te)) for te, tr in (baselines or {}).items()}
        m = cross_corpus_matrix(
            values, metric=metric, baselines=base or None, train_order=list(rows), test_order=list(tests)
        )
        matrices[metric] = m
        stem = file_stem(metric)
        files[f"matrix_{stem}.csv"] = write_text(out / f"matrix_{stem}.csv", matrix_csv(m))
        png = _heatmap(m, out / f"matrix_{stem}.png", f"{title}: {metric}")
        files[f"matrix_{stem}.png"] = png
        parts.append(f"## {metric}\n\n{matrix_markdown(m)}\n![{metric} matrix]({png.name})\n")
    files["matrix.md"] = write_text(out / "matrix.md", "\n".join(parts))
    return matrices, files


def run_matrix(
    matrix: str | Path | MatrixSpec,
    out: str | Path,
    *,
    variables: dict[str, str] | None = None,
    overrides: list[str] | None = None,
    loaders: LoaderFactory | None = None,
    device: str = "auto",
    score: ScoreSettings | None = None,
    log: Log = lambda line: None,
) -> MatrixResult:
    """Train (or reuse) every row, evaluate (or reuse) every cell, and write the matrix reports."""
    spec = matrix if isinstance(matrix, MatrixSpec) else load_matrix_spec(matrix, variables, overrides)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    score = score or ScoreSettings()
    actions: list[dict[str, str]] = []
    for row in spec.rows:  # checked before anything trains: a bad recipe fails before the first run
        row_recipe(spec, row, [], "check" if len(row.chain) > 1 else None)
    run_dirs = {row.name: ensure_run(spec, row, out, loaders, log, actions) for row in spec.rows}
    reports: dict[tuple[str, str], ScoreReport] = {}
    for row in spec.rows:
        for test in spec.tests:
            source = spec.datasets[test].source("test")
            cell = out / "cells" / row.folder / test
            reports[(row.name, test)] = evaluate_cell(
                run_dirs[row.name], row.name, test, source, cell, spec.batch_size, score, device, log, actions
            )
    names = [r.name for r in spec.rows]
    matrices, files = write_matrix_reports(
        f"Cross-corpus matrix {spec.name}", reports, names, spec.tests, spec.metrics, out
    )
    summary = {
        "matrix": spec.name,
        "file": str(spec.path),
        "metrics": list(spec.metrics),
        "runs": {name: str(path) for name, path in run_dirs.items()},
        "cells": [
            {
                "train": tr,
                "test": te,
                "folder": str(out / "cells" / Row(tuple(tr.split(">"))).folder / te),
                **{m: metric_value(rep, m) for m in spec.metrics},
            }
            for (tr, te), rep in reports.items()
        ],
        "actions": actions,
    }
    files["matrix.json"] = write_text(
        out / "matrix.json", json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n"
    )
    return MatrixResult(out, spec, matrices, files, actions, reports)
