"""A tiny dimensional model on real speech (../shared/data/speech: 47 clips with arousal/valence ratings)
reaches a positive dev CCC."""

from __future__ import annotations

from pathlib import Path

from trainhelp import csv_rows, one_thread, speech_manifest

from sercorpus.train.recipe import recipe_from_dict
from sercorpus.train.run import train


def test_tiny_cnn14_learns_arousal_and_valence_on_real_speech(speech_dir: Path, tmp_path: Path) -> None:
    manifest = str(speech_manifest(tmp_path))
    raw = {
        "name": "speech-av",
        "model": {"family": "cnn14", "width": 2, "dropout": 0.0, "head": {"hidden": 32, "dropout": 0.0}},
        "tasks": {"categories": False, "dims": ["arousal", "valence"]},
        "data": {
            "train": [{"path": manifest, "split": "train"}],
            "dev": [{"path": manifest, "split": "dev"}],
            "batch_size": 8,
        },
        "optim": {"lr": 0.01},
        "trainer": {"epochs": 8, "patience": None, "progress": False, "log_every": 2},
    }
    with one_thread():
        metrics = train(recipe_from_dict(raw), tmp_path / "run")
    assert metrics["monitor"] == "mean_ccc"
    dev = metrics["splits"]["dev"]
    assert dev["n"] == 11 and dev["mean_ccc"] > 0.1 and dev["ccc_arousal"] > 0.2
    first = float(csv_rows(tmp_path / "run" / "logs" / "eval.csv")[0]["mean_ccc"])
    assert dev["mean_ccc"] > first + 0.1  # it rose during training
