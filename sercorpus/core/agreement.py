"""Inter-annotator agreement of categorical labels: percent agreement, Cohen's kappa, Fleiss' kappa.

Private corpora are labelled by one annotator and reviewed by a second, or by a handful of raters; how much
they agree decides whether the soft labels mean anything, so the loader reports it with the data. Cohen's
kappa comes from scikit-learn; Fleiss' kappa (not in scikit-learn) is the textbook formula (Fleiss 1971).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Agreement:
    """Agreement over ``items`` items that each carry ``ratings`` ratings."""

    method: str  # "cohen" (two named raters) | "fleiss" (n ratings per item)
    items: int
    ratings: int
    percent: float  # share of items whose ratings are all equal, in percent
    kappa: float | None  # None when undefined (every rating in one category)

    def describe(self) -> str:
        name = "Cohen's kappa" if self.method == "cohen" else "Fleiss' kappa"
        kappa = "undefined (one category only)" if self.kappa is None else f"{self.kappa:.3f}"
        return (
            f"{self.ratings} ratings per item on {self.items} items: {self.percent:.1f} % agreement, "
            f"{name} {kappa}"
        )

    def counts(self) -> dict[str, float]:
        """Flat numbers for a report's ``counts``."""
        out: dict[str, float] = {
            "agreement:items": self.items,
            "agreement:ratings_per_item": self.ratings,
            "agreement:percent": round(self.percent, 2),
        }
        if self.kappa is not None:
            out[f"agreement:{self.method}_kappa"] = round(self.kappa, 4)
        return out


def cohen(first: Sequence[str], second: Sequence[str]) -> Agreement:
    """Two raters' labels on the same items (scikit-learn's ``cohen_kappa_score``)."""
    from sklearn.metrics import cohen_kappa_score

    if len(first) != len(second) or not first:
        raise ValueError("cohen: need two equally long, non-empty label lists")
    percent = 100.0 * sum(a == b for a, b in zip(first, second, strict=True)) / len(first)
    kappa = None
    if len(set(first) | set(second)) > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = float(cohen_kappa_score(list(first), list(second)))
        kappa = value if math.isfinite(value) else None
    return Agreement("cohen", len(first), 2, percent, kappa)


def fleiss(counts: np.ndarray) -> Agreement:
    """Items x categories matrix of rating counts; every row must hold the same number of ratings (>= 2)."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or counts.shape[0] == 0:
        raise ValueError("fleiss: need a non-empty items x categories matrix")
    per_item = counts.sum(axis=1)
    n = per_item[0]
    if n < 2 or not np.allclose(per_item, n):
        raise ValueError(
            f"fleiss: every item needs the same number (>= 2) of ratings, got {sorted(set(per_item))}"
        )
    items = counts.shape[0]
    p_cat = counts.sum(axis=0) / (items * n)
    p_item = ((counts**2).sum(axis=1) - n) / (n * (n - 1))
    p_bar, p_exp = float(p_item.mean()), float((p_cat**2).sum())
    kappa = None if math.isclose(p_exp, 1.0) else (p_bar - p_exp) / (1.0 - p_exp)
    unanimous = float((counts.max(axis=1) == n).mean()) * 100.0
    return Agreement("fleiss", items, int(n), unanimous, kappa)


def from_rater_labels(items: Sequence[Mapping[str, str]]) -> Agreement | None:
    """Agreement of per-item ``{rater: category}`` maps.

    Two raters overall: Cohen's kappa on the items both labelled. More: Fleiss' kappa (see
    :func:`from_label_lists`). None when no item has two ratings.
    """
    raters = sorted({r for item in items for r in item})
    if len(raters) == 2:
        both = [item for item in items if all(r in item for r in raters)]
        if not both:
            return None
        return cohen([i[raters[0]] for i in both], [i[raters[1]] for i in both])
    return from_label_lists([list(item.values()) for item in items])


def from_label_lists(items: Sequence[Sequence[str]]) -> Agreement | None:
    """Fleiss' kappa from per-item lists of ratings (raters need not be named, e.g. vote counts).

    Fleiss needs the same number of ratings per item: it uses the items carrying the most common number
    (>= 2); None when no item has two ratings.
    """
    sizes = Counter(len(item) for item in items if len(item) >= 2)
    if not sizes:
        return None
    n = max(sizes, key=lambda k: (sizes[k], k))
    used = [item for item in items if len(item) == n]
    categories = sorted({c for item in used for c in item})
    index = {c: i for i, c in enumerate(categories)}
    counts = np.zeros((len(used), len(categories)))
    for row, item in enumerate(used):
        for category in item:
            counts[row, index[category]] += 1
    return fleiss(counts)
