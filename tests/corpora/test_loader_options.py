"""Typed loader options: one declaration per corpus gives validation, ``--opt`` conversion and the messages."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

import sercorpus.corpora
from sercorpus.cli import app
from sercorpus.core.audio import AudioInfo
from sercorpus.corpora.common import RecordSkip, audio_fields
from sercorpus.corpora.iemocap import IemocapOptions
from sercorpus.corpora.options import LoaderOptions, convert, option
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.esc50 import write_esc50


@dataclass(frozen=True)
class Example(LoaderOptions):
    flag: bool = option(False, "a switch")
    count: int = option(3, "how many")
    ratio: float = option(0.5, "a share")
    name: str | None = option(None, "a name")
    version: str | float | None = option(None, "text wins over float for --opt text")
    scale: list[float] | None = option(None, "two numbers")
    mode: str = option("a", "a choice", choices=("a", "b"))


def test_opt_text_becomes_the_declared_type():
    got = Example.coerce(
        {"flag": "true", "count": "7", "ratio": "2", "name": "null", "version": "1.10", "scale": "[1, 5]"}
    )
    assert got == {
        "flag": True,
        "count": 7,
        "ratio": 2.0,
        "name": None,
        "version": "1.10",
        "scale": [1.0, 5.0],
    }
    assert Example.coerce({"flag": "no", "scale": "0,10"}) == {"flag": False, "scale": [0.0, 10.0]}


def test_library_values_pass_when_of_the_declared_type():
    got = Example.coerce({"flag": True, "count": 2, "ratio": 1, "version": 1.1, "name": "x"})
    assert got == {"flag": True, "count": 2, "ratio": 1.0, "version": 1.1, "name": "x"}
    assert isinstance(got["ratio"], float)


@pytest.mark.parametrize(
    "values, message",
    [
        (
            {"flag": "maybe"},
            r"option flag expects bool, got 'maybe'; valid options: flag \(bool, default False\)",
        ),
        ({"count": "3.5"}, r"option count expects int, got '3.5'"),
        ({"count": True}, r"option count expects int, got True"),  # a bool is not a number here
        ({"ratio": "nan"}, r"option ratio expects float, got 'nan'"),
        ({"mode": "c"}, r"option mode must be one of \['a', 'b'\], got mode='c'"),
        ({"colour": "red"}, r"does not take option\(s\) \['colour'\]; valid options: flag \(bool"),
    ],
)
def test_unknown_and_mistyped_options_are_refused_listing_the_valid_ones(values, message):
    with pytest.raises(ValueError, match=message):
        Example.coerce(values, "demo")


def test_listing_names_types_defaults_and_choices():
    text = Example.listing()
    for part in (
        "count (int, default 3)",
        "name (str | None, default None)",
        "mode (str, default 'a'; one of a, b)",
    ):
        assert part in text


def test_convert_refuses_none_for_required_types():
    with pytest.raises(ValueError):
        convert(None, bool)


def test_loader_takes_keywords_or_an_options_object_not_both(tmp_path):
    from sercorpus.corpora.iemocap import load_iemocap

    with pytest.raises(ValueError, match="not both"):
        load_iemocap(tmp_path, None, IemocapOptions(), multi_label="first")
    with pytest.raises(ValueError, match=r"include_self expects bool"):
        load_iemocap(tmp_path, include_self="perhaps")  # refused before the root is even looked at


def test_prepare_and_cli_validate_against_the_declaration(tmp_path):
    root = write_esc50(tmp_path / "esc")
    with pytest.raises(
        ValueError, match=r"esc50 loader does not take option\(s\) \['x'\]; valid options: none"
    ):
        prepare("esc50", root, tmp_path / "m.jsonl", options={"x": 1})
    result = CliRunner().invoke(
        app,
        ["prepare", "iemocap", str(tmp_path), "-o", str(tmp_path / "m.jsonl"), "--opt", "include_self=maybe"],
    )
    assert result.exit_code == 1 and "include_self expects bool, got 'maybe'" in result.output
    assert "multi_label (str, default 'split'; one of split, first, each)" in result.output


def test_one_skip_exception_in_the_loaders():
    """RecordSkip is the only exception class the corpus modules define (CorpusFormatError lives in core)."""
    found = set()
    for module_info in pkgutil.walk_packages(sercorpus.corpora.__path__, "sercorpus.corpora."):
        module = importlib.import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, BaseException):
                found.add(name)
    assert found == {"RecordSkip"}
    skip = RecordSkip("malformed-line", "why", 7)
    assert (skip.reason, skip.detail, skip.line) == ("malformed-line", "why", 7)


def test_audio_fields_come_from_the_probe():
    info = AudioInfo(sample_rate=16000, num_channels=2, num_frames=8000, subtype="PCM_16")
    assert audio_fields("a/b.wav", info) == {
        "audio_path": "a/b.wav",
        "duration": 0.5,
        "sample_rate": 16000,
        "num_channels": 2,
    }
