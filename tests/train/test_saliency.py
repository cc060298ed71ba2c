"""Cross-correlation saliency: the closed form equals the paper's sums, and a planted layer wins."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sercorpus.train.saliency import ccs_columns, plot_saliency, saliency


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return abs(float(np.corrcoef(a, b)[0, 1]))


def test_ccs_matches_the_papers_sums() -> None:
    rng = np.random.default_rng(0)
    h, t = rng.normal(size=(50, 6)), rng.normal(size=(50, 2))
    s, constant = ccs_columns(h, t)
    n = h.shape[1]
    for i in range(n):
        for l in range(2):  # noqa: E741
            rel = _corr(h[:, i], t[:, l])
            gamma = sum(_corr(h[:, j], t[:, l]) * _corr(h[:, i], h[:, j]) for j in range(n) if j != i) / (
                n - 1
            )
            assert np.isclose(s[i, l], rel + gamma)
    assert constant == 0


def test_the_layer_carrying_the_targets_is_chosen_and_plotted(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n, layers, dim = 300, 5, 12
    targets = rng.random((n, 2))
    means = rng.normal(size=(n, layers, dim))
    means[:, 3, :4] += 3 * targets[:, [0]]  # layer 3 encodes target 0 ...
    means[:, 3, 4:6] += 3 * targets[:, [1]]  # ... and target 1
    means[:, 1, 0] = 7.0  # a constant dimension scores 0 instead of NaN
    soft = np.eye(3)[rng.integers(0, 3, n)]
    rows = np.ones(n, dtype=bool)
    result = saliency(means, soft, rows, targets, rows, ["p(a)", "p(b)", "p(c)", "arousal", "valence"])
    assert result.chosen == 3 and np.isfinite(result.scores).all()
    assert result.constant_dims[1] == 1 and result.by_group["dims"][3] == max(result.by_group["dims"])
    png = plot_saliency(result, tmp_path / "saliency.png", "planted layer 3")
    assert png.stat().st_size > 10_000
