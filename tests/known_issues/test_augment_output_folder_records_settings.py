"""Issue 10 item 2: a rerun with another seed or config silently kept the old outputs ("0 written, 4 already
done", the JSONs still said seed 7). The folder now records what produced it; a rerun with different
settings is refused with a message naming what differs, unless --overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from sercorpus.cli import app

CONFIG = "sample_rate: 16000\nchain:\n  - {op: gain, min_gain_db: -6, max_gain_db: 6}\n"


def setup(tmp_path: Path) -> list[str]:
    (tmp_path / "in").mkdir()
    for i in range(3):
        y = 0.1 * np.sin(np.arange(4000 + 500 * i) * 0.05)
        sf.write(tmp_path / "in" / f"u{i}.wav", y.astype(np.float32), 16000)
    (tmp_path / "aug.yaml").write_text(CONFIG)
    return ["augment", str(tmp_path / "in"), "-c", str(tmp_path / "aug.yaml"), "-o", str(tmp_path / "out")]


def invoke(args: list[str]):
    return CliRunner().invoke(app, args)


def test_rerun_with_another_seed_is_refused_naming_the_difference(tmp_path):
    args = setup(tmp_path)
    first = invoke([*args, "--seed", "7", "--copies", "2"])
    assert first.exit_code == 0, first.output
    run = json.loads((tmp_path / "out" / "RUN.json").read_text())
    assert run["tool"] == "augment"
    settings = run["settings"]
    assert settings["seed"] == 7 and settings["copies"] == 2 and settings["engine_version"] >= 2
    assert len(settings["config_digest"]) == 16 and settings["config"]["chain[0].op"] == "gain"

    again = invoke([*args, "--seed", "7", "--copies", "2"])
    assert again.exit_code == 0 and "0 written, 6 already done" in again.output

    other_seed = invoke([*args, "--seed", "8", "--copies", "2"])
    assert other_seed.exit_code == 1
    assert "seed: 7 -> 8" in other_seed.output and "--overwrite" in other_seed.output
    assert "Traceback" not in other_seed.output
    meta = json.loads((tmp_path / "out" / "u0.aug0.json").read_text())
    assert meta["seed"] == 7, "refused run must not touch the outputs"

    other_copies = invoke([*args, "--seed", "7", "--copies", "3"])
    assert other_copies.exit_code == 1 and "copies: 2 -> 3" in other_copies.output


def test_rerun_with_another_config_names_the_parameter_and_overwrite_replaces(tmp_path):
    args = setup(tmp_path)
    assert invoke([*args, "--seed", "7"]).exit_code == 0
    (tmp_path / "aug.yaml").write_text(CONFIG.replace("max_gain_db: 6", "max_gain_db: 3"))
    refused = invoke([*args, "--seed", "7"])
    assert refused.exit_code == 1
    assert "config.chain[0].max_gain_db: 6.0 -> 3.0" in refused.output and "config_digest" in refused.output

    replaced = invoke([*args, "--seed", "7", "--overwrite"])
    assert replaced.exit_code == 0 and "3 written, 0 already done" in replaced.output, replaced.output
    meta = json.loads((tmp_path / "out" / "u1.aug0.json").read_text())
    assert meta["ops"]["ops"][0]["gain_db"] <= 3.0
    assert (
        json.loads((tmp_path / "out" / "RUN.json").read_text())["settings"]["config"]["chain[0].max_gain_db"]
        == 3.0
    )
