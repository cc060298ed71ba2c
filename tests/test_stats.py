"""Stats: the numbers in the per-corpus/per-split table (counts, %, hours, speakers, gender, agreement)."""

from __future__ import annotations

import pytest
from factories import utt, write
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.selection.stats import compute_stats, stats_markdown, stats_png

runner = CliRunner()


def records() -> list:
    return [
        utt("a", label="neutral", votes={"neutral": 3}, speaker="s1", gender="female", duration=1800.0),
        utt("b", label="happy", votes={"happy": 2, "sad": 1}, speaker="s1", gender="female", duration=900.0),
        utt(
            "c",
            label="excited",
            votes={"excited": 2, "happy": 2},
            speaker="s2",
            gender="male",
            duration=900.0,
        ),
        utt("d", label=None, votes={"sad": 1, "angry": 1}, speaker="s3", duration=0.5),
        utt("e", label="sad", votes={}, split="test1", speaker="s4", gender="male", duration=3600.0),
    ]


def test_stats_numbers_full_and_view():
    stats = compute_stats(records())
    assert stats.classes == ["neutral", "happy", "sad", "excited", "(none)"]
    train, test1, total = stats.rows
    assert (train.split, test1.split, total.split) == ("train", "test1", "all")
    assert train.n == 4 and train.counts == {"neutral": 1, "happy": 1, "excited": 1, "(none)": 1}
    assert train.share("neutral") == 25.0
    assert train.hours == pytest.approx((3600 + 0.5) / 3600)
    assert train.speakers == 3
    assert train.gender == {"female": 2, "male": 1, "unknown": 1}
    assert train.agreement == pytest.approx((1 + 2 / 3 + 0.5 + 0.5) / 4)
    assert test1.agreement is None and test1.rated == 0
    assert total.n == 5 and total.speakers == 4

    view = compute_stats(records(), view="4class")
    assert view.classes == ["neutral", "happy", "sad", "angry", "(none)"]
    row = view.rows[0]
    assert row.counts == {"neutral": 1, "happy": 2, "(none)": 1}  # excited counts as happy
    assert row.agreement == pytest.approx((1 + 2 / 3 + 1 + 0.5) / 4)  # c is unanimous once merged


def test_markdown_and_png(tmp_path):
    stats = compute_stats(records(), view="4class")
    text = stats_markdown(stats, "demo")
    assert "| corpus | split | n | neutral | happy | sad | angry | (none) |" in text
    assert "| msp-podcast | train | 4 | 1 (25.0%) | 2 (50.0%) | 0 (0.0%) | 0 (0.0%) | 1 (25.0%) |" in text
    assert "50/25/25" in text  # F/M/? shares of the train row
    path = stats_png(stats, tmp_path / "s.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_view():
    with pytest.raises(ValueError, match="unknown label view"):
        compute_stats(records(), view="3class")


def test_cli_stats(tmp_path):
    a = write(tmp_path, "a.parquet", records())
    b = write(tmp_path, "b.jsonl", [utt("x", "iemocap", label="angry", split=None, gender="male")])
    md, png = tmp_path / "s.md", tmp_path / "s.png"
    result = runner.invoke(
        app, ["stats", str(a), str(b), "--view", "4class", "--markdown", str(md), "--png", str(png)]
    )
    assert result.exit_code == 0, result.output
    assert "iemocap" in result.output and "2 (50.0%)" in result.output
    assert "| iemocap | (none) | 1 | 0 (0.0%) | 0 (0.0%) | 0 (0.0%) | 1 (100.0%) |" in md.read_text()
    assert png.stat().st_size > 5000
    # the same corpus in two files: one row group per file
    result = runner.invoke(app, ["stats", str(a), str(a.with_name("a.parquet"))])
    assert result.exit_code == 0
    c = write(tmp_path, "c.jsonl", [utt("z", label="sad")])
    result = runner.invoke(app, ["stats", str(a), str(c)])
    assert "msp-podcast (c)" in result.output and "msp-podcast (a)" in result.output
    bad = runner.invoke(app, ["stats", str(a), "--view", "x"])
    assert bad.exit_code == 1 and "unknown label view 'x'" in bad.output
