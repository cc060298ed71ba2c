"""The unified utterance record: the one contract every loader emits and every later stage reads.

Why a dataclass and not a dict: loaders for five corpora are written by different hands, and a typed
record with one validation routine is what keeps them from drifting apart (peer toolkits each invent
their own JSON keys per corpus, which is why cross-corpus work with them is error-prone).
"""

from __future__ import annotations

import math
import posixpath
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

SCHEMA_VERSION = "1.0"

#: The unified categorical vocabulary, in its canonical order (soft labels and votes use this order).
VOCABULARY: tuple[str, ...] = (
    "neutral",
    "happy",
    "sad",
    "angry",
    "frustrated",
    "excited",
    "surprised",
    "fearful",
    "disgusted",
    "contempt",
    "other",
)

GENDERS: tuple[str, ...] = ("female", "male")

DIMENSIONS: tuple[str, ...] = ("arousal", "valence", "dominance", "sentiment")

#: Tolerance for "sums to one" and "inside [0, 1]" checks (float32 round trips stay well inside it).
SUM_TOLERANCE = 1e-6


class RecordFieldError(KeyError):
    """A record names a field the schema does not have, or lacks a required one (message without quotes)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class Annotation:
    """One rater's raw judgement, kept so soft labels can be recomputed under another policy.

    ``categories`` are unified-vocabulary names (primary choice(s)); ``secondary`` holds secondary tags
    where a corpus collects them (MSP-Podcast); ``native`` keeps the rater's words as written in the
    corpus. Dimensional ratings are normalised to [0, 1] with the corpus's documented scale.
    """

    rater: str
    kind: str = "external"  # "external" evaluator, or "self" (actor self-evaluation)
    categories: list[str] = field(default_factory=list)
    secondary: list[str] = field(default_factory=list)
    native: list[str] = field(default_factory=list)
    arousal: float | None = None
    valence: float | None = None
    dominance: float | None = None
    sentiment: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _ANNOTATION_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Annotation:
        return cls(**{k: v for k, v in data.items() if k in _ANNOTATION_FIELDS})


@dataclass
class Utterance:
    """One utterance of one corpus in the unified schema (see ``docs/SCHEMA.md``)."""

    id: str
    corpus: str
    audio_path: str
    duration: float
    sample_rate: int
    offset: float = 0.0
    num_channels: int = 1
    channel: int | None = None  # which channel holds this speaker (dual-channel calls); None = all
    speaker: str | None = None
    gender: str | None = None
    split: str | None = None
    group: str | None = None
    label: str | None = None
    votes: dict[str, float] = field(default_factory=dict)
    soft_label: dict[str, float] = field(default_factory=dict)
    arousal: float | None = None
    valence: float | None = None
    dominance: float | None = None
    sentiment: float | None = None
    transcript: str | None = None
    annotations: list[Annotation] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Utterance:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _UTTERANCE_FIELDS:
            value = getattr(self, name)
            if name == "annotations":
                value = [a.to_dict() for a in value]
            elif name in ("votes", "soft_label"):
                value = canonical_distribution(value)
            out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Utterance:
        unknown = set(data).difference(_UTTERANCE_FIELDS)
        if unknown:
            raise RecordFieldError(f"unknown field(s) {sorted(unknown)} in record {data.get('id')!r}")
        missing = [name for name in _REQUIRED_FIELDS if name not in data]
        if missing:
            raise RecordFieldError(f"record {data.get('id')!r} lacks required field(s) {missing}")
        values = dict(data)
        values["annotations"] = [
            a if isinstance(a, Annotation) else Annotation.from_dict(a)
            for a in values.get("annotations") or []
        ]
        values["votes"] = canonical_distribution(values.get("votes") or {})
        values["soft_label"] = canonical_distribution(values.get("soft_label") or {})
        values["extra"] = dict(values.get("extra") or {})
        return cls(**values)


# field names, computed once: dataclasses.fields() per call dominated to_dict/from_dict on 100k-record manifests
_ANNOTATION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Annotation))
_UTTERANCE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Utterance))
_REQUIRED_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Utterance) if f.default is MISSING and f.default_factory is MISSING
)


def canonical_distribution(values: dict[str, float]) -> dict[str, float]:
    """Vocabulary order, zero entries dropped: the one form stored, so round trips are lossless."""
    unknown = [k for k in values if k not in VOCABULARY]
    if unknown:
        raise ValueError(f"categories {unknown} are not in the unified vocabulary {list(VOCABULARY)}")
    return {k: float(values[k]) for k in VOCABULARY if k in values and values[k] != 0}


def qualified(corpus: str, native_id: str) -> str:
    """Corpus-qualified identifier (``"iemocap/Ses01_M"``), so ids never collide across corpora."""
    return f"{corpus}/{native_id}"


def validate_utterance(utt: Utterance) -> list[str]:
    """Return every problem with one record (empty list = valid). Messages name the field and why."""
    problems: list[str] = []

    def bad(field_name: str, why: str) -> None:
        problems.append(f"{field_name}: {why}")

    for name in ("id", "corpus", "audio_path"):
        value = getattr(utt, name)
        if not isinstance(value, str) or not value:
            bad(name, "required, must be a non-empty string")
    if isinstance(utt.id, str) and isinstance(utt.corpus, str) and utt.id and utt.corpus:
        if not utt.id.startswith(utt.corpus + "/"):
            bad("id", f"must start with '{utt.corpus}/' (corpus-qualified), got {utt.id!r}")
    if isinstance(utt.audio_path, str) and utt.audio_path:
        why = audio_path_problem(utt.audio_path)
        if why is not None:
            bad("audio_path", why)
    if not _finite(utt.duration) or utt.duration <= 0:
        bad("duration", f"must be a positive number of seconds, got {utt.duration!r}")
    if not _finite(utt.offset) or utt.offset < 0:
        bad("offset", f"must be >= 0 seconds, got {utt.offset!r}")
    if not isinstance(utt.sample_rate, int) or utt.sample_rate <= 0:
        bad("sample_rate", f"must be a positive integer, got {utt.sample_rate!r}")
    if not isinstance(utt.num_channels, int) or utt.num_channels <= 0:
        bad("num_channels", f"must be a positive integer, got {utt.num_channels!r}")
    if utt.channel is not None and (
        not isinstance(utt.channel, int) or not 0 <= utt.channel < max(utt.num_channels, 1)
    ):
        bad("channel", f"must be None or in [0, {utt.num_channels}), got {utt.channel!r}")
    if utt.speaker is not None and (not isinstance(utt.speaker, str) or "/" not in utt.speaker.strip("/")):
        bad("speaker", f"must be corpus-qualified ('<corpus>/<native id>') or null, got {utt.speaker!r}")
    if utt.gender is not None and utt.gender not in GENDERS:
        bad("gender", f"must be one of {list(GENDERS)} or null, got {utt.gender!r}")
    if utt.split is not None and (
        not isinstance(utt.split, str) or not utt.split or utt.split != utt.split.lower()
    ):
        bad("split", f"must be a lower-case split name or null, got {utt.split!r}")
    if utt.label is not None and utt.label not in VOCABULARY:
        bad("label", f"{utt.label!r} is not in the unified vocabulary")
    for name in ("votes", "soft_label"):
        dist = getattr(utt, name)
        for key, value in dist.items():
            if key not in VOCABULARY:
                bad(name, f"category {key!r} is not in the unified vocabulary")
            elif not _finite(value) or value < 0:
                bad(name, f"weight for {key!r} must be a finite number >= 0, got {value!r}")
    if utt.soft_label:
        total = sum(utt.soft_label.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            bad("soft_label", f"must sum to 1, sums to {total:.8f}")
    if bool(utt.votes) != bool(utt.soft_label):
        bad("soft_label", "votes and soft_label must both be present or both empty")
    for name in DIMENSIONS:
        value = getattr(utt, name)
        if value is not None and (not _finite(value) or not -SUM_TOLERANCE <= value <= 1 + SUM_TOLERANCE):
            bad(name, f"must be in [0, 1] or null, got {value!r}")
    for i, ann in enumerate(utt.annotations):
        for cat in ann.categories + ann.secondary:
            if cat not in VOCABULARY:
                bad(f"annotations[{i}]", f"category {cat!r} is not in the unified vocabulary")
        for name in DIMENSIONS:
            value = getattr(ann, name)
            if value is not None and (not _finite(value) or not 0 <= value <= 1):
                bad(f"annotations[{i}].{name}", f"must be in [0, 1] or null, got {value!r}")
    return problems


def audio_path_problem(path: str) -> str | None:
    """Why ``path`` cannot be an ``audio_path`` (absolute, or leaving its corpus root), else None.

    Backslashes count as separators and drive letters as absolute, so a manifest written on Windows cannot
    smuggle a path out either.
    """
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).drive or path.startswith("\\"):
        return f"must be relative to the corpus root, got an absolute path {path!r}"
    normal = posixpath.normpath(path.replace("\\", "/"))
    if normal == ".." or normal.startswith("../"):
        return f"leaves the corpus root ({path!r}); it must stay inside it"
    return None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
