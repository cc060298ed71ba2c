"""Issue 10 item 3: NaN audio passed prepare and then aborted a whole augment run with 0 outputs. An
undecodable or non-finite input is now a named, counted skip in the augment report; all others are
written."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from sercorpus.augment.files import augment_files
from sercorpus.cli import app

CONFIG = {"sample_rate": 16000, "chain": [{"op": "pink_noise"}, {"op": "highpass"}]}


def test_nan_inf_and_undecodable_inputs_are_skipped_by_name_and_the_rest_written(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good = (0.1 * np.sin(np.arange(8000) * 0.03)).astype(np.float32)
    for i in range(3):
        sf.write(src / f"good{i}.wav", good[: 6000 + 500 * i], 16000, subtype="FLOAT")
    nan = good.copy()
    nan[100] = np.nan
    sf.write(src / "has_nan.wav", nan, 16000, subtype="FLOAT")
    inf = good.copy()
    inf[-5] = np.inf
    sf.write(src / "has_inf.wav", inf, 16000, subtype="FLOAT")
    (src / "garbage.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really a wav file")

    summary = augment_files(src, CONFIG, tmp_path / "out", copies=2, batch_size=4)
    assert summary.written == 6
    assert {(s.id, s.reason) for s in summary.skipped} == {
        ("has_nan", "non-finite"),
        ("has_inf", "non-finite"),
        ("garbage", "undecodable"),
    }
    assert sorted(p.name for p in (tmp_path / "out").glob("*.aug*.json")) == [
        f"good{i}.aug{k}.json" for i in range(3) for k in range(2)
    ]
    report = json.loads((tmp_path / "out" / "REPORT.json").read_text())
    assert report["written"] == 6 and report["skipped_total"] == 3
    assert report["skipped_by_reason"] == {"non-finite": 2, "undecodable": 1}
    nan_entry = next(s for s in report["skipped"] if s["id"] == "has_nan")
    assert nan_entry["file"].endswith("has_nan.wav") and "NaN" in nan_entry["detail"]

    (tmp_path / "cfg.yaml").write_text(json.dumps(CONFIG))  # the same from the command line
    result = CliRunner().invoke(
        app, ["augment", str(src), "-c", str(tmp_path / "cfg.yaml"), "-o", str(tmp_path / "cli")]
    )
    assert result.exit_code == 0, result.output
    assert "3 written" in result.output and "3 input(s) skipped" in result.output
    assert "non-finite: 2" in result.output and "REPORT.json" in result.output
