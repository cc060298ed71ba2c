"""score_predictions, the written report, the cross-corpus and robustness views, and the `score` CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sercorpus.cli.evaluate_cmd import app
from sercorpus.evaluate import (
    EvaluationError,
    cross_corpus_matrix,
    make_predictions,
    matrix_csv,
    matrix_markdown,
    robustness_csv,
    robustness_markdown,
    robustness_table,
    score_predictions,
    to_arrow,
    write_predictions,
    write_report,
)
from sercorpus.evaluate.metrics import ccc, k_best_hit_rate, macro_f1, pa_uar, per_speaker_uar, uar
from sercorpus.evaluate.plots import matrix_heatmap_png, robustness_png

CLASSES = ["neutral", "happy", "sad", "angry"]


def _table(n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    logits = rng.normal(size=(n, 4))
    logits[np.arange(n), y] += 1.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    speakers = [f"spk{v}" for v in rng.integers(0, 8, n)]
    speakers[0] = "lonely"  # one utterance: excluded with min_utterances=2
    labels: list[str | None] = [CLASSES[i] for i in y]
    labels[1] = None
    arousal = rng.uniform(0, 1, n)
    return make_predictions(
        [f"u{i:03d}" for i in range(n)], "iemocap", probabilities=probs, classes=CLASSES, label=labels,
        speaker=speakers, gender=["female" if s[-1] in "1357" else "male" for s in speakers],
        split=["test"] * n, label_view="four",
        dimensions={"arousal": (arousal, np.clip(arousal + rng.normal(0, 0.2, n), 0, 1))},
    )  # fmt: skip


def test_score_predictions_matches_the_metric_functions() -> None:
    preds = _table()
    report = score_predictions(preds)
    keep = [i for i, lab in enumerate(preds.label) if lab is not None]
    y = [preds.label[i] for i in keep]
    probs = preds.probabilities[keep].astype(np.float64)
    top1 = [CLASSES[j] for j in probs.argmax(axis=1)]
    assert report.metric("uar").value == pytest.approx(uar(y, top1, CLASSES))
    assert report.metric("macro_f1").value == pytest.approx(macro_f1(y, top1, CLASSES))
    assert report.metric("hit_rate@2").value == pytest.approx(k_best_hit_rate(y, probs, CLASSES, 2))
    per = per_speaker_uar(y, top1, [preds.speaker[i] for i in keep], CLASSES, min_utterances=2)
    assert report.metric("paUAR-50@1-best").value == pa_uar(per, 0.5).value
    assert [e.speaker for e in report.per_speaker[1].excluded] == ["lonely"]
    dims = preds.dimensions["arousal"]
    assert report.metric("ccc[arousal]").value == pytest.approx(ccc(dims.truth, dims.prediction).value)
    assert report.metric("uar").n == 119
    assert any("1 of 120 utterances have no label" in e for e in report.exclusions)
    assert any("1 of 8 speakers excluded" in e or "speakers excluded" in e for e in report.exclusions)
    assert report.metric("gap_uar").value == pytest.approx(
        next(g for g in report.fairness if g.metric == "uar").value
    )
    # a pyarrow Table is accepted too, and scores the same
    assert score_predictions(to_arrow(preds)).values() == report.values()


def test_ci_is_deterministic_for_a_seed() -> None:
    preds = _table(60)
    a = score_predictions(preds, ci=True, seed=3, n_repeats=100)
    b = score_predictions(preds, ci=True, seed=3, n_repeats=100)
    c = score_predictions(preds, ci=True, seed=4, n_repeats=100)
    assert a.metric("uar").ci == b.metric("uar").ci != c.metric("uar").ci
    row = a.metric("uar")
    assert row.ci is not None and row.ci_speaker is not None and row.ci_speaker.clustered
    assert row.ci.low <= row.value <= row.ci.high


def test_missing_gender_group_and_one_speaker_are_reported_not_dropped() -> None:
    preds = make_predictions(
        ["a", "b", "c"], "crema_d", probabilities=[[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.7, 0.1, 0.1, 0.1]],
        classes=CLASSES, label=["neutral", "happy", "happy"], speaker=["s", "s", "s"], gender=["female"] * 3,
    )  # fmt: skip
    report = score_predictions(preds, ks=[1, 2, 9])
    gap = report.metric("gap_uar")
    assert gap.value is None and "no utterance with gender 'male'" in (gap.note or "")
    assert report.metric("paUAR-50@1-best").n == 1
    assert any("k=[9] outside [1, 4]" in e for e in report.exclusions)


def test_nothing_to_score_is_an_error() -> None:
    preds = make_predictions(["a"], "x", probabilities=[[1.0, 0, 0, 0]], classes=CLASSES, label=[None])
    with pytest.raises(EvaluationError, match="no metric applies: .*no labelled utterance"):
        score_predictions(preds)
    with pytest.raises(EvaluationError, match="unknown score settings"):
        score_predictions(_table(10), bootstrap=True)
    with pytest.raises(EvaluationError, match="fraction"):
        score_predictions(_table(10), thresholds=(50,))


def test_report_files_are_complete_and_deterministic(tmp_path: Path) -> None:
    report = score_predictions(_table(), ci=True, n_repeats=50)
    first = write_report(report, tmp_path / "a")
    second = write_report(report, tmp_path / "b")
    assert set(first) == {"report.md", "metrics.csv", "metrics.json", "per_class.csv", "per_speaker.csv",
                          "confusion.csv", "confusion.png", "per_speaker_uar.png"}  # fmt: skip
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name
    assert first["confusion.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(first["metrics.json"].read_text())  # strict JSON: no NaN
    assert data["per_speaker"]["1-best"]["excluded"][0]["speaker"] == "lonely"
    rows = list(csv.DictReader(first["metrics.csv"].open()))
    uar_row = next(r for r in rows if r["metric"] == "uar")
    assert float(uar_row["ci_low"]) <= float(uar_row["value"]) <= float(uar_row["ci_high"])
    md = first["report.md"].read_text()
    assert "## Metrics" in md and "paUAR-75@1-best" in md and "lonely" in md and "balanced accuracy" in md


def test_cross_corpus_matrix_and_robustness(tmp_path: Path) -> None:
    m = cross_corpus_matrix(
        {("iemocap", "iemocap"): 0.7, ("iemocap", "msp"): 0.4, ("msp", "msp"): 0.5, ("msp", "iemocap"): 0.45,
         ("iemocap>msp", "msp"): 0.55},
        train_order=["iemocap", "msp", "iemocap>msp"],
    )  # fmt: skip
    assert m.delta("iemocap", "msp") == pytest.approx(-0.1) and m.delta("iemocap", "iemocap") == 0.0
    assert m.delta("iemocap>msp", "msp") == pytest.approx(0.05)
    assert m.delta("iemocap>msp", "iemocap") is None and "missing" in m.notes[0]
    assert "| mean |" in matrix_markdown(m) and "iemocap>msp,iemocap,,0.7," in matrix_csv(m)
    with pytest.raises(EvaluationError, match="pass an undefined score as None"):
        cross_corpus_matrix({("a", "a"): float("nan")})
    r = robustness_table(
        {"arousal": {"clean": 0.7, "noise 0dB": 0.5, "fade": 0.7, "telephone": None},
         "valence": {"clean": 0.6, "noise 0dB": 0.3, "fade": 0.58, "telephone": 0.5}},
    )  # fmt: skip
    assert r.conditions == ("noise 0dB", "fade", "telephone")
    assert r.delta("valence", "noise 0dB") == pytest.approx(-0.3) and r.delta("arousal", "telephone") is None
    assert r.mean_delta("arousal") == pytest.approx(-0.1)
    assert "| mean |" in robustness_markdown(r) and "arousal,telephone,,0.7," in robustness_csv(r)
    with pytest.raises(EvaluationError, match="no 'clean' score"):
        robustness_table({"noise": 0.5, "fade": 0.4})
    a = matrix_heatmap_png(m, tmp_path / "m.png")
    b = robustness_png(r, tmp_path / "r.png")
    assert a.read_bytes()[:4] == b.read_bytes()[:4] == b"\x89PNG"
    assert matrix_heatmap_png(m, tmp_path / "m2.png").read_bytes() == a.read_bytes()


def test_score_cli(tmp_path: Path) -> None:
    pred_path = write_predictions(tmp_path / "preds.parquet", _table())
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "score",
            str(pred_path),
            "-o",
            str(out),
            "--ci",
            "--seed",
            "1",
            "--min-utterances",
            "3",
            "--n-repeats",
            "40",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ccc[arousal]" in result.output and "wrote 8 files" in result.output
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert settings["seed"] == 1 and settings["min_utterances"] == 3 and settings["ci"] is True
    (tmp_path / "bad.parquet").write_bytes(b"nope")
    bad = CliRunner().invoke(app, ["score", str(tmp_path / "bad.parquet"), "-o", str(out)])
    assert bad.exit_code == 1 and "not a readable Parquet file" in bad.output
    assert "Traceback" not in bad.output
