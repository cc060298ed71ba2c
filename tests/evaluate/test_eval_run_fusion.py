"""``sercorpus fuse``: late fusion of saved audio and text predictions, fixed weights or tuned on dev only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_eval_run_support import stub_report_plots
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.evaluate import EvaluationError, make_predictions, read_predictions, write_predictions
from sercorpus.evaluate.runners.fusion_run import fuse_predictions

CLASSES = ("neutral", "happy", "sad", "angry")


@pytest.fixture(autouse=True)
def _fast_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_report_plots(monkeypatch)


def _pair(folder: Path, split: str, n: int, seed: int, prefix: str) -> tuple[Path, Path]:
    """Audio and text predictions of the same utterances: audio is right on even rows, text on odd ones."""
    rng = np.random.default_rng(seed)
    labels = [CLASSES[i % 4] for i in range(n)]
    ids = [f"{prefix}{i:03d}" for i in range(n)]
    paths = []
    for modality, good in (("audio", 0), ("text", 1)):
        p = rng.dirichlet(np.ones(4), size=n) * 0.5
        for i, lab in enumerate(labels):
            if i % 2 == good:
                p[i, CLASSES.index(lab)] += 0.5
            else:
                p[i, (CLASSES.index(lab) + 1) % 4] += 0.5
        p /= p.sum(axis=1, keepdims=True)
        table = make_predictions(
            ids, "c", probabilities=p, classes=CLASSES, label=labels, split=[split] * n,
            speaker=[f"s{i % 3}" for i in range(n)], label_view="4class",
        )  # fmt: skip
        paths.append(write_predictions(folder / f"{prefix}{modality}.parquet", table))
    return paths[0], paths[1]


def test_fixed_weights_fuse_the_probabilities(tmp_path: Path) -> None:
    audio, text = _pair(tmp_path, "test", 24, 0, "t")
    result = fuse_predictions(audio, text, tmp_path / "out")
    fused = read_predictions(tmp_path / "out" / "fixed" / "predictions.parquet")
    a, t = read_predictions(audio), read_predictions(text)
    expected = (0.75 * a.probabilities + 0.6 * t.probabilities) / 1.35
    np.testing.assert_allclose(fused.probabilities, expected, atol=1e-6)
    assert fused.label == a.label and fused.ids == a.ids
    assert result.weights["fixed"] == (0.75, 0.6) and result.tuning is None
    assert set(result.reports) == {"audio", "text", "fixed"}
    md = (tmp_path / "out" / "fusion.md").read_text(encoding="utf-8")
    assert "only the fixed weights" in md


def test_weights_are_tuned_on_dev_only(tmp_path: Path) -> None:
    audio, text = _pair(tmp_path, "test", 24, 0, "t")
    dev_audio, dev_text = _pair(tmp_path, "dev", 16, 1, "d")
    result = fuse_predictions(audio, text, tmp_path / "out", tune_on=(dev_audio, dev_text))
    assert result.tuning is not None and result.tuning.n_dev == 16
    assert (result.tuning.w_audio, result.tuning.w_text) == result.weights["tuned"]
    best = max(g[2] for g in result.tuning.grid)
    assert result.tuning.dev_score == best  # chosen from the dev scores alone
    info = json.loads((tmp_path / "out" / "fusion.json").read_text(encoding="utf-8"))
    assert len(info["tuning"]["grid"]) == 21 and set(info["scores"]) == {"audio", "text", "fixed", "tuned"}
    # the test tables themselves can never be the tuning set, nor a dev table with test rows
    with pytest.raises(EvaluationError, match="share 24 utterance"):
        fuse_predictions(audio, text, tmp_path / "o2", tune_on=(audio, text))
    wrong_a, wrong_t = _pair(tmp_path, "test", 8, 2, "x")
    with pytest.raises(EvaluationError, match="tuned on dev only, but row 0 has split 'test'"):
        fuse_predictions(audio, text, tmp_path / "o3", tune_on=(wrong_a, wrong_t))


def test_mismatched_tables_and_cli(tmp_path: Path) -> None:
    audio, _ = _pair(tmp_path, "test", 12, 0, "t")
    _, other = _pair(tmp_path, "test", 12, 0, "u")
    with pytest.raises(EvaluationError, match="cover different utterances"):
        fuse_predictions(audio, other, tmp_path / "o")
    a, t = _pair(tmp_path, "test", 12, 0, "v")
    da, dt = _pair(tmp_path, "dev", 8, 1, "w")
    args = ["fuse", str(a), str(t), "-o", str(tmp_path / "cli"), "--tune-on", str(da), str(dt)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "tuned" in result.output and (tmp_path / "cli" / "tuned" / "report.md").is_file()
    bad = CliRunner().invoke(app, ["fuse", str(audio), str(other), "-o", str(tmp_path / "cli2")])
    assert bad.exit_code == 1 and bad.output.startswith("error:")
