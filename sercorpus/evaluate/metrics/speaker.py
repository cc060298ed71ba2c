"""Per-speaker UAR and paUAR-X (Mitra et al.): how many speakers the model serves well, not just on average.

**paUAR-X** is the share of speakers whose own UAR (over that speaker's utterances, classes present in
that speaker's truth, as :func:`unweighted_average_recall`) exceeds X. The paper leaves three choices open,
so they are parameters:

* ``min_utterances`` (default 2): speakers with fewer utterances are *excluded and reported* (a speaker with
  one utterance can only score 0 or 1);
* ``min_classes`` (default 1): speakers whose truth has fewer distinct classes are excluded and reported
  (2 asks that a speaker's UAR actually average recalls);
* ``strict`` (default ``True``): "exceeds" is ``>``; ``False`` uses ``>=``. A UAR within 1e-12 of the
  threshold counts as equal to it, so float rounding cannot flip a speaker.

Thresholds are fractions (0.75 for paUAR-75). The result is null, with the reason, when every speaker is
excluded.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.classification import (
    Labels,
    confusion_from_codes,
    encode_pair,
    uar_from_confusion,
)
from sercorpus.evaluate.validation import check_same_length, row_name

#: UARs within this of the threshold count as equal to it (so 2/3 and 5/6 average to exactly 0.75).
TIE_TOL = 1e-12


@dataclass(frozen=True)
class SpeakerScore:
    speaker: str
    n_utterances: int
    n_classes: int
    uar: float


@dataclass(frozen=True)
class ExcludedSpeaker:
    speaker: str
    n_utterances: int
    n_classes: int
    reason: str


@dataclass(frozen=True)
class PerSpeakerUAR:
    """Scored speakers (sorted by id) and the excluded ones with their reasons."""

    scores: tuple[SpeakerScore, ...]
    excluded: tuple[ExcludedSpeaker, ...]
    min_utterances: int
    min_classes: int

    @property
    def values(self) -> np.ndarray:
        return np.array([s.uar for s in self.scores], dtype=np.float64)


@dataclass(frozen=True)
class PaUAR:
    """Share of scored speakers above ``threshold``; ``value`` is null (with ``reason``) if none is scored."""

    threshold: float
    strict: bool
    value: float | None
    n_speakers: int
    n_above: int
    n_excluded: int
    reason: str | None = None

    @property
    def name(self) -> str:
        return f"paUAR-{_percent(self.threshold)}"


def _percent(threshold: float) -> str:
    pct = threshold * 100
    return f"{pct:.0f}" if abs(pct - round(pct)) < 1e-9 else f"{pct:g}"


def check_threshold(threshold: float) -> float:
    if not (0.0 <= threshold <= 1.0):
        raise EvaluationError(
            f"paUAR threshold must be a fraction in [0, 1] (0.75 for paUAR-75), got {threshold!r}"
        )
    return float(threshold)


def per_speaker_uar(
    y_true: Labels,
    y_pred: Labels,
    speakers: Sequence[str],
    classes: Sequence[Hashable],
    *,
    min_utterances: int = 2,
    min_classes: int = 1,
    ids: Sequence[str] | None = None,
) -> PerSpeakerUAR:
    """UAR of every speaker with at least ``min_utterances`` utterances and ``min_classes`` true classes.

    A missing speaker id (``None``) is an error: drop or name those rows first (the scorer does, and reports).
    """
    if min_utterances < 1 or min_classes < 1:
        raise EvaluationError(
            f"min_utterances and min_classes must be >= 1, got {min_utterances}, {min_classes}"
        )
    check_same_length(y_true=y_true, y_pred=y_pred, speakers=speakers)
    t, p, cls = encode_pair(y_true, y_pred, classes, ids)
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(speakers):
        if s is None or s == "":
            raise EvaluationError(f"speaker: {row_name(i, ids)} has no speaker id")
        groups.setdefault(str(s), []).append(i)
    scores, excluded = [], []
    for spk in sorted(groups):
        idx = np.asarray(groups[spk])
        n, k = len(idx), int(np.unique(t[idx]).size)
        if n < min_utterances:
            excluded.append(ExcludedSpeaker(spk, n, k, f"{n} utterance(s) < min_utterances={min_utterances}"))
        elif k < min_classes:
            excluded.append(
                ExcludedSpeaker(spk, n, k, f"{k} class(es) in the truth < min_classes={min_classes}")
            )
        else:
            scores.append(
                SpeakerScore(spk, n, k, uar_from_confusion(confusion_from_codes(t[idx], p[idx], len(cls))))
            )
    return PerSpeakerUAR(tuple(scores), tuple(excluded), min_utterances, min_classes)


def pa_uar(per_speaker: PerSpeakerUAR, threshold: float, *, strict: bool = True) -> PaUAR:
    """paUAR at ``threshold``: scored speakers with UAR ``>`` (``strict``) or ``>=`` the threshold, as a share."""
    thr = check_threshold(threshold)
    values = per_speaker.values
    n_excl = len(per_speaker.excluded)
    if values.size == 0:
        return PaUAR(thr, strict, None, 0, 0, n_excl, f"no speaker is scored ({n_excl} excluded)")
    above = int(np.sum(values > thr + TIE_TOL if strict else values >= thr - TIE_TOL))
    return PaUAR(thr, strict, above / values.size, int(values.size), above, n_excl)
