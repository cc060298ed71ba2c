"""Issue 10, item 3: NaN audio passed ``prepare`` (its header is fine) and then aborted a whole augment run.
``prepare --check-audio`` decodes every file in parallel and makes NaN/inf/undecodable audio a counted, named
skip, the same for any number of workers."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.audio import write_wav
from sercorpus.core.errors import CorpusFormatError
from sercorpus.corpora.prepare import prepare, report_path_for
from sercorpus.synth.calls import write_calls
from sercorpus.synth.esc50 import write_esc50

KEY = "unit-test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return write_esc50(tmp_path_factory.mktemp("esc") / "root")


def unsupported_wav(path: Path, frames: int = 4410) -> None:
    """A sane RIFF header (the probe accepts it) with a format tag libsndfile cannot decode."""
    data = np.zeros(frames, dtype="<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 0x1234, 1, 44100, 88200, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


@pytest.fixture()
def damaged(clean, tmp_path) -> tuple[Path, dict[str, str]]:
    """The miniature with one NaN, one inf and one undecodable file; returns root and file -> reason."""
    root = Path(shutil.copytree(clean, tmp_path / "root"))
    wavs = sorted((root / "audio").glob("*.wav"))
    nan = np.full(4410, 0.1, dtype=np.float32)
    nan[100] = np.nan
    write_wav(wavs[0], nan, 44100, subtype="FLOAT")
    inf = np.full(4410, 0.1, dtype=np.float32)
    inf[-1] = np.inf
    write_wav(wavs[1], inf, 44100, subtype="FLOAT")
    unsupported_wav(wavs[2])
    return root, {
        wavs[0].name: "non-finite-audio",
        wavs[1].name: "non-finite-audio",
        wavs[2].name: "undecodable-audio",
    }


def test_without_the_check_the_header_probe_lets_them_through(damaged, tmp_path):
    root, _ = damaged
    records, report = prepare("esc50", root, tmp_path / "m.jsonl")
    assert len(records) == 22 and report.skipped == []  # why --check-audio exists


def test_check_audio_skips_nan_inf_and_undecodable_files_naming_them(damaged, tmp_path):
    root, expected = damaged
    records, report = prepare("esc50", root, tmp_path / "m.jsonl", check_audio=True, workers=2)
    assert len(records) == 19 and report.written == 19
    assert report.skip_counts() == {"non-finite-audio": 2, "undecodable-audio": 1}
    got = {Path(issue.file).name: issue.reason for issue in report.skipped}
    assert got == expected
    for issue in report.skipped:
        assert issue.record == f"esc50/{Path(issue.file).stem}"
    nan_issue = next(i for i in report.skipped if "NaN" in i.detail and "1 NaN" in i.detail)
    assert "first at frame 100" in nan_issue.detail
    assert report.counts["audio:decoded"] == 22
    assert {Path(u.audio_path).name for u in records}.isdisjoint(expected)


def test_the_report_is_the_same_for_any_number_of_workers(damaged, tmp_path):
    root, _ = damaged
    outs = []
    for workers in (1, 3, 8):
        out = tmp_path / f"w{workers}.jsonl"
        prepare("esc50", root, out, check_audio=True, workers=workers)
        outs.append((out.read_bytes(), report_path_for(out).read_bytes()))
    assert outs[0] == outs[1] == outs[2]


def test_strict_check_audio_refuses_the_first_bad_file(damaged, tmp_path):
    root, expected = damaged
    first = sorted(expected)[0]
    with pytest.raises(CorpusFormatError, match=rf"{first}: .*\[non-finite-audio\] \(strict mode\)"):
        prepare("esc50", root, tmp_path / "m.jsonl", check_audio=True, strict=True)
    assert not (tmp_path / "m.jsonl").exists()


def test_a_nan_inside_one_call_segment_costs_that_segment_only(tmp_path):
    """Call records are spans of long recordings: each span is decoded on its own."""
    root = write_calls(tmp_path / "calls")
    records, _ = prepare("calls", root, tmp_path / "ok.jsonl", options={"key": KEY})
    victim = next(u for u in records if u.num_channels == 1)
    path = root / victim.audio_path
    samples, rate = sf.read(path, dtype="float32")
    samples[int((victim.offset + victim.duration / 2) * rate)] = np.nan
    path.unlink()
    write_wav(path, samples, rate, subtype="FLOAT")
    checked, report = prepare(
        "calls", root, tmp_path / "checked.jsonl", options={"key": KEY}, check_audio=True
    )
    assert report.skip_counts() == {"non-finite-audio": 1}
    assert report.skipped[0].record == victim.id
    assert len(checked) == len(records) - 1


def test_cli_check_audio_with_workers_and_bad_worker_counts(damaged, tmp_path):
    root, _ = damaged
    runner = CliRunner()
    out = tmp_path / "m.parquet"
    result = runner.invoke(
        app, ["prepare", "esc50", str(root), "-o", str(out), "--check-audio", "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "non-finite-audio" in result.output and out.is_file()
    result = runner.invoke(
        app, ["prepare", "esc50", str(root), "-o", str(out), "--check-audio", "--workers", "0"]
    )
    assert result.exit_code == 2 and "--workers" in result.output
    with pytest.raises(ValueError, match="workers must be at least 1"):
        prepare("esc50", root, tmp_path / "x.jsonl", check_audio=True, workers=0)
