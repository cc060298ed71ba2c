"""Issue 10, item 6: ``audio_path: ../../../../etc/passwd`` passed ``manifest validate`` and augment then opened
``/etc/passwd``. Paths that are absolute or leave their corpus root are refused everywhere a manifest is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.manifest import Manifest, ManifestError, read_manifest, write_manifest
from sercorpus.core.schema import Utterance, validate_utterance

ESCAPES = ["../../../../etc/passwd", "../x.wav", "a/../../x.wav", "..", "a\\..\\..\\x.wav"]
ABSOLUTE = ["/etc/passwd", "C:\\audio\\x.wav", "c:x.wav", "\\\\server\\share\\x.wav"]
FINE = ["a.wav", "./a.wav", "a/../b.wav", "deep/er/x.flac", "..a.wav", "a..b/c.wav"]


def utt(path: str = "a.wav") -> Utterance:
    return Utterance(id="x/a", corpus="x", audio_path=path, duration=1.0, sample_rate=16000)


def manifest_with(tmp_path: Path, audio_path: str, suffix: str = ".jsonl") -> Path:
    """A valid manifest whose record is then edited on disk (as a hostile file would be)."""
    path = write_manifest(tmp_path / f"m{suffix}", [utt()], {"x": str(tmp_path)})
    lines = path.read_text().splitlines()
    record = json.loads(lines[1])
    record["audio_path"] = audio_path
    path.write_text(lines[0] + "\n" + json.dumps(record) + "\n")
    return path


@pytest.mark.parametrize("path", ESCAPES + ABSOLUTE)
def test_escaping_and_absolute_paths_are_problems(path):
    from sercorpus.core.schema import audio_path_problem

    assert audio_path_problem(path) is not None
    assert any(p.startswith("audio_path:") for p in validate_utterance(utt(path)))


@pytest.mark.parametrize("path", FINE)
def test_paths_inside_the_root_are_fine(path):
    from sercorpus.core.schema import audio_path_problem

    assert audio_path_problem(path) is None and validate_utterance(utt(path)) == []


@pytest.mark.parametrize("validate", [True, False])
def test_read_refuses_a_path_leaving_the_root_even_unvalidated(tmp_path, validate):
    path = manifest_with(tmp_path, "../../../../etc/passwd")
    with pytest.raises(ManifestError, match=r"line 2 \(x/a\): audio_path: leaves the corpus root"):
        read_manifest(path, validate=validate)


def test_read_refuses_an_absolute_path(tmp_path):
    with pytest.raises(ManifestError, match=r"audio_path: must be relative to the corpus root"):
        read_manifest(manifest_with(tmp_path, "/etc/passwd"), validate=False)


def test_parquet_manifests_are_checked_too(tmp_path):
    path = write_manifest(tmp_path / "m.parquet", [utt("../../etc/passwd")], {"x": "/x"}, validate=False)
    with pytest.raises(ManifestError, match=r"row 1 \(x/a\): audio_path: leaves the corpus root"):
        read_manifest(path, validate=False)
    with pytest.raises(ManifestError, match="leaves the corpus root"):
        write_manifest(tmp_path / "n.parquet", [utt("../../etc/passwd")], {"x": "/x"})


def test_audio_file_refuses_to_hand_out_such_a_path(tmp_path):
    manifest = Manifest(records=[utt("../../../../etc/passwd")], roots={"x": str(tmp_path)})
    with pytest.raises(ManifestError, match="leaves the corpus root"):
        manifest.audio_file(manifest.records[0])


def test_manifest_validate_command_fails_cleanly(tmp_path):
    result = CliRunner().invoke(
        app, ["manifest", "validate", str(manifest_with(tmp_path, "../../etc/passwd"))]
    )
    assert result.exit_code == 1
    assert "line 2 (x/a): audio_path: leaves the corpus root" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
