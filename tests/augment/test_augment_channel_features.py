"""Telephone channel and feature-level SpecAugment."""

from __future__ import annotations

import numpy as np
import torch
from scipy import signal

from sercorpus.augment import LogMel, SpecAugment, Telephone, pad_batch
from sercorpus.augment.codecs import alaw_roundtrip, mulaw_roundtrip

SR = 16000


def test_telephone_band_and_codec():
    rng = np.random.default_rng(1)
    white = (0.05 * rng.standard_normal(3 * SR)).astype(np.float32)
    x, lengths = pad_batch([white, white[:SR]])
    y, new_lengths, prov = Telephone(codec="mulaw")(x, lengths, SR, ids=["a", "b"])
    assert torch.equal(new_lengths, lengths) and torch.count_nonzero(y[1, SR:]) == 0
    f, pxx = signal.welch(white, SR, nperseg=1024)
    _, pyy = signal.welch(y[0].numpy(), SR, nperseg=1024)
    gain_db = 10 * np.log10(pyy / pxx)
    passband = gain_db[(f > 600) & (f < 3000)].mean()
    assert abs(passband) < 1.5
    assert gain_db[(f > 4500)].max() < passband - 30  # nothing above the 8 kHz channel's Nyquist
    assert gain_db[(f > 20) & (f < 120)].max() < passband - 20
    assert prov[0]["codec"] == "mulaw"


def test_companding_error_follows_level():
    x = torch.linspace(-1, 1, 20001)
    for fn in (mulaw_roundtrip, alaw_roundtrip):
        y = fn(x)
        assert torch.all(torch.abs(y - x) <= 0.04 * torch.abs(x) + 2e-3)
        assert float(fn(torch.zeros(1))) == 0.0


def test_packet_loss_zeroes_packets():
    x = torch.full((1, 4 * SR), 0.1)
    y, _, prov = Telephone(codec="none", low_hz=0, min_packet_loss=0.3, max_packet_loss=0.3)(
        x, torch.tensor([4 * SR]), SR, ids=["a"]
    )
    packets = y[0, : 4 * SR - 320].reshape(-1, 320)[:, 40:-40].abs().amax(1)  # 20 ms packets, interiors
    lost = float((packets < 1e-3).float().mean())
    assert 0.15 < lost < 0.45 and prov[0]["packet_loss"] == 0.3


def test_specaugment_masks_stay_in_valid_frames(signals):
    x, lengths = pad_batch(signals)
    feats, frames = LogMel(SR)(x, lengths)
    assert [int(v) for v in frames] == [len(s) // 160 + 1 for s in signals]
    op = SpecAugment(freq_masks=2, freq_width=20, time_masks=3, max_time_fraction=0.1, mask_value=-50.0)
    out, out_frames, prov = op(feats, frames, SR, ids=[str(i) for i in range(len(signals))])
    assert torch.equal(out_frames, frames)
    for i, n in enumerate(frames.tolist()):
        assert torch.equal(out[i, :, n:], feats[i, :, n:]), "padding frames must be untouched"
        masked = out[i, :, :n] == -50.0
        for start, width in prov[i]["time_masks"]:
            assert width <= int(0.1 * n) and start + width <= n
            assert bool(masked[:, start : start + width].all())
        for start, width in prov[i]["freq_masks"]:
            assert width <= 20 and bool(masked[start : start + width, :].all())
        cols = masked.all(0)
        rows = masked.all(1)
        assert int(masked.sum()) == int((cols[None, :] | rows[:, None]).sum())
