"""Butterworth EQ: the FFT-domain magnitude equals scipy's digital Butterworth, per example, in a batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import signal

from sercorpus.augment import Chain, HighPass, LowPass, pad_batch
from sercorpus.augment.butterworth import butterworth_magnitude

SR = 16000
TOLERANCE = 1e-4  # max |H_ours - H_scipy| over every rfft bin (measured: < 1e-6)


@pytest.mark.parametrize(
    "kind,cutoff,order",
    [
        ("highpass", 50.0, 9),
        ("highpass", 300.0, 9),
        ("lowpass", 3000.0, 9),
        ("lowpass", 7500.0, 9),
        ("lowpass", 1000.0, 4),
        ("highpass", 1000.0, 2),
    ],
)
def test_magnitude_matches_scipy(kind, cutoff, order):
    n = 32768
    ours = butterworth_magnitude(n, SR, torch.tensor([cutoff]), order, kind)[0].double().numpy()
    sos = signal.butter(order, cutoff, btype=kind, fs=SR, output="sos")
    _, h = signal.sosfreqz(sos, worN=np.arange(n // 2 + 1) * SR / n, fs=SR)
    assert np.max(np.abs(ours - np.abs(h))) < TOLERANCE


def test_filtered_noise_has_the_butterworth_response():
    """Per-example cutoffs in one batch; the output/input spectrum ratio follows |H|^2 of each row's cutoff."""
    rng = np.random.default_rng(0)
    white = [rng.standard_normal(4 * SR).astype(np.float32) * 0.1 for _ in range(3)]
    x, lengths = pad_batch(white)
    y, _, prov = LowPass(1000, 4000, order=9)(x, lengths, SR, ids=["a", "b", "c"])
    cutoffs = {p["cutoff_hz"] for p in prov}
    assert len(cutoffs) == 3
    for i in range(3):
        f, pxx = signal.welch(white[i], SR, nperseg=2048)
        _, pyy = signal.welch(y[i].numpy(), SR, nperseg=2048)
        sos = signal.butter(9, prov[i]["cutoff_hz"], fs=SR, output="sos")
        _, h = signal.sosfreqz(sos, worN=f, fs=SR)
        band = (np.abs(h) ** 2 > 1e-3) & (f > 50)
        ratio_db = 10 * np.log10(pyy[band] / pxx[band])
        assert np.max(np.abs(ratio_db - 20 * np.log10(np.abs(h[band])))) < 1.0


def test_fused_filters_equal_sequential(signals):
    x, lengths = pad_batch(signals)
    ids = [str(i) for i in range(len(signals))]
    ops = [HighPass(50, 300, p=0.7), LowPass(3000, 7500, p=0.7)]
    fused, _, prov_f = Chain(ops)(x, lengths, SR, ids=ids)
    seq, _, prov_s = Chain(ops, fuse_filters=False)(x, lengths, SR, ids=ids)
    assert prov_f == prov_s
    assert torch.allclose(fused, seq, atol=2e-4)
    assert any(not op["applied"] for p in prov_f for op in p["ops"]), "p=0.7 should skip some"


def test_padding_and_high_pass_removes_dc(signals):
    x, lengths = pad_batch([signals[0] + 0.3, signals[2] + 0.3])
    x[0, len(signals[0]) :] = 0
    x[1, len(signals[2]) :] = 0
    y, _, _ = HighPass(100, 100)(x, lengths, SR, ids=["a", "b"])
    assert torch.count_nonzero(y[1, len(signals[2]) :]) == 0
    mid = y[0, 2000:-2000]
    assert abs(float(mid.mean())) < 0.01


def test_reverb_fused_with_filters_equals_sequential(signals, rir_folder):
    from sercorpus.augment import RIRReverb, SyntheticReverb

    x, lengths = pad_batch(signals)
    ids = [str(i) for i in range(len(signals))]
    for reverb in (SyntheticReverb(p=0.7), RIRReverb(rir_dir=rir_folder[0], p=0.7)):
        ops = [reverb, HighPass(50, 300, p=0.6), LowPass(3000, 7500, p=0.6)]
        fused, _, prov_f = Chain(ops)(x, lengths, SR, ids=ids, seed=4)
        seq, _, prov_s = Chain(ops, fuse_filters=False)(x, lengths, SR, ids=ids, seed=4)
        assert prov_f == prov_s
        for i, n in enumerate(lengths.tolist()):
            # identical except the last few ms: sequentially, the filters ring on the reverb tail's cut edge
            diff = (fused[i, :n] - seq[i, :n]).abs() / seq[i, :n].abs().max()
            assert float(diff[: n - 800].max()) < 1e-5, f"row {i}"
            assert float((diff**2).sum() / (seq[i, :n] / seq[i, :n].abs().max()).pow(2).sum()) < 1e-4
            assert torch.count_nonzero(fused[i, n:]) == 0
