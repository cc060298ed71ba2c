"""Each model family trains on the miniature corpora: the loss falls and dev UAR is well above chance
(the synthetic voices carry learnable emotion cues), and the run folder holds what docs/training.md lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trainhelp import csv_rows, run_tiny

CHANCE = 0.25  # 4 balanced-ish classes


def _loss_fell(run: Path) -> None:
    losses = [float(r["loss"]) for r in csv_rows(run / "logs" / "train.csv")]
    assert len(losses) >= 4
    head, tail = losses[: len(losses) // 3], losses[-(len(losses) // 3) :]
    assert sum(tail) / len(tail) < sum(head) / len(head), losses


def _run_folder(run: Path, metrics: dict[str, Any]) -> None:
    for name in ("RUN.json", "recipe.yaml", "labels.json", "metrics.json", "timing.json", "best.pt"):
        assert (run / name).is_file(), name
    labels = json.loads((run / "labels.json").read_text())
    assert labels["view"] == "4class" and labels["classes"] == ["neutral", "happy", "sad", "angry"]
    assert sorted(p.name for p in (run / "checkpoints").glob("step-*.pt"))  # last K kept
    dev = csv_rows(run / "predictions" / "dev.csv")
    assert len(dev) == metrics["splits"]["dev"]["n"] and len({r["id"] for r in dev}) == len(dev)
    best = metrics["best"]
    evals = [r for r in csv_rows(run / "logs" / "eval.csv") if r["split"] == "dev"]
    assert best["value"] == max(float(r[metrics["monitor"]]) for r in evals)


def test_cnn14_trains(cnn14_run: tuple[Path, dict[str, Any]]) -> None:
    run, metrics = cnn14_run
    _loss_fell(run)
    _run_folder(run, metrics)
    assert metrics["splits"]["dev"]["uar"] >= CHANCE + 0.25
    assert set(metrics["splits"]) == {"dev", "test/iemocap", "test/msp-podcast", "test/crema-d"}


def test_ssl_encoder_fine_tuning_trains(mini: Path, tmp_path: Path) -> None:
    metrics = run_tiny("kawaoto_w2v2_msp", mini, tmp_path / "run")
    _loss_fell(tmp_path / "run")
    _run_folder(tmp_path / "run", metrics)
    assert metrics["splits"]["dev"]["uar"] >= CHANCE + 0.2


def test_tcgru_on_cached_layer_embeddings_trains(tcgru_run: tuple[Path, dict[str, Any]]) -> None:
    run, metrics = tcgru_run
    _loss_fell(run)
    saliency = json.loads((run / "saliency.json").read_text())
    assert len(saliency["scores"]) == 4 and 0 <= saliency["chosen_layer"] < 4
    assert saliency["chosen_layer"] == max(range(4), key=lambda k: saliency["scores"][k])
    assert (run / "saliency.png").stat().st_size > 10_000
    assert sorted(p.name for p in (run / "embeddings").iterdir()) == [
        "RUN.json", "layer_00", "layer_01", "layer_02", "layer_03", "means",
    ]  # fmt: skip
    dev = metrics["splits"]["dev"]
    assert metrics["monitor"] == "mean_ccc" and dev["mean_ccc"] > 0.1
    assert dev["uar"] >= CHANCE + 0.15
