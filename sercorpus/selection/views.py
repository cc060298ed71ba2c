"""Label views: projections of the unified vocabulary onto a training class set.

Every training recipe reaches its class set through a view, so the exc->happy merge or the handling of
out-of-view votes is decided once (pytorch/audio#2778 is what happens when each caller hard-codes it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from sercorpus.core.schema import VOCABULARY, Utterance
from sercorpus.core.votes import soft_from_votes


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
