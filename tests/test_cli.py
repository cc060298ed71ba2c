"""The CLI frame: help lists the groups, errors are clean messages, validate/show/prepare work."""

from __future__ import annotations

from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance
from sercorpus.synth.esc50 import write_esc50

runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("manifest", "prepare", "synth", "demo"):
        assert command in result.output


def test_synth_prepare_validate_show(tmp_path):
    root = tmp_path / "esc"
    assert runner.invoke(app, ["synth", "esc50", str(root)]).exit_code == 0
    out = tmp_path / "esc.jsonl"
    result = runner.invoke(app, ["prepare", "esc50", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "esc.jsonl.report.json").is_file()
    result = runner.invoke(app, ["manifest", "validate", str(out)])
    assert result.exit_code == 0 and "22 utterances" in result.output
    result = runner.invoke(app, ["manifest", "show", str(out)])
    assert result.exit_code == 0 and "fold1" in result.output


def test_validate_fails_cleanly_on_bad_manifest(tmp_path):
    path = write_manifest(
        tmp_path / "m.jsonl",
        [Utterance(id="x/a", corpus="x", audio_path="a.wav", duration=1.0, sample_rate=16000)],
        {"x": "/x"},
    )
    path.write_text(path.read_text().replace('"duration": 1.0', '"duration": -1.0'))
    result = runner.invoke(app, ["manifest", "validate", str(path)])
    assert result.exit_code == 1
    assert "line 2 (x/a): duration: must be a positive number" in result.output  # the file's own line
    assert "Traceback" not in result.output


def test_prepare_unknown_corpus_and_option(tmp_path):
    result = runner.invoke(app, ["prepare", "timit", str(tmp_path), "-o", str(tmp_path / "m.jsonl")])
    assert result.exit_code == 1 and "unknown corpus 'timit'" in result.output
    root = write_esc50(tmp_path / "esc")
    result = runner.invoke(
        app, ["prepare", "esc50", str(root), "-o", str(tmp_path / "m.jsonl"), "--opt", "x=1"]
    )
    assert result.exit_code == 1 and "does not take option(s) ['x']" in result.output
