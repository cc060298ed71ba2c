"""``sercorpus evaluate``: a trained run on test sets -> predictions whose re-scoring equals the report; bad
input is a one-line error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_eval_run_support import FOUR, World, world
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.manifest import read_manifest
from sercorpus.evaluate import read_predictions, score_predictions
from sercorpus.evaluate.report import metrics_csv
from sercorpus.evaluate.runners.evaluate_run import evaluate_run


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world(tmp_path_factory)


def test_predictions_rescore_to_the_written_report(w: World, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    result = evaluate_run(w.run, [w.msp], out, split="test1", batch_size=3, device="cpu")
    preds = read_predictions(out / "predictions.parquet")
    expected = sorted((u for u in read_manifest(w.msp).records if u.split == "test1"), key=lambda u: u.id)
    assert list(preds.ids) == [u.id for u in expected]
    assert set(preds.split) == {"test1"} and set(preds.corpus) == {"msp-podcast"}
    assert list(preds.speaker) == [u.speaker for u in expected]
    assert list(preds.gender) == [u.gender for u in expected]
    assert list(preds.label) == [FOUR.map_category(u.label) for u in expected]
    assert preds.classes == ("neutral", "happy", "sad", "angry") and preds.label_view == "4class"
    assert preds.probabilities is not None
    np.testing.assert_allclose(preds.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert all(len(k) == 3 for k in preds.top_k_labels())
    # re-scoring the saved table (no model) gives the report's numbers, byte for byte
    rescored = score_predictions(preds)
    assert metrics_csv(rescored) == (out / "metrics.csv").read_text(encoding="utf-8")
    written = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert {m["name"]: m["value"] for m in written["metrics"]} == rescored.values()
    assert result.report.values() == rescored.values()
    info = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert info["checkpoint"].endswith("best.pt") and info["sets"][0]["records"] == len(expected)
    # reproducible: the command line, same run, data and batch size, writes the same bytes
    cli = tmp_path / "cli"
    args = ["evaluate", str(w.run), "--on", str(w.msp), "--split", "test1", "--batch-size", "3"]
    ran = CliRunner().invoke(app, [*args, "-o", str(cli), "--device", "cpu"])
    assert ran.exit_code == 0, ran.output
    assert "uar" in ran.output
    assert (cli / "predictions.parquet").read_bytes() == (out / "predictions.parquet").read_bytes()
    scored = CliRunner().invoke(app, ["score", str(cli / "predictions.parquet"), "-o", str(tmp_path / "s")])
    assert scored.exit_code == 0, scored.output
    assert (tmp_path / "s" / "metrics.csv").read_bytes() == (out / "metrics.csv").read_bytes()


def test_checkpoint_file_and_several_test_sets(w: World, tmp_path: Path) -> None:
    (checkpoint,) = sorted((w.run / "best").glob("step-*.pt"))
    out = tmp_path / "two"
    specs = [w.msp, w.iemocap]
    result = evaluate_run(checkpoint, specs, out, names=["msp", "iemocap"], device="cpu")
    assert result.predictions.is_file() and set(result.sets) == {"msp", "iemocap"}
    combined = read_predictions(result.predictions)
    parts = [read_predictions(out / "sets" / n / "predictions.parquet") for n in ("msp", "iemocap")]
    assert len(combined) == sum(len(p) for p in parts) == 20 + 18
    assert (out / "sets" / "iemocap" / "report.md").is_file() and (out / "data" / "iemocap.parquet").is_file()
    assert set(combined.corpus) == {"msp-podcast", "iemocap"}


def _error(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    # the message is one line (the console may wrap it: everything after it belongs to it)
    tail = result.output[result.output.index("error:") :]
    return " ".join(tail.split())


def test_bad_input_is_a_one_line_error(w: World, tmp_path: Path) -> None:
    assert "no such run folder" in _error(
        ["evaluate", str(tmp_path / "nope"), "--on", str(w.msp), "-o", str(tmp_path / "a")]
    )
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    for name in ("recipe.yaml", "labels.json"):
        shutil.copy(w.run / name, unfinished / name)
    (unfinished / "checkpoints").mkdir()
    (best,) = (w.run / "best").glob("step-*.pt")
    shutil.copy(best, unfinished / "checkpoints" / best.name)
    text = _error(["evaluate", str(unfinished), "--on", str(w.msp), "-o", str(tmp_path / "b")])
    assert "no selected checkpoint" in text and "checkpoints/step-" in text
    text = _error(["evaluate", str(w.run), "--on", str(w.msp), "--split", "test9", "-o", str(tmp_path / "c")])
    assert "no records left" in text and "test1 8" in text
    text = _error(
        ["evaluate", str(w.run), "--on", str(w.unlabelled), "-o", str(tmp_path / "d"), "--device", "cpu"]
    )
    assert "cannot be scored" in text and "4class" in text
    not_a_run = tmp_path / "empty_dir"
    not_a_run.mkdir()
    assert "not a training run folder" in _error(
        ["evaluate", str(not_a_run), "--on", str(w.msp), "-o", str(tmp_path / "e")]
    )
