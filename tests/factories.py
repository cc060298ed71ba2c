"""Record factories for the subset/split/transform/stats tests: manifests built in code, no audio needed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Annotation, Utterance
from sercorpus.core.votes import soft_from_votes


def utt(
    uid: str,
    corpus: str = "msp-podcast",
    *,
    label: str | None = "neutral",
    split: str | None = "train",
    speaker: str | None = "spk0",
    gender: str | None = None,
    duration: float = 2.0,
    group: str | None = None,
    votes: Mapping[str, float] | None = None,
    annotations: list[Annotation] | None = None,
) -> Utterance:
    """One valid record; votes default to three raters agreeing on ``label``."""
    votes = dict(votes) if votes is not None else ({label: 3.0} if label else {})
    if speaker is not None and "/" not in speaker:
        speaker = f"{corpus}/{speaker}"  # the schema wants corpus-qualified speakers
    return Utterance(
        id=f"{corpus}/{uid}",
        corpus=corpus,
        audio_path=f"{uid}.wav",
        duration=duration,
        sample_rate=16000,
        speaker=speaker,
        gender=gender,
        split=split,
        group=group,
        label=label,
        votes=votes,
        soft_label=soft_from_votes(votes),
        annotations=list(annotations or []),
    )


def population(
    spec: Mapping[str | None, Mapping[str, int]],
    corpus: str = "msp-podcast",
    speakers: int = 20,
    prefix: str = "u",
) -> list[Utterance]:
    """``spec`` = split -> label -> count; speakers are per split (``train-s3``), assigned round robin."""
    records = []
    for split, counts in spec.items():
        i = 0
        for label, n in counts.items():
            for _ in range(n):
                name = split or "nosplit"
                records.append(
                    utt(
                        f"{prefix}{name}{i:06d}",
                        corpus,
                        label=label,
                        split=split,
                        speaker=f"{name}-s{i % speakers}",
                        gender="female" if i % speakers % 2 else "male",
                    )
                )
                i += 1
    return records


def iemocap_like(per_speaker: Mapping[str, int] | None = None) -> list[Utterance]:
    """5 sessions x 2 speakers, no split, group = session (like the IEMOCAP loader emits)."""
    per_speaker = per_speaker or {
        "neutral": 4,
        "happy": 2,
        "excited": 2,
        "sad": 3,
        "angry": 3,
        "frustrated": 2,
    }
    records = []
    for session in range(1, 6):
        for letter, gender in (("F", "female"), ("M", "male")):
            for label, n in per_speaker.items():
                for k in range(n):
                    records.append(
                        utt(
                            f"Ses{session:02d}{letter}_{label}{k}",
                            "iemocap",
                            label=label,
                            split=None,
                            speaker=f"iemocap/Ses{session:02d}_{letter}",
                            gender=gender,
                            group=f"iemocap/Session{session}",
                        )
                    )
    return records


def write(tmp_path: Path, name: str, records: list[Utterance]) -> Path:
    roots = {c: str(tmp_path / "audio" / c) for c in {u.corpus for u in records}}
    return write_manifest(tmp_path / name, records, roots)
