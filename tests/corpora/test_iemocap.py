"""IEMOCAP loader: hand-written fixture lines, the miniature from the writer, and every bad-input case."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.iemocap import load_iemocap
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.iemocap import DIALOGS, plan_iemocap, write_iemocap

T = "\t"
RATE = 16000

# ------------------------------------------------------------------------------- hand-written fixture
EVAL_IMPRO01 = [
    "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]",
    "",
    f"[6.2901 - 8.2357]{T}Ses01F_impro01_F000{T}neu{T}[2.5000, 2.5000, 2.5000]",  # line 3
    f"C-E2:{T}Neutral;{T}()",
    f"C-E3:{T}Neutral;{T}()",
    f"C-E4:{T}Neutral;{T}()",
    f"C-F1:{T}Neutral;{T}(curious)",
    f"A-E3:{T}val 3; act 2; dom  2;{T}()",
    f"A-E4:{T}val 2; act 3; dom  3;{T}(comment text)",
    f"A-F1:{T}val 3; act 2; dom  1;{T}()",
    "",
    f"[10.0100 - 11.3925]{T}Ses01F_impro01_M000{T}fru{T}[2.0000, 3.5000, 3.0000]",  # line 12
    f"C-E1:{T}Frustration; Anger;{T}()",
    f"C-E2:{T}Frustration;{T}()",
    f"C-E4:{T}Neutral;{T}()",
    f"C-M1:{T}Anger;{T}()",
    f"A-E3:{T}val 2; act 3; dom  3;{T}()",
    f"A-E4:{T}val 2; act 4;{T}()",  # no dom
    "",
    f"[12.0000 - 13.5000]{T}Ses01F_impro01_F001{T}xxx{T}[3.0000, 3.0000, 3.0000]",  # line 20
    f"C-E1:{T}Neutral;{T}()",
    f"C-E2:{T}Sadness;{T}()",
    f"C-E3:{T}Frustration;{T}()",
    f"A-E1:{T}val 3; act 3; dom  3;{T}()",
    "",
]
TRANSCRIPT_IMPRO01 = [
    "Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.",
    "Ses01F_impro01_MXX0 [008.5000-009.0000]: [LAUGHTER]",
    "M: Yeah.",
    "Ses01F_impro01_M000 [010.0100-011.3925]: Do you have your forms?",
]  # F001 has no line: transcript null, noted
EVAL_IMPRO05A = [
    "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]",
    "",
    f"[1.5000 - 2.7500]{T}Ses03M_impro05a_F002{T}hap{T}[4.0000, 3.0000, 2.0000]",
    f"C-E1:{T}Happiness;{T}()",
    f"C-E2:{T}Happiness;{T}()",
    f"C-E3:{T}Excited;{T}()",
    "",
]
EVAL_SCRIPT01_1B = [
    "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]",
    "",
    f"[3.0000 - 4.0000]{T}Ses05M_script01_1b_M001{T}exc{T}[4.5000, 5.0000, 4.0000]",
    f"C-E1:{T}Excited;{T}()",
    f"C-E2:{T}Excited;{T}()",
    f"C-E4:{T}Happiness;{T}()",
    "",
]


def wav(path: Path, seconds: float, rate: int = RATE, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(round(seconds * rate))
    data = 0.1 * np.sin(np.arange(n) / 10.0)
    sf.write(path, np.stack([data] * channels, axis=1) if channels > 1 else data, rate, subtype="PCM_16")
    return path


def text(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sentence_wav(root: Path, utt: str) -> Path:
    dialog = utt.rsplit("_", 1)[0]
    return root / f"Session{int(utt[3:5])}" / "sentences" / "wav" / dialog / f"{utt}.wav"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    root = tmp_path / "IEMOCAP_full_release"
    s1 = root / "Session1" / "dialog"
    text(s1 / "EmoEvaluation" / "Ses01F_impro01.txt", EVAL_IMPRO01)
    text(
        s1 / "EmoEvaluation" / "Categorical" / "Ses01F_impro01_e1_cat.txt",
        ["Ses01F_impro01_M000 :Frustration; :Anger; ()"],
    )
    (s1 / "EmoEvaluation" / "._Ses01F_impro01.txt").write_bytes(
        b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X\xa4\xff"
    )
    text(s1 / "transcriptions" / "Ses01F_impro01.txt", TRANSCRIPT_IMPRO01)
    text(root / "Session3" / "dialog" / "EmoEvaluation" / "Ses03M_impro05a.txt", EVAL_IMPRO05A)
    text(root / "Session5" / "dialog" / "EmoEvaluation" / "Ses05M_script01_1b.txt", EVAL_SCRIPT01_1B)
    spans = {
        "Ses01F_impro01_F000": 8.2357 - 6.2901,
        "Ses01F_impro01_M000": 11.3925 - 10.0100,
        "Ses01F_impro01_F001": 1.5,
        "Ses03M_impro05a_F002": 1.25,
        "Ses05M_script01_1b_M001": 1.0,
    }
    for utt, seconds in spans.items():
        wav(sentence_wav(root, utt), seconds)
    return root


def load(root: Path, **options) -> tuple[dict, PrepareReport]:
    report = PrepareReport("iemocap")
    return {u.id.split("/", 1)[1]: u for u in load_iemocap(root, report, **options)}, report


def test_fixture_records(tiny):
    records, report = load(tiny)
    assert sorted(records) == [
        "Ses01F_impro01_F000",
        "Ses01F_impro01_F001",
        "Ses01F_impro01_M000",
        "Ses03M_impro05a_F002",
        "Ses05M_script01_1b_M001",
    ]
    assert report.read == 5 and report.skipped == []
    f000, m000, f001 = (
        records["Ses01F_impro01_F000"],
        records["Ses01F_impro01_M000"],
        records["Ses01F_impro01_F001"],
    )
    # consensus, votes (self-evaluation excluded), soft labels with the 1/k multi-label split
    assert f000.label == "neutral" and f000.votes == {"neutral": 3.0} and f000.soft_label == {"neutral": 1.0}
    assert m000.label == "frustrated"
    assert m000.votes == pytest.approx({"frustrated": 1.5, "angry": 0.5, "neutral": 1.0})
    assert m000.soft_label == pytest.approx({"frustrated": 0.5, "angry": 1 / 6, "neutral": 1 / 3})
    assert f001.label is None and f001.votes == {"neutral": 1.0, "sad": 1.0, "frustrated": 1.0}
    # speaker = session + letter after the last underscore (the dialog prefix letter is the mocap actor)
    assert (m000.speaker, m000.gender) == ("iemocap/Ses01_M", "male")
    assert (f000.speaker, f000.gender) == ("iemocap/Ses01_F", "female")
    assert m000.group == "iemocap/Session1" and m000.split is None
    # header bracket is [V, A, D] on 1-5
    assert (m000.valence, m000.arousal, m000.dominance) == pytest.approx(
        ((2 - 1) / 4, (3.5 - 1) / 4, (3 - 1) / 4)
    )
    assert f000.transcript == "Excuse me." and m000.transcript == "Do you have your forms?"
    assert f001.transcript is None
    assert m000.audio_path == "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_M000.wav"
    assert m000.duration == pytest.approx(1.3825, abs=1e-4) and m000.sample_rate == RATE
    assert m000.extra == {
        "dialog": "Ses01F_impro01",
        "session": 1,
        "improvised": True,
        "code": "fru",
        "start": 10.01,
        "end": 11.3925,
    }


def test_fixture_annotations_keep_self_and_dimensions(tiny):
    records, _ = load(tiny)
    by_rater = {a.rater: a for a in records["Ses01F_impro01_M000"].annotations}
    assert sorted(by_rater) == ["E1", "E2", "E3", "E4", "M1"]
    assert by_rater["M1"].kind == "self" and by_rater["M1"].categories == ["angry"]
    assert by_rater["E1"].categories == ["frustrated", "angry"] and by_rater["E1"].native == [
        "Frustration",
        "Anger",
    ]
    assert by_rater["E3"].categories == [] and by_rater["E3"].arousal == pytest.approx(0.5)
    e4 = by_rater["E4"]  # A-line without dom
    assert (e4.valence, e4.arousal, e4.dominance) == (0.25, 0.75, None) and e4.categories == ["neutral"]
    f1 = {a.rater: a for a in records["Ses01F_impro01_F000"].annotations}["F1"]
    assert f1.kind == "self" and (f1.valence, f1.arousal, f1.dominance) == (0.5, 0.25, 0.0)


@pytest.mark.parametrize(
    ("options", "votes"),
    [
        ({"include_self": True}, {"frustrated": 1.5, "angry": 1.5, "neutral": 1.0}),
        ({"multi_label": "first"}, {"frustrated": 2.0, "neutral": 1.0}),
        ({"multi_label": "each"}, {"frustrated": 2.0, "angry": 1.0, "neutral": 1.0}),
    ],
)
def test_vote_options(tiny, options, votes):
    records, _ = load(tiny, **options)
    utt = records["Ses01F_impro01_M000"]
    assert utt.votes == pytest.approx(votes)
    assert utt.label == "frustrated"  # the consensus code, whatever the vote policy


def test_suffixed_dialogs(tiny):
    records, _ = load(tiny)
    a, b = records["Ses03M_impro05a_F002"], records["Ses05M_script01_1b_M001"]
    assert (a.speaker, a.gender, a.extra["dialog"], a.extra["improvised"]) == (
        "iemocap/Ses03_F",
        "female",
        "Ses03M_impro05a",
        True,
    )
    assert a.audio_path == "Session3/sentences/wav/Ses03M_impro05a/Ses03M_impro05a_F002.wav"
    assert (b.speaker, b.gender, b.extra["dialog"], b.extra["improvised"]) == (
        "iemocap/Ses05_M",
        "male",
        "Ses05M_script01_1b",
        False,
    )
    assert b.label == "excited" and b.group == "iemocap/Session5"
    assert b.soft_label == pytest.approx({"excited": 2 / 3, "happy": 1 / 3})


def test_fixture_notes_and_counts(tiny):
    _, report = load(tiny)
    notes = Counter(n.reason for n in report.notes)
    assert notes == {"appledouble-file": 1, "missing-transcript": 1, "missing-transcript-file": 2}
    missing = next(n for n in report.notes if n.reason == "missing-transcript")
    assert missing.record == "iemocap/Ses01F_impro01_F001" and missing.line == 20
    assert report.counts["transcript:unlabelled-turn"] == 1 and report.counts["transcript:id-less-line"] == 1
    assert report.counts["ignored:appledouble"] == 1


def test_unlabelled_wav_is_noted(tiny):
    stray = wav(sentence_wav(tiny, "Ses01F_impro01_M005"), 0.5)
    _, report = load(tiny)
    assert [(n.reason, n.file) for n in report.notes if n.reason == "unlabelled-wav"] == [
        ("unlabelled-wav", str(stray))
    ]


# ------------------------------------------------------------------------------------------ bad input
def replace_line(path: Path, line_no: int, new: str | None) -> None:
    lines = path.read_text().split("\n")
    if new is None:
        del lines[line_no - 1]
    else:
        lines[line_no - 1] = new
    path.write_text("\n".join(lines))


def only_skip(report: PrepareReport):
    assert len(report.skipped) == 1, report.skipped
    return report.skipped[0]


def test_missing_truncated_and_wrong_format_audio(tiny):
    evaluation = tiny / "Session1" / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt"
    sentence_wav(tiny, "Ses01F_impro01_F000").unlink()
    trunc = sentence_wav(tiny, "Ses01F_impro01_M000")
    trunc.write_bytes(trunc.read_bytes()[:2000])
    wav(sentence_wav(tiny, "Ses01F_impro01_F001"), 1.5, rate=8000)
    wav(sentence_wav(tiny, "Ses03M_impro05a_F002"), 1.25, channels=2)
    records, report = load(tiny)
    assert sorted(records) == ["Ses05M_script01_1b_M001"]
    skips = {s.record.split("/")[1]: s for s in report.skipped}
    assert {k: s.reason for k, s in skips.items()} == {
        "Ses01F_impro01_F000": "missing-audio",
        "Ses01F_impro01_M000": "unreadable-audio",
        "Ses01F_impro01_F001": "wrong-sample-rate",
        "Ses03M_impro05a_F002": "wrong-channels",
    }
    assert skips["Ses01F_impro01_F000"].detail.endswith(f"(listed at {evaluation}:3)")
    assert "truncated" in skips["Ses01F_impro01_M000"].detail
    assert (
        "8000 Hz" in skips["Ses01F_impro01_F001"].detail
        and "2 channels" in skips["Ses03M_impro05a_F002"].detail
    )
    assert report.read == 5


def test_lfs_pointer_stops_with_an_explanation(tiny):
    sentence_wav(tiny, "Ses01F_impro01_F000").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 62302\n"
    )
    with pytest.raises(CorpusFormatError, match=r"git-LFS pointer.*git lfs pull"):
        load(tiny)


@pytest.mark.parametrize(
    ("line_no", "new", "reason", "where"),
    [
        (13, f"C-E1 Frustration; Anger;{T}()", "malformed-line", 13),  # no colon/TAB after the rater
        (17, f"A-E3:{T}val high; act 3; dom  3;{T}()", "malformed-line", 17),
        (17, f"A-E3:{T}val 7; act 3; dom  3;{T}()", "malformed-line", 17),  # outside 1-5
        (
            12,
            f"[10.0100 - 11.3925]{T}Ses01F_impro01_M000{T}bor{T}[2.0000, 3.5000, 3.0000]",
            "unknown-label",
            12,
        ),
        (14, f"C-E2:{T}Boredom;{T}()", "unknown-label", 14),
        (
            12,
            f"[10.0100 - 11.3925]{T}Ses01F_impro01_M000{T}fru{T}[2.0000, 9.0000, 3.0000]",
            "malformed-line",
            12,
        ),
        (
            12,
            f"[10.0100 - 11.3925]{T}Ses01X_impro01_M000{T}fru{T}[2.0000, 3.5000, 3.0000]",
            "malformed-line",
            12,
        ),
    ],
)
def test_bad_label_lines_skip_one_utterance_naming_file_and_line(tiny, line_no, new, reason, where):
    evaluation = tiny / "Session1" / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt"
    replace_line(evaluation, line_no, new)
    records, report = load(tiny)
    assert len(records) == 4 and "Ses01F_impro01_M000" not in records
    skip = only_skip(report)
    assert (skip.reason, skip.file, skip.line) == (reason, str(evaluation), where)
    assert report.read == 5


def test_unparseable_header_is_a_counted_skip(tiny):
    evaluation = tiny / "Session1" / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt"
    replace_line(
        evaluation, 12, "[10.0100 - 11.3925] Ses01F_impro01_M000 fru [2.0000, 3.5000, 3.0000]"
    )  # spaces
    records, report = load(tiny)
    assert "Ses01F_impro01_M000" not in records
    skip = only_skip(report)  # its rater lines go down with it, they are not skipped one by one
    assert (skip.reason, skip.line, skip.record) == ("malformed-line", 12, "iemocap/Ses01F_impro01_M000")
    assert report.read == 5


def test_rater_line_outside_a_block(tiny):
    evaluation = tiny / "Session1" / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt"
    replace_line(evaluation, 11, f"C-E9:{T}Neutral;{T}()")  # replaces the blank line after block 1: joins it
    replace_line(evaluation, 2, f"C-E9:{T}Neutral;{T}()")  # before any header
    records, report = load(tiny)
    assert len(records) == 5 and records["Ses01F_impro01_F000"].votes == {"neutral": 4.0}
    skip = only_skip(report)
    assert (skip.reason, skip.line, skip.record) == ("malformed-line", 2, None)


def test_duplicate_id_is_skipped_with_its_location(tiny):
    other = tiny / "Session1" / "dialog" / "EmoEvaluation" / "Ses01M_impro02.txt"
    text(other, EVAL_IMPRO01[:11])
    records, report = load(tiny)
    assert len(records) == 5
    skip = only_skip(report)
    assert (skip.reason, skip.file, skip.line, skip.record) == (
        "duplicate-id",
        str(other),
        3,
        "iemocap/Ses01F_impro01_F000",
    )


def test_strict_turns_a_skip_into_an_error(tiny, tmp_path):
    evaluation = tiny / "Session1" / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt"
    replace_line(evaluation, 14, f"C-E2:{T}Boredom;{T}()")
    with pytest.raises(
        CorpusFormatError, match=r"Ses01F_impro01.txt:14: .*Boredom.*\[unknown-label\] \(strict mode\)"
    ):
        prepare("iemocap", tiny, tmp_path / "out.parquet", strict=True)
    records, report = prepare("iemocap", tiny, tmp_path / "out.parquet")
    assert len(records) == 4 and report.skip_counts() == {"unknown-label": 1}


def test_empty_root_and_bad_options(tmp_path, tiny):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match=r"no Session<N>/ folders"):
        prepare("iemocap", tmp_path / "empty", tmp_path / "x.parquet")
    with pytest.raises(CorpusFormatError, match="pass that folder"):
        load(tiny.parent)
    with pytest.raises(ValueError, match=r"multi_label must be one of \['split', 'first', 'each'\]"):
        load(tiny, multi_label="all")
    with pytest.raises(ValueError, match="does not take option"):
        prepare("iemocap", tiny, tmp_path / "x.parquet", options={"multilabel": "first"})


def test_appledouble_file_would_not_decode(tiny):
    """The ._ file is really undecodable, so skipping it by name is what keeps the run alive."""
    from sercorpus.core.textfile import read_text_lines

    with pytest.raises(CorpusFormatError, match="not UTF-8"):
        read_text_lines(tiny / "Session1" / "dialog" / "EmoEvaluation" / "._Ses01F_impro01.txt")


# ----------------------------------------------------------------------------------------- miniature
@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_iemocap(tmp_path_factory.mktemp("iemocap") / "IEMOCAP_full_release", seed=0)


def expected_votes(turn) -> dict[str, float]:
    """Split policy computed from the plan's evaluator words, independently of the loader."""
    unified = {
        "Neutral": "neutral",
        "Happiness": "happy",
        "Excited": "excited",
        "Sadness": "sad",
        "Anger": "angry",
        "Frustration": "frustrated",
        "Surprise": "surprised",
        "Fear": "fearful",
        "Disgust": "disgusted",
        "Other": "other",
    }
    votes: Counter = Counter()
    for rating in turn.ratings:
        if rating.rater.startswith("E"):
            for word in rating.words:
                votes[unified[word]] += 1 / len(rating.words)
    return dict(votes)


def test_miniature_matches_the_plan(mini, tmp_path):
    plan = {t.utt: t for t in plan_iemocap(0)}
    records, report = prepare("iemocap", mini, tmp_path / "iemocap.parquet")
    assert len(records) == len(plan) == 90 and report.skipped == []
    codes = {
        "neu": "neutral",
        "hap": "happy",
        "exc": "excited",
        "sad": "sad",
        "ang": "angry",
        "fru": "frustrated",
        "sur": "surprised",
        "fea": "fearful",
        "dis": "disgusted",
        "oth": "other",
        "xxx": None,
    }
    for utt in records:
        turn = plan[utt.id.split("/", 1)[1]]
        letter = turn.utt.rsplit("_", 1)[1][0]
        assert utt.label == codes[turn.code]
        assert utt.votes == pytest.approx(expected_votes(turn))
        assert sum(utt.soft_label.values()) == pytest.approx(1.0)
        assert utt.speaker == f"iemocap/Ses{turn.session:02d}_{letter}"
        assert utt.gender == {"F": "female", "M": "male"}[letter]
        assert utt.group == f"iemocap/Session{turn.session}" and utt.split is None
        assert utt.transcript == turn.text
        assert utt.duration == turn.num_samples / RATE
        v, a, d = turn.header_vad
        assert (utt.valence, utt.arousal, utt.dominance) == pytest.approx(
            ((v - 1) / 4, (a - 1) / 4, (d - 1) / 4), abs=1e-4
        )
    sessions = Counter(u.extra["session"] for u in records)
    assert sessions == {s: 18 for s in DIALOGS}
    four = {"neutral": "neutral", "happy": "happy", "excited": "happy", "sad": "sad", "angry": "angry"}
    in_four = [u for u in records if u.label in four]
    assert len(in_four) == 60
    assert {four[u.label] for u in in_four if u.extra["session"] == 5} == set(four.values())
    assert {four[u.label] for u in in_four if u.extra["session"] != 5} == set(four.values())
    assert Counter(u.label for u in records)[None] == 10
    assert any(len(a.categories) > 1 for u in records for a in u.annotations)  # multi-label evaluators
    assert any(a.kind == "self" for u in records for a in u.annotations)
    assert any(a.dominance is None and a.valence is not None for u in records for a in u.annotations)
    assert {u.extra["dialog"] for u in records} >= {"Ses03M_impro05a", "Ses05M_script01_1b"}
    assert report.counts["transcript:unlabelled-turn"] == 5 and report.counts["transcript:id-less-line"] == 5
    assert Counter(n.reason for n in report.notes) == {"appledouble-file": 1}


def test_miniature_layout_and_determinism(mini, tmp_path):
    again = write_iemocap(tmp_path / "again", seed=0)
    files = sorted(p.relative_to(mini) for p in mini.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((mini / f).read_bytes() == (again / f).read_bytes() for f in files)
    evaluation = (mini / "Session1" / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt").read_text()
    assert evaluation.startswith("% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n[")
    assert f"{T}Ses01F_impro01_F000{T}" in evaluation and "; dom  " in evaluation
    assert (mini / "Session1" / "dialog" / "EmoEvaluation" / "Categorical").is_dir()
    info = sf.info(str(sentence_wav(mini, "Ses05M_script01_1b_F000")))
    assert (info.samplerate, info.channels, info.subtype) == (RATE, 1, "PCM_16")
