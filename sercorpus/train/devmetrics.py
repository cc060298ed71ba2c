"""The two in-loop metrics early stopping needs: UAR for categories, CCC for dimensions.

Kept tiny and here (not in ``sercorpus.evaluate``, which sits above training). UAR follows scikit-learn's
``balanced_accuracy_score``: the mean recall over the classes present in the truth, so a class that is only
predicted does not count (audmetric infers classes from truth and prediction and disagrees on such cases).
A metric that cannot be computed is ``None``, never NaN."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

IGNORE = -100


def uar(truth: Sequence[int] | np.ndarray, pred: Sequence[int] | np.ndarray) -> float | None:
    """Unweighted average recall over the classes present in ``truth``; rows with truth -100 are ignored."""
    t = np.asarray(truth, dtype=np.int64)
    p = np.asarray(pred, dtype=np.int64)
    if t.shape != p.shape:
        raise ValueError(f"truth and prediction differ in shape: {t.shape} vs {p.shape}")
    keep = t != IGNORE
    t, p = t[keep], p[keep]
    if t.size == 0:
        return None
    recalls = [float(np.mean(p[t == c] == c)) for c in np.unique(t)]
    return float(np.mean(recalls))


def ccc(truth: Sequence[float] | np.ndarray, pred: Sequence[float] | np.ndarray) -> float | None:
    """Concordance correlation 2 cov / (var_t + var_p + (mean_t - mean_p)^2), population moments.

    ``None`` for fewer than two values or when both series are constant and equal-meaned (0/0)."""
    t = np.asarray(truth, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    if t.shape != p.shape:
        raise ValueError(f"truth and prediction differ in shape: {t.shape} vs {p.shape}")
    if t.size < 2 or not (np.isfinite(t).all() and np.isfinite(p).all()):
        return None
    mt, mp = t.mean(), p.mean()
    cov = np.mean((t - mt) * (p - mp))
    denom = t.var() + p.var() + (mt - mp) ** 2
    if denom <= 0:
        return None
    return float(2.0 * cov / denom)


def mean_ccc(truth: np.ndarray, pred: np.ndarray, mask: np.ndarray | None = None) -> float | None:
    """Mean CCC over the columns of [N, K] arrays (rows where ``mask`` is False left out per column);
    ``None`` when no column can be scored."""
    t, p = np.asarray(truth, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    m = np.ones_like(t, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    scores = [ccc(t[m[:, k], k], p[m[:, k], k]) for k in range(t.shape[1])]
    valid = [s for s in scores if s is not None]
    return float(np.mean(valid)) if valid else None
