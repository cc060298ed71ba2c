"""Our batched silero forward pass equals the packaged model, and the segmentation rules hold."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sercorpus.profile import silero


def test_batched_forward_equals_packaged_model(speech):
    torch = pytest.importorskip("torch")
    pytest.importorskip("silero_vad")
    from silero_vad import load_silero_vad

    threads = torch.get_num_threads()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_silero_vad()
    torch.set_num_threads(threads)
    clips = [s.astype(np.float32) for _, s in speech[:3]]
    ours = silero.speech_probabilities(clips)
    for clip, p in zip(clips, ours, strict=True):
        n = -(-len(clip) // silero.CHUNK) * silero.CHUNK
        x = torch.zeros(1, n)
        x[0, : len(clip)] = torch.from_numpy(clip)
        model.reset_states()
        with torch.inference_mode():
            ref = torch.cat([model(x[:, j : j + silero.CHUNK], 16000) for j in range(0, n, silero.CHUNK)], 1)
        assert np.abs(ref[0].numpy() - p).max() < 1e-4
    assert torch.get_num_threads() == threads  # importing silero_vad must not change the caller's threads


def test_long_clips_are_processed_in_pieces_with_the_same_result(speech, monkeypatch):
    clips = [s for _, s in speech[:2]]
    whole = silero.speech_probabilities(clips)
    monkeypatch.setattr(silero, "PIECE_CHUNKS", 7)
    pieces = silero.speech_probabilities(clips)
    for a, b in zip(whole, pieces, strict=True):
        assert np.abs(a - b).max() < 1e-5


def test_segmentation_hysteresis_gaps_and_minimum_length():
    step = silero.CHUNK / silero.RATE
    p = np.array([0.1] * 5 + [0.9] * 20 + [0.4] * 2 + [0.9] * 10 + [0.1] * 10 + [0.9] * 3 + [0.1] * 5)
    segs = silero.segments_from_probabilities(p, len(p) * step)
    # 0.4 stays above the off threshold (0.35): one segment spans the dip; the 3-chunk blip (96 ms) is dropped
    assert len(segs) == 1
    start, end = segs[0]
    assert start == pytest.approx(5 * step - 0.03, abs=1e-3)
    assert end == pytest.approx(37 * step + 0.03, abs=1e-3)
    assert silero.segments_from_probabilities(np.zeros(50), 50 * step) == []
