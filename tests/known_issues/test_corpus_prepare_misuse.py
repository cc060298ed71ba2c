"""Issue 10, item 11 (for ``prepare`` and ``synth``): ``-o`` pointing at an existing directory, or under a
file, gave a traceback after the whole corpus had been read. Such misuse is now a one-line error naming the
path, found before any reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.esc50 import write_esc50

runner = CliRunner()


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return write_esc50(tmp_path_factory.mktemp("esc") / "root")


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in result.output


def test_out_is_an_existing_directory(root, tmp_path):
    out = tmp_path / "m.parquet"
    out.mkdir()
    one_line_error(
        runner.invoke(app, ["prepare", "esc50", str(root), "-o", str(out)]), str(out), "is a directory"
    )


def test_out_without_a_manifest_extension_names_the_formats(root, tmp_path):
    out = tmp_path / "outdir"
    out.mkdir()
    result = runner.invoke(app, ["prepare", "esc50", str(root), "-o", str(out)])
    one_line_error(result, str(out), "chosen by extension")


def test_out_under_an_existing_file(root, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    out = tmp_path / "notes.txt" / "m.jsonl"
    one_line_error(
        runner.invoke(app, ["prepare", "esc50", str(root), "-o", str(out)]),
        "notes.txt is a file, not a folder",
    )


def test_report_path_taken_by_a_directory(root, tmp_path):
    (tmp_path / "m.jsonl.report.json").mkdir()
    result = runner.invoke(app, ["prepare", "esc50", str(root), "-o", str(tmp_path / "m.jsonl")])
    one_line_error(result, "m.jsonl.report.json", "is a directory")
    assert not (tmp_path / "m.jsonl").exists()


def test_output_problems_are_found_before_reading(tmp_path, monkeypatch):
    """A 100k-file prepare must not fail at its last step: the loader is never called."""
    import sercorpus.corpora.prepare as prepare_module

    def no_loading(*args, **kwargs):
        raise AssertionError("the corpus was read before the output path was checked")

    monkeypatch.setattr(prepare_module, "collect", no_loading)
    (tmp_path / "m.parquet").mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        prepare("esc50", tmp_path, tmp_path / "m.parquet")
    with pytest.raises(ValueError, match="chosen by extension"):
        prepare("esc50", tmp_path, tmp_path / "m.csv")


def test_missing_root_and_root_that_is_a_file(root, tmp_path):
    one_line_error(
        runner.invoke(app, ["prepare", "esc50", str(tmp_path / "nope"), "-o", str(tmp_path / "m.jsonl")]),
        "corpus root does not exist",
    )
    (tmp_path / "file").write_text("x")
    one_line_error(
        runner.invoke(app, ["prepare", "esc50", str(tmp_path / "file"), "-o", str(tmp_path / "m.jsonl")]),
        "corpus root is not a directory",
    )


def test_synth_into_a_path_under_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    one_line_error(runner.invoke(app, ["synth", "esc50", str(tmp_path / "f" / "mini")]), str(tmp_path / "f"))


def test_mistyped_option_is_one_line_listing_the_valid_ones(root, tmp_path):
    result = runner.invoke(
        app,
        ["prepare", "msp-podcast", str(root), "-o", str(tmp_path / "m.jsonl"), "--opt", "secondary=maybe"],
    )
    one_line_error(
        result, "secondary expects bool, got 'maybe'", "valid options: secondary (bool, default False)"
    )
    result = runner.invoke(
        app, ["prepare", "esc50", str(root), "-o", str(tmp_path / "m.jsonl"), "--opt", "novalue"]
    )
    one_line_error(result, "--opt expects KEY=VALUE")
