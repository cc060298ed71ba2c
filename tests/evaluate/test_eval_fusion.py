"""Late fusion of audio and text probabilities; weight tuning on dev only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sercorpus.evaluate import EvaluationError, fused_probabilities, late_fusion, tune_fusion_weights
from sercorpus.evaluate.metrics import predict_labels, uar

CLASSES = ["neutral", "happy", "sad"]
AUDIO = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.4, 0.4, 0.2]])
TEXT = np.array([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.3, 0.6, 0.1]])


def test_literature_weights_and_argmax() -> None:
    fused = late_fusion(AUDIO, TEXT)
    assert fused[0].tolist() == pytest.approx(
        [0.75 * 0.6 + 0.6 * 0.1, 0.75 * 0.3 + 0.6 * 0.8, 0.75 * 0.1 + 0.6 * 0.1]
    )
    assert fused.sum(axis=1) == pytest.approx([1.35] * 4)  # weights need not sum to one
    assert predict_labels(fused, CLASSES) == ["happy", "sad", "sad", "happy"]
    probs = fused_probabilities(AUDIO, TEXT)
    assert probs.sum(axis=1) == pytest.approx([1.0] * 4)
    assert predict_labels(probs, CLASSES) == predict_labels(fused, CLASSES)


@settings(max_examples=50, deadline=None, database=None)
@given(st.floats(0.01, 10), st.floats(0.01, 10), st.floats(0.1, 10))
def test_fused_argmax_depends_only_on_the_weight_ratio(wa: float, wt: float, scale: float) -> None:
    base = predict_labels(late_fusion(AUDIO, TEXT, wa, wt), CLASSES)
    assert predict_labels(late_fusion(AUDIO, TEXT, wa * scale, wt * scale), CLASSES) == base


def test_tuning_uses_dev_only_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    n = 120
    y = rng.integers(0, 3, n)
    audio = rng.dirichlet([1, 1, 1], n)
    text = rng.dirichlet([1, 1, 1], n)
    text[np.arange(n), y] += 0.8  # text is the informative modality here
    text /= text.sum(axis=1, keepdims=True)
    labels = [CLASSES[i] for i in y]
    result = tune_fusion_weights(labels, audio, text, CLASSES, splits=["dev"] * n)
    again = tune_fusion_weights(labels, audio, text, CLASSES, splits=["dev"] * n)
    assert result == again and result.n_dev == n and len(result.grid) == 21
    assert result.w_text > result.w_audio
    best = max(score for _, _, score in result.grid)
    assert result.dev_score == best
    fused = predict_labels(late_fusion(audio, text, result.w_audio, result.w_text), CLASSES)
    assert uar(labels, fused, CLASSES) == pytest.approx(result.dev_score)
    with pytest.raises(EvaluationError, match="tuned on dev only, but row 3 has split 'test'"):
        tune_fusion_weights(labels, audio, text, CLASSES, splits=["dev"] * 3 + ["test"] * (n - 3))


def test_tuning_ties_pick_the_first_grid_point() -> None:
    same = np.tile([0.7, 0.2, 0.1], (4, 1))
    result = tune_fusion_weights(
        ["neutral"] * 4, same, same, CLASSES, grid=[(0.2, 0.8), (0.5, 0.5), (0.9, 0.1)]
    )
    assert (result.w_audio, result.w_text) == (0.2, 0.8)


def test_fusion_bad_input() -> None:
    with pytest.raises(EvaluationError, match="both 0"):
        late_fusion(AUDIO, TEXT, 0, 0)
    with pytest.raises(EvaluationError, match="w_text must be a finite number >= 0"):
        late_fusion(AUDIO, TEXT, 0.5, -1)
    with pytest.raises(EvaluationError, match="differ in length"):
        late_fusion(AUDIO, TEXT[:2])
    bad = AUDIO.copy()
    bad[0, 0] = np.nan
    with pytest.raises(EvaluationError, match="audio probabilities: row 0 contains NaN"):
        late_fusion(bad, TEXT)
    with pytest.raises(EvaluationError, match="unknown objective"):
        tune_fusion_weights(["happy"] * 4, AUDIO, TEXT, CLASSES, objective="auc")
