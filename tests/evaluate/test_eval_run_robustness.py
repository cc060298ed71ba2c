"""``sercorpus robustness``: one row per condition against a clean baseline, augmentation applied in memory
with a fixed seed, conditions without their resources reported as skipped (never dropped)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_eval_run_support import REPO, World, stub_report_plots, world
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.evaluate import read_predictions
from sercorpus.evaluate.runners.robustness_run import DEFAULT_CONDITIONS, load_conditions, run_robustness

AUG = REPO / "recipes" / "augment"


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world(tmp_path_factory)


def _conditions(folder: Path) -> Path:
    spec = {
        "seed": 3,
        "conditions": {
            "natural_0dB": {
                "config": str(AUG / "esc50_robustness" / "natural_0db.yaml"),
                "needs": "noise_root",
            },
            "speedup": {
                "chain": [{"op": "segment_speedup", "min_fraction": 0.1, "max_fraction": 0.2, "factor": 1.25}]
            },
            "fade_out": {"config": str(AUG / "esc50_robustness" / "fade_out_2pct.yaml")},
            "telephone": {"config": str(AUG / "telephone.yaml")},
        },
    }
    path = folder / "conditions.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_one_row_per_condition_with_a_clean_baseline(
    w: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub_report_plots(monkeypatch)
    conditions = _conditions(tmp_path)
    out = tmp_path / "rob"
    result = run_robustness(
        w.run, w.msp, out, conditions=conditions, noise_root=w.noise_root, split="test1", device="cpu"
    )
    table = result.table
    assert table.conditions == ("natural_0dB", "speedup", "fade_out", "telephone")
    assert table.series == ("uar",) and table.clean == "clean" and result.skipped == {}
    clean = read_predictions(out / "clean" / "predictions.parquet")
    assert table.clean_scores[0] == result.reports["clean"].metric("uar").value
    for i, name in enumerate(table.conditions):
        preds = read_predictions(out / "conditions" / name / "predictions.parquet")
        assert preds.ids == clean.ids
        # the copy really was augmented: the (nearly constant, two-step) model's probabilities moved
        assert not np.array_equal(preds.probabilities, clean.probabilities), name
        assert table.delta("uar", name) == pytest.approx(table.scores[0][i] - table.clean_scores[0])
    for name in ("robustness.md", "robustness.csv", "robustness.png", "robustness.json"):
        assert (out / name).is_file()
    assert len((out / "robustness.csv").read_text(encoding="utf-8").splitlines()) == 1 + 4
    md = (out / "robustness.md").read_text(encoding="utf-8")
    assert "| telephone |" in md and "clean (absolute)" in md

    # without the ESC-50 root the noise condition stays as a row, null, with the reason; the seed fixes
    # every other copy, so their predictions are the same bytes
    again = run_robustness(
        w.run, w.msp, tmp_path / "rob2", conditions=conditions, split="test1", device="cpu"
    )
    assert again.table.conditions == table.conditions
    assert again.table.delta("uar", "natural_0dB") is None
    assert (
        "needs noise_root" in again.skipped["natural_0dB"] and "--noise-root" in again.skipped["natural_0dB"]
    )
    for name in ("speedup", "fade_out", "telephone"):
        first = (out / "conditions" / name / "predictions.parquet").read_bytes()
        assert (tmp_path / "rob2" / "conditions" / name / "predictions.parquet").read_bytes() == first
    info = json.loads((tmp_path / "rob2" / "robustness.json").read_text(encoding="utf-8"))
    assert info["deltas"]["uar"]["natural_0dB"] is None and "natural_0dB" in info["skipped"]
    assert "Skipped conditions" in (tmp_path / "rob2" / "robustness.md").read_text(encoding="utf-8")


def test_shipped_condition_set_and_cli_errors(w: World, tmp_path: Path) -> None:
    shipped = load_conditions(DEFAULT_CONDITIONS)
    names = [c.name for c in shipped.conditions]
    assert len(names) == 13 and {"speedup_x1.25", "telephone", "fade_in_2pct", "interior_20dB"} <= set(names)
    assert sum(c.needs == ("noise_root",) for c in shipped.conditions) == 9
    bad = tmp_path / "bad.yaml"
    bad.write_text("conditions:\n  clean: {config: x.yaml}\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["robustness", str(w.run), "--on", str(w.msp), "-o", str(tmp_path / "o"), "--conditions", str(bad)],
    )
    assert result.exit_code == 1 and "unaugmented baseline" in result.output
