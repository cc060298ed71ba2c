"""Filters, merge and label scrambling (labels, votes, soft labels and raters' categories move together)."""

from __future__ import annotations

import pytest
from factories import utt, write
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.manifest import Manifest, read_manifest
from sercorpus.core.schema import Annotation, validate_utterance
from sercorpus.selection.filters import FilterSpec, filter_records
from sercorpus.selection.merge import merge_manifests
from sercorpus.selection.scramble import scramble, swap_permutation
from sercorpus.selection.steps import with_step

runner = CliRunner()


def rated() -> list:
    return [
        utt(
            "a",
            label="neutral",
            votes={"neutral": 2, "sad": 1},
            annotations=[
                Annotation("r1", categories=["neutral"]),
                Annotation("r2", categories=["neutral"]),
                Annotation("r3", categories=["sad"], secondary=["happy"]),
            ],
        ),
        utt("b", label="happy", votes={"happy": 2, "excited": 1, "angry": 1}),
        utt("c", label=None, votes={"angry": 1, "frustrated": 1}),
        utt("d", "iemocap", label="sad", votes={"sad": 3}, split=None, duration=12.0),
    ]


def test_scramble_moves_label_votes_soft_and_annotations_together():
    records, recipe = scramble(rated(), [("neutral", "sad"), ("happy", "angry")])
    a, b, c, d = records
    assert a.label == "sad" and a.votes == {"sad": 2, "neutral": 1}
    assert a.soft_label == pytest.approx({"sad": 2 / 3, "neutral": 1 / 3})
    assert [x.categories for x in a.annotations] == [["sad"], ["sad"], ["neutral"]]
    assert a.annotations[2].secondary == ["angry"]
    assert b.label == "angry" and b.votes == {"angry": 2, "excited": 1, "happy": 1}
    assert c.label is None and c.votes == {"happy": 1, "frustrated": 1}
    assert d.label == "neutral"
    assert a.extra["scrambled"] == {"neutral": "sad", "sad": "neutral", "happy": "angry", "angry": "happy"}
    assert recipe["changed"] == 4 and recipe["permutation"] == a.extra["scrambled"]
    assert all(not validate_utterance(u) for u in records)


def test_scramble_twice_with_inverse_restores_exactly():
    original = rated()
    swaps = [("neutral", "sad"), ("sad", "angry")]  # overlapping: a 3-cycle, not self-inverse
    once, _ = scramble(original, swaps)
    assert once[0].label == "angry"  # neutral -> sad -> angry
    assert swap_permutation(swaps) == {"neutral": "angry", "sad": "neutral", "angry": "sad"}
    back, _ = scramble(once, list(reversed(swaps)))
    assert back == original  # labels, votes, soft labels, annotations, and the extra mark is gone
    disjoint = [("neutral", "sad"), ("happy", "angry")]
    twice, _ = scramble(scramble(original, disjoint)[0], disjoint)
    assert twice == original


def test_scramble_one_corpus_only_and_errors():
    records, recipe = scramble(rated(), [("neutral", "sad")], corpora=["iemocap"])
    assert [u.label for u in records] == ["neutral", "happy", None, "neutral"]
    assert recipe["changed"] == 1 and "scrambled" not in records[0].extra
    with pytest.raises(ValueError, match="cannot swap 'calm'"):
        scramble(rated(), [("calm", "sad")])
    with pytest.raises(ValueError, match="with itself"):
        scramble(rated(), [("sad", "sad")])


def test_filters_count_what_they_drop():
    spec = FilterSpec(view="4class", drop_null=True, min_agreement=0.6, max_duration=10.0)
    result = filter_records(rated(), spec)
    assert [u.id for u in result.records] == ["msp-podcast/a", "msp-podcast/b"]
    b = result.records[1]
    assert b.votes == {"happy": 3, "angry": 1} and b.extra["view"] == "4class"  # excited merged into happy
    assert result.dropped == {"no-consensus": 1, "too-long": 1}
    strict = filter_records(rated(), FilterSpec(min_agreement=0.7))
    assert [u.id for u in strict.records] == ["iemocap/d"] and strict.dropped == {"low-agreement": 3}
    only = filter_records(rated(), FilterSpec(corpora=("iemocap",), splits=("(none)",)))
    assert len(only.records) == 1 and only.dropped == {"corpus": 3}
    excl = filter_records(rated(), FilterSpec(view="4class", out_of_view="exclude"))
    assert excl.dropped == {"votes-outside-view": 1}  # only c has a vote (frustrated) outside 4class


def test_filter_spec_errors():
    with pytest.raises(ValueError, match="unknown label view"):
        FilterSpec(view="nope")
    with pytest.raises(ValueError, match="duration range is empty"):
        FilterSpec(min_duration=5, max_duration=1)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        FilterSpec(min_agreement=2)


def test_merge_roots_and_collisions():
    a = Manifest([utt("x")], {"msp-podcast": "/data/msp"}, {"source": "a"})
    b = Manifest([utt("y", "iemocap")], {"iemocap": "/data/iemocap"})
    merged = merge_manifests([a, b], ["a", "b"])
    assert merged.roots == {"msp-podcast": "/data/msp", "iemocap": "/data/iemocap"}
    assert merged.meta["steps"] == [{"step": "merge", "sources": ["a", "b"]}]
    with pytest.raises(ValueError, match="id msp-podcast/x is in both a and c"):
        merge_manifests([a, Manifest([utt("x")], {"msp-podcast": "/data/msp"})], ["a", "c"])
    with pytest.raises(ValueError, match="has two roots"):
        merge_manifests([a, Manifest([utt("z")], {"msp-podcast": "/elsewhere"})], ["a", "d"])


def test_with_step_appends():
    meta = with_step({"x": 1}, {"step": "a"})
    assert with_step(meta, {"step": "b"}) == {"x": 1, "steps": [{"step": "a"}, {"step": "b"}]}
    assert meta == {"x": 1, "steps": [{"step": "a"}]}


def test_cli_scramble_filter_merge(tmp_path):
    inp = write(tmp_path, "in.jsonl", rated())
    out = tmp_path / "scr.parquet"
    result = runner.invoke(
        app,
        [
            "scramble",
            str(inp),
            "-o",
            str(out),
            "--swap",
            "neutral:sad",
            "--swap",
            "happy:angry",
            "--corpus",
            "msp-podcast",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "scrambled 3 of 4" in result.output
    records = read_manifest(out).records
    assert records[1].extra["scrambled"]["neutral"] == "sad" and records[0].label == "sad"  # iemocap/d first
    back = tmp_path / "back.jsonl"
    assert (
        runner.invoke(
            app,
            [
                "scramble",
                str(out),
                "-o",
                str(back),
                "--swap",
                "neutral:sad",
                "--swap",
                "happy:angry",
                "--corpus",
                "msp-podcast",
            ],
        ).exit_code
        == 0
    )
    assert read_manifest(back).records == read_manifest(inp).records
    bad = runner.invoke(app, ["scramble", str(inp), "-o", str(back), "--swap", "neutral-sad"])
    assert bad.exit_code == 1 and "--swap expects A:B" in bad.output

    filt = tmp_path / "f.jsonl"
    result = runner.invoke(app, ["filter", str(inp), "-o", str(filt), "--view", "4class", "--drop-null"])
    assert result.exit_code == 0 and "kept 3 of 4" in result.output
    assert read_manifest(filt).meta["steps"][-1]["dropped"] == {"no-consensus": 1}

    other = write(tmp_path, "other.jsonl", [utt("zz", "crema-d")])
    merged = tmp_path / "m.parquet"
    result = runner.invoke(app, ["merge", str(inp), str(other), "-o", str(merged)])
    assert result.exit_code == 0 and len(read_manifest(merged).records) == 5
    result = runner.invoke(app, ["merge", str(inp), str(inp), "-o", str(merged)])
    assert result.exit_code == 1 and "is in both" in result.output
