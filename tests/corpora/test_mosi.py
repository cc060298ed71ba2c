"""CMU-MOSI loader: hand-written Raw CSV and SDK .csd files, the miniature, standard folds, and bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from sercorpus.core.audio import write_wav
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.labelmap import manifests_dir
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.mosi import load_mosi
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.mosi import VIDEOS, write_mosi

# start,end,video_id,segment_no (1-based),label  -- no header, as shipped
LABELS = """36.38,40.12,03bSnISJMiM,1,2.4
41.0,44.5,03bSnISJMiM,2,-1.8
41.0,44.5,03bSnISJMiM,2,-1.8
10.0,12.5,bOL9jKpeJRs,1,0.0
5.0,7.0,d6hH302o4v8,1,-3.0
3.0,6.0,zzNotInAnyFold,1,1.4
"""
SEGMENTS = ["03bSnISJMiM_1", "03bSnISJMiM_2", "bOL9jKpeJRs_1", "d6hH302o4v8_1", "zzNotInAnyFold_1"]
SEGMENT_DIR = Path("Raw/Audio/WAV_16000/Segmented")


def wav(path: Path, rate: int = 16000, channels: int = 1, seconds: float = 0.5) -> None:
    shape = (int(rate * seconds), channels) if channels > 1 else (int(rate * seconds),)
    write_wav(path, np.full(shape, 0.01, dtype=np.float32), rate)


def raw_release(tmp_path: Path, labels: str | None = LABELS, segments=SEGMENTS) -> Path:
    root = tmp_path / "CMU_MOSI"
    (root / "Raw" / "Labels").mkdir(parents=True)
    if labels is not None:
        (root / "Raw" / "Labels" / "OpinionLevelSentiment.csv").write_text(labels)
    for seg in segments:
        wav(root / SEGMENT_DIR / f"{seg}.wav")
    return root


def write_csd(path: Path, entries: dict[str, list[tuple[float, float, float]]]) -> None:
    """The SDK layout, written here by hand: <root name>/data/<key>/{features, intervals} + metadata."""
    with h5py.File(path, "w") as h5:
        top = h5.create_group("Opinion Segment Labels")
        for key, rows in entries.items():
            group = top.create_group(f"data/{key}")
            group["features"] = np.array([[s] for _, _, s in rows])
            group["intervals"] = np.array([[a, b] for a, b, _ in rows])
        meta = top.create_group("metadata")
        meta.create_dataset("root name", (1,), dtype=h5py.string_dtype())[0] = json.dumps(
            "Opinion Segment Labels"
        )


def by_id(records):
    return {u.id: u for u in records}


# ------------------------------------------------------------------------------- hand-written files
def test_raw_csv_folds_sentiment_gender_transcripts_and_dedupe(tmp_path):
    root = raw_release(tmp_path)
    (root / "gender.csv").write_text(
        "file,gender\nAudio/03bSnISJMiM.wav,female\nAudio/bOL9jKpeJRs.wav,male\n"
    )
    transcripts = root / "Raw" / "Transcript" / "Segmented"
    transcripts.mkdir(parents=True)
    (transcripts / "03bSnISJMiM.annotprocessed").write_text(
        "1_DELIM_i loved this movie\n2_DELIM_but not the end\n"
    )
    report = PrepareReport("mosi")
    recs = by_id(load_mosi(root, report))
    assert list(recs) == [f"mosi/{s}" for s in SEGMENTS]
    assert report.read == 6 and [(i.reason, i.line) for i in report.skipped] == [("duplicate-interval", 3)]
    assert "line 2" in report.skipped[0].detail
    splits = {s: recs[f"mosi/{s}"].split for s in SEGMENTS}
    assert splits == {
        "03bSnISJMiM_1": "train",
        "03bSnISJMiM_2": "train",
        "bOL9jKpeJRs_1": "dev",
        "d6hH302o4v8_1": "test",
        "zzNotInAnyFold_1": None,
    }
    assert [(n.reason, n.record) for n in report.notes] == [("no-standard-fold", "mosi/zzNotInAnyFold")]
    raw = {
        "03bSnISJMiM_1": 2.4,
        "03bSnISJMiM_2": -1.8,
        "bOL9jKpeJRs_1": 0.0,
        "d6hH302o4v8_1": -3.0,
        "zzNotInAnyFold_1": 1.4,
    }
    for seg, s in raw.items():
        utt = recs[f"mosi/{seg}"]
        assert utt.sentiment == pytest.approx((s + 3) / 6)
        assert (
            utt.extra["sentiment_raw"] == s and utt.label is None and utt.votes == {} and utt.soft_label == {}
        )
        vid = seg.rsplit("_", 1)[0]
        assert utt.speaker == utt.group == f"mosi/{vid}"
        assert utt.audio_path == f"{SEGMENT_DIR.as_posix()}/{seg}.wav"
    assert [recs[f"mosi/{s}"].extra["class7"] for s in SEGMENTS] == [2, -2, 0, -3, 1]
    assert [recs[f"mosi/{s}"].extra["binary"] for s in SEGMENTS] == [
        "positive",
        "negative",
        "positive",
        "negative",
        "positive",
    ]
    assert recs["mosi/bOL9jKpeJRs_1"].extra["binary_nonzero"] is None
    assert recs["mosi/03bSnISJMiM_2"].extra["sdk_key"] == "03bSnISJMiM[1]"
    assert (recs["mosi/03bSnISJMiM_1"].extra["start"], recs["mosi/03bSnISJMiM_1"].extra["end"]) == (
        36.38,
        40.12,
    )
    assert [recs[f"mosi/{s}"].gender for s in SEGMENTS] == ["female", "female", "male", None, None]
    assert recs["mosi/03bSnISJMiM_2"].transcript == "but not the end"
    assert recs["mosi/bOL9jKpeJRs_1"].transcript is None


def test_gender_file_option_and_root_being_raw_itself(tmp_path):
    root = raw_release(tmp_path)
    side = tmp_path / "audeering_gender.csv"
    side.write_text("file,gender\nAudio/d6hH302o4v8.wav,male\nAudio/03bSnISJMiM.wav,unknown\n")
    report = PrepareReport("mosi")
    recs = by_id(load_mosi(root / "Raw", report, gender_file=str(side)))  # the Raw/ folder as root
    assert recs["mosi/d6hH302o4v8_1"].gender == "male" and recs["mosi/03bSnISJMiM_1"].gender is None
    assert recs["mosi/d6hH302o4v8_1"].audio_path == "Audio/WAV_16000/Segmented/d6hH302o4v8_1.wav"
    assert "unknown-gender" in {n.reason for n in report.notes}


def test_csd_aligned_keys_are_zero_based(tmp_path):
    root = raw_release(tmp_path, labels=None)
    write_csd(
        root / "CMU_MOSI_Opinion_Labels.csd",
        {
            "03bSnISJMiM[0]": [(36.38, 40.12, 2.4)],
            "03bSnISJMiM[1]": [(41.0, 44.5, -1.8)],
            "d6hH302o4v8[0]": [(5.0, 7.0, -3.0)],
        },
    )
    recs = by_id(load_mosi(root))  # no CSV: the .csd is used
    assert sorted(recs) == ["mosi/03bSnISJMiM_1", "mosi/03bSnISJMiM_2", "mosi/d6hH302o4v8_1"]
    assert recs["mosi/03bSnISJMiM_2"].sentiment == pytest.approx(1.2 / 6)
    assert recs["mosi/03bSnISJMiM_2"].extra["start"] == 41.0


def test_csd_per_video_rows_with_duplicate_interval(tmp_path):
    root = raw_release(tmp_path, labels=None)
    (root / "csd").mkdir()
    write_csd(
        root / "csd" / "CMU_MOSI_Opinion_Labels.csd",
        {
            "03bSnISJMiM": [
                (36.38, 40.12, 2.4),
                (41.0, 44.5, -1.8),
                (41.0, 44.5, -1.8),
            ],  # row j -> segment j+1
            "bOL9jKpeJRs": [(10.0, 12.5, 0.0)],
        },
    )
    report = PrepareReport("mosi")
    recs = by_id(load_mosi(root, report, source="csd"))
    assert sorted(recs) == ["mosi/03bSnISJMiM_1", "mosi/03bSnISJMiM_2", "mosi/bOL9jKpeJRs_1"]
    assert report.read == 4 and report.skip_counts() == {"duplicate-interval": 1}
    assert recs["mosi/03bSnISJMiM_1"].extra["sentiment_raw"] == 2.4


def test_csd_is_cross_checked_against_the_csv(tmp_path):
    root = raw_release(tmp_path)
    rows = {
        "03bSnISJMiM[0]": [(36.38, 40.12, 2.4)],
        "03bSnISJMiM[1]": [(41.0, 44.5, -1.8)],
        "bOL9jKpeJRs[0]": [(10.0, 12.5, 0.0)],
        "d6hH302o4v8[0]": [(5.0, 7.0, -3.0)],
        "zzNotInAnyFold[0]": [(3.0, 6.0, 1.4)],
    }
    write_csd(root / "CMU_MOSI_Opinion_Labels.csd", rows)
    report = PrepareReport("mosi")
    assert len(list(load_mosi(root, report))) == 5
    assert "csd-mismatch" not in {n.reason for n in report.notes} and report.counts["csd-agrees"] == 6
    # an off-by-one conversion (1-based numbers used as SDK keys) is caught
    shifted = {**rows, "03bSnISJMiM[1]": rows["03bSnISJMiM[0]"], "03bSnISJMiM[2]": rows["03bSnISJMiM[1]"]}
    del shifted["03bSnISJMiM[0]"]
    write_csd(root / "CMU_MOSI_Opinion_Labels.csd", shifted)
    report = PrepareReport("mosi")
    list(load_mosi(root, report))
    assert [n.reason for n in report.notes if n.reason == "csd-mismatch"] == ["csd-mismatch"]


# ---------------------------------------------------------------------------------------- miniature
def test_standard_folds_are_the_sdk_ones():
    folds = yaml.safe_load((manifests_dir() / "folds" / "mosi_std_folds.yaml").read_text())["splits"]
    assert {k: len(v) for k, v in folds.items()} == {"train": 52, "valid": 10, "test": 31}
    assert len(set(folds["train"]) | set(folds["valid"]) | set(folds["test"])) == 93
    assert {"03bSnISJMiM", "d6hH302o4v8", "bOL9jKpeJRs"} <= set().union(*folds.values())


def test_miniature_prepares_and_is_deterministic(tmp_path):
    root = write_mosi(tmp_path / "a", seed=2)
    with open(root / "Raw" / "Labels" / "OpinionLevelSentiment.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    unique = {(r[2], float(r[0]), float(r[1])): r for r in rows}
    records, report = prepare("mosi", root, tmp_path / "mosi.parquet")
    assert len(rows) == len(unique) + 2 and len(records) == len(unique)
    assert report.skip_counts() == {"duplicate-interval": 2}
    assert report.counts["csd-agrees"] == len(rows)  # the 0-based .csd matches the 1-based CSV
    fold = {vid: {"train": "train", "valid": "dev", "test": "test"}[f] for vid, f, _ in VIDEOS}
    recs = by_id(records)
    for vid, start, end in unique:
        r = unique[(vid, start, end)]
        utt = recs[f"mosi/{vid}_{r[3]}"]
        assert utt.split == fold[vid] and utt.sentiment == pytest.approx((float(r[4]) + 3) / 6)
        assert utt.duration == pytest.approx(end - start, abs=1e-4)
    assert {u.split for u in records} == {"train", "dev", "test"}
    assert sum(u.gender is None for u in records) == sum(1 for r in unique.values() if r[2] == "Ci-AH39fi3Y")
    assert sum(u.transcript is None for u in records) == 1
    with h5py.File(root / "CMU_MOSI_Opinion_Labels.csd") as h5:
        assert "03bSnISJMiM[0]" in h5["Opinion Segment Labels/data"]
    again = write_mosi(tmp_path / "b", seed=2)
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((root / f).read_bytes() == (again / f).read_bytes() for f in files)


# ---------------------------------------------------------------------------------------- bad input
def test_bad_rows_and_audio_are_counted_skips_naming_file_and_line(tmp_path):
    extra = ["03bSnISJMiM_3", "03bSnISJMiM_4", "03bSnISJMiM_5", "03bSnISJMiM_6", "03bSnISJMiM_7"]
    labels = LABELS + (
        "50.0,52.0,03bSnISJMiM,3\n"  # line 7: 4 fields
        "53.0,55.0,03bSnISJMiM,0,1.0\n"  # line 8: segment numbers are 1-based
        "56.0,58.0,03bSnISJMiM,1,1.0\n"  # line 9: segment 1 again, other interval
        "59.0,61.0,03bSnISJMiM,4,5.0\n"  # line 10: sentiment outside [-3, 3]
        "62.0,64.0,03bSnISJMiM,5,1.0\n"  # line 11: missing wav
        "65.0,67.0,03bSnISJMiM,6,1.0\n"  # line 12: truncated wav
        "68.0,70.0,03bSnISJMiM,7,1.0\n"
    )  # line 13: stereo 8 kHz
    root = raw_release(tmp_path, labels, SEGMENTS + extra)
    (root / SEGMENT_DIR / "03bSnISJMiM_5.wav").unlink()
    truncated = root / SEGMENT_DIR / "03bSnISJMiM_6.wav"
    truncated.write_bytes(truncated.read_bytes()[:100])
    wav(root / SEGMENT_DIR / "03bSnISJMiM_7.wav", rate=8000, channels=2)
    report = PrepareReport("mosi")
    assert len(list(load_mosi(root, report))) == 5
    label_file = str(root / "Raw" / "Labels" / "OpinionLevelSentiment.csv")
    got = {(i.reason, i.line if i.file == label_file else Path(i.file).name) for i in report.skipped}
    assert got == {
        ("duplicate-interval", 3),
        ("malformed-line", 7),
        ("malformed-line", 8),
        ("duplicate-id", 9),
        ("out-of-range", 10),
        ("missing-audio", "03bSnISJMiM_5.wav"),
        ("unreadable-audio", "03bSnISJMiM_6.wav"),
        ("wrong-sample-rate", "03bSnISJMiM_7.wav"),
    }
    assert report.read == 13
    assert next(i for i in report.skipped if i.reason == "missing-audio").detail.endswith(f"{label_file}:11)")
    with pytest.raises(CorpusFormatError, match=r"OpinionLevelSentiment.csv:7: expected 5 fields.*strict"):
        list(load_mosi(root, PrepareReport("mosi", strict=True)))


def test_wrong_channels_options_and_empty_root(tmp_path):
    root = raw_release(tmp_path)
    wav(root / SEGMENT_DIR / "03bSnISJMiM_1.wav", channels=2)
    records, report = prepare("mosi", root, tmp_path / "m.jsonl")
    assert len(records) == 4 and report.skip_counts() == {"duplicate-interval": 1, "wrong-channels": 1}
    with pytest.raises(ValueError, match="source='xml'"):
        list(load_mosi(root, source="xml"))
    with pytest.raises(CorpusFormatError, match="no CMU-MOSI labels found"):
        list(load_mosi(root, source="csd"))
    with pytest.raises(CorpusFormatError, match="gender side file not found"):
        list(load_mosi(root, gender_file="nope.csv"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match="no CMU-MOSI labels found"):
        prepare("mosi", tmp_path / "empty", tmp_path / "x.parquet")
