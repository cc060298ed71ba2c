"""Issue 10 item 11: a malformed YAML config (``max_snr_db: [oops``) and ``-o`` pointing at an existing file
(``FileExistsError``) showed tracebacks. Both are now one-line errors naming the file."""

from __future__ import annotations

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from sercorpus.cli import app


def inputs(tmp_path):
    (tmp_path / "in").mkdir()
    sf.write(tmp_path / "in" / "a.wav", (0.1 * np.sin(np.arange(4000) * 0.05)).astype(np.float32), 16000)
    return str(tmp_path / "in")


def error_line(result) -> str:
    text = result.output.strip()
    assert "Traceback" not in text and result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_malformed_yaml_is_one_line_naming_file_and_position(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("chain:\n  - op: pink_noise\n    max_snr_db: [oops\n")
    result = CliRunner().invoke(app, ["augment", inputs(tmp_path), "-c", str(cfg), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    line = error_line(result)
    assert f"{cfg}:" in line and "not valid YAML" in line


def test_output_pointing_at_a_file_is_one_line_naming_it(tmp_path):
    cfg = tmp_path / "ok.yaml"
    cfg.write_text("chain:\n  - {op: gain}\n")
    target = tmp_path / "taken.txt"
    target.write_text("not a folder")
    result = CliRunner().invoke(app, ["augment", inputs(tmp_path), "-c", str(cfg), "-o", str(target)])
    assert result.exit_code == 1
    line = error_line(result)
    assert str(target) in line and "not a folder" in line
    assert target.read_text() == "not a folder"
