"""Generic ``csv`` / ``folder`` loaders: the shipped example specs, spec features and spec/table errors."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.labelmap import manifests_dir
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.generic import load_csv, load_folder
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.custom import (
    CSV_LABELS,
    CSV_SPEAKERS,
    FOLDER_SPEAKERS,
    write_custom_csv,
    write_custom_folder,
)


@pytest.fixture(scope="module")
def csv_mini(tmp_path_factory) -> Path:
    return write_custom_csv(tmp_path_factory.mktemp("generic") / "csv", seed=0)


@pytest.fixture(scope="module")
def folder_mini(tmp_path_factory) -> Path:
    return write_custom_folder(tmp_path_factory.mktemp("generic") / "folder", seed=0)


@pytest.fixture()
def csv_root(csv_mini, tmp_path) -> Path:
    return Path(shutil.copytree(csv_mini, tmp_path / "csv"))


def load(loader, root: Path, report: PrepareReport | None = None, **options):
    report = report or PrepareReport("csv")
    return list(loader(root, report, **options)), report


def set_spec(root: Path, old: str, new: str) -> None:
    spec = root / "sercorpus.yaml"
    text = spec.read_text()
    assert old in text, old
    spec.write_text(text.replace(old, new))


# ------------------------------------------------------------------------------------------ examples
def test_shipped_specs_are_the_ones_the_writers_use(csv_mini, folder_mini):
    assert (csv_mini / "sercorpus.yaml").read_bytes() == (
        manifests_dir() / "custom_example.yaml"
    ).read_bytes()
    assert (folder_mini / "sercorpus.yaml").read_bytes() == (
        manifests_dir() / "custom_folder_example.yaml"
    ).read_bytes()


def test_csv_example_maps_columns_labels_dims_splits(csv_mini, tmp_path):
    records, report = prepare("csv", csv_mini, tmp_path / "csv.parquet")
    assert len(records) == 24 and report.skipped == []
    utt = next(u for u in records if u.id == "emo-mini/sp02_anger_00")
    assert utt.corpus == "emo-mini" and utt.audio_path == "wav/sp02_anger_00.wav" and utt.sample_rate == 16000
    assert utt.label == "angry" and utt.votes == {"angry": 1.0} and utt.soft_label == {"angry": 1.0}
    assert utt.speaker == "emo-mini/sp02" and utt.gender == "male" and utt.split == "train"
    assert utt.arousal == 1.0 and utt.valence == 0.0  # act 5, val 1 on [1, 5]
    assert utt.transcript == "The meeting moved to Thursday." and utt.extra == {"dataset": "emo-mini"}
    assert Counter(u.split for u in records) == {"train": 12, "dev": 6, "test": 6}
    assert Counter(u.label for u in records) == {
        "angry": 4,
        "happy": 4,
        "neutral": 4,
        "sad": 4,
        "fearful": 4,
        "other": 4,
    }
    assert {u.speaker for u in records} == {f"emo-mini/{s}" for s in CSV_SPEAKERS} and set(CSV_LABELS) >= {
        "boredom"
    }
    assert all(u.duration > 1 and u.offset == 0 for u in records)


def test_folder_example_reads_labels_from_file_names(folder_mini, tmp_path):
    records, report = prepare("folder", folder_mini, tmp_path / "folder.parquet")
    assert len(records) == 28 and report.skipped == []
    utt = next(u for u in records if u.id == "emodb-mini/08a01Wa")
    assert (
        utt.label == "angry"
        and utt.speaker == "emodb-mini/08"
        and utt.gender == "female"
        and utt.split == "test"
    )
    assert utt.extra == {"dataset": "emodb-mini", "text": "a01", "take": "a"}
    assert {u.speaker: u.gender for u in records} == {
        f"emodb-mini/{s}": g for s, g in FOLDER_SPEAKERS.items()
    }
    assert {u.speaker for u in records if u.split == "test"} == {"emodb-mini/03", "emodb-mini/08"}
    assert Counter(u.label for u in records)["other"] == 4  # L (boredom) -> other


def test_writers_are_deterministic_and_fast(tmp_path):
    for writer in (write_custom_csv, write_custom_folder):
        start = time.perf_counter()
        a = writer(tmp_path / f"{writer.__name__}-a", seed=2)
        assert time.perf_counter() - start < 5
        b = writer(tmp_path / f"{writer.__name__}-b", seed=2)
        files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
        assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


# ------------------------------------------------------------------------------------------ features
def test_rater_columns_pattern_fields_and_segments(csv_root):
    table = csv_root / "labels.csv"
    lines = table.read_text().splitlines()
    rows = ["file,r1,r2,r3,start,dur"]
    rows.append("sp01_anger_00.wav,anger,anger;fear,neutral,0.2,0.5")
    rows.append("sp02_happiness_01.wav,happiness,,happiness,,")
    (csv_root / "raters.csv").write_text("\n".join(rows) + "\n")
    set_spec(csv_root, "table: labels.csv", "table: raters.csv")
    set_spec(
        csv_root,
        "columns:\n  audio: file\n  speaker: speaker\n  gender: sex\n  split: set\n"
        "  label: emotion          # one label per row; use `raters: [col1, col2]` for one column "
        "per annotator\n  transcript: text\n  arousal: act            # dimensional ratings on the "
        "native `scale` below\n  valence: val\n",
        "columns:\n  audio: file\n  raters: [r1, r2, r3]\n  offset: start\n  duration: dur\n"
        "files:\n  pattern: '(?P<speaker>sp\\d\\d)_(?P<word>[a-z]+)_(?P<n>\\d\\d)'\n",
    )
    records, report = load(load_csv, csv_root)
    assert report.skipped == [] and len(lines) == 25
    first, second = records
    assert first.votes == pytest.approx({"angry": 1.5, "fearful": 0.5, "neutral": 1.0})
    assert first.label == "angry" and [a.rater for a in first.annotations] == ["r1", "r2", "r3"]
    assert first.offset == 0.2 and first.duration == 0.5 and first.speaker == "emo-mini/sp01"
    assert first.extra == {"dataset": "emo-mini", "word": "anger", "n": "00"}
    assert second.votes == {"happy": 2.0} and len(second.annotations) == 2 and second.offset == 0.0


def test_privacy_options_apply_to_generic_corpora(csv_root, tmp_path):
    (tmp_path / "r.txt").write_text("Thursday\n")
    records, _ = load(load_csv, csv_root, redact=str(tmp_path / "r.txt"))
    assert "The meeting moved to [REDACTED]." in {u.transcript for u in records}
    records, _ = load(load_csv, csv_root, no_transcripts=True)
    assert all(u.transcript is None for u in records)


# ---------------------------------------------------------------------------------------------- errors
def test_row_problems_are_counted_skips_with_lines(csv_root):
    table = csv_root / "labels.csv"
    lines = table.read_text().splitlines()
    lines += [
        "sp01_anger_00.wav,sp01,f,rage,training,x,3,3",  # unknown label
        "missing.wav,sp01,f,anger,training,x,3,3",  # no audio file
        "sp01_anger_00.wav,sp01,f,anger,training,x,9,3",  # arousal outside the scale
        "sp01_anger_00.wav,sp01,f,anger,training,x,high,3",  # not a number
        "sp01_anger_00.wav,sp01,f",  # too few fields
        "../../escape.wav,sp01,f,anger,training,x,3,3",
    ]
    table.write_text("\n".join(lines) + "\n")
    records, report = load(load_csv, csv_root)
    assert len(records) == 24
    got = [(i.reason, i.line) for i in report.skipped]
    assert got == [
        ("unknown-label", 26),
        ("missing-audio", None),
        ("out-of-range", 28),
        ("malformed-row", 29),
        ("malformed-row", 30),
        ("audio-outside-root", 31),
    ]
    assert "label 'rage' is not in the spec's labels map" in report.skipped[0].detail
    assert report.skipped[0].file == str(table) and report.skipped[1].file == str(
        csv_root / "wav" / "missing.wav"
    )
    assert report.skipped[1].detail == f"audio file not found (listed at {table}:27)"
    assert "arousal 9 outside the spec's scale [1.0, 5.0]" in report.skipped[2].detail
    set_spec(csv_root, "unknown_labels: skip", "unknown_labels: error")
    with pytest.raises(CorpusFormatError, match=r"labels.csv:26: label 'rage' is not"):
        load(load_csv, csv_root)


def test_non_finite_number_is_a_counted_skip(csv_root):
    table = csv_root / "labels.csv"
    table.write_text(table.read_text() + "sp01_anger_00.wav,sp01,f,anger,training,x,nan,3\n")
    records, report = load(load_csv, csv_root)
    assert len(records) == 24
    assert [(i.reason, i.line) for i in report.skipped] == [("malformed-row", 26)]
    assert "arousal 'nan' is not a finite number" in report.skipped[0].detail


def test_unmatched_file_names_are_skips(tmp_path, folder_mini):
    root = Path(shutil.copytree(folder_mini, tmp_path / "f"))
    shutil.copy(root / "wav" / "03a01Wa.wav", root / "wav" / "notes.wav")
    records, report = load(load_folder, root, PrepareReport("folder"))
    assert len(records) == 28
    assert [(i.reason, Path(i.file).name) for i in report.skipped] == [("unmatched-file-name", "notes.wav")]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("name: emo-mini", "name: emo mini", r"'name' must be a short id"),
        ('delimiter: ","', 'delimiter: ","\ncolour: red', r"unknown key\(s\) \['colour'\] in spec"),
        ("  valence: val", "  valence: val\n  mood: m", r"unknown key\(s\) \['mood'\] in columns"),
        ("table: labels.csv", "table: labels.csv\nfiles: {glob: '*.wav'}", r"files.glob is for folder mode"),
        ("table: labels.csv", "", r"give 'table' \(csv mode\) or 'files'"),
        ("  audio: file", "  audio: path", r"labels.csv:1: column\(s\) \['path'\] named in sercorpus.yaml"),
        ("scale: [1, 5]", "scale: [5, 1]", r"scale needs lo < hi"),
        ("scale: [1, 5]", "", r"dimensional columns need 'scale"),
        ("  anger: angry", "  anger: furious", r"label 'anger' maps to 'furious'"),
        (
            "genders: {f: female, m: male}",
            "genders: {f: female, m: man}",
            r"genders values must be female or male",
        ),
        ("table: labels.csv", "table: [labels.csv", r"sercorpus.yaml:\d+: invalid YAML"),
    ],
)
def test_spec_errors_name_the_spec(csv_root, old, new, message):
    set_spec(csv_root, old, new)
    with pytest.raises(CorpusFormatError, match=message):
        load(load_csv, csv_root)


def test_missing_spec_wrong_mode_and_split_conflicts(csv_root, folder_mini, tmp_path):
    with pytest.raises(CorpusFormatError, match="describes a csv corpus: use `sercorpus prepare csv`"):
        load(load_folder, csv_root)
    with pytest.raises(CorpusFormatError, match="describes a folder corpus"):
        load(load_csv, folder_mini)
    spec = tmp_path / "elsewhere.yaml"
    spec.write_text((csv_root / "sercorpus.yaml").read_text())
    (csv_root / "sercorpus.yaml").unlink()
    with pytest.raises(CorpusFormatError, match="sercorpus.yaml: no corpus spec"):
        load(load_csv, csv_root)
    assert len(load(load_csv, csv_root, spec=str(spec))[0]) == 24
    folder = Path(shutil.copytree(folder_mini, tmp_path / "f"))
    set_spec(folder, 'test: ["03", "08"]', 'test: ["03", "08"]\n  dev: ["08"]')
    with pytest.raises(CorpusFormatError, match="speaker '08' listed in splits test and dev"):
        load(load_folder, folder)
