"""Additive noise: SNR on the valid region for every batch layout, padding untouched, pink is really pink."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import signal

from sercorpus.augment import BackgroundNoise, NoiseBank, PinkNoise, colored_noise, pad_batch, unpad
from sercorpus.augment.mixing import active_mask

SR = 16000


def measured_snr(clean: np.ndarray, mixed: np.ndarray, region: np.ndarray | None = None) -> float:
    noise = mixed - clean
    if region is not None:
        clean, noise = clean[region], noise[region]
    return 10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2))


LAYOUTS = {
    "mixed lengths": [0, 1, 2, 3, 4],
    "one short among long": [2, 1],
    "single": [3],
    "reversed": [4, 3, 2, 1, 0],
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("reference", ["whole", "active"])
def test_pink_snr_on_valid_region(signals, layout, reference):
    sigs = [signals[i] for i in LAYOUTS[layout]]
    x, lengths = pad_batch(sigs)
    extra = torch.nn.functional.pad(x, (0, 4000))  # more padding than the longest row needs
    op = PinkNoise(snrs_db=[0.0, 7.5, 20.0], reference=reference)
    y, new_lengths, prov = op(extra, lengths, SR, ids=[f"u{i}" for i in LAYOUTS[layout]], measure=True)
    assert torch.equal(new_lengths, lengths)
    for i, (clean, out) in enumerate(zip(sigs, unpad(y, new_lengths), strict=True)):
        assert torch.count_nonzero(y[i, len(clean) :]) == 0, "noise leaked into padding"
        region = None
        if reference == "active":
            region = active_mask(torch.from_numpy(clean)[None], torch.tensor([len(clean)]), SR)[0].numpy()
        assert abs(measured_snr(clean, out, region) - prov[i]["snr_db"]) < 0.5
        assert abs(prov[i]["achieved_snr_db"] - prov[i]["snr_db"]) < 0.01


def test_active_reference_differs_from_whole(signals):
    """Speech with pauses: at the same target the active-frame SNR puts more noise in."""
    x, lengths = pad_batch([signals[1]])
    whole, _, _ = PinkNoise(snrs_db=[10.0])(x, lengths, SR, ids=["a"])
    active, _, _ = PinkNoise(snrs_db=[10.0], reference="active")(x, lengths, SR, ids=["a"])
    assert measured_snr(signals[1], active[0].numpy()) < measured_snr(signals[1], whole[0].numpy()) - 0.3


def test_silent_row_gets_no_noise():
    x = torch.zeros(2, 8000)
    x[1, :4000] = 0.1 * torch.randn(4000)
    y, _, _ = PinkNoise()(x, torch.tensor([6000, 4000]), SR, ids=["s", "t"])
    assert torch.count_nonzero(y[0]) == 0
    assert torch.count_nonzero(y[1, 4000:]) == 0


def psd_slope(noise: np.ndarray, lo: float = 100.0, hi: float = 7000.0) -> float:
    f, p = signal.welch(noise, SR, nperseg=8192)
    keep = (f >= lo) & (f <= hi)
    slope = np.polyfit(np.log2(f[keep]), 10 * np.log10(p[keep]), 1)[0]
    return float(slope)


def test_pink_slope_is_minus_3_db_per_octave():
    n = colored_noise([11, 12], 20 * SR, SR, exponent=1.0, f_low=20.0).numpy()
    for row in n:
        assert abs(psd_slope(row) + 3.01) < 0.5
    # exponent is the PSD exponent: 2 is brown (-6 dB/oct), 0 is white
    assert abs(psd_slope(colored_noise([5], 20 * SR, SR, exponent=2.0)[0].numpy()) + 6.02) < 0.5
    assert abs(psd_slope(colored_noise([5], 20 * SR, SR, exponent=0.0)[0].numpy())) < 0.5


def test_pink_noise_through_the_op_is_pink():
    x = torch.full((1, 10 * SR), 0.01)  # DC "speech": the added noise is y - x
    y, _, _ = PinkNoise(snrs_db=[0.0])(x, torch.tensor([10 * SR]), SR, ids=["dc"])
    assert abs(psd_slope((y - x)[0].numpy()) + 3.01) < 0.5


def test_pink_band_limited_fresh_and_layout_independent():
    long = colored_noise([7, 8], 6 * SR, SR, f_low=50.0)
    short = colored_noise([7], 2 * SR, SR, f_low=50.0)
    assert torch.allclose(long[0, : 2 * SR], short[0], atol=1e-6), (
        "noise must not depend on the padded length"
    )
    a = long[0].numpy()
    f, p = signal.welch(a, SR, nperseg=8192)
    assert p[(f > 5) & (f < 30)].mean() < 1e-3 * p[(f > 60) & (f < 100)].mean(), "nothing below f_low"
    # not tiled: the second half is not a copy of the first, examples are independent
    assert abs(np.corrcoef(a[: 3 * SR], a[3 * SR :])[0, 1]) < 0.05
    assert abs(np.corrcoef(long[0].numpy(), long[1].numpy())[0, 1]) < 0.05
    # constant variance across chunk joins
    seg = a[: 6 * SR].reshape(24, -1).std(axis=1)
    assert seg.max() / seg.min() < 1.6


def test_background_from_real_esc50_groups(signals, esc50_real):
    sigs = [signals[0], signals[2], signals[1]]
    x, lengths = pad_batch(sigs)
    op = BackgroundNoise(root=esc50_real, groups=["natural", "domestic"], snrs_db=[0, 10, 20])
    y, _, prov = op(x, lengths, SR, ids=["a", "b", "c"], measure=True)
    for i, (clean, out) in enumerate(zip(sigs, unpad(y, lengths), strict=True)):
        assert prov[i]["group"] in ("natural", "domestic")
        assert prov[i]["snr_db"] in (0.0, 10.0, 20.0)
        assert abs(measured_snr(clean, out) - prov[i]["snr_db"]) < 0.5
        assert torch.count_nonzero(y[i, len(clean) :]) == 0
    bank = op.bank_at(SR)
    assert bank.sample_rate == SR and all(m["group"] in ("natural", "domestic") for m in bank.meta)
    assert max(bank.lens) <= 5 * SR  # 44.1 kHz clips resampled once, silence trimmed


def test_background_category_loops_short_clips(esc50_mini):
    """A 12 s utterance is longer than any 5 s clip: the noise loops, and the SNR still holds."""
    clean = 0.05 * np.sin(2 * np.pi * 220 * np.arange(12 * SR) / SR).astype(np.float32)
    x, lengths = pad_batch([clean])
    op = BackgroundNoise(root=esc50_mini, categories=["rain"], snrs_db=[5.0])
    y, _, prov = op(x, lengths, SR, ids=["long"])
    noise = (y[0] - x[0]).numpy()
    assert prov[0]["category"] == "rain"
    assert abs(measured_snr(clean, y[0].numpy()) - 5.0) < 0.5
    seg = noise.reshape(12, -1).std(axis=1)
    assert seg.min() > 0.3 * seg.max(), "looped background has a gap"


def test_background_from_real_recordings_folder(shared_data, signals):
    bank = NoiseBank.from_folder(shared_data / "noise", SR)
    assert len(bank.lens) == 2 and bank.meta[0]["clip"].endswith(".wav")
    x, lengths = pad_batch(signals[:3])
    y, _, prov = BackgroundNoise(bank=bank, min_snr_db=-5, max_snr_db=5)(x, lengths, SR, ids=["1", "2", "3"])
    for i, clean in enumerate(signals[:3]):
        assert -5 <= prov[i]["snr_db"] <= 5
        assert abs(measured_snr(clean, y[i, : len(clean)].numpy()) - prov[i]["snr_db"]) < 0.5
