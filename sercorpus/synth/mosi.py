"""Miniature CMU-MOSI in the Raw release layout plus the SDK label file, with the known quirks.

Written::

    Raw/Audio/WAV_16000/Segmented/<vid>_<k>.wav        16 kHz mono PCM16, k 1-based, "room" condition
    Raw/Labels/OpinionLevelSentiment.csv               no header: start,end,video_id,segment_no,label;
                                                       two exact duplicate intervals (d6hH302o4v8,
                                                       bOL9jKpeJRs, as in CMU-MultimodalSDK#265)
    Raw/Transcript/Segmented/<vid>.annotprocessed      <k>_DELIM_<text>, one segment left uncovered
    CMU_MOSI_Opinion_Labels.csd                        HDF5, "Opinion Segment Labels/data/<vid>[<k-1>]/
                                                       {features,intervals}" (0-based aligned keys) +
                                                       metadata with the template's fused key
    gender.csv                                         audeering-style side file, one video left out

Ten videos taken from the real SDK standard folds (5 train, 2 valid, 3 test), 4-6 segments each. A segment's
sentiment is the mean of five integer rater scores in [-3, 3]; its audio is synthesised happy (>= 1),
sad (<= -1) or neutral, so the signal follows the label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sercorpus.core.atomic import atomic_output, write_text
from sercorpus.core.audio import write_wav
from sercorpus.core.seeding import rng_for
from sercorpus.synth.voice import make_speaker, synth_utterance

SAMPLE_RATE = 16000
ROOT_NAME = "Opinion Segment Labels"
CSD_NAME = "CMU_MOSI_Opinion_Labels.csd"
# (video id, standard fold, gender); ids are real fold members of the SDK's standard folds
VIDEOS: tuple[tuple[str, str, str], ...] = (
    ("03bSnISJMiM", "train", "female"),
    ("2iD-tVS8NPw", "train", "male"),
    ("8d-gEyoeBzc", "train", "female"),
    ("Ci-AH39fi3Y", "train", "male"),
    ("Bfr499ggo-0", "train", "male"),
    ("bOL9jKpeJRs", "valid", "female"),
    ("ZUXBRvtny7o", "valid", "male"),
    ("d6hH302o4v8", "test", "male"),
    ("tmZoasNr4rU", "test", "female"),
    ("cW1FSBF59ik", "test", "female"),
)
DUPLICATED = {"d6hH302o4v8": 2, "bOL9jKpeJRs": 1}  # video -> segment whose label row appears twice
NO_GENDER = "Ci-AH39fi3Y"
NO_TRANSCRIPT = ("2iD-tVS8NPw", 3)
WORDS = (
    "i",
    "think",
    "the",
    "movie",
    "was",
    "really",
    "not",
    "that",
    "good",
    "great",
    "acting",
    "story",
    "boring",
    "loved",
    "it",
    "but",
    "and",
    "honestly",
    "uh",
    "plot",
)
# the SDK metadata template; its missing comma fuses two keys into one
METADATA = {
    "root name": ROOT_NAME,
    "computational sequence description": "Opinion segment sentiment labels of CMU-MOSI",
    "dimension namescomputational sequence version": ["sentiment"],
    "alignment compatible": True,
    "dataset name": "CMU-MOSI",
    "dataset version": "1.0",
    "creator": "sercorpus miniature",
    "contact": "none",
    "featureset bib citation": "",
    "dataset bib citation": "",
}


@dataclass(frozen=True)
class Seg:
    vid: str
    k: int  # 1-based
    start: float
    end: float
    sentiment: float


def segments(seed: int) -> list[Seg]:
    """The labelled segments (before duplication), video by video."""
    out = []
    for vid, _, _ in VIDEOS:
        rng = rng_for(seed, "mosi", vid)
        t = float(rng.uniform(2.0, 10.0))
        for k in range(1, int(rng.integers(4, 7)) + 1):
            start = round(t, 2)
            end = round(start + float(rng.uniform(1.5, 3.0)), 2)
            centre = int(rng.integers(-2, 3))
            scores = np.clip(centre + rng.integers(-1, 2, size=5), -3, 3)
            out.append(Seg(vid, k, start, end, int(scores.sum()) / 5))
            t = end + float(rng.uniform(0.5, 4.0))
    return out


def write_mosi(out: str | Path, seed: int = 0) -> Path:
    """Write the miniature under ``out`` (the folder holding ``Raw/``) and return it."""
    root = Path(out)
    segs = segments(seed)
    genders = {vid: gender for vid, _, gender in VIDEOS}
    for seg in segs:
        _write_audio(root, seed, seg, genders[seg.vid])
    write_text(root / "Raw" / "Labels" / "OpinionLevelSentiment.csv", _label_csv(segs))
    _write_transcripts(root, seed, segs)
    write_text(
        root / "gender.csv",
        "file,gender\n"
        + "".join(f"Audio/{vid}.wav,{gender}\n" for vid, _, gender in VIDEOS if vid != NO_GENDER),
    )
    write_csd(root / CSD_NAME, segs)
    return root


def emotion_for(sentiment: float) -> str:
    return "happy" if sentiment >= 1 else "sad" if sentiment <= -1 else "neutral"


def _write_audio(root: Path, seed: int, seg: Seg, gender: str) -> None:
    rng = rng_for(seed, "mosi", "audio", seg.vid, seg.k)
    speaker = make_speaker(f"mosi-{seg.vid}", gender, seed)
    samples = synth_utterance(
        rng, emotion_for(seg.sentiment), speaker, seg.end - seg.start, SAMPLE_RATE, "room"
    )
    write_wav(
        root / "Raw" / "Audio" / "WAV_16000" / "Segmented" / f"{seg.vid}_{seg.k}.wav", samples, SAMPLE_RATE
    )


def _label_csv(segs: list[Seg]) -> str:
    lines = []
    for seg in segs:
        row = f"{seg.start!r},{seg.end!r},{seg.vid},{seg.k},{seg.sentiment!r}"
        lines.append(row)
        if DUPLICATED.get(seg.vid) == seg.k:
            lines.append(row)
    return "\n".join(lines) + "\n"


def _write_transcripts(root: Path, seed: int, segs: list[Seg]) -> None:
    by_video: dict[str, list[str]] = {}
    for seg in segs:
        if (seg.vid, seg.k) == NO_TRANSCRIPT:
            continue
        rng = rng_for(seed, "mosi", "text", seg.vid, seg.k)
        text = " ".join(WORDS[int(i)] for i in rng.integers(0, len(WORDS), size=int(rng.integers(4, 10))))
        by_video.setdefault(seg.vid, []).append(f"{seg.k}_DELIM_{text}")
    for vid, lines in by_video.items():
        write_text(
            root / "Raw" / "Transcript" / "Segmented" / f"{vid}.annotprocessed", "\n".join(lines) + "\n"
        )


def write_csd(path: Path, segs: list[Seg]) -> None:
    """SDK layout after alignment: ``<root name>/data/<vid>[<k-1>]/{features, intervals}`` (0-based keys, one
    segment each) + ``metadata`` (JSON in vlen strings)."""
    import h5py

    entries = {f"{seg.vid}[{seg.k - 1}]": seg for seg in segs}
    with atomic_output(path, "w+b") as handle, h5py.File(handle, "w", libver="earliest") as h5:
        top = h5.create_group(ROOT_NAME)
        data = top.create_group("data")
        for key in sorted(entries):
            group = data.create_group(key)
            seg = entries[key]
            group.create_dataset("features", data=np.array([[seg.sentiment]], dtype=np.float64))
            group.create_dataset("intervals", data=np.array([[seg.start, seg.end]], dtype=np.float64))
        meta = top.create_group("metadata")
        for name, value in METADATA.items():
            dataset = meta.create_dataset(name, (1,), dtype=h5py.string_dtype())
            dataset[0] = json.dumps(value)
