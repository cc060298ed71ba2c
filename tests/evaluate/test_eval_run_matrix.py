"""``sercorpus matrix``: every train x test cell (with a pretrain -> finetune row), reports with deltas vs
the in-domain baselines, and a second invocation that trains and evaluates nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from test_eval_run_support import REPO, TINY_RECIPE, World, stub_report_plots, training_loaders, world

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.runners.matrix import row_recipe, run_matrix
from sercorpus.evaluate.runners.matrix_spec import load_matrix_spec


@pytest.fixture
def fast_cell_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_report_plots(monkeypatch)


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world(tmp_path_factory)


def _matrix_file(w: World, folder: Path, **changes: object) -> Path:
    spec = {
        "name": "t",
        "recipe": str(TINY_RECIPE),
        "overrides": ["trainer.max_steps=1", "data.batch_size=4"],
        "finetune_overrides": ["optim.lr=0.001"],
        "metrics": ["uar"],
        "batch_size": 8,
        "datasets": {
            "iemocap": {"path": str(w.iemocap)},
            "msp": {"path": str(w.msp), "test": "test1"},
        },
        "train": ["iemocap", "msp"],
        "test": ["iemocap", "msp"],
        "finetune": [["iemocap", "msp"]],
        **changes,
    }
    path = folder / "matrix.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _stamps(out: Path) -> dict[str, int]:
    files = [
        *out.glob("runs/*/best.pt"),
        *out.glob("runs/*/metrics.json"),
        *out.glob("cells/*/*/predictions.parquet"),
        out / "matrix_uar.png",
    ]
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in files}


@pytest.mark.usefixtures("fast_cell_plots")
def test_matrix_runs_every_cell_then_reuses_everything(w: World, tmp_path: Path) -> None:
    matrix = _matrix_file(w, tmp_path)
    out = tmp_path / "out"
    first = run_matrix(matrix, out, loaders=training_loaders(), device="cpu")
    assert first.trained() == ["iemocap", "msp", "iemocap>msp"]
    assert sum(a["action"] == "evaluated" for a in first.actions) == 6
    m = first.matrices["uar"]
    assert m.train_sets == ("iemocap", "msp", "iemocap>msp") and m.test_sets == ("iemocap", "msp")
    for j, test in enumerate(m.test_sets):
        assert m.baseline[j] == m.absolute[m.train_sets.index(test)][j]  # in-domain cell
        for i, row in enumerate(m.train_sets):
            assert m.delta(row, test) == pytest.approx(m.absolute[i][j] - m.baseline[j])
        assert m.delta(test, test) == 0.0
    finetune = (out / "runs" / "iemocap__then__msp" / "recipe.yaml").read_text(encoding="utf-8")
    assert "runs/iemocap/export/cnn14_trunk.pth" in finetune and "fine-tuned from iemocap" in finetune
    for name in ("matrix.md", "matrix_uar.csv", "matrix_uar.png", "matrix.json"):
        assert (out / name).is_file(), name
    assert (out / "matrix_uar.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "matrix.md").read_text(encoding="utf-8")
    assert "iemocap>msp" in md and "change vs the test set's in-domain baseline" in md
    stamps, report = _stamps(out), (out / "matrix.md").read_bytes()
    assert len(stamps) == 3 + 3 + 6 + 1

    second = run_matrix(matrix, out, loaders=training_loaders(), device="cpu")
    assert second.trained() == []
    assert {a["action"] for a in second.actions} == {"reused-run", "reused-cell"}
    assert _stamps(out) == stamps  # no run folder or cell was written again
    assert (out / "matrix.md").read_bytes() == report
    assert json.loads((out / "matrix.json").read_text(encoding="utf-8"))["actions"] == second.actions

    # a lost cell is evaluated again, alone; a changed recipe is refused instead of mixing stale runs in
    shutil.rmtree(out / "cells" / "msp" / "iemocap")
    third = run_matrix(matrix, out, loaders=training_loaders(), device="cpu")
    assert [(a["row"], a["test"]) for a in third.actions if a["action"] == "evaluated"] == [
        ("msp", "iemocap")
    ]
    assert third.trained() == []
    changed = _matrix_file(w, tmp_path, overrides=["trainer.max_steps=2", "data.batch_size=4"])
    with pytest.raises(EvaluationError, match="max_steps: 1 -> 2"):
        run_matrix(changed, out, loaders=training_loaders(), device="cpu")


def test_matrix_file_errors_name_the_key(w: World, tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match=r"train: unknown data set\(s\) \['crema'\]"):
        load_matrix_spec(_matrix_file(w, tmp_path, train=["crema"]))
    with pytest.raises(EvaluationError, match="pretrain set 'msp' must also be listed under train"):
        load_matrix_spec(_matrix_file(w, tmp_path, train=["iemocap"], finetune=[["msp", "iemocap"]]))
    with pytest.raises(EvaluationError, match=r"datasets.msp: unknown keys \['splitt'\]"):
        load_matrix_spec(_matrix_file(w, tmp_path, datasets={"msp": {"path": "x", "splitt": "a"}}))


def test_shipped_tiny_matrix_builds_every_recipe(tmp_path: Path) -> None:
    spec = load_matrix_spec(REPO / "recipes" / "evaluate" / "matrix_tiny.yaml", {"manifests": str(tmp_path)})
    assert [r.name for r in spec.rows] == ["iemocap", "msp-podcast", "iemocap>msp-podcast"]
    assert spec.datasets["iemocap"].make_split is not None
    recipe = row_recipe(
        type(spec)(**{**spec.__dict__, "recipe": REPO / spec.recipe}), spec.rows[2], ["optim.lr=0.01"], "abc"
    )
    assert recipe.data.train[0].path == f"{tmp_path}/msp-podcast.parquet"
    assert recipe.data.train[0].split == "train" and recipe.data.test == {}
    assert recipe.optim.lr == 0.01 and "sha256 abc" in recipe.description
