"""The signal-processing estimators on real speech with known manipulations, against their references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from sercorpus.profile.analyze import profile_arrays
from sercorpus.profile.clip import Clip
from sercorpus.profile.estimators import (
    bandwidth,
    clipping,
    dc_offset,
    loudness,
    peak,
    spectral_tilt,
    wada_snr,
)


def test_loudness_equals_pyloudnorm_and_bs1770_sine_reference(speech):
    import pyloudnorm

    x = speech[0][1]
    assert loudness.estimate(Clip(x, 16000))["loudness_lufs"].value == pytest.approx(
        pyloudnorm.Meter(16000).integrated_loudness(x), abs=1e-9
    )
    t = np.arange(48000 * 3) / 48000
    sine = 0.1 * np.sin(2 * np.pi * 997 * t)  # BS.1770: a 1 kHz sine at 0 dBFS peak reads -3.01 LUFS
    assert loudness.estimate(Clip(sine, 48000))["loudness_lufs"].value == pytest.approx(-23.01, abs=0.1)


def test_peak_clipping_and_dc_offset(speech):
    x = speech[1][1] * 0.5
    assert peak.estimate(Clip(x, 16000))["peak_dbfs"].value == pytest.approx(20 * math.log10(np.abs(x).max()))
    assert clipping.estimate(Clip(x, 16000))["clipping_ratio"].value < 0.001  # real, unclipped speech
    clipped = np.clip(x * 4, -0.5, 0.5)
    ratio = clipping.estimate(Clip(clipped, 16000))["clipping_ratio"].value
    assert ratio == pytest.approx(np.mean(np.abs(clipped) >= 0.5), rel=0.05)
    assert dc_offset.estimate(Clip(x + 0.05, 16000))["dc_offset"].value == pytest.approx(
        0.05 + float(np.mean(x)), abs=1e-9
    )


def test_bandwidth_sees_low_pass_and_rate(speech):
    x = np.concatenate([s for _, s in speech[:4]])
    full = bandwidth.estimate(Clip(x, 16000))["bandwidth_hz"].value
    sos = butter(9, 2500, btype="low", fs=16000, output="sos")
    low = bandwidth.estimate(Clip(sosfilt(sos, x), 16000))["bandwidth_hz"].value
    assert full > 6000
    assert 2500 < low < 5500  # the -50 dB point of a 9th-order skirt lies at ~1.9 x the cut-off
    from sercorpus.profile.clip import resample

    tele = bandwidth.estimate(Clip(resample(x, 16000, 8000), 8000))["bandwidth_hz"].value
    assert tele <= 4000


@pytest.mark.parametrize("exponent,slope", [(0.0, 0.0), (1.0, -3.01), (2.0, -6.02)])
def test_spectral_tilt_of_coloured_noise(exponent, slope):
    from sercorpus.augment import colored_noise

    y = colored_noise([7], 16000 * 4, 16000, exponent=exponent).numpy()[0]
    value = spectral_tilt.estimate(Clip(y, 16000))["spectral_tilt_db_oct"].value
    assert value == pytest.approx(slope, abs=0.5)


def test_wada_snr_on_real_speech_with_white_noise(speech):
    rng = np.random.default_rng(3)
    errors = []
    for _, s in speech[:8]:
        for snr in (5.0, 10.0, 15.0):
            n = rng.standard_normal(len(s))
            y = s + n * math.sqrt(np.mean(s**2) / (np.mean(n**2) * 10 ** (snr / 10)))
            errors.append(wada_snr.estimate(Clip(y, 16000))["wada_snr_db"].value - snr)
    # WADA's home ground (Gaussian noise, 5-15 dB): documented tolerance 3 dB mean absolute error
    assert np.mean(np.abs(errors)) < 3.0


def test_speech_activity_on_real_speech_and_on_noise(speech):
    rows = profile_arrays(
        [s for _, s in speech[:6]] + [np.random.default_rng(0).standard_normal(32000) * 0.05], 16000
    )
    assert all(r["speech_ratio"] > 0.5 for r in rows[:6])
    assert rows[6]["speech_ratio"] < 0.1
    for r in rows[:6]:
        segs = r["speech_segments"]
        assert segs and all(0 <= a < b for a, b in segs)
        assert all(segs[i][1] <= segs[i + 1][0] for i in range(len(segs) - 1))


def test_duration_rate_and_channels():
    y = np.zeros((44100, 2))
    y[:, 0] = np.sin(np.arange(44100) / 10)
    row = profile_arrays([y], 44100)[0]
    assert row["duration_s"] == pytest.approx(1.0)
    assert row["sample_rate_hz"] == 44100
    assert row["channels"] == 2
