"""Issue 10 item 4: relative --noise-root / --rir-dir resolved against the config's folder, so the README's
own augment command failed as written. Paths on the command line now resolve against the working
directory; paths written inside a config resolve against the config's folder."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance

REPO = Path(__file__).resolve().parents[2]


def readme_augment_command() -> list[str]:
    """The ``sercorpus augment ...`` command of the README (with its continuation lines), as argv."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^sercorpus augment .*?(?<!\\)$", text, flags=re.M | re.S)
    assert match, "README has no sercorpus augment command"
    return shlex.split(match.group(0).replace("\\\n", " "))[1:]  # without the program name


def write_speech(folder: Path, n: int = 2) -> list[Utterance]:
    folder.mkdir(parents=True)
    records = []
    for i in range(n):
        y = (0.1 * np.sin(np.arange(8000 + 1000 * i) * 0.04)).astype(np.float32)
        sf.write(folder / f"u{i}.wav", y, 16000)
        records.append(
            Utterance(
                id=f"msp-podcast/u{i}",
                corpus="msp-podcast",
                audio_path=f"u{i}.wav",
                duration=len(y) / 16000,
                sample_rate=16000,
                num_channels=1,
            )
        )
    return records


def test_readme_augment_command_works_as_written_from_the_repo_root(tmp_path, monkeypatch, shared_data):
    # a stand-in for the repository root with the README's layout: recipes/ inside, ../shared/data beside it
    root = tmp_path / "main"
    root.mkdir()
    (root / "recipes").symlink_to(REPO / "recipes", target_is_directory=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "data").symlink_to(shared_data, target_is_directory=True)
    records = write_speech(root / "corpus")
    write_manifest(root / "msp-star.parquet", records, {"msp-podcast": root / "corpus"})
    monkeypatch.chdir(root)
    args = readme_augment_command()
    assert "--noise-root" in args and "../shared/data/ESC-50" in args
    assert args[0] == "augment"
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4 written" in result.output
    run = json.loads((root / "aug" / "RUN.json").read_text())
    assert run["settings"]["config"]["chain[3].one_of[1].root"] == str(
        (tmp_path / "shared" / "data" / "ESC-50").resolve()
    )


def test_paths_inside_a_config_resolve_against_its_folder_and_cli_paths_against_cwd(tmp_path, monkeypatch):
    from sercorpus.synth.esc50 import write_esc50

    noise = Path(write_esc50(tmp_path / "work" / "noise" / "esc50", seed=0, clips_per_category=1))
    cfg_dir = tmp_path / "configs"
    cfg_dir.mkdir()
    (cfg_dir / "cli_noise.yaml").write_text("chain:\n  - {op: background_noise, snrs_db: [10]}\n")
    (cfg_dir / "own_noise.yaml").write_text(
        f"chain:\n  - {{op: background_noise, snrs_db: [10], root: {Path('..') / noise.relative_to(tmp_path)}}}\n"
    )
    write_speech(tmp_path / "work" / "in")
    monkeypatch.chdir(tmp_path / "work")
    base = ["augment", "in", "-o"]
    # --noise-root relative to the working directory (the config lives elsewhere)
    ok = CliRunner().invoke(
        app, [*base, "a", "-c", str(cfg_dir / "cli_noise.yaml"), "--noise-root", "noise/esc50"]
    )
    assert ok.exit_code == 0, ok.output
    # a root written in the config, relative to the config's folder
    own = CliRunner().invoke(app, [*base, "b", "-c", str(cfg_dir / "own_noise.yaml")])
    assert own.exit_code == 0, own.output
    # relative config path and relative output folder, both against the working directory
    (tmp_path / "work" / "local.yaml").write_text("chain:\n  - {op: gain}\n")
    rel = CliRunner().invoke(app, [*base, "c", "-c", "local.yaml"])
    assert rel.exit_code == 0 and (tmp_path / "work" / "c" / "u0.aug0.wav").is_file()
    # a wrong relative --noise-root is reported as the path the user meant
    bad = CliRunner().invoke(app, [*base, "d", "-c", str(cfg_dir / "cli_noise.yaml"), "--noise-root", "nope"])
    assert bad.exit_code == 1 and str(tmp_path / "work" / "nope") in bad.output
