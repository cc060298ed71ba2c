"""The schema contract: round trips, validation messages, label views."""

from __future__ import annotations

import math

import pytest

from sercorpus.core.schema import Annotation, Utterance, validate_utterance
from sercorpus.core.votes import MultiLabelPolicy, add_rater_votes, plurality, soft_from_votes
from sercorpus.selection.views import OutOfView, get_view, project_utterance, project_votes


def make(**changes) -> Utterance:
    base = Utterance(
        id="iemocap/Ses01F_impro01_F000",
        corpus="iemocap",
        audio_path="Session1/x.wav",
        duration=1.5,
        sample_rate=16000,
        speaker="iemocap/Ses01_F",
        gender="female",
        group="iemocap/Session1",
        label="excited",
        votes={"excited": 2.0, "happy": 1.0, "frustrated": 0.5},
        soft_label={"excited": 2 / 3.5, "happy": 1 / 3.5, "frustrated": 0.5 / 3.5},
        arousal=0.75,
        valence=0.5,
        dominance=0.25,
        transcript="Excuse me.",
        annotations=[Annotation("E1", categories=["excited"], native=["Excited"], valence=0.5)],
        extra={"dialog": "Ses01F_impro01"},
    )
    return base.replace(**changes)


def test_valid_record_has_no_problems():
    assert validate_utterance(make()) == []


@pytest.mark.parametrize(
    ("changes", "field", "why"),
    [
        ({"id": "Ses01F_impro01_F000"}, "id", "corpus-qualified"),
        ({"audio_path": "/abs/x.wav"}, "audio_path", "relative"),
        ({"duration": 0.0}, "duration", "positive"),
        ({"duration": math.nan}, "duration", "positive"),
        ({"offset": -1.0}, "offset", ">= 0"),
        ({"sample_rate": 0}, "sample_rate", "positive"),
        ({"gender": "F"}, "gender", "female"),
        ({"split": "Train"}, "split", "lower-case"),
        ({"label": "joy"}, "label", "vocabulary"),
        ({"soft_label": {"happy": 0.5, "sad": 0.4}}, "soft_label", "sum to 1"),
        ({"votes": {"happy": -1.0}}, "votes", ">= 0"),
        ({"votes": {}}, "soft_label", "both"),
        ({"arousal": 1.5}, "arousal", "[0, 1]"),
        ({"channel": 2}, "channel", "[0, 1)"),
        ({"annotations": [Annotation("E1", categories=["joy"])]}, "annotations[0]", "vocabulary"),
    ],
)
def test_validation_names_field_and_reason(changes, field, why):
    problems = validate_utterance(make(**changes))
    assert len(problems) >= 1
    assert any(p.startswith(field + ":") and why in p for p in problems), problems


def test_dict_round_trip_is_lossless_and_canonical():
    utt = make(votes={"frustrated": 0.5, "happy": 1.0, "excited": 2.0, "sad": 0.0})
    back = Utterance.from_dict(utt.to_dict())
    assert back == Utterance.from_dict(back.to_dict())
    assert list(back.votes) == ["happy", "frustrated", "excited"]  # vocabulary order, zeros dropped
    assert back.annotations[0].native == ["Excited"]


def test_from_dict_rejects_unknown_fields():
    data = make().to_dict() | {"emotion": "happy"}
    with pytest.raises(KeyError, match="emotion"):
        Utterance.from_dict(data)


def test_multi_label_policies():
    split, first, each = {}, {}, {}
    add_rater_votes(split, ["frustrated", "angry"], MultiLabelPolicy.SPLIT)
    add_rater_votes(first, ["frustrated", "angry"], MultiLabelPolicy.FIRST)
    add_rater_votes(each, ["frustrated", "angry", "angry"], MultiLabelPolicy.EACH)
    assert split == {"frustrated": 0.5, "angry": 0.5}
    assert first == {"frustrated": 1.0}
    assert each == {"frustrated": 1.0, "angry": 1.0}


def test_plurality_is_none_on_ties():
    assert plurality({"angry": 2, "disgusted": 2}) is None
    assert plurality({"angry": 3, "disgusted": 2}) == "angry"
    assert plurality({}) is None


def test_4class_view_merges_excited_into_happy_and_renormalises():
    utt = project_utterance(make(), "4class")
    assert utt.label == "happy"
    assert utt.votes == {"happy": 3.0}  # excited 2 + happy 1; frustrated dropped
    assert utt.soft_label == {"happy": 1.0}
    assert utt.extra["view"] == "4class"
    assert validate_utterance(utt) == []


def test_view_projection_of_out_of_view_consensus_and_exclude_policy():
    utt = make(label="frustrated")
    assert project_utterance(utt, "4class").label is None
    assert project_utterance(utt, "4class", OutOfView.EXCLUDE) is None
    assert project_votes({"sad": 1, "angry": 3}, get_view("4class"), OutOfView.EXCLUDE) == {
        "sad": 1,
        "angry": 3,
    }


def test_projection_with_no_in_view_votes_gives_empty_soft_label():
    utt = project_utterance(make(label=None, votes={"fearful": 2.0}, soft_label={"fearful": 1.0}), "4class")
    assert utt.votes == {} and utt.soft_label == {}
    assert validate_utterance(utt) == []


def test_msp8_and_unknown_view():
    assert get_view("msp8").classes == (
        "angry",
        "sad",
        "happy",
        "surprised",
        "fearful",
        "disgusted",
        "contempt",
        "neutral",
    )
    assert project_utterance(make(), "msp8").label is None  # excited is not an MSP primary category
    with pytest.raises(ValueError, match="unknown label view 'five'"):
        get_view("five")


def test_soft_from_votes():
    assert soft_from_votes({"sad": 1.0, "angry": 3.0}) == {"sad": 0.25, "angry": 0.75}
    assert soft_from_votes({}) == {}
