"""MSP-Podcast loader: hand-written release files (every layout), the miniature, and bad input."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sercorpus.core.audio import write_wav
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.msp_podcast import load_msp_podcast
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.msp_podcast import OUTLIER, expected_counts, write_msp_podcast

CONSENSUS = """FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set
MSP-PODCAST_0001_0008.wav,N,4.2,4.0,4.4,127,Female,Train
MSP-PODCAST_0047_0295_0001.wav,X,5.428571428571429,3.142857142857143,5.0,Unknown,Unknown,Development
MSP-PODCAST_0612_0031.wav,A,6.0,1.8,5.6,903,Male,Test1
"""
EMO_DETAIL = """FileName,EmoDetail
MSP-PODCAST_0001_0008.wav,"WORKER00000410; Neutral; Neutral,Concerned; A:4.0; V:4.0; D:5.0;"
MSP-PODCAST_0001_0008.wav,"WORKER00002217; Other-bored; ; A:3.0; V:4.0; D:4.0;"
MSP-PODCAST_0001_0008.wav,"WORKER00000555; Neutral; A:5.0; V:4.0; D:4.0;"
MSP-PODCAST_0047_0295_0001.wav,"WORKER00000410; Happy; Excited; A:6.0; V:4.0; D:5.0;"
MSP-PODCAST_0047_0295_0001.wav,"WORKER00000777; Sad; ; A:5.0; V:2.0; D:5.0;"
MSP-PODCAST_0612_0031.wav,"WORKER00000410; Angry; Angry,Frustrated; A:6.0; V:2.0; D:5.0;"
MSP-PODCAST_0612_0031.wav,"WORKER00000777; Angry; A:6.0; V:1.0; D:6.0;"
MSP-PODCAST_0612_0031.wav,"WORKER00002217; Disgust; Annoyed; A:6.0; V:2.0; D:6.0;"
"""
# the same ratings in the v1.6 / v2.0 column layouts and the JSON layout
COLUMN_ROWS = [
    ("MSP-PODCAST_0001_0008.wav", "WORKER00000410", "Neutral", "Neutral,Concerned", "4.0", "4.0", "5.0"),
    ("MSP-PODCAST_0001_0008.wav", "WORKER00002217", "Other-bored", "", "3.0", "4.0", "4.0"),
    ("MSP-PODCAST_0001_0008.wav", "WORKER00000555", "Neutral", "", "5.0", "4.0", "4.0"),
    ("MSP-PODCAST_0047_0295_0001.wav", "WORKER00000410", "Happy", "Excited", "6.0", "4.0", "5.0"),
    ("MSP-PODCAST_0047_0295_0001.wav", "WORKER00000777", "Sad", "", "5.0", "2.0", "5.0"),
    ("MSP-PODCAST_0612_0031.wav", "WORKER00000410", "Angry", "Angry,Frustrated", "6.0", "2.0", "5.0"),
    ("MSP-PODCAST_0612_0031.wav", "WORKER00000777", "Angry", "", "6.0", "1.0", "6.0"),
    ("MSP-PODCAST_0612_0031.wav", "WORKER00002217", "Disgust", "Annoyed", "6.0", "2.0", "6.0"),
]
FILES = ["MSP-PODCAST_0001_0008.wav", "MSP-PODCAST_0047_0295_0001.wav", "MSP-PODCAST_0612_0031.wav"]
P_TYPE = {  # primary votes, counted by hand from the rows above
    "msp-podcast/MSP-PODCAST_0001_0008": {"neutral": 2 / 3, "other": 1 / 3},
    "msp-podcast/MSP-PODCAST_0047_0295_0001": {"happy": 0.5, "sad": 0.5},
    "msp-podcast/MSP-PODCAST_0612_0031": {"angry": 2 / 3, "disgusted": 1 / 3},
}
S_TYPE = {  # primary + secondary tags, one vote per distinct tag of a worker; Concerned/Annoyed -> other
    "msp-podcast/MSP-PODCAST_0001_0008": {"neutral": 0.5, "other": 0.5},
    "msp-podcast/MSP-PODCAST_0047_0295_0001": {"happy": 1 / 3, "excited": 1 / 3, "sad": 1 / 3},
    "msp-podcast/MSP-PODCAST_0612_0031": {"angry": 0.4, "frustrated": 0.2, "disgusted": 0.2, "other": 0.2},
}


def wav(path: Path, rate: int = 16000, channels: int = 1, seconds: float = 0.25) -> None:
    shape = (int(rate * seconds), channels) if channels > 1 else (int(rate * seconds),)
    write_wav(path, np.full(shape, 0.01, dtype=np.float32), rate)


def release(
    tmp_path: Path,
    consensus: str = CONSENSUS,
    detailed: str | None = EMO_DETAIL,
    label_dir: str = "Labels",
    consensus_name: str = "labels_consensus.csv",
    detailed_name: str = "labels_detailed.csv",
    crlf: bool = False,
    files=FILES,
) -> Path:
    root = tmp_path / "MSP-PODCAST-Publish-1.12"
    eol = "\r\n" if crlf else "\n"
    (root / label_dir).mkdir(parents=True)
    (root / label_dir / consensus_name).write_bytes(consensus.replace("\n", eol).encode())
    if detailed is not None:
        (root / label_dir / detailed_name).write_bytes(detailed.replace("\n", eol).encode())
    for name in files:
        wav(root / "Audios" / name)
    return root


def by_id(records):
    return {u.id: u for u in records}


def approx_dist(dist: dict[str, float]) -> dict[str, object]:
    return {k: pytest.approx(v) for k, v in dist.items()}


# ------------------------------------------------------------------------------- hand-written files
def test_emodetail_layout_with_crlf_partitions_and_transcripts(tmp_path):
    root = release(tmp_path, crlf=True)
    (root / "Transcripts").mkdir()
    (root / "Transcripts" / "MSP-PODCAST_0001_0008.txt").write_bytes(b"well that was the show\r\n")
    (root / "Partitions.txt").write_bytes(
        b"Train; MSP-PODCAST_0001_0008.wav\r\nTest3; MSP-PODCAST_test3_0001.wav\r\n"
    )
    wav(root / "Audios" / "MSP-PODCAST_test3_0001.wav")
    report = PrepareReport("msp-podcast")
    recs = by_id(load_msp_podcast(root, report))
    assert report.skipped == [] and report.read == 4 and len(recs) == 4
    a, x, b = (recs[f"msp-podcast/{n[:-4]}"] for n in FILES)
    assert (a.label, x.label, b.label) == ("neutral", None, "angry")  # X = no agreement, votes kept
    for utt_id, dist in P_TYPE.items():
        assert recs[utt_id].soft_label == approx_dist(dist)
    assert x.votes == {"happy": 1.0, "sad": 1.0}
    assert (a.speaker, a.gender, a.split, a.group) == (
        "msp-podcast/127",
        "female",
        "train",
        "msp-podcast/127",
    )
    assert (x.speaker, x.gender, x.split, x.group) == (None, None, "dev", None)
    assert (b.speaker, b.gender, b.split) == ("msp-podcast/903", "male", "test1")
    assert a.arousal == pytest.approx((4.2 - 1) / 6) and a.valence == pytest.approx(0.5)
    assert x.arousal == pytest.approx((5.428571428571429 - 1) / 6) and b.valence == pytest.approx(0.8 / 6)
    assert a.transcript == "well that was the show" and b.transcript is None
    assert (
        a.audio_path == "Audios/MSP-PODCAST_0001_0008.wav" and a.duration == 0.25 and a.sample_rate == 16000
    )
    first = a.annotations[0]
    assert (first.rater, first.categories, first.secondary, first.native) == (
        "WORKER00000410",
        ["neutral"],
        ["neutral", "other"],
        ["Neutral", "Neutral", "Concerned"],
    )
    assert (first.arousal, first.valence, first.dominance) == pytest.approx((0.5, 0.5, 4 / 6))
    assert a.annotations[1].categories == ["other"] and a.annotations[1].native == ["Other-bored"]
    assert a.annotations[2].secondary == []  # secondary field absent
    test3 = recs["msp-podcast/MSP-PODCAST_test3_0001"]
    assert (test3.split, test3.label, test3.votes, test3.extra["labels_withheld"]) == (
        "test3",
        None,
        {},
        True,
    )
    assert [n.reason for n in report.notes] == ["labels-withheld"]


def test_s_type_soft_labels_use_secondary_tags(tmp_path):
    recs = by_id(load_msp_podcast(release(tmp_path), secondary=True))
    for utt_id, dist in S_TYPE.items():
        assert recs[utt_id].soft_label == approx_dist(dist)
    assert recs["msp-podcast/MSP-PODCAST_0612_0031"].votes == {
        "angry": 2,
        "frustrated": 1,
        "disgusted": 1,
        "other": 1,
    }


def _columns_csv(worker_column: str) -> str:
    lines = [f"FileName,{worker_column},EmoClass_Major,EmoClass_Second,EmoAct,EmoVal,EmoDom"]
    for row in COLUMN_ROWS:
        lines.append(",".join(f'"{v}"' if "," in v else v for v in row))
    return "\n".join(lines) + "\n"


def _json_detailed() -> str:
    data: dict[str, dict] = {}
    for name, worker, major, second, act, val, dom in COLUMN_ROWS:
        data.setdefault(name, {})[worker] = {
            "EmoClass_Major": major,
            "EmoClass_Second": second,
            "EmoAct": float(act),
            "EmoVal": float(val),
            "EmoDom": float(dom),
        }
    return json.dumps(data)


@pytest.mark.parametrize(
    "layout, name, text",
    [
        ("v1.6 columns", "labels_detailed.csv", _columns_csv("Workers")),
        ("v2.0 columns", "labels_detailed.csv", _columns_csv("WorkerID")),
        ("JSON", "labels_detailed.json", _json_detailed()),
        ("EmoDetail", "Labels_Detailed.CSV", EMO_DETAIL),
    ],
)
def test_every_detailed_layout_gives_the_same_votes(tmp_path, layout, name, text):
    for secondary, expected in ((False, P_TYPE), (True, S_TYPE)):
        recs = by_id(
            load_msp_podcast(
                release(tmp_path / str(secondary), detailed=text, detailed_name=name), secondary=secondary
            )
        )
        for utt_id, dist in expected.items():
            assert recs[utt_id].soft_label == approx_dist(dist), layout
        assert [len(recs[i].annotations) for i in expected] == [3, 2, 3]


@pytest.mark.parametrize(
    "label_dir, consensus_name",
    [
        ("label", "labels_concensus.csv"),  # v1.6
        ("Labels", "labels_concensus.csv"),  # v1.7, v1.8
        ("labels", "labels_concensus.csv"),  # v1.9
        ("LABELS", "Labels_Consensus.CSV"),  # any case
    ],
)
def test_label_folder_and_spelling_matched_case_insensitively(tmp_path, label_dir, consensus_name):
    consensus = CONSENSUS.replace("Development", "Validation")  # <= v1.8 name of the dev split
    recs = by_id(
        load_msp_podcast(release(tmp_path, consensus, label_dir=label_dir, consensus_name=consensus_name))
    )
    assert len(recs) == 3 and recs["msp-podcast/MSP-PODCAST_0047_0295_0001"].split == "dev"


def test_consensus_json_twin(tmp_path):
    rows = list(csv.DictReader(CONSENSUS.splitlines()))
    data = {
        r.pop("FileName"): {
            **r,
            "EmoAct": float(r["EmoAct"]),
            "SpkrID": int(r["SpkrID"]) if r["SpkrID"].isdigit() else r["SpkrID"],
        }
        for r in rows
    }
    root = release(tmp_path, json.dumps(data), consensus_name="labels_consensus.json")
    recs = by_id(load_msp_podcast(root))
    assert recs["msp-podcast/MSP-PODCAST_0612_0031"].speaker == "msp-podcast/903"
    assert recs["msp-podcast/MSP-PODCAST_0001_0008"].arousal == pytest.approx(3.2 / 6)
    assert {u.label for u in recs.values()} == {"neutral", None, "angry"}


def test_split_set_names_and_partitions_fill_empty_split(tmp_path):
    consensus = (
        "FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set\n"
        "MSP-PODCAST_0001_0008.wav,H,4,4,4,1,Male,Test2\n"
        "MSP-PODCAST_0047_0295_0001.wav,S,4,4,4,2,Female,Test3\n"
        "MSP-PODCAST_0612_0031.wav,O,4,4,4,3,Male,\n"
    )
    root = release(tmp_path, consensus, detailed=None)
    (root / "Partitions.txt").write_text("Test1; MSP-PODCAST_0612_0031.wav\n")
    report = PrepareReport("msp-podcast")
    recs = by_id(load_msp_podcast(root, report))
    assert [recs[f"msp-podcast/{n[:-4]}"].split for n in FILES] == ["test2", "test3", "test1"]
    assert recs["msp-podcast/MSP-PODCAST_0612_0031"].label == "other"
    assert all(u.votes == {} and u.soft_label == {} for u in recs.values())  # no detailed file: no votes
    assert "no-detailed-labels" in {n.reason for n in report.notes}


def test_previous_release_labels_by_version(tmp_path):
    root = release(tmp_path)
    old = root / "Previous_releases_information" / "previous_releases_info" / "v1.10" / "Labels"
    old.mkdir(parents=True)
    (old / "labels_consensus.csv").write_text(CONSENSUS.replace(",N,", ",H,"))
    for version in ("1.10", 1.1):  # YAML turns --opt version=1.10 into the float 1.1
        recs = by_id(load_msp_podcast(root, version=version))
        assert recs["msp-podcast/MSP-PODCAST_0001_0008"].label == "happy"
    with pytest.raises(CorpusFormatError, match="no previous release v1.7"):
        list(load_msp_podcast(root, version="1.7"))


# ---------------------------------------------------------------------------------------- miniature
@pytest.fixture(scope="module")
def miniature(tmp_path_factory):
    out = tmp_path_factory.mktemp("msp")
    root = write_msp_podcast(out / "msp", seed=0)
    records, report = prepare("msp-podcast", root, out / "msp.parquet")
    return root, records, report


def _miniature_truth(root: Path) -> tuple[list[dict], dict[str, Counter]]:
    """Consensus rows and primary-vote tables read straight from the files (not through the loader)."""
    with open(root / "Labels" / "labels_consensus.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    votes: dict[str, Counter] = {}
    with open(root / "Labels" / "labels_detailed.csv", newline="") as handle:
        for name, detail in list(csv.reader(handle))[1:]:
            primary = detail.split(";")[1].strip()
            votes.setdefault(name, Counter())["Other" if primary.startswith("Other-") else primary] += 1
    return rows, votes


def test_miniature_prepares_with_planned_counts(miniature):
    root, records, report = miniature
    assert (root / "Labels" / "labels_consensus.csv").read_bytes().count(b"\r\n") > 250  # CRLF release
    rows, votes = _miniature_truth(root)
    codes = {
        "N": "neutral",
        "H": "happy",
        "S": "sad",
        "A": "angry",
        "U": "surprised",
        "F": "fearful",
        "D": "disgusted",
        "C": "contempt",
        "O": "other",
        "X": None,
    }
    splits = {"Train": "train", "Development": "dev", "Test1": "test1", "Test2": "test2"}
    kept = [r for r in rows if r["FileName"] != OUTLIER]
    assert len(records) == len(kept) + 3 and report.read == len(rows) + 3  # + label-withheld Test3 files
    assert report.skip_counts() == {"wrong-sample-rate": 1}  # the stereo 44.1 kHz outlier
    got = Counter((u.split, u.label) for u in records)
    assert got == Counter((splits[r["Split_Set"]], codes[r["EmoClass"]]) for r in kept) + Counter(
        {("test3", None): 3}
    )
    planned = expected_counts()
    for split in ("Train", "Test1"):
        for code in "NHSA":
            assert got[(splits[split], codes[code])] == planned[(split, code)] >= 25
    words = {
        "Neutral": "neutral",
        "Happy": "happy",
        "Sad": "sad",
        "Angry": "angry",
        "Surprise": "surprised",
        "Fear": "fearful",
        "Disgust": "disgusted",
        "Contempt": "contempt",
        "Other": "other",
    }
    recs = by_id(records)
    for row in kept:
        utt = recs["msp-podcast/" + row["FileName"][:-4]]
        table = votes[row["FileName"]]
        total = sum(table.values())
        assert utt.soft_label == approx_dist({words[w]: c / total for w, c in table.items()})
        unknown = row["SpkrID"] == "Unknown"
        assert utt.speaker == (None if unknown else f"msp-podcast/{row['SpkrID']}")
        assert utt.gender == (None if unknown else row["Gender"].lower())
        assert utt.arousal == pytest.approx((float(row["EmoAct"]) - 1) / 6)
    assert sum(u.speaker is None for u in records) >= 10 and sum(u.label is None for u in records) == 9
    assert sum(len(re.findall(r"_", u.id)) == 3 for u in records) > 20  # 3-group names
    with_text = {p.stem for p in (root / "Transcripts").iterdir()} - {OUTLIER[:-4]}
    assert {u.id.split("/")[1] for u in records if u.transcript} == with_text
    assert all(u.duration > 1 and u.sample_rate == 16000 for u in records)


@pytest.mark.parametrize("version", ["1.6", "1.8", "1.9", "1.12", "2.0"])
def test_miniature_versions_and_determinism(tmp_path, version):
    a = write_msp_podcast(tmp_path / "a", seed=5, version=version, n=30)
    b = write_msp_podcast(tmp_path / "b", seed=5, version=version, n=30)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    report = PrepareReport("msp-podcast")
    records = list(load_msp_podcast(a, report))
    expected_skips = {"wrong-sample-rate": 1} | ({"missing-audio": 1} if version == "2.0" else {})
    assert report.skip_counts() == expected_skips
    assert {u.split for u in records} >= {"train", "dev", "test1", "test2"}
    assert all(u.soft_label for u in records if u.split != "test3")


# ---------------------------------------------------------------------------------------- bad input
def test_bad_lines_and_audio_are_counted_skips_naming_file_and_line(tmp_path):
    files = FILES + ["MSP-PODCAST_0700_0001.wav", "MSP-PODCAST_0700_0002.wav", "MSP-PODCAST_0700_0003.wav"]
    consensus = CONSENSUS + (
        "MSP-PODCAST_0700_0001.wav,Z,4,4,4,5,Male,Train\n"  # line 5: unknown code
        "MSP-PODCAST_0700_0002.wav,N,4,4\n"  # line 6: malformed
        "MSP-PODCAST_0001_0008.wav,N,4,4,4,127,Female,Train\n"  # line 7: duplicate id
        "MSP-PODCAST_0700_0003.wav,N,4,9.5,4,5,Male,Train\n"  # line 8: V out of 1-7
        "MSP-PODCAST_0700_0004.wav,H,4,4,4,5,Male,Train\n"  # line 9: no audio
        "MSP-PODCAST_0700_0005.wav,H,4,4,4,5,Male,Train\n"  # line 10: truncated wav
        "MSP-PODCAST_0700_0006.wav,H,4,4,4,5,Male,Train\n"  # line 11: 8 kHz
        "MSP-PODCAST_0700_0007.wav,H,4,4,4,5,Male,Train\n"
    )  # line 12: stereo
    detailed = EMO_DETAIL + (
        'MSP-PODCAST_0612_0031.wav,"WORKER00000999; Grumpy; A:6.0; V:1.0; D:6.0;"\n'  # 10
        'MSP-PODCAST_0612_0031.wav,"WORKER00000998"\n'  # 11: malformed EmoDetail
        'MSP-PODCAST_0612_0031.wav,"WORKER00000777; Sad; A:1.0; V:1.0; D:1.0;"\n'
    )  # 12
    root = release(tmp_path, consensus, detailed, files=files)
    wav(root / "Audios" / "MSP-PODCAST_0700_0005.wav")
    truncated = root / "Audios" / "MSP-PODCAST_0700_0005.wav"
    truncated.write_bytes(truncated.read_bytes()[:2000])
    wav(root / "Audios" / "MSP-PODCAST_0700_0006.wav", rate=8000)
    wav(root / "Audios" / "MSP-PODCAST_0700_0007.wav", channels=2)
    report = PrepareReport("msp-podcast")
    recs = by_id(load_msp_podcast(root, report))
    assert set(recs) == {f"msp-podcast/{n[:-4]}" for n in FILES}
    assert recs["msp-podcast/MSP-PODCAST_0612_0031"].soft_label == approx_dist(
        P_TYPE["msp-podcast/MSP-PODCAST_0612_0031"]
    )
    consensus_file = str(root / "Labels" / "labels_consensus.csv")
    detailed_file = str(root / "Labels" / "labels_detailed.csv")
    where = {(i.reason, Path(i.file).name, i.line) for i in report.skipped}
    assert where == {
        ("unknown-label", "labels_consensus.csv", 5),
        ("malformed-line", "labels_consensus.csv", 6),
        ("duplicate-id", "labels_consensus.csv", 7),
        ("malformed-line", "labels_consensus.csv", 8),
        ("missing-audio", "MSP-PODCAST_0700_0004.wav", None),
        ("unreadable-audio", "MSP-PODCAST_0700_0005.wav", None),
        ("wrong-sample-rate", "MSP-PODCAST_0700_0006.wav", None),
        ("wrong-channels", "MSP-PODCAST_0700_0007.wav", None),
        ("unknown-label", "labels_detailed.csv", 10),
        ("malformed-line", "labels_detailed.csv", 11),
        ("duplicate-rating", "labels_detailed.csv", 12),
    }
    details = {i.reason + str(i.line): i.detail for i in report.skipped}
    assert "'Z'" in details["unknown-label5"] and "9.5" in details["malformed-line8"]
    missing = next(i for i in report.skipped if i.reason == "missing-audio")
    assert missing.detail.endswith(f"{consensus_file}:9)")
    assert "Grumpy" in next(
        i.detail for i in report.skipped if i.file == detailed_file and i.reason == "unknown-label"
    )
    assert report.read == 11
    with pytest.raises(CorpusFormatError, match=r"labels_detailed.csv:11: EmoDetail needs .*strict"):
        list(load_msp_podcast(root, PrepareReport("msp-podcast", strict=True)))  # ratings are read first
    (root / "Labels" / "labels_detailed.csv").write_text(EMO_DETAIL)
    with pytest.raises(CorpusFormatError, match=r"labels_consensus.csv:5: unknown EmoClass code 'Z'.*strict"):
        list(load_msp_podcast(root, PrepareReport("msp-podcast", strict=True)))


def test_strict_prepare_fails_on_the_outlier_and_empty_roots_fail(tmp_path):
    root = release(tmp_path)
    write_wav(root / "Audios" / FILES[0], np.zeros((4410, 2), dtype=np.float32), 44100)
    with pytest.raises(CorpusFormatError, match="44100 Hz.*strict"):
        prepare("msp-podcast", root, tmp_path / "m.parquet", strict=True)
    _, report = prepare("msp-podcast", root, tmp_path / "m.parquet")
    assert report.skip_counts() == {"wrong-sample-rate": 1} and report.written == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match="labels not found"):
        prepare("msp-podcast", tmp_path / "empty", tmp_path / "x.parquet")
    (tmp_path / "empty" / "Labels").mkdir()
    (tmp_path / "empty" / "Labels" / "labels_consensus.csv").write_text("FileName,EmoClass\n")
    (tmp_path / "empty" / "Audios").mkdir()
    with pytest.raises(CorpusFormatError, match=r"labels_consensus.csv:1: header lacks"):
        prepare("msp-podcast", tmp_path / "empty", tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="does not take option"):
        prepare("msp-podcast", root, tmp_path / "x.parquet", options={"secondry": True})
