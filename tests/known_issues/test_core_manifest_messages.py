"""Issue 10, item 12: a non-UTF-8 JSONL manifest named no file or line; a record missing a field gave
``Utterance.__init__() missing 1 required positional argument``; rows were numbered two ways (0-based
``row 0`` and ``line 2`` for the same record). Now: one message naming the file and the file's own line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.manifest import ManifestError, read_manifest, write_manifest
from sercorpus.core.schema import Utterance


def utt(name: str) -> Utterance:
    return Utterance(id=f"x/{name}", corpus="x", audio_path=f"{name}.wav", duration=1.0, sample_rate=16000)


@pytest.fixture
def manifest(tmp_path) -> Path:
    return write_manifest(tmp_path / "m.jsonl", [utt("a"), utt("b"), utt("c")], {"x": "/x"})


def edit_line(path: Path, line_no: int, change) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[line_no - 1] = change(lines[line_no - 1])
    path.write_bytes(b"\n".join(lines))


def test_non_utf8_line_is_named_with_file_and_line(manifest):
    edit_line(manifest, 3, lambda line: line.replace(b'"x/b"', b'"x/\xe9b"'))
    with pytest.raises(ManifestError, match=r"m\.jsonl: 1 problem\(s\):\n  line 3: not UTF-8 text") as err:
        read_manifest(manifest)
    assert str(manifest) in str(err.value)


def test_a_record_missing_a_field_names_field_and_line(manifest):
    def drop_duration(line: bytes) -> bytes:
        record = json.loads(line)
        del record["duration"]
        return json.dumps(record).encode()

    edit_line(manifest, 4, drop_duration)
    with pytest.raises(ManifestError) as err:
        read_manifest(manifest)
    message = str(err.value)
    assert "line 4 (x/c): record 'x/c' lacks required field(s) ['duration']" in message
    assert "positional argument" not in message and "'record" not in message


def test_from_dict_says_which_fields_are_missing():
    from sercorpus.core.schema import RecordFieldError

    with pytest.raises(
        RecordFieldError, match=r"lacks required field\(s\) \['duration', 'sample_rate'\]"
    ) as err:
        Utterance.from_dict({"id": "x/a", "corpus": "x", "audio_path": "a.wav"})
    assert isinstance(err.value, KeyError) and not str(err.value).startswith("'")


def test_validation_problems_use_the_files_own_line_numbers(manifest):
    edit_line(manifest, 3, lambda line: line.replace(b'"duration": 1.0', b'"duration": -1.0'))
    edit_line(manifest, 4, lambda line: line.replace(b'"x/c"', b'"x/a"'))
    with pytest.raises(ManifestError) as err:
        read_manifest(manifest)
    message = str(err.value)
    assert "line 3 (x/b): duration: must be a positive number" in message
    assert "line 4 (x/a): id: duplicate of line 2" in message
    assert "row 0" not in message and "row 1" not in message


def test_records_being_written_are_numbered_from_one(tmp_path):
    with pytest.raises(ManifestError, match=r"row 2 \(x/a\): id: duplicate of row 1"):
        write_manifest(tmp_path / "m.jsonl", [utt("a"), utt("a")], {"x": "/x"})


def test_a_line_that_is_not_an_object_is_named(manifest):
    edit_line(manifest, 2, lambda line: b"[1, 2, 3]")
    with pytest.raises(ManifestError, match=r"line 2: a record must be a JSON object"):
        read_manifest(manifest)


def test_cli_shows_one_clean_message(manifest):
    edit_line(manifest, 2, lambda line: line + b"\xff")
    result = CliRunner().invoke(app, ["manifest", "validate", str(manifest)])
    assert result.exit_code == 1 and "line 2: not UTF-8 text" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
