"""The evaluation report ``sercorpus demo`` ends with: its trained runs on every test set, as a cross-corpus
matrix, per-cell reports (confusion matrix, per-speaker UAR), and optionally a robustness table.

:func:`build_demo_report` writes ``OUT/REPORT.md`` (image links relative to ``OUT``) and returns every path,
so the demo can embed the Markdown and PNGs in its ``SUMMARY.md``. Cells reuse saved predictions made by
the same checkpoint, so rerunning the demo's last stage costs no model time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sercorpus.core.atomic import write_text
from sercorpus.evaluate.crosscorpus import CrossCorpusMatrix
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.robustness import RobustnessTable
from sercorpus.evaluate.runners.evalsource import as_source_spec
from sercorpus.evaluate.runners.evaluate_run import safe_name
from sercorpus.evaluate.runners.matrix import evaluate_cell, file_stem, metric_value, write_matrix_reports
from sercorpus.evaluate.runners.robustness_run import DEFAULT_CONDITIONS, run_robustness
from sercorpus.evaluate.scoring import ScoreReport, ScoreSettings
from sercorpus.evaluate.tables import fmt, markdown_table
from sercorpus.train.recipe import SourceSpec


@dataclass
class DemoReport:
    markdown: Path  # OUT/REPORT.md
    images: list[tuple[str, Path]]  # (caption, PNG), in report order
    files: dict[str, Path]
    matrix: CrossCorpusMatrix
    scores: dict[tuple[str, str], float | None]  # (run, test) -> headline metric
    robustness: RobustnessTable | None = None
    reports: dict[tuple[str, str], ScoreReport] = field(default_factory=dict)


def build_demo_report(
    runs: Mapping[str, str | Path],
    test_sets: Mapping[str, SourceSpec | str | Path],
    out: str | Path,
    *,
    metric: str = "uar",
    batch_size: int = 16,
    device: str = "cpu",
    baselines: Mapping[str, str] | None = None,
    robustness: tuple[str, str] | None = None,
    conditions: str | Path | None = None,
    noise_root: str | Path | None = None,
    title: str = "Cross-corpus evaluation",
    log: Callable[[str], None] = lambda line: None,
) -> DemoReport:
    """Evaluate each run (name -> run folder) on each test set (name -> manifest, shard folder or
    SourceSpec) and write the report. ``baselines`` maps a test set to the run that is its in-domain
    baseline (default: the run of the same name); ``robustness=(run, test)`` adds that cell's robustness table
    under ``conditions`` (a conditions file; the ESC-50 ones need ``noise_root``)."""
    if not runs or not test_sets:
        raise EvaluationError("build_demo_report needs at least one run and one test set")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    score = ScoreSettings()
    actions: list[dict[str, str]] = []
    reports: dict[tuple[str, str], ScoreReport] = {}
    for row, run_dir in runs.items():
        for test, source in test_sets.items():
            cell = out / "cells" / safe_name(row.replace(">", "__then__")) / safe_name(test)
            reports[(row, test)] = evaluate_cell(
                Path(run_dir),
                row,
                test,
                as_source_spec(source),
                cell,
                batch_size,
                score,
                device,
                log,
                actions,
            )
    for test, row in (baselines or {}).items():
        if row not in runs or test not in test_sets:
            raise EvaluationError(f"baseline {test!r} -> {row!r} names an unknown test set or run")
    matrices, files = write_matrix_reports(
        title, reports, list(runs), list(test_sets), [metric], out, baselines=baselines
    )
    matrix = matrices[metric]
    images: list[tuple[str, Path]] = [(f"{metric} matrix", files[f"matrix_{file_stem(metric)}.png"])]
    scores = {key: metric_value(rep, metric) for key, rep in reports.items()}
    lines = [f"# {title}\n", f"Headline metric: {metric}. Rows: trained run; columns: test set.\n"]
    lines.append(
        markdown_table(
            ["run \\ test", *test_sets],
            [[row, *(fmt(scores[(row, test)]) for test in test_sets)] for row in runs],
        )
    )
    lines.append(f"![{metric} matrix]({images[0][1].name})\n")
    lines.append("Change against each test set's in-domain baseline, with means: [matrix.md](matrix.md).\n")
    for (row, test), rep in reports.items():
        cell = out / "cells" / safe_name(row.replace(">", "__then__")) / safe_name(test)
        lines.append(f"## {row} on {test}\n")
        lines.append(
            ", ".join(f"{r.name} {fmt(r.value)}" for r in rep.metrics if r.family == "categorical")
            + f" ([full report]({cell.relative_to(out).as_posix()}/report.md))\n"
        )
        for name, caption in (
            ("confusion.png", "confusion matrix"),
            ("per_speaker_uar.png", "per-speaker UAR"),
        ):
            png = cell / name
            if png.is_file():
                images.append((f"{row} on {test}: {caption}", png))
                lines.append(f"![{row} on {test}: {caption}]({png.relative_to(out).as_posix()})\n")
    table = None
    if robustness is not None:
        row, test = robustness
        if row not in runs or test not in test_sets:
            raise EvaluationError(
                f"robustness cell ({row!r}, {test!r}) is not one of the report's runs / test sets"
            )
        result = run_robustness(
            Path(runs[row]), as_source_spec(test_sets[test]), out / "robustness", noise_root=noise_root,
            batch_size=batch_size, device=device, log=log,
            conditions=DEFAULT_CONDITIONS if conditions is None else conditions,
        )  # fmt: skip
        table = result.table
        png = result.files["robustness.png"]
        images.append((f"robustness of {row} on {test}", png))
        lines.append(f"## Robustness: {row} on {test}\n")
        lines.append(
            f"[robustness.md](robustness/robustness.md)\n\n![robustness]({png.relative_to(out).as_posix()})\n"
        )
        if result.skipped:
            lines.append("Skipped: " + "; ".join(f"{k} ({v})" for k, v in result.skipped.items()) + "\n")
        files.update({f"robustness/{k}": v for k, v in result.files.items()})
    files["REPORT.md"] = write_text(out / "REPORT.md", "\n".join(lines))
    return DemoReport(files["REPORT.md"], images, files, matrix, scores, table, reports)
