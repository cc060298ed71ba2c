"""Late fusion of an audio model's and a text model's class probabilities, at evaluation time.

``late_fusion`` returns the scores ``w_audio·p_audio + w_text·p_text``. The literature's weights (Kawaoto et
al.: 0.75 for speech, 0.6 for text) do not sum to one, so the scores are not probabilities: every row sums
to ``w_audio + w_text``. The fused *decision* is the argmax (ties: the earlier class of the list), and it
depends only on the ratio of the weights: scaling both by the same factor changes nothing.
``fused_probabilities`` divides by ``w_audio + w_text`` to get a distribution with the same argmax (for
top-k, Brier, and the predictions table).

``tune_fusion_weights`` picks weights on **dev data only**: it takes dev arrays and nothing else, and when
given split names it refuses any row that is not a dev split. Kawaoto et al.'s weights were "manually
determined after extensive experimentation", a test-overfitting risk; report both the fixed and the
dev-tuned result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.classification import (
    Labels,
    accuracy_from_confusion,
    confusion_from_codes,
    macro_f1_from_confusion,
    uar_from_confusion,
    weighted_f1_from_confusion,
)
from sercorpus.evaluate.metrics.kbest import rank_classes
from sercorpus.evaluate.validation import (
    check_classes,
    check_nonempty,
    check_probabilities,
    check_same_length,
    encode_labels,
)

#: The literature's fixed weights (Kawaoto et al.).
W_AUDIO = 0.75
W_TEXT = 0.6

#: Split names :func:`tune_fusion_weights` accepts when ``splits`` are passed.
DEV_SPLITS = ("dev", "valid", "validation", "val", "development")

_OBJECTIVES: dict[str, Callable[[np.ndarray], float]] = {
    "uar": uar_from_confusion,
    "wa": accuracy_from_confusion,
    "macro_f1": macro_f1_from_confusion,
    "weighted_f1": weighted_f1_from_confusion,
}


def _weights(w_audio: float, w_text: float) -> tuple[float, float]:
    for name, w in (("w_audio", w_audio), ("w_text", w_text)):
        if not (isinstance(w, (int, float)) and math.isfinite(w) and w >= 0):
            raise EvaluationError(f"{name} must be a finite number >= 0, got {w!r}")
    if w_audio + w_text == 0:
        raise EvaluationError("w_audio and w_text are both 0: the fused scores would be all zero")
    return float(w_audio), float(w_text)


def _pair(p_audio: Any, p_text: Any, n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    a = check_probabilities(p_audio, "audio probabilities", n_classes=n_classes)
    t = check_probabilities(p_text, "text probabilities", n_classes=a.shape[1])
    check_same_length(audio=a, text=t)
    check_nonempty(len(a))
    return a, t


def late_fusion(p_audio: Any, p_text: Any, w_audio: float = W_AUDIO, w_text: float = W_TEXT) -> np.ndarray:
    """Fused scores ``w_audio·p_audio + w_text·p_text`` ([n, C], rows sum to ``w_audio + w_text``)."""
    wa, wt = _weights(w_audio, w_text)
    a, t = _pair(p_audio, p_text)
    return wa * a + wt * t


def fused_probabilities(
    p_audio: Any, p_text: Any, w_audio: float = W_AUDIO, w_text: float = W_TEXT
) -> np.ndarray:
    """:func:`late_fusion` divided by ``w_audio + w_text``: a distribution per row, same argmax."""
    wa, wt = _weights(w_audio, w_text)
    return late_fusion(p_audio, p_text, wa, wt) / (wa + wt)


@dataclass(frozen=True)
class FusionTuning:
    """The chosen weights, their dev score, and the score of every grid point (in grid order)."""

    w_audio: float
    w_text: float
    objective: str
    dev_score: float
    grid: tuple[tuple[float, float, float], ...]  # (w_audio, w_text, dev score)
    n_dev: int


def default_grid(steps: int = 21) -> list[tuple[float, float]]:
    """``w_audio`` from 0 to 1 in ``steps`` points, ``w_text = 1 - w_audio``: every weight ratio, since the
    fused argmax depends only on the ratio."""
    if steps < 2:
        raise EvaluationError(f"the grid needs at least 2 steps, got {steps}")
    return [(round(i / (steps - 1), 12), round(1 - i / (steps - 1), 12)) for i in range(steps)]


def tune_fusion_weights(
    dev_y_true: Labels,
    dev_p_audio: Any,
    dev_p_text: Any,
    classes: Sequence[Hashable],
    *,
    grid: Sequence[tuple[float, float]] | None = None,
    objective: str = "uar",
    splits: Sequence[str | None] | None = None,
) -> FusionTuning:
    """Grid-search fusion weights on dev data, maximising ``objective`` (uar, wa, macro_f1, weighted_f1).

    Deterministic: grid points are tried in order and the first best one wins ties. ``splits`` (the
    split name of each dev row, if known) guards against tuning on test: any row whose split is not one
    of :data:`DEV_SPLITS` raises :class:`EvaluationError`.
    """
    if objective not in _OBJECTIVES:
        raise EvaluationError(f"unknown objective {objective!r}; choose one of {sorted(_OBJECTIVES)}")
    cls = check_classes(classes)
    a, t = _pair(dev_p_audio, dev_p_text, len(cls))
    check_same_length(dev_y_true=dev_y_true, dev_p_audio=a)
    if splits is not None:
        check_same_length(dev_y_true=dev_y_true, splits=splits)
        bad = [i for i, s in enumerate(splits) if s not in DEV_SPLITS]
        if bad:
            raise EvaluationError(
                f"fusion weights are tuned on dev only, but row {bad[0]} has split {splits[bad[0]]!r} "
                f"({len(bad)} non-dev rows; dev splits are {list(DEV_SPLITS)})"
            )
    codes = encode_labels(dev_y_true, cls, "dev truth")
    points = list(default_grid() if grid is None else grid)
    if not points:
        raise EvaluationError("the fusion weight grid is empty")
    score_of = _OBJECTIVES[objective]
    scored: list[tuple[float, float, float]] = []
    for w_audio, w_text in points:
        wa, wt = _weights(w_audio, w_text)
        pred = rank_classes(wa * a + wt * t)[:, 0]
        scored.append((wa, wt, score_of(confusion_from_codes(codes, pred, len(cls)))))
    best = max(range(len(scored)), key=lambda i: (scored[i][2], -i))
    wa, wt, s = scored[best]
    return FusionTuning(wa, wt, objective, s, tuple(scored), len(codes))
