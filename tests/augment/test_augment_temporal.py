"""Time-axis and level ops: stretch keeps pitch and scales length, segment speed-up, shift, fades."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sercorpus.augment import (
    Fade,
    Gain,
    GradualFade,
    SegmentSpeedup,
    TimeShift,
    TimeStretch,
    pad_batch,
    unpad,
)

SR = 16000


def harmonic(f0: float, seconds: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.1 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))).astype(np.float32)


def f0_of(y: np.ndarray, sr: int = SR, lo: float = 60.0, hi: float = 500.0) -> float:
    """Autocorrelation pitch of the middle of a signal, refined by parabolic interpolation."""
    y = y[len(y) // 4 : 3 * len(y) // 4].astype(np.float64)
    y = y - y.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(y, 2 * len(y))) ** 2)[: len(y)]
    lags = np.arange(int(sr / hi), int(sr / lo))
    k = lags[np.argmax(ac[lags])]
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    return sr / (k + 0.5 * (a - c) / (a - 2 * b + c))


@pytest.mark.parametrize("rate", [0.9, 1.05, 1.2])
def test_time_stretch_keeps_pitch_and_scales_length(rate):
    sigs = [harmonic(150.0, 1.5), harmonic(220.0, 1.0)]
    x, lengths = pad_batch(sigs)
    y, new_lengths, prov = TimeStretch(rate, rate)(x, lengths, SR, ids=["a", "b"])
    for sig, out, f0 in zip(sigs, unpad(y, new_lengths), (150.0, 220.0), strict=True):
        assert len(out) == round(len(sig) / rate)
        assert abs(f0_of(out) / f0 - 1) < 0.02
        assert 0.8 < np.sqrt(np.mean(out[1000:-1000] ** 2)) / np.sqrt(np.mean(sig**2)) < 1.25
    assert torch.count_nonzero(y[1, int(new_lengths[1]) :]) == 0
    assert all(p["rate"] == rate for p in prov)


def test_time_stretch_rate_one_reconstructs(signals):
    x, lengths = pad_batch(signals[:2])
    y, new_lengths, _ = TimeStretch(1.0, 1.0)(x, lengths, SR, ids=["a", "b"])
    assert torch.equal(new_lengths, lengths)
    assert torch.allclose(y, x[:, : y.shape[1]], atol=1e-4)


def test_time_stretch_per_example_rates_and_step():
    x, lengths = pad_batch([harmonic(150.0, 1.0)] * 4)
    _, new_lengths, prov = TimeStretch(0.9, 1.2, rate_step=0.05)(x, lengths, SR, ids=list("abcd"))
    rates = [p["rate"] for p in prov]
    assert all(abs(r / 0.05 - round(r / 0.05)) < 1e-9 for r in rates)
    assert [int(n) for n in new_lengths] == [round(SR / r) for r in rates]


def test_segment_speedup_shortens_one_segment():
    sig = harmonic(200.0, 2.0)
    x, lengths = pad_batch([sig])
    y, new_lengths, prov = SegmentSpeedup(0.1, 0.2, 1.25)(x, lengths, SR, ids=["a"])
    p = prov[0]
    seg, start = p["segment"], p["start"]
    assert 0.1 * len(sig) - 1 <= seg <= 0.2 * len(sig) + 1
    new_seg = -(-seg * 4 // 5)
    assert int(new_lengths[0]) == len(sig) - seg + new_seg
    out = y[0, : int(new_lengths[0])].numpy()
    assert np.allclose(out[:start], sig[:start])
    assert np.allclose(out[start + new_seg :], sig[start + seg :])
    sped = out[start + 50 : start + new_seg - 50]
    assert abs(f0_of(np.tile(sped, 4)) / 250.0 - 1) < 0.02  # speed-up raises pitch by the factor


def test_time_shift_moves_content_inside_valid_region(signals):
    x, lengths = pad_batch([signals[2], signals[0]])
    y, _, prov = TimeShift(0.2, 0.2)(x, lengths, SR, ids=["a", "b"])
    for i, sig in enumerate([signals[2], signals[0]]):
        s = prov[i]["shift_samples"]
        assert s == round(0.2 * len(sig))
        assert torch.equal(y[i, s : len(sig)], x[i, : len(sig) - s])
        assert torch.count_nonzero(y[i, :s]) == 0 and torch.count_nonzero(y[i, len(sig) :]) == 0
    r, _, prov_r = TimeShift(-0.25, -0.25, rollover=True)(x, lengths, SR, ids=["a", "b"])
    n, s = len(signals[2]), prov_r[0]["shift_samples"]
    assert torch.equal(r[0, :n], torch.roll(x[0, :n], s))
    assert torch.count_nonzero(r[0, n:]) == 0


def test_fade_envelope_and_gain():
    x = torch.ones(2, 1000)
    lengths = torch.tensor([1000, 600])
    x[1, 600:] = 0
    y, _, prov = Fade(0.1, 0.1, min_in=0.1, min_out=0.05)(x, lengths, SR, ids=["a", "b"])
    assert prov[0]["fade_in"] == 0.1 and abs(prov[0]["fade_out"] - 0.05) < 0.05
    assert float(y[0, 0]) < 0.02 and float(y[0, 99]) > 0.98 and float(y[0, 500]) == 1.0
    assert float(y[1, 599]) < 0.05 and torch.count_nonzero(y[1, 600:]) == 0
    g, _, pg = Gain(6, 6)(x, lengths, SR, ids=["a", "b"])
    assert torch.allclose(g[0], x[0] * 10 ** (6 / 20))


def test_gradual_fade_two_percent_per_second():
    x = torch.ones(1, 10 * SR)
    lengths = torch.tensor([10 * SR])
    out, _, _ = GradualFade(0.02, "out")(x, lengths, SR, ids=["a"])
    assert abs(float(out[0, 5 * SR]) - 0.90) < 1e-4
    fin, _, _ = GradualFade(0.02, "in")(x, lengths, SR, ids=["a"])
    assert abs(float(fin[0, -1]) - 1.0) < 1e-6 and abs(float(fin[0, 0]) - (1 - 0.02 * (10 - 1 / SR))) < 1e-4
    exp, _, _ = GradualFade(0.02, "out", curve="exponential")(x, lengths, SR, ids=["a"])
    assert abs(float(exp[0, 5 * SR]) - 0.98**5) < 1e-4
