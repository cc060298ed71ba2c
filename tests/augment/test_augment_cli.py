"""``sercorpus augment``: wavs + JSON per output from a folder or a manifest, atomic and resumable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from sercorpus.augment.files import augment_files
from sercorpus.cli import app
from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance

runner = CliRunner()
RECIPES = Path(__file__).resolve().parents[2] / "recipes" / "augment"


def write_inputs(folder: Path, speechlike) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (seconds, rate) in enumerate([(1.0, 16000), (0.7, 16000), (1.2, 44100)]):
        y = speechlike(seconds, seed=i, sr=rate)
        if i == 2:
            y = np.stack([y, 0.5 * y], axis=1)  # stereo 44.1 kHz: mixed down and resampled
        path = folder / ("sub" if i == 1 else "") / f"clip{i}.wav"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, y, rate)
        paths.append(path)
    return paths


def test_cli_folder_writes_wavs_and_json_and_resumes(tmp_path, esc50_mini, speech_factory):
    write_inputs(tmp_path / "in", speech_factory)
    out = tmp_path / "out"
    args = [
        "augment",
        str(tmp_path / "in"),
        "--config",
        str(RECIPES / "literature_chain.yaml"),
        "-o",
        str(out),
        "--copies",
        "2",
        "--seed",
        "5",
        "--noise-root",
        str(esc50_mini),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "6 written, 0 already done" in result.output
    jsons = sorted(out.glob("*.aug*.json"))
    assert len(jsons) == 6 and len(list(out.glob("*.wav"))) == 6
    assert not list(out.glob(".*")), "no temporary files left behind"
    meta = json.loads((out / "sub__clip1.aug1.json").read_text())
    assert meta["id"] == "sub/clip1" and meta["copy"] == 1 and meta["seed"] == 5
    assert meta["ops"]["op"] == "chain" and len(meta["ops"]["ops"]) == 9
    audio, rate = sf.read(out / "clip2.aug0.wav")
    assert rate == 16000 and audio.ndim == 1
    assert abs(len(audio) / rate - json.loads((out / "clip2.aug0.json").read_text())["output_seconds"]) < 1e-6
    first = {p.name: p.read_bytes() for p in out.glob("*.aug*")}

    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "0 written, 6 already done" in result.output

    (out / "clip0.aug1.json").unlink()  # an interrupted output: wav there, JSON missing
    (out / "clip0.aug1.wav").write_bytes(b"partial")
    result = runner.invoke(app, args)
    assert "1 written, 5 already done" in result.output
    now = {p.name: p.read_bytes() for p in out.glob("*.aug*")}
    assert {k: v for k, v in now.items() if not k.startswith("clip0.aug1")} == {
        k: v for k, v in first.items() if not k.startswith("clip0.aug1")
    }
    # the redone output: same parameters; same audio up to float rounding (its batch is now a different size)
    redone, again = json.loads(now["clip0.aug1.json"]), json.loads(first["clip0.aug1.json"])
    assert abs(redone.pop("peak") - again.pop("peak")) < 1e-4 and redone == again
    a, _ = sf.read(out / "clip0.aug1.wav")
    (tmp_path / "ref.wav").write_bytes(first["clip0.aug1.wav"])
    b, _ = sf.read(tmp_path / "ref.wav")
    assert a.shape == b.shape and np.max(np.abs(a - b)) < 1e-4


def test_library_manifest_input(tmp_path, esc50_mini, speech_factory):
    paths = write_inputs(tmp_path / "corpus", speech_factory)
    records = [
        Utterance(
            id=f"demo/{p.stem}",
            corpus="demo",
            audio_path=str(p.relative_to(tmp_path / "corpus")),
            duration=sf.info(p).duration,
            sample_rate=sf.info(p).samplerate,
            num_channels=sf.info(p).channels,
            channel=0 if sf.info(p).channels > 1 else None,
        )
        for p in paths
    ]
    manifest = write_manifest(tmp_path / "m.jsonl", records, {"demo": tmp_path / "corpus"})
    summary = augment_files(
        manifest, RECIPES / "esc50_robustness" / "human_10db.yaml", tmp_path / "out", noise_root=esc50_mini
    )
    assert summary.written == 3 and len(summary.achieved_snr_db) == 3
    assert all(abs(v - 10.0) < 0.01 for v in summary.achieved_snr_db)
    meta = json.loads((tmp_path / "out" / "demo__clip2.aug0.json").read_text())
    assert meta["channel"] == 0 and meta["input_sample_rate"] == 44100
    assert meta["ops"]["ops"][0]["group"] == "human"


def test_cli_errors_are_clean(tmp_path, speech_factory):
    result = runner.invoke(
        app,
        ["augment", str(tmp_path / "nope"), "-c", str(RECIPES / "telephone.yaml"), "-o", str(tmp_path / "o")],
    )
    assert result.exit_code == 1 and "input not found" in result.output
    write_inputs(tmp_path / "in", speech_factory)
    result = runner.invoke(
        app,
        [
            "augment",
            str(tmp_path / "in"),
            "-c",
            str(RECIPES / "literature_chain.yaml"),
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1 and "--noise-root" in result.output
    result = runner.invoke(
        app,
        ["augment", str(tmp_path / "in"), "-c", str(RECIPES / "specaugment.yaml"), "-o", str(tmp_path / "o")],
    )
    assert result.exit_code == 1 and "features" in result.output
