"""CREMA-D loader: hand-written R-style CSVs, the miniature from the writer, and every bad-input case."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.crema_d import load_crema_d
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.crema_d import ACTORS, MISSING_AUDIO, plan_crema_d, write_crema_d

RATE = 16000
VOTES_HEADER = (
    '"","A","D","F","H","N","S","fileName","numResponses","agreement","emoVote","meanEmoResp","meanAngerResp",'
    '"meanDisgustResp","meanFearResp","meanHappyResp","meanNeutralResp","meanSadResp","medianEmoResp",'
    '"meanEmoRespNorm","meanAngerRespNorm","meanDisgustRespNorm","meanFearRespNorm","meanHappyRespNorm",'
    '"meanNeutralRespNorm","meanSadRespNorm","medianEmoRespNorm"'
)
LEVELS = ",55.3,-1,40,-1,-1,58.2857142857143,51,60,0.11,-1,-0.2,-1,-1,0.3,0.1,0.2"  # the 16 level columns
VOTES = [
    VOTES_HEADER,
    '"100001",0,1,0,0,7,2,"1001_IEO_SAD_LO",10,0.7,"N"' + LEVELS,  # line 2
    '"100002",3,3,0,0,1,0,"1001_DFA_ANG_XX",7,0.428571428571429,"A:D"' + LEVELS,  # line 3: a tie
    '"100003",0,0,0,0,2,9,"1040_ITH_SAD_XX",11,0.818181818181818,"S"' + LEVELS,  # line 4
    '"100004",0,0,1,0,3,4,"1076_MTI_SAD_XX",8,0.5,"S"' + LEVELS,  # line 5: no audio in the release
    '"200001",0,0,0,0,2,8,"1001_IEO_SAD_LO",10,0.8,"S"' + LEVELS,  # face-only rows: ignored by default
    '"200002",6,0,0,0,1,0,"1001_DFA_ANG_XX",7,0.857142857142857,"A"' + LEVELS,
    '"200003",0,0,0,0,1,9,"1040_ITH_SAD_XX",10,0.9,"S"' + LEVELS,
    '"200004",0,0,0,0,1,9,"1076_MTI_SAD_XX",10,0.9,"S"' + LEVELS,
    '"300001",0,0,0,0,1,9,"1001_IEO_SAD_LO",10,0.9,"S"' + LEVELS,
    '"300002",7,0,0,0,0,0,"1001_DFA_ANG_XX",7,1,"A"' + LEVELS,
    '"300003",0,0,0,0,0,9,"1040_ITH_SAD_XX",9,1,"S"' + LEVELS,
    '"300004",0,0,0,0,0,9,"1076_MTI_SAD_XX",9,1,"S"' + LEVELS,
]
SENTENCES = '"Stimulus_Number","Filename"\n1,"1001_IEO_SAD_LO"\n2,"1001_DFA_ANG_XX"\n3,"1040_ITH_SAD_XX"\n4,"1076_MTI_SAD_XX"'
DEMOGRAPHICS = (
    '"ActorID","Age","Sex","Race","Ethnicity"\n1001,51,"Male","Caucasian","Not Hispanic"\n'
    '1040,32,"Female","Asian","Hispanic"\n'
)


def wav(path: Path, seconds: float = 0.4, rate: int = RATE, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = 0.1 * np.sin(np.arange(int(seconds * rate)) / 7.0)
    sf.write(path, np.stack([data] * channels, axis=1) if channels > 1 else data, rate, subtype="PCM_16")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    root = tmp_path / "CREMA-D"
    (root / "processedResults").mkdir(parents=True)
    (root / "processedResults" / "tabulatedVotes.csv").write_text("\n".join(VOTES) + "\n")
    (root / "SentenceFilenames.csv").write_text(SENTENCES)  # no trailing newline, like the release
    (root / "VideoDemographics.csv").write_text(DEMOGRAPHICS)
    wav(root / "AudioWAV" / "1001_IEO_SAD_LO.wav", 2.0)
    wav(root / "AudioWAV" / "1001_DFA_ANG_XX.wav", 1.5)
    wav(root / "AudioWAV" / "1040_ITH_SAD_X.wav", 1.25)  # misnamed before 2022-10-18
    return root


def load(root: Path, **options) -> tuple[dict, PrepareReport]:
    report = PrepareReport("crema-d")
    return {u.id.split("/", 1)[1]: u for u in load_crema_d(root, report, **options)}, report


def votes_file(root: Path) -> Path:
    return root / "processedResults" / "tabulatedVotes.csv"


def test_fixture_records(tiny):
    records, report = load(tiny)
    assert sorted(records) == ["1001_DFA_ANG_XX", "1001_IEO_SAD_LO", "1040_ITH_SAD_XX"]
    assert report.read == 3 and report.skipped == []
    sad = records["1001_IEO_SAD_LO"]
    assert sad.label == "neutral"  # perceived (voice-only majority), not acted
    assert sad.votes == {"disgusted": 1.0, "neutral": 7.0, "sad": 2.0}
    assert sad.soft_label == pytest.approx({"disgusted": 0.1, "neutral": 0.7, "sad": 0.2})
    assert (sad.speaker, sad.gender, sad.group, sad.split) == ("crema-d/1001", "male", "crema-d/1001", None)
    assert sad.transcript == "It's eleven o'clock"
    assert (
        sad.audio_path == "AudioWAV/1001_IEO_SAD_LO.wav" and sad.duration == 2.0 and sad.sample_rate == RATE
    )
    assert sad.extra == {
        "actor": "1001",
        "sentence": "IEO",
        "acted_emotion": "sad",
        "intensity": "LO",
        "age": 51,
        "race": "Caucasian",
        "ethnicity": "Not Hispanic",
        "agreement": 0.7,
        "emo_vote": "N",
        "num_responses": 10,
        "clip_num": 1,
        "modality": "voice",
    }
    assert sad.annotations == [] and sad.arousal is None


def test_tie_keeps_votes_with_null_label(tiny):
    records, _ = load(tiny)
    tie = records["1001_DFA_ANG_XX"]
    assert tie.label is None and tie.extra["emo_vote"] == "A:D"
    assert tie.votes == {"angry": 3.0, "disgusted": 3.0, "neutral": 1.0}
    assert tie.soft_label == pytest.approx({"angry": 3 / 7, "disgusted": 3 / 7, "neutral": 1 / 7})
    assert tie.transcript == "Don't forget a jacket" and tie.extra["acted_emotion"] == "angry"


def test_known_bad_files_are_reported_not_fatal(tiny):
    records, report = load(tiny)
    misnamed = records["1040_ITH_SAD_XX"]
    assert misnamed.audio_path == "AudioWAV/1040_ITH_SAD_X.wav" and misnamed.extra["intensity"] == "XX"
    assert (misnamed.gender, misnamed.extra["age"], misnamed.label) == ("female", 32, "sad")
    assert misnamed.transcript == "I think I have a doctor's appointment"
    notes = {n.reason: n for n in report.notes}
    assert set(notes) == {"misnamed-audio", "known-missing-audio"}
    assert notes["known-missing-audio"].record == "crema-d/1076_MTI_SAD_XX"
    assert notes["misnamed-audio"].record == "crema-d/1040_ITH_SAD_XX"
    assert report.counts["known-missing-audio"] == 1
    # and strict mode still passes on a copy that is complete otherwise
    assert len(list(load_crema_d(tiny, PrepareReport("crema-d", strict=True)))) == 3


@pytest.mark.parametrize(
    ("modality", "votes", "label"),
    [("face", {"angry": 6.0, "neutral": 1.0}, "angry"), ("audiovisual", {"angry": 7.0}, "angry")],
)
def test_other_query_types(tiny, modality, votes, label):
    records, report = load(tiny, modality=modality)
    assert records["1001_DFA_ANG_XX"].votes == votes and records["1001_DFA_ANG_XX"].label == label
    assert records["1001_DFA_ANG_XX"].extra["modality"] == modality
    assert report.counts["rows:query-type-1"] == 4


def test_basename_only_and_unlisted_audio(tmp_path, tiny):
    moved = tmp_path / "my_data_v2" / "CREMA_D_copy"  # underscores in the parents must not matter
    moved.parent.mkdir()
    tiny.rename(moved)
    wav(moved / "AudioWAV" / "1091_WSI_HAP_XX.wav")
    records, report = load(moved)
    assert len(records) == 3
    assert [(n.reason, Path(n.file).name) for n in report.notes if n.reason == "unlisted-audio"] == [
        ("unlisted-audio", "1091_WSI_HAP_XX.wav")
    ]


# ------------------------------------------------------------------------------------------ bad input
def only_skip(report: PrepareReport):
    assert len(report.skipped) == 1, report.skipped
    return report.skipped[0]


def test_missing_truncated_and_wrong_format_audio(tiny):
    (tiny / "AudioWAV" / "1001_IEO_SAD_LO.wav").unlink()
    trunc = tiny / "AudioWAV" / "1001_DFA_ANG_XX.wav"
    trunc.write_bytes(trunc.read_bytes()[:1000])
    records, report = load(tiny)
    assert sorted(records) == ["1040_ITH_SAD_XX"]
    skips = {s.record: s for s in report.skipped}
    assert skips["crema-d/1001_IEO_SAD_LO"].reason == "missing-audio"
    assert skips["crema-d/1001_IEO_SAD_LO"].detail.endswith(f"(listed at {votes_file(tiny)}:2)")
    assert skips["crema-d/1001_DFA_ANG_XX"].reason == "unreadable-audio"
    assert "truncated" in skips["crema-d/1001_DFA_ANG_XX"].detail
    wav(tiny / "AudioWAV" / "1001_IEO_SAD_LO.wav", rate=44100)
    wav(tiny / "AudioWAV" / "1001_DFA_ANG_XX.wav", channels=2)
    _, report = load(tiny)
    assert {s.record: s.reason for s in report.skipped} == {
        "crema-d/1001_IEO_SAD_LO": "wrong-sample-rate",
        "crema-d/1001_DFA_ANG_XX": "wrong-channels",
    }


def test_lfs_pointer_stops_with_an_explanation(tiny):
    (tiny / "AudioWAV" / "1001_DFA_ANG_XX.wav").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 72862\n"
    )
    with pytest.raises(
        CorpusFormatError,
        match=r"1001_DFA_ANG_XX.wav: is a git-LFS pointer file \(\d+ bytes"
        r".*git lfs pull.*mirror",
    ):
        load(tiny)


@pytest.mark.parametrize(
    ("line_no", "new", "reason", "record"),
    [
        (
            3,
            '"100002",3,x,0,0,1,0,"1001_DFA_ANG_XX",7,0.4,"A:D"' + LEVELS,
            "malformed-line",
            "1001_DFA_ANG_XX",
        ),
        (3, '"100002",3,3,0,0,1,0,"1001_DFA_ANG_XX",7', "malformed-line", "1001_DFA_ANG_XX"),
        (
            3,
            '"100002",3,3,0,0,1,0,"1001_DFA_ANG_XX",7,0.4,"A:Q"' + LEVELS,
            "unknown-label",
            "1001_DFA_ANG_XX",
        ),
        (
            3,
            '"1000x2",3,3,0,0,1,0,"1001_DFA_ANG_XX",7,0.4,"A:D"' + LEVELS,
            "malformed-line",
            "1001_DFA_ANG_XX",
        ),
    ],
)
def test_bad_votes_rows_skip_naming_file_and_line(tiny, line_no, new, reason, record):
    lines = votes_file(tiny).read_text().split("\n")
    lines[line_no - 1] = new
    votes_file(tiny).write_text("\n".join(lines))
    records, report = load(tiny)
    assert len(records) == 2 and record not in records
    skip = only_skip(report)
    assert (skip.reason, skip.file, skip.line, skip.record) == (
        reason,
        str(votes_file(tiny)),
        line_no,
        f"crema-d/{record}",
    )
    assert report.read == 3


def test_unknown_acted_code_in_file_name(tiny):
    (tiny / "SentenceFilenames.csv").write_text(SENTENCES + '\n5,"1001_DFA_BOR_XX"')
    lines = votes_file(tiny).read_text().split("\n")
    lines.insert(5, '"100005",1,0,0,0,0,0,"1001_DFA_BOR_XX",1,1,"A"' + LEVELS)
    votes_file(tiny).write_text("\n".join(lines))
    records, report = load(tiny)
    assert len(records) == 3
    skip = only_skip(report)
    assert (skip.reason, skip.line, skip.record) == ("unknown-label", 6, "crema-d/1001_DFA_BOR_XX")
    assert "'BOR'" in skip.detail


def test_duplicate_row_and_missing_votes(tiny):
    lines = votes_file(tiny).read_text().split("\n")
    lines.insert(
        4, lines[1].replace('"100001"', '"100009"')
    )  # line 5: a second voice row for 1001_IEO_SAD_LO
    votes_file(tiny).write_text("\n".join(lines))
    (tiny / "SentenceFilenames.csv").write_text(SENTENCES + '\n6,"1002_TIE_HAP_XX"')
    records, report = load(tiny)
    assert len(records) == 3
    skips = {s.reason: s for s in report.skipped}
    assert set(skips) == {"duplicate-id", "missing-votes"}
    assert (skips["duplicate-id"].line, skips["duplicate-id"].record) == (5, "crema-d/1001_IEO_SAD_LO")
    assert skips["missing-votes"].record == "crema-d/1002_TIE_HAP_XX"
    assert "SentenceFilenames.csv:6" in skips["missing-votes"].detail


def test_strict_turns_a_skip_into_an_error(tiny, tmp_path):
    (tiny / "AudioWAV" / "1001_DFA_ANG_XX.wav").unlink()
    with pytest.raises(CorpusFormatError, match=r"1001_DFA_ANG_XX.wav: .*\[missing-audio\] \(strict mode\)"):
        prepare("crema-d", tiny, tmp_path / "out.parquet", strict=True)
    records, report = prepare("crema-d", tiny, tmp_path / "out.parquet")
    assert len(records) == 2 and report.skip_counts() == {"missing-audio": 1}


def test_empty_root_missing_tables_and_bad_options(tmp_path, tiny):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match="AudioWAV/ folder not found"):
        prepare("crema-d", tmp_path / "empty", tmp_path / "x.parquet")
    with pytest.raises(ValueError, match=r"modality must be one of \['audiovisual', 'face', 'voice'\]"):
        load(tiny, modality="video")
    votes_file(tiny).write_text('"","A","D","fileName"\n')
    with pytest.raises(CorpusFormatError, match=r"tabulatedVotes.csv:1: header lacks column\(s\)"):
        load(tiny)
    votes_file(tiny).unlink()
    with pytest.raises(CorpusFormatError, match="tabulatedVotes.csv not found"):
        load(tiny)


def test_missing_demographics_gives_null_gender(tiny):
    (tiny / "VideoDemographics.csv").unlink()
    records, report = load(tiny)
    assert all(u.gender is None and u.extra["age"] is None for u in records.values())
    assert "missing-file" in {n.reason for n in report.notes}


# ----------------------------------------------------------------------------------------- miniature
@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_crema_d(tmp_path_factory.mktemp("crema") / "CREMA-D", seed=0)


def test_miniature_matches_the_plan(mini, tmp_path):
    plan = {c.name: c for c in plan_crema_d(0)}
    records, report = prepare("crema-d", mini, tmp_path / "crema.parquet")
    assert len(plan) == 76 and len(records) == 75 and report.skipped == []
    assert {u.id for u in records} == {f"crema-d/{n}" for n in plan if n != MISSING_AUDIO}
    unified = dict(zip("ADFHNS", ("angry", "disgusted", "fearful", "happy", "neutral", "sad"), strict=True))
    texts = {
        "DFA": "Don't forget a jacket",
        "TIE": "That is exactly what happened",
        "IEO": "It's eleven o'clock",
        "IOM": "I'm on my way to the meeting",
        "IWW": "I wonder what this is about",
        "ITH": "I think I have a doctor's appointment",
        "TAI": "The airplane is almost full",
        "MTI": "Maybe tomorrow it will be cold",
        "WSI": "We'll stop in a couple of minutes",
    }
    ties = 0
    for utt in records:
        clip = plan[utt.id.split("/", 1)[1]]
        counts = clip.votes[1]  # voice-only row
        top = [c for c in "ADFHNS" if counts[c] == max(counts.values())]
        ties += len(top) > 1
        assert utt.label == (unified[top[0]] if len(top) == 1 else None)
        assert utt.votes == {unified[c]: float(n) for c, n in counts.items() if n}
        assert utt.soft_label == pytest.approx(
            {unified[c]: n / sum(counts.values()) for c, n in counts.items() if n}
        )
        assert utt.gender == ACTORS[clip.actor][0].lower() and utt.extra["age"] == ACTORS[clip.actor][1]
        assert utt.speaker == f"crema-d/{clip.actor}" and utt.split is None
        assert utt.transcript == texts[clip.sentence]
        assert (utt.extra["acted_emotion"], utt.extra["intensity"]) == (clip.acted, clip.level)
        assert utt.duration == clip.num_samples / RATE and 1.3 <= utt.duration <= 3.0
    assert ties == report.counts["tie"] and 5 <= ties <= 12
    assert len({u.speaker for u in records}) == 8 and {u.gender for u in records} == {"female", "male"}
    assert Counter(u.extra["acted_emotion"] for u in records).keys() == set(unified.values())
    assert Counter(n.reason for n in report.notes) == {"misnamed-audio": 1, "known-missing-audio": 1}
    assert report.counts["rows:query-type-2"] == report.counts["rows:query-type-3"] == 76


def test_miniature_format_and_determinism(mini, tmp_path):
    again = write_crema_d(tmp_path / "again", seed=0)
    files = sorted(p.relative_to(mini) for p in mini.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((mini / f).read_bytes() == (again / f).read_bytes() for f in files)
    sentences = (mini / "SentenceFilenames.csv").read_bytes()
    assert sentences.startswith(b'"Stimulus_Number","Filename"\n1,"') and not sentences.endswith(b"\n")
    votes = (mini / "processedResults" / "tabulatedVotes.csv").read_text().splitlines()
    assert len(votes) == 1 + 3 * 76
    assert [v.split(",")[0][1] for v in votes[1:]] == ["1"] * 76 + ["2"] * 76 + ["3"] * 76  # three row blocks
    assert not (mini / "AudioWAV" / f"{MISSING_AUDIO}.wav").exists()
    assert (mini / "AudioWAV" / "1040_ITH_SAD_X.wav").exists()
    assert all(
        cell.startswith('"')
        for line in (mini / "processedResults" / "summaryTable.csv").read_text().splitlines()
        for cell in line.split(",")
    )


def test_miniature_lfs_pointer_mode(tmp_path):
    root = write_crema_d(tmp_path / "lfs", seed=0, lfs_pointers=True)
    pointer = (root / "AudioWAV" / "1001_DFA_ANG_XX.wav").read_text()
    assert (
        pointer.startswith("version https://git-lfs.github.com/spec/v1\noid sha256:") and "\nsize " in pointer
    )
    with pytest.raises(CorpusFormatError, match=r"git-LFS pointer file .*git lfs pull"):
        prepare("crema-d", root, tmp_path / "x.parquet")
