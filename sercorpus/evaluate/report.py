"""Write a :class:`ScoreReport` as files: report.md, metrics.csv/json, per_class.csv, per_speaker.csv,
confusion.csv and the PNGs (confusion matrix, per-speaker UAR bars).

Every file is written atomically and deterministically (the same report gives the same bytes; JSON with
sorted keys and no NaN). Nulls appear as an em dash in Markdown, an empty cell in CSV and ``null`` in JSON,
always with the reason next to them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from sercorpus.core.atomic import write_text
from sercorpus.evaluate.metrics.bootstrap import BootstrapCI
from sercorpus.evaluate.plots import confusion_png, per_speaker_png
from sercorpus.evaluate.scoring import MetricRow, ScoreReport
from sercorpus.evaluate.tables import csv_text, fmt, markdown_table

METRIC_COLUMNS = [
    "metric",
    "family",
    "value",
    "n",
    "unit",
    "ci_low",
    "ci_high",
    "ci_speaker_low",
    "ci_speaker_high",
    "note",
]


def _ci_pair(ci: BootstrapCI | None) -> tuple[float | None, float | None]:
    return (ci.low, ci.high) if ci is not None else (None, None)


def _metric_cells(row: MetricRow) -> list[Any]:
    return [
        row.name,
        row.family,
        row.value,
        row.n,
        row.unit,
        *_ci_pair(row.ci),
        *_ci_pair(row.ci_speaker),
        row.note,
    ]


def metrics_csv(report: ScoreReport) -> str:
    return csv_text(METRIC_COLUMNS, (_metric_cells(r) for r in report.metrics))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    return obj


def report_dict(report: ScoreReport) -> dict[str, Any]:
    """The whole report as JSON-ready data (no NaN: undefined values are null with a reason)."""
    return _jsonable(
        {
            "summary": dict(report.summary),
            "label_view": report.label_view,
            "classes": list(report.classes),
            "settings": report.settings.to_dict(),
            "metrics": [asdict(r) for r in report.metrics],
            "per_class": [asdict(c) for c in report.per_class],
            "confusion": None if report.confusion is None else report.confusion,
            "per_speaker": {
                f"{k}-best": {
                    "scores": [asdict(s) for s in per.scores],
                    "excluded": [asdict(e) for e in per.excluded],
                    "min_utterances": per.min_utterances,
                    "min_classes": per.min_classes,
                }
                for k, per in sorted(report.per_speaker.items())
            },
            "fairness": [asdict(g) for g in report.fairness],
            "exclusions": list(report.exclusions),
        }
    )


def metrics_json(report: ScoreReport) -> str:
    return json.dumps(report_dict(report), sort_keys=True, indent=2, allow_nan=False) + "\n"


def _ci_text(ci: BootstrapCI | None) -> str:
    if ci is None:
        return ""
    if ci.low is None:
        return f"— ({ci.reason})"
    return f"[{fmt(ci.low)}, {fmt(ci.high)}]"


def report_markdown(report: ScoreReport, title: str = "Evaluation report", images: bool = True) -> str:
    s = report.summary
    st = report.settings
    parts = [f"# {title}\n"]
    facts = [
        f"- utterances: {s.get('n_utterances')} (labelled: {s.get('n_labelled')}), speakers: {s.get('n_speakers')}",
        f"- corpora: {s.get('corpora')}; splits: {s.get('splits')}; genders: {s.get('genders')}",
        f"- label view: {report.label_view or '—'}; classes: {', '.join(report.classes) or '—'}",
        f"- dimensions: {', '.join(s.get('dimensions', [])) or '—'}",
        f"- paUAR: thresholds {list(st.thresholds)}, {'>' if st.strict else '>='}, "
        f"min_utterances {st.min_utterances}, min_classes {st.min_classes}; k-best k = {list(st.ks)}",
        "- UAR = mean recall over the classes present in the truth (scikit-learn balanced accuracy; "
        "audmetric averages over truth ∪ prediction and differs)",
    ]
    if st.ci:
        draw = "the set size" if st.n_samples is None else st.n_samples
        facts.append(
            f"- CIs: {st.confidence:.0%} percentile bootstrap, {st.n_repeats} repeats, seed {st.seed}; plain draws "
            f"{draw} utterances with replacement, speaker CIs resample whole speakers"
        )
    parts.append("\n".join(facts) + "\n")
    header = ["metric", "value", "n"]
    if st.ci:
        header += [f"{st.confidence:.0%} CI", f"{st.confidence:.0%} CI (speakers)"]
    header.append("note")
    rows = []
    for r in report.metrics:
        row: list[Any] = [r.name, fmt(r.value), f"{r.n} {r.unit}"]
        if st.ci:
            row += [_ci_text(r.ci), _ci_text(r.ci_speaker)]
        row.append(r.note or "")
        rows.append(row)
    parts.append("## Metrics\n\n" + markdown_table(header, rows))
    if report.per_class:
        pc = [
            [c.name, c.support, c.predicted, fmt(c.precision), fmt(c.recall), fmt(c.f1), c.note or ""]
            for c in report.per_class
        ]
        parts.append(
            "## Per class\n\n"
            + markdown_table(["class", "support", "predicted", "precision", "recall", "F1", "note"], pc)
        )
    if report.confusion is not None:
        cm = report.confusion
        table = markdown_table(
            ["true \\ predicted", *report.classes],
            [[name, *(int(v) for v in cm[i])] for i, name in enumerate(report.classes)],
        )
        img = "\n![confusion matrix](confusion.png)\n" if images else ""
        parts.append("## Confusion matrix (counts)\n\n" + table + img)
    if 1 in report.per_speaker:
        per = report.per_speaker[1]
        text = (
            f"## Per speaker (1-best)\n\n{len(per.scores)} speakers scored, {len(per.excluded)} excluded.\n"
        )
        if images:
            text += "\n![per-speaker UAR](per_speaker_uar.png)\n"
        if per.excluded:
            text += "\n" + markdown_table(
                ["excluded speaker", "utterances", "classes", "reason"],
                [[e.speaker, e.n_utterances, e.n_classes, e.reason] for e in per.excluded],
            )
        parts.append(text)
    if report.fairness:
        fr = [
            [
                g.metric,
                fmt(g.female),
                fmt(g.male),
                fmt(g.value, signed=True),
                g.n_female,
                g.n_male,
                g.reason or "",
            ]
            for g in report.fairness
        ]
        parts.append(
            "## Gender fairness (female minus male)\n\n"
            + markdown_table(["metric", "female", "male", "gap", "n female", "n male", "note"], fr)
        )
    if report.exclusions:
        parts.append("## Exclusions\n\n" + "\n".join(f"- {e}" for e in report.exclusions) + "\n")
    return "\n".join(parts)


def write_report(
    report: ScoreReport, outdir: str | os.PathLike[str], title: str = "Evaluation report"
) -> dict[str, Path]:
    """Write every report file into ``outdir`` (created); returns name -> path."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def text(name: str, content: str) -> None:
        written[name] = write_text(out / name, content)

    text("metrics.csv", metrics_csv(report))
    text("metrics.json", metrics_json(report))
    if report.per_class:
        text(
            "per_class.csv",
            csv_text(
                ["class", "support", "predicted", "true_positives", "precision", "recall", "f1", "note"],
                (
                    [c.name, c.support, c.predicted, c.true_positives, c.precision, c.recall, c.f1, c.note]
                    for c in report.per_class
                ),
            ),
        )
    if report.confusion is not None:
        text(
            "confusion.csv",
            csv_text(
                ["true \\ predicted", *report.classes],
                ([name, *(int(v) for v in report.confusion[i])] for i, name in enumerate(report.classes)),
            ),
        )
        written["confusion.png"] = confusion_png(
            report.confusion,
            report.classes,
            out / "confusion.png",
            title=f"Confusion matrix ({report.label_view or 'labels'})",
        )
    if report.per_speaker:
        rows = []
        for k, per in sorted(report.per_speaker.items()):
            rows += [[k, s.speaker, s.n_utterances, s.n_classes, s.uar, "scored", None] for s in per.scores]
            rows += [
                [k, e.speaker, e.n_utterances, e.n_classes, None, "excluded", e.reason] for e in per.excluded
            ]
        text(
            "per_speaker.csv",
            csv_text(["k_best", "speaker", "n_utterances", "n_classes", "uar", "status", "reason"], rows),
        )
        if 1 in report.per_speaker:
            written["per_speaker_uar.png"] = per_speaker_png(
                report.per_speaker[1],
                out / "per_speaker_uar.png",
                thresholds=report.settings.thresholds,
                strict=report.settings.strict,
            )
    text("report.md", report_markdown(report, title, images=True))
    return written
