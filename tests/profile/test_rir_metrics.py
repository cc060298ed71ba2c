"""Ground-truth acoustics of impulse responses with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sercorpus.profile.rir_metrics import rir_acoustics


def exponential_rir(
    t60: float,
    rate: int = 16000,
    seconds: float = 2.0,
    direct: float = 1.0,
    tail_energy: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-3 * math.log(10) * t / t60)
    tail[:2] = 0
    tail *= math.sqrt(tail_energy / np.sum(tail**2))
    h = tail.copy()
    h[0] = direct
    return h


@pytest.mark.parametrize("t60", [0.3, 0.7, 1.2])
def test_t60_of_an_exponential_decay(t60):
    a = rir_acoustics(exponential_rir(t60), 16000)
    assert a.t60_full_s == pytest.approx(t60, rel=0.05)
    assert a.t60_s == pytest.approx(t60, rel=0.1)  # octave bands of white decaying noise decay alike
    assert a.method == "T30"


def test_c50_and_drr_follow_the_energy_split():
    rate = 16000
    h = exponential_rir(0.6, rate, direct=1.0, tail_energy=1.0)
    a = rir_acoustics(h, rate)
    early = h[: int(0.05 * rate) + 16].astype(float)  # time zero is 1 ms (16 samples) before the direct path
    expected = 10 * math.log10(
        np.sum(early[: int(0.05 * rate) + 16] ** 2) / np.sum(h[int(0.05 * rate) + 16 :] ** 2)
    )
    assert a.c50_db == pytest.approx(expected, abs=0.2)
    assert a.drr_db == pytest.approx(10 * math.log10(1.0 / 1.0), abs=0.5)


def test_noise_floor_is_not_read_as_a_long_decay():
    rate = 16000
    h = exponential_rir(0.4, rate, seconds=2.0)
    # a floor 65 dB under the direct path leaves ~37 dB of decay above it (the tail starts at -28 dB)
    noisy = h + np.random.default_rng(1).standard_normal(len(h)) * 10 ** (-65 / 20) * np.abs(h).max()
    assert rir_acoustics(noisy, rate).t60_full_s == pytest.approx(0.4, rel=0.1)
    assert rir_acoustics(noisy, rate, noise_floor=False).t60_full_s > 2.0  # what ignoring the floor gives


def test_measured_rirs_give_plausible_values(data_root):
    from sercorpus.profile.groundtruth import load_folder

    for name, h in load_folder(data_root / "rir"):
        a = rir_acoustics(h, 16000)
        assert a.t60_s is not None and 0.15 < a.t60_s < 5.0, name
        assert -15 < a.c50_db < 30, name


def test_bad_impulse_responses_raise():
    with pytest.raises(ValueError):
        rir_acoustics(np.zeros(100), 16000)
    with pytest.raises(ValueError):
        rir_acoustics(np.array([1.0, np.nan]), 16000)
