"""ESC-50 loader on the real clips in ../shared/data and on the miniature (both header variants)."""

from __future__ import annotations

import csv
import shutil

import pytest

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.esc50 import load_esc50
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.esc50 import CATEGORIES, write_esc50


def test_real_esc50_subset(shared_data):
    root = shared_data / "ESC-50"
    with open(root / "meta" / "esc50.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    records = list(load_esc50(root))
    assert len(records) == len(rows) == 60
    by_id = {u.id: u for u in records}
    for row in rows:
        utt = by_id["esc50/" + row["filename"][:-4]]
        assert utt.sample_rate == 44100 and utt.duration == 5.0 and utt.num_channels == 1
        assert utt.extra["category"] == row["category"]
        assert utt.extra["major_group"] == int(row["target"]) // 10
        assert utt.split == f"fold{row['fold']}"
        assert utt.extra["esc10"] == (row["esc10"] == "True")
    groups = {u.extra["major_group_name"] for u in records}
    assert groups == {"natural", "human", "domestic"}


@pytest.mark.parametrize("legacy", [False, True])
def test_miniature_round_trip(tmp_path, legacy):
    root = write_esc50(tmp_path / "esc", seed=3, legacy_header=legacy)
    records, report = prepare("esc50", root, tmp_path / "esc.parquet")
    assert len(records) == 2 * len(CATEGORIES)
    assert report.skipped == []
    assert {u.extra["category"] for u in records} == set(CATEGORIES)
    assert all(u.duration == 5.0 and u.sample_rate == 44100 for u in records)


def test_miniature_is_deterministic(tmp_path):
    a, b = write_esc50(tmp_path / "a", seed=1), write_esc50(tmp_path / "b", seed=1)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_bad_inputs_are_counted_skips_or_errors(tmp_path):
    root = write_esc50(tmp_path / "esc", seed=0)
    meta = root / "meta" / "esc50.csv"
    lines = meta.read_text().splitlines()
    first_wav = root / "audio" / lines[1].split(",")[0]
    first_wav.unlink()  # missing audio
    lines.append("9-1-A-99.wav,1,99,bogus,False,1,A")  # unknown target
    lines.append("broken,line")  # malformed
    meta.write_text("\n".join(lines) + "\n")
    report = PrepareReport("esc50")
    records = list(load_esc50(root, report))
    assert len(records) == 2 * len(CATEGORIES) - 1
    reasons = {(i.reason, i.line) for i in report.skipped}
    assert reasons == {
        ("missing-audio", None),
        ("unknown-label", len(lines) - 1),
        ("malformed-line", len(lines)),
    }
    missing = next(i for i in report.skipped if i.reason == "missing-audio")
    assert missing.file == str(first_wav) and missing.detail.endswith("esc50.csv:2)")
    with pytest.raises(CorpusFormatError, match=r"audio file not found \(listed at .*esc50.csv:2\).*strict"):
        list(load_esc50(root, PrepareReport("esc50", strict=True)))


def test_wrong_header_and_empty_root(tmp_path):
    root = write_esc50(tmp_path / "esc", seed=0)
    meta = root / "meta" / "esc50.csv"
    meta.write_text("file,label\n")
    with pytest.raises(CorpusFormatError, match="esc50.csv:1: unexpected header"):
        list(load_esc50(root))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match="metadata not found"):
        prepare("esc50", tmp_path / "empty", tmp_path / "x.parquet")
    shutil.rmtree(root / "audio")
    (root / "audio").mkdir()
    meta.write_text("filename,fold,target,category,esc10,src_file,take\n1-1-A-0.wav,1,0,dog,True,1,A\n")
    with pytest.raises(CorpusFormatError, match=r"no esc50 utterances found \(1 skipped\)"):
        prepare("esc50", root, tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()
