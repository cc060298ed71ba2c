"""The learned SNR / T60 / C50 estimators on real speech with measured RIRs and known SNRs (test half of
../shared/data, never seen in training), within the tolerances documented in docs/profiling.md; and the
tree export equals scikit-learn."""

from __future__ import annotations

import numpy as np

from sercorpus.profile.analyze import profile_arrays
from sercorpus.profile.groundtruth import make_examples, room_from_rir

# per-test tolerances (mean absolute error over the small sets below; the benchmark has the full numbers)
SNR_MAE_DB = 5.0
T60_MAE_S = 0.3
C50_MAE_DB = 4.0


def test_forest_export_equals_scikit_learn():
    from sklearn.ensemble import HistGradientBoostingRegressor

    from sercorpus.profile.forest import Forest, export_hgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 12))
    y = 2 * X[:, 0] + np.sin(X[:, 1]) + 0.1 * rng.normal(size=600)
    X[::13, 3] = np.nan
    model = HistGradientBoostingRegressor(max_iter=40, random_state=0).fit(X, y)
    forest = Forest.from_arrays(export_hgb(model).to_arrays("t"), "t")
    Xt = rng.normal(size=(100, 12))
    Xt[::7, 3] = np.nan
    assert np.abs(forest.predict(Xt) - model.predict(Xt)).max() < 1e-9


def test_shipped_model_matches_the_descriptors(model_available):
    from sercorpus.profile.learned import descriptor_fingerprint, load_model

    model = load_model()
    assert model.meta["descriptors"] == descriptor_fingerprint()
    assert set(model.forests) == {"snr_db", "t60_s", "c50_db"}


def test_snr_on_real_speech_with_stationary_noise(model_available, test_side):
    noises = [n for n in test_side.noises if n[0].startswith("colored") or "exercise_bike" in n[0]]
    exs = make_examples(test_side.speech, [], noises, 24, seed=5, snr_range=(0, 30))
    rows = profile_arrays([e.signal for e in exs], 16000)
    err = np.array(
        [r["snr_db"] - e.snr_db for r, e in zip(rows, exs, strict=True) if r["snr_db"] is not None]
    )
    assert err.size >= 20
    assert np.mean(np.abs(err)) < SNR_MAE_DB
    # more noise reads as a lower SNR
    s = test_side.speech[0][1]
    n = noises[0][1][: len(s)]
    from sercorpus.profile.groundtruth import mix_at_snr

    hi, lo = profile_arrays([mix_at_snr(s, n, 25.0), mix_at_snr(s, n, 5.0)], 16000)
    assert hi["snr_db"] > lo["snr_db"] + 8


def test_t60_and_c50_on_real_speech_with_measured_rirs(model_available, test_side):
    rooms = [room_from_rir(n, h) for n, h in test_side.measured_rirs]
    rooms = [r for r in rooms if r.t60_s is not None and 0.2 <= r.t60_s <= 1.2]
    assert len(rooms) >= 4
    exs = make_examples(test_side.speech, rooms, [], 20, seed=6, p_noise=0.0)
    rows = profile_arrays([e.signal for e in exs], 16000)
    t60 = [(r["t60_s"], e.t60_s) for r, e in zip(rows, exs, strict=True) if r["t60_s"] is not None]
    c50 = [(r["c50_db"], e.c50_db) for r, e in zip(rows, exs, strict=True) if r["c50_db"] is not None]
    assert len(t60) >= 15 and len(c50) >= 15
    assert np.mean([abs(a - b) for a, b in t60]) < T60_MAE_S
    assert np.mean([abs(a - b) for a, b in c50]) < C50_MAE_DB
    dry = profile_arrays([s for _, s in test_side.speech[:6]], 16000)
    assert np.median([r["t60_s"] for r in dry]) < 0.35  # close-mic speech reads as a dry room
    assert np.median([r["c50_db"] for r in dry]) > 15


def test_noisy_speech_has_no_t60(model_available, test_side):
    s = test_side.speech[1][1]
    noise = np.random.default_rng(0).standard_normal(len(s))
    from sercorpus.profile.groundtruth import mix_at_snr

    row = profile_arrays([mix_at_snr(s, noise, -3.0)], 16000)[0]
    if row["snr_db"] is not None and row["snr_db"] < 10:
        assert row["t60_s_reason"] == "too_noisy" and row["c50_db_reason"] == "too_noisy"
