"""Reverb: a synthetic RIR's T60 survives (Schroeder), direct-path alignment, energy match, real RIR files."""

from __future__ import annotations

import numpy as np
import torch

from sercorpus.augment import PedalboardReverb, RIRReverb, SyntheticReverb, pad_batch

SR = 16000


def schroeder_t60(h: np.ndarray, sr: int) -> float:
    """T60 from the T20 slope (-5 to -25 dB) of the backward-integrated energy decay curve."""
    h = h[int(np.argmax(np.abs(h))) :].astype(np.float64)
    edc = np.cumsum(h[::-1] ** 2)[::-1]
    edc_db = 10 * np.log10(edc / edc[0] + 1e-30)
    start, stop = np.argmax(edc_db <= -5), np.argmax(edc_db <= -25)
    t = np.arange(start, stop) / sr
    slope = np.polyfit(t, edc_db[start:stop], 1)[0]
    return -60.0 / slope


def impulse_batch(seconds: float = 2.0):
    x = torch.zeros(1, int(seconds * SR))
    x[0, 0] = 1.0
    return x, torch.tensor([x.shape[1]])


def test_synthetic_rir_t60_and_drr():
    x, lengths = impulse_batch()
    for t60 in (0.3, 0.6, 1.0):
        op = SyntheticReverb(min_t60=t60, max_t60=t60, min_drr_db=0, max_drr_db=0)
        y, _, prov = op(x, lengths, SR, ids=[f"t{t60}"])
        h = y[0].numpy()
        assert abs(schroeder_t60(h, SR) - t60) / t60 < 0.1
        # energy matched: the impulse had energy 1
        assert abs(float(np.sum(h**2)) - 1.0) < 1e-3
        # DRR: direct sample vs the rest (before the length crop, the tail here is complete)
        drr = 10 * np.log10(h[0] ** 2 / np.sum(h[1:] ** 2))
        assert abs(drr - prov[0]["drr_db"]) < 0.2


def test_rir_file_resampled_aligned_and_t60_reproduced(rir_folder, signals):
    folder, t60 = rir_folder
    x, lengths = impulse_batch()
    x[0, 0] = 0
    x[0, 800] = 1.0  # impulse at 50 ms
    op = RIRReverb(rir_dir=folder, channel="first")
    y, _, prov = op(x, lengths, SR, ids=["imp"])
    h = y[0].numpy()
    assert prov[0]["rir"] == "room.wav"
    assert abs(int(np.argmax(np.abs(h))) - 800) <= 1, "output must be aligned to the direct path"
    assert abs(schroeder_t60(h, SR) - t60) / t60 < 0.1
    # speech: same length, energy matched on the valid region, padding zero
    xs, ls = pad_batch(signals[:3])
    ys, ls2, _ = op(xs, ls, SR, ids=["a", "b", "c"])
    assert torch.equal(ls, ls2)
    for i, clean in enumerate(signals[:3]):
        n = len(clean)
        assert abs(float((ys[i, :n] ** 2).sum() / (xs[i, :n] ** 2).sum()) - 1.0) < 1e-3
        assert torch.count_nonzero(ys[i, n:]) == 0


def test_real_rirs_mixed_rates_and_channels(shared_data, signals):
    folder = shared_data / "rir"
    for channel in ("first", "mix"):
        op = RIRReverb(rir_dir=folder, channel=channel, max_seconds=2.0)
        bank = op.bank_at(SR)
        assert len(bank.lens) == 7 and max(bank.lens) <= 2 * SR + 1
        assert all(int(np.argmax(np.abs(bank.data[i].numpy()))) == bank.lead for i in range(7))
    x, lengths = pad_batch(signals)
    y, _, prov = op(x, lengths, SR, ids=[str(i) for i in range(len(signals))])
    assert len({p["rir"] for p in prov}) >= 2
    for i, clean in enumerate(signals):
        n = len(clean)
        assert torch.isfinite(y[i]).all()
        assert abs(float((y[i, :n] ** 2).sum() / (x[i, :n] ** 2).sum()) - 1.0) < 1e-3


def test_pedalboard_reverb_semantics(signals):
    """Fresh plugin per clip: identical clips give identical output whatever came before; wet 0 = dry x 0.8."""
    x, lengths = pad_batch([signals[0], signals[0]])
    op = PedalboardReverb(
        min_room_size=0.1, max_room_size=0.1, min_wet_level=0.0, max_wet_level=0.0, dry_level=0.4
    )
    y, _, prov = op(x, lengths, SR, ids=["a", "b"])
    assert torch.allclose(y[0], 0.8 * x[0], atol=1e-4)
    assert prov[0]["dry_level"] == 0.4
    wet = PedalboardReverb(min_room_size=0.2, max_room_size=0.2, min_wet_level=0.3, max_wet_level=0.3)
    a, _, _ = wet(x, lengths, SR, ids=["a", "a"])
    assert torch.equal(a[0], a[1])
    tail, lens, _ = PedalboardReverb(keep_tail_s=0.5)(x[:1], lengths[:1], SR, ids=["a"])
    assert int(lens[0]) == len(signals[0]) + SR // 2
