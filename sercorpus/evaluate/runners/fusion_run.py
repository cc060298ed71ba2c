"""``sercorpus fuse``: late fusion of an audio model's and a text model's saved predictions, at evaluation time.

Both tables must describe the same utterances (same ids, labels and class order); the fused table keeps
the audio table's metadata and dimensional columns and replaces the probabilities with
``fused_probabilities`` (the weighted sum divided by the weight total: same argmax, a distribution).

Weights are either given (default: the literature's 0.75 for speech and 0.6 for text) or tuned on dev
predictions of both models (``tune_on``): tuning sees only the dev tables, refuses any dev row whose split
is not a dev split, and refuses dev tables that share an utterance with the test tables. Both results are
always reported, next to each model alone, because fixed weights from the literature may themselves have
been chosen on test data.

Output folder: ``fusion.md`` / ``fusion.csv`` / ``fusion.json`` (the comparison, weights, tuning grid) and
one report folder per variant (``audio/``, ``text/``, ``fixed/``, ``tuned/``), the fused ones with their
``predictions.parquet``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sercorpus.core.atomic import write_text
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.fusion import W_AUDIO, W_TEXT, FusionTuning, fused_probabilities, tune_fusion_weights
from sercorpus.evaluate.predictions import Predictions, read_predictions, write_predictions
from sercorpus.evaluate.report import write_report
from sercorpus.evaluate.scoring import ScoreReport, ScoreSettings, score_predictions
from sercorpus.evaluate.tables import csv_text, fmt, markdown_table

COMPARED = ("uar", "wa", "macro_f1", "weighted_f1")
Table = str | os.PathLike[str] | Predictions


@dataclass
class FusionResult:
    out: Path
    weights: dict[str, tuple[float, float]]  # variant -> (w_audio, w_text)
    reports: dict[str, ScoreReport]
    tuning: FusionTuning | None
    files: dict[str, Path] = field(default_factory=dict)


def _read(table: Table) -> tuple[Predictions, str]:
    if isinstance(table, Predictions):
        return table, "predictions"
    return read_predictions(table), str(table)


def aligned_pair(audio: Table, text: Table) -> tuple[Predictions, Predictions]:
    """Both tables, checked to hold the same utterances, labels and class order."""
    a, a_name = _read(audio)
    t, t_name = _read(text)
    for p, name in ((a, a_name), (t, t_name)):
        if p.probabilities is None:
            raise EvaluationError(f"{name}: has no class probabilities to fuse")
    if a.classes != t.classes:
        raise EvaluationError(
            f"{a_name} and {t_name} have different class lists {list(a.classes)} vs {list(t.classes)}"
        )
    if a.ids != t.ids:
        only_a = sorted(set(a.ids) - set(t.ids))
        only_t = sorted(set(t.ids) - set(a.ids))
        example = f"{only_a[0]!r} only in {a_name}" if only_a else f"{only_t[0]!r} only in {t_name}"
        raise EvaluationError(
            f"the audio and text predictions cover different utterances ({len(only_a)} only in audio, "
            f"{len(only_t)} only in text; e.g. {example})"
        )
    for i, (la, lt) in enumerate(zip(a.label, t.label, strict=True)):
        if la != lt:
            raise EvaluationError(f"utterance {a.ids[i]!r}: label {la!r} in {a_name} but {lt!r} in {t_name}")
    return a, t


def fuse_tables(audio: Predictions, text: Predictions, w_audio: float, w_text: float) -> Predictions:
    """The audio table with fused probabilities (validated again, so top-k follows the new scores)."""
    fused = fused_probabilities(audio.probabilities, text.probabilities, w_audio, w_text).astype(np.float32)
    return dataclasses.replace(audio, probabilities=fused)


def tune_on_dev(dev_audio: Table, dev_text: Table, test_ids: Sequence[str], objective: str) -> FusionTuning:
    """Weights tuned on the dev tables only (their labelled rows); a shared utterance with test is refused."""
    a, t = aligned_pair(dev_audio, dev_text)
    shared = sorted(set(a.ids) & set(test_ids))
    if shared:
        raise EvaluationError(
            f"the dev predictions share {len(shared)} utterance(s) with the test predictions (e.g. {shared[0]!r}); "
            "fusion weights are tuned on dev only"
        )
    rows = [i for i, lab in enumerate(a.label) if lab is not None]
    if not rows:
        raise EvaluationError("the dev predictions have no labelled utterance to tune the fusion weights on")
    assert a.probabilities is not None and t.probabilities is not None
    return tune_fusion_weights(
        [a.label[i] for i in rows],
        a.probabilities[rows].astype(np.float64),
        t.probabilities[rows].astype(np.float64),
        a.classes,
        objective=objective,
        splits=[a.split[i] for i in rows],
    )


def _value(report: ScoreReport, name: str) -> float | None:
    try:
        return report.metric(name).value
    except KeyError:
        return None


def fuse_predictions(
    audio: Table,
    text: Table,
    out: str | Path,
    *,
    w_audio: float = W_AUDIO,
    w_text: float = W_TEXT,
    tune_on: tuple[Table, Table] | None = None,
    objective: str = "uar",
    settings: ScoreSettings | None = None,
) -> FusionResult:
    """Fuse with the given weights, and with dev-tuned weights when ``tune_on`` is given; write reports."""
    a, t = aligned_pair(audio, text)
    settings = settings or ScoreSettings()
    tuning = tune_on_dev(tune_on[0], tune_on[1], a.ids, objective) if tune_on is not None else None
    out = Path(out)
    weights: dict[str, tuple[float, float]] = {
        "audio": (1.0, 0.0),
        "text": (0.0, 1.0),
        "fixed": (w_audio, w_text),
    }
    if tuning is not None:
        weights["tuned"] = (tuning.w_audio, tuning.w_text)
    reports: dict[str, ScoreReport] = {}
    files: dict[str, Path] = {}
    for variant, (wa, wt) in weights.items():
        table = a if variant == "audio" else t if variant == "text" else fuse_tables(a, t, wa, wt)
        folder = out / variant
        if variant in ("fixed", "tuned"):
            files[f"{variant}/predictions.parquet"] = write_predictions(folder / "predictions.parquet", table)
        reports[variant] = score_predictions(table, settings)
        title = f"Late fusion: {variant} (w_audio {wa:g}, w_text {wt:g})"
        for name, path in write_report(reports[variant], folder, title=title).items():
            files[f"{variant}/{name}"] = path
    header = ["variant", "w_audio", "w_text", *COMPARED]
    values = {v: [_value(reports[v], m) for m in COMPARED] for v in weights}
    rows = [[v, wa, wt, *values[v]] for v, (wa, wt) in weights.items()]
    files["fusion.csv"] = write_text(out / "fusion.csv", csv_text(header, rows))
    md = [
        "# Late fusion of audio and text predictions\n",
        f"- {len(a)} utterances; classes {', '.join(a.classes)}",
        f"- fixed weights: w_audio {w_audio:g}, w_text {w_text:g} (given; the literature's are 0.75 / 0.6)",
    ]
    if tuning is not None:
        md.append(
            f"- tuned on dev only ({tuning.n_dev} labelled dev utterances, objective {tuning.objective}): "
            f"w_audio {tuning.w_audio:g}, w_text {tuning.w_text:g}, dev {tuning.objective} {tuning.dev_score:.4f}"
        )
    else:
        md.append("- no dev predictions given (--tune-on): only the fixed weights are reported")
    md.append("- fused scores are divided by w_audio + w_text: the same decision, as a distribution\n")
    md.append(
        markdown_table(
            header,
            [[v, fmt(wa, 2), fmt(wt, 2), *(fmt(x) for x in values[v])] for v, (wa, wt) in weights.items()],
        )
    )
    files["fusion.md"] = write_text(out / "fusion.md", "\n".join(md))
    info: dict[str, Any] = {
        "weights": {k: list(v) for k, v in weights.items()},
        "scores": {v: {m: _value(reports[v], m) for m in COMPARED} for v in weights},
        "tuning": None
        if tuning is None
        else {
            "objective": tuning.objective,
            "dev_score": tuning.dev_score,
            "n_dev": tuning.n_dev,
            "grid": [list(g) for g in tuning.grid],
        },
    }
    files["fusion.json"] = write_text(
        out / "fusion.json", json.dumps(info, indent=2, sort_keys=True, allow_nan=False) + "\n"
    )
    return FusionResult(out, weights, reports, tuning, files)
