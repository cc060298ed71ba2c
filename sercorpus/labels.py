"""Votes, soft labels, consensus and label views.

Every corpus reaches the unified vocabulary through one of the label-map tables in ``manifests/labelmaps``;
every training recipe reaches its class set through a *view*. Both are data plus one function here, so the
exc->happy merge or the handling of out-of-view votes is decided once (pytorch/audio#2778 is what happens
when each caller hard-codes it).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sercorpus.report import CorpusFormatError
from sercorpus.schema import VOCABULARY, Utterance, canonical_distribution


# --------------------------------------------------------------------------------------------- votes
def soft_from_votes(votes: Mapping[str, float]) -> dict[str, float]:
    """Normalise vote weights to a distribution (empty in, empty out)."""
    total = float(sum(votes.values()))
    if total <= 0:
        return {}
    return canonical_distribution({k: v / total for k, v in votes.items() if v > 0})


def plurality(votes: Mapping[str, float], tol: float = 1e-9) -> str | None:
    """The unique top category, or None on a tie or with no votes (ties are "no agreement", not a coin flip)."""
    if not votes:
        return None
    best = max(votes.values())
    if best <= 0:
        return None
    winners = [k for k, v in votes.items() if abs(v - best) <= tol]
    return winners[0] if len(winners) == 1 else None


def agreement(votes: Mapping[str, float]) -> float | None:
    """Share of the vote mass on the top category (1.0 = unanimous)."""
    total = float(sum(votes.values()))
    return max(votes.values()) / total if total > 0 else None


class MultiLabelPolicy(str, Enum):
    """How a rater who ticked k categories contributes votes."""

    SPLIT = "split"  # each of k labels gets 1/k: every rater weighs the same (default)
    FIRST = "first"  # only the first label counts (ERTK)
    EACH = "each"  # every label is a full vote ("3 tags = 3 votes")


def add_rater_votes(
    votes: dict[str, float], categories: Iterable[str], policy: MultiLabelPolicy = MultiLabelPolicy.SPLIT
) -> None:
    """Add one rater's categories to ``votes`` in place, under ``policy``. Duplicates count once."""
    cats = list(dict.fromkeys(categories))
    if not cats:
        return
    if policy is MultiLabelPolicy.FIRST:
        cats = cats[:1]
    weight = 1.0 / len(cats) if policy is MultiLabelPolicy.SPLIT else 1.0
    for cat in cats:
        votes[cat] = votes.get(cat, 0.0) + weight


# --------------------------------------------------------------------------------------------- views
class OutOfView(str, Enum):
    """What happens to vote mass on categories a view does not contain."""

    RENORMALIZE = "renormalize"  # drop it and renormalise the in-view mass (default)
    EXCLUDE = "exclude"  # the utterance leaves the view if any vote falls outside it


@dataclass(frozen=True)
class LabelView:
    """A projection of the unified vocabulary onto a training class set."""

    name: str
    classes: tuple[str, ...]
    mapping: Mapping[str, str]  # unified category -> view class; categories absent here are out of view
    description: str

    def map_category(self, category: str | None) -> str | None:
        return None if category is None else self.mapping.get(category)


def _identity(cats: Iterable[str]) -> dict[str, str]:
    return {c: c for c in cats}


VIEWS: dict[str, LabelView] = {
    "full": LabelView("full", VOCABULARY, _identity(VOCABULARY), "all 11 unified categories"),
    "4class": LabelView(
        "4class",
        ("neutral", "happy", "sad", "angry"),
        {"neutral": "neutral", "happy": "happy", "excited": "happy", "sad": "sad", "angry": "angry"},
        "IEMOCAP convention: neutral, happy (happy + excited), sad, angry",
    ),
    "msp8": LabelView(
        "msp8",
        ("angry", "sad", "happy", "surprised", "fearful", "disgusted", "contempt", "neutral"),
        _identity(("angry", "sad", "happy", "surprised", "fearful", "disgusted", "contempt", "neutral")),
        "the 8 MSP-Podcast primary categories",
    ),
}


def get_view(name: str) -> LabelView:
    try:
        return VIEWS[name]
    except KeyError:
        raise ValueError(f"unknown label view {name!r}; known views: {sorted(VIEWS)}") from None


def project_votes(
    votes: Mapping[str, float], view: LabelView, policy: OutOfView = OutOfView.RENORMALIZE
) -> dict[str, float] | None:
    """Map vote weights into ``view``'s classes (merging, e.g. excited into happy).

    Returns None when ``policy`` is EXCLUDE and some mass lies outside the view. With RENORMALIZE the
    out-of-view mass is simply dropped; the caller normalises with :func:`soft_from_votes`.
    """
    projected: dict[str, float] = {}
    for cat, weight in votes.items():
        target = view.mapping.get(cat)
        if target is None:
            if policy is OutOfView.EXCLUDE and weight > 0:
                return None
            continue
        projected[target] = projected.get(target, 0.0) + weight
    return {c: projected[c] for c in view.classes if projected.get(c, 0) > 0}


def project_utterance(
    utt: Utterance, view: LabelView | str, policy: OutOfView = OutOfView.RENORMALIZE
) -> Utterance | None:
    """The utterance as seen through ``view``: label, votes and soft label mapped; None if excluded.

    The consensus label is mapped through the view (an out-of-view consensus becomes null: use a
    filter to drop such rows). The view name is recorded in ``extra['view']``.
    """
    view = get_view(view) if isinstance(view, str) else view
    votes = project_votes(utt.votes, view, policy)
    if votes is None:
        return None
    return utt.replace(
        label=view.map_category(utt.label),
        votes=votes,
        soft_label=soft_from_votes(votes),
        extra={**utt.extra, "view": view.name},
    )


# ----------------------------------------------------------------------------------------- label maps
@dataclass(frozen=True)
class LabelMap:
    """A corpus's native label codes/words -> unified categories, and its native dimensional scale."""

    corpus: str
    codes: Mapping[str, str | None]  # consensus codes (``neu``, ``N``, ...); None = no agreement
    words: Mapping[str, str | None]  # rater words (``Neutral``, ``Angry``, ...)
    scale: tuple[float, float] | None  # native dimensional scale (lo, hi)
    raw: Mapping[str, Any]

    def code(self, code: str) -> str | None:
        """Unified category for a consensus code; KeyError (caller reports file/line) when unknown."""
        return self.codes[code]

    def normalise(self, value: float | None) -> float | None:
        """Native dimensional value -> [0, 1] on this corpus's scale."""
        if value is None:
            return None
        if self.scale is None:
            raise ValueError(f"{self.corpus}: label map declares no dimensional scale")
        lo, hi = self.scale
        return (float(value) - lo) / (hi - lo)


def manifests_dir() -> Path:
    """The ``manifests/`` folder: shipped inside the wheel, or at the repository root in a checkout."""
    packaged = resources.files("sercorpus") / "_manifests"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "manifests"


def read_label_map(path: Path) -> LabelMap:
    """A label-map YAML file (``codes``/``words`` maps to unified categories, optional ``scale: [lo, hi]``);
    every problem is a CorpusFormatError naming the file. Shipped maps and users' own maps go through here."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise CorpusFormatError(path, "label map not found") from None
    except yaml.YAMLError as exc:
        raise CorpusFormatError(path, f"invalid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CorpusFormatError(path, "label map must be a YAML mapping with 'codes' and/or 'words'")
    for section in ("codes", "words"):
        for native, unified in (raw.get(section) or {}).items():
            if unified is not None and unified not in VOCABULARY:
                raise CorpusFormatError(path, f"{section}.{native} maps to {unified!r}, not in the unified vocabulary")
    scale = raw.get("scale")
    try:
        lo_hi = None if scale is None else (float(scale[0]), float(scale[1]))
    except (TypeError, ValueError, IndexError, KeyError):
        raise CorpusFormatError(path, f"scale must be two numbers [lo, hi], got {scale!r}") from None
    if lo_hi is not None and not lo_hi[0] < lo_hi[1]:
        raise CorpusFormatError(path, f"scale needs lo < hi, got {scale!r}")
    return LabelMap(
        corpus=raw.get("corpus", path.stem),
        codes={str(k): v for k, v in (raw.get("codes") or {}).items()},
        words={str(k): v for k, v in (raw.get("words") or {}).items()},
        scale=lo_hi,
        raw=raw,
    )


@functools.cache
def load_label_map(corpus: str) -> LabelMap:
    """The shipped label map of a built-in corpus (``manifests/labelmaps/<corpus>.yaml``)."""
    return read_label_map(manifests_dir() / "labelmaps" / f"{corpus}.yaml")
