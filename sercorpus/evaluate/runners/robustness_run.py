"""``sercorpus robustness``: a run on augmented copies of one test set, and the change of each score per
condition against the clean set (Wagner et al.'s robustness table).

Each condition is an augmentation config of the engine (``sercorpus.augment.load_config``), applied in
memory to every batch before the model sees it, with the conditions file's fixed seed: an utterance's
noise clip, offset, SNR draw and segment depend only on (seed, id), never on the batch, so a rerun gives
the same numbers. Conditions whose resources are missing (ESC-50 noise without ``--noise-root``) are kept
as rows with a null score and the reason, never dropped.

Output folder::

    OUT/RUN.json                  checkpoint digest, test set, conditions (their resolved specs), seed
    OUT/clean/, OUT/conditions/NAME/   predictions.parquet + the full report of each copy
    OUT/robustness.md / .csv / .png    conditions x series of deltas, the mean, the clean scores
    OUT/robustness.json           scores, deltas, skipped conditions with reasons
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from sercorpus.core.atomic import write_text
from sercorpus.core.runinfo import claim_output_dir
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.plots import robustness_png
from sercorpus.evaluate.predictions import write_predictions
from sercorpus.evaluate.report import write_report
from sercorpus.evaluate.robustness import (
    RobustnessTable,
    robustness_csv,
    robustness_markdown,
    robustness_table,
)
from sercorpus.evaluate.runners.evalsource import EvalSet, as_source_spec, open_eval_set
from sercorpus.evaluate.runners.evaluate_run import PREDICTIONS, safe_name, set_name
from sercorpus.evaluate.runners.inference import AudioTransform, predict_set
from sercorpus.evaluate.runners.matrix import metric_value
from sercorpus.evaluate.runners.runfolder import LoadedRun, load_run
from sercorpus.evaluate.scoring import ScoreReport, ScoreSettings, score_predictions
from sercorpus.train.recipe import SourceSpec

TOOL = "sercorpus.robustness"
CLEAN = "clean"
DEFAULT_CONDITIONS = Path(__file__).resolve().parents[3] / "recipes" / "evaluate" / "robustness.yaml"
_RESOURCES = ("noise_root", "rir_root")


@dataclass(frozen=True)
class Condition:
    name: str
    spec: Mapping[str, Any]  # an augmentation config (sample_rate, rate, chain / one_of), paths resolved
    needs: tuple[str, ...] = ()
    source: str = ""  # the config file, or "inline"


@dataclass(frozen=True)
class ConditionSet:
    path: Path
    seed: int
    conditions: tuple[Condition, ...]


@dataclass
class RobustnessResult:
    out: Path
    table: RobustnessTable
    reports: dict[str, ScoreReport]
    skipped: dict[str, str]
    files: dict[str, Path] = field(default_factory=dict)


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: {what} not found") from None
    except yaml.YAMLError as exc:
        raise EvaluationError(f"{path}: invalid YAML ({exc})") from None


def load_conditions(path: str | Path = DEFAULT_CONDITIONS, seed: int | None = None) -> ConditionSet:
    """Read a conditions file: ``seed`` and ``conditions: {name: {config: FILE | chain: [...], needs: [...]}}``."""
    path = Path(path)
    raw = _read_yaml(path, "conditions file")
    if not isinstance(raw, dict) or not isinstance(raw.get("conditions"), dict) or not raw["conditions"]:
        raise EvaluationError(f"{path}: needs a 'conditions' mapping of name -> condition")
    unknown = sorted(set(raw) - {"seed", "conditions"})
    if unknown:
        raise EvaluationError(f"{path}: unknown top-level keys {unknown}; allowed: conditions, seed")
    file_seed = raw.get("seed", 0)
    if not isinstance(file_seed, int) or isinstance(file_seed, bool):
        raise EvaluationError(f"{path}: seed must be an integer, got {file_seed!r}")
    out = []
    for name, entry in raw["conditions"].items():
        key = f"{path}: conditions.{name}"
        if str(name) == CLEAN:
            raise EvaluationError(f"{key}: {CLEAN!r} is the unaugmented baseline; choose another name")
        if not isinstance(entry, dict):
            raise EvaluationError(f"{key}: must be a mapping with 'config' or 'chain'")
        extra = sorted(set(entry) - {"config", "chain", "one_of", "weights", "needs", "sample_rate", "rate"})
        if extra:
            raise EvaluationError(f"{key}: unknown keys {extra}")
        needs = entry.get("needs") or []
        needs = [needs] if isinstance(needs, str) else list(needs)
        bad = [n for n in needs if n not in _RESOURCES]
        if bad:
            raise EvaluationError(f"{key}: needs {bad}; known resources: {list(_RESOURCES)}")
        if "config" in entry:
            if any(k in entry for k in ("chain", "one_of")):
                raise EvaluationError(f"{key}: give config or an inline chain, not both")
            config = (path.parent / str(entry["config"])).resolve()
            spec = _read_yaml(config, "augmentation config")
            if not isinstance(spec, dict):
                raise EvaluationError(f"{config}: an augmentation config must be a mapping")
            source = str(config)
        elif "chain" in entry or "one_of" in entry:
            spec = {k: v for k, v in entry.items() if k not in ("needs",)}
            spec.setdefault("rate", 1.0)
            source = "inline"
        else:
            raise EvaluationError(f"{key}: give config (a file) or chain (inline ops)")
        out.append(Condition(str(name), spec, tuple(needs), source))
    return ConditionSet(path, file_seed if seed is None else seed, tuple(out))


def augmenter_for(condition: Condition, resources: Mapping[str, str | None]) -> Any:
    from sercorpus.augment import load_config

    given = {k: v for k, v in resources.items() if v is not None}
    try:
        return load_config(condition.spec, given)
    except ValueError as exc:
        raise EvaluationError(f"condition {condition.name} ({condition.source}): {exc}") from None


def make_transform(augmenter: Any, seed: int) -> AudioTransform:
    """Batch audio -> its augmented copy (copy 0, fixed seed), on the audio's own device."""

    def transform(
        audio: torch.Tensor, lengths: torch.Tensor, ids: list[str]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out = augmenter(audio, lengths, ids=ids, copy=0, seed=seed)
        return out.x, torch.as_tensor(out.lengths, dtype=torch.int64)

    return transform


def default_series(run: LoadedRun) -> list[str]:
    return (["uar"] if run.classes else []) + [f"ccc[{d}]" for d in run.dims]


def _write_copy(name: str, folder: Path, run: LoadedRun, evalset: EvalSet, batch_size: int,
                transform: AudioTransform | None, settings: ScoreSettings) -> ScoreReport:  # fmt: skip
    preds = predict_set(run, evalset, batch_size, transform)
    report = score_predictions(preds, settings)
    write_predictions(folder / PREDICTIONS, preds)
    write_report(report, folder, title=f"{run.name} on {evalset.name}, condition {name}")
    return report


def run_robustness(
    run_or_checkpoint: str | Path | LoadedRun,
    test_set: SourceSpec | str | Path,
    out: str | Path,
    *,
    conditions: str | Path | ConditionSet = DEFAULT_CONDITIONS,
    noise_root: str | Path | None = None,
    rir_root: str | Path | None = None,
    split: str | None = None,
    series: Sequence[str] | None = None,
    seed: int | None = None,
    batch_size: int = 16,
    device: str = "auto",
    settings: ScoreSettings | None = None,
    overwrite: bool = False,
    log: Callable[[str], None] = lambda line: None,
) -> RobustnessResult:
    """Evaluate the run on the clean test set and on each condition's copy; write the table and bars."""
    cset = conditions if isinstance(conditions, ConditionSet) else load_conditions(conditions, seed)
    run = (
        run_or_checkpoint if isinstance(run_or_checkpoint, LoadedRun) else load_run(run_or_checkpoint, device)
    )
    spec = as_source_spec(test_set, split)
    resources = {
        "noise_root": None if noise_root is None else str(Path(noise_root).resolve()),
        "rir_root": None if rir_root is None else str(Path(rir_root).resolve()),
    }
    metrics = list(series) if series else default_series(run)
    settings = settings or ScoreSettings()
    out = Path(out)
    claim_output_dir(
        out,
        TOOL,
        {
            "checkpoint_sha256": run.checkpoint_sha256,
            "test_set": asdict(spec),
            "conditions": {c.name: {"spec": dict(c.spec), "needs": list(c.needs)} for c in cset.conditions},
            "seed": cset.seed,
            "resources": resources,
            "series": metrics,
            "batch_size": batch_size,
            "score_settings": settings.to_dict(),
        },
        overwrite=overwrite,
    )
    evalset = open_eval_set(
        spec, name=set_name(spec), view=run.view, sample_rate=run.sample_rate, workdir=out / "data"
    )
    augmenters: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for cond in cset.conditions:  # every config is built (and checked) before the first prediction
        missing = [n for n in cond.needs if resources.get(n) is None]
        if missing:
            flag = " ".join(f"--{m.replace('_', '-')}" for m in missing)
            skipped[cond.name] = f"needs {', '.join(missing)} (pass {flag})"
            continue
        aug = augmenter_for(cond, resources)
        if aug.sample_rate != run.sample_rate:
            raise EvaluationError(
                f"condition {cond.name} ({cond.source}) works at {aug.sample_rate} Hz, the model at "
                f"{run.sample_rate} Hz; set sample_rate: {run.sample_rate} in the config"
            )
        augmenters[cond.name] = aug
    log(f"robustness: {run.name}: clean ({len(evalset.records)} records)")
    reports = {CLEAN: _write_copy(CLEAN, out / CLEAN, run, evalset, batch_size, None, settings)}
    for name, aug in augmenters.items():
        log(f"robustness: {run.name}: {name}")
        folder = out / "conditions" / safe_name(name)
        reports[name] = _write_copy(
            name, folder, run, evalset, batch_size, make_transform(aug, cset.seed), settings
        )
    for name, reason in skipped.items():
        log(f"robustness: {name} skipped: {reason}")
    scores = {
        s: {
            c.name: (metric_value(reports[c.name], s) if c.name in reports else None) for c in cset.conditions
        }
        | {CLEAN: metric_value(reports[CLEAN], s)}
        for s in metrics
    }
    order = [c.name for c in cset.conditions]
    table = robustness_table(scores, clean=CLEAN, metric=" / ".join(metrics), condition_order=order)
    files = _write_tables(table, out, run, evalset, cset, skipped)
    return RobustnessResult(out, table, reports, skipped, files)


def _write_tables(table: RobustnessTable, out: Path, run: LoadedRun, evalset: EvalSet, cset: ConditionSet,
                  skipped: Mapping[str, str]) -> dict[str, Path]:  # fmt: skip
    files: dict[str, Path] = {}
    title = f"Robustness of {run.name} on {evalset.name}"
    files["robustness.png"] = robustness_png(table, out / "robustness.png", title=title)
    files["robustness.csv"] = write_text(out / "robustness.csv", robustness_csv(table))
    lines = [
        f"# {title}\n",
        f"- checkpoint: `{run.checkpoint}` (sha256 {run.checkpoint_sha256[:16]}…)",
        f"- test set: `{evalset.spec.path}` (split {evalset.spec.split or 'all'}), {len(evalset.records)} records",
        f"- conditions from `{cset.path}`, seed {cset.seed}",
        "- each cell: score on the augmented copy minus the clean score (negative: the condition hurts)\n",
        robustness_markdown(table),
        "![robustness](robustness.png)\n",
    ]
    if skipped:
        lines.append("## Skipped conditions\n")
        lines += [f"- {name}: {reason}" for name, reason in skipped.items()]
        lines.append("")
    files["robustness.md"] = write_text(out / "robustness.md", "\n".join(lines))
    data = {
        "series": list(table.series),
        "conditions": list(table.conditions),
        "clean": dict(zip(table.series, table.clean_scores, strict=True)),
        "scores": {
            s: dict(zip(table.conditions, row, strict=True))
            for s, row in zip(table.series, table.scores, strict=True)
        },
        "deltas": {s: {c: table.delta(s, c) for c in table.conditions} for s in table.series},
        "mean_delta": {s: table.mean_delta(s) for s in table.series},
        "skipped": dict(skipped),
        "seed": cset.seed,
    }
    files["robustness.json"] = write_text(
        out / "robustness.json", json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    )
    return files
