"""Silence, all-zero, very short, clipped, NaN/inf and no-speech clips: null with a reason, never a crash."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sercorpus.profile.analyze import profile_arrays
from sercorpus.profile.estimators import columns
from sercorpus.profile.values import REASONS


def _check_row(row):
    for col in columns(include_mos=True):
        v, why = row[col], row[f"{col}_reason"]
        assert (v is None) != (why is None), col
        if v is not None:
            assert math.isfinite(v), col
        else:
            assert why in REASONS or why.startswith("estimator_error"), (col, why)
            assert not why.startswith("estimator_error"), (col, why)


def test_bad_inputs_give_reasons(speech):
    rate = 16000
    s = speech[0][1]
    nan = s.copy()
    nan[100] = np.nan
    inf = s.copy()
    inf[5] = np.inf
    cases = {
        "all_zero": np.zeros(rate * 2),
        "empty": np.zeros(0),
        "very_short": s[: int(0.2 * rate)],
        "nan": nan,
        "inf": inf,
        "clipped": np.clip(s * 8, -1, 1),
        "no_speech": np.random.default_rng(0).standard_normal(rate * 2) * 0.1,
        "dc_only": np.full(rate, 0.3),
    }
    rows = dict(zip(cases, profile_arrays(list(cases.values()), rate), strict=True))
    for row in rows.values():
        _check_row(row)
    z = rows["all_zero"]
    assert z["loudness_lufs_reason"] == "silent" and z["peak_dbfs_reason"] == "silent"
    assert z["snr_db_reason"] == "silent" and z["t60_s_reason"] == "silent"
    assert z["dc_offset"] == 0.0 and z["speech_ratio"] == 0.0 and z["duration_s"] == 2.0
    assert rows["empty"]["duration_s"] == 0.0 and rows["empty"]["peak_dbfs_reason"] == "empty"
    short = rows["very_short"]
    assert short["loudness_lufs_reason"] == "too_short"  # pyloudnorm raises below 0.4 s
    assert short["snr_db_reason"] == "too_short" and short["c50_db_reason"] == "too_short"
    for key in ("nan", "inf"):
        r = rows[key]
        assert r["loudness_lufs_reason"] == "non_finite_samples"
        assert (
            r["peak_dbfs_reason"] == "non_finite_samples" and r["speech_ratio_reason"] == "non_finite_samples"
        )
    assert rows["clipped"]["clipping_ratio"] > 0.05
    assert rows["no_speech"]["snr_db_reason"] == "no_speech"
    assert rows["no_speech"]["t60_s_reason"] == "no_speech"
    assert rows["clipped"]["mos_sig_reason"] == "not_requested"
    zero, short = profile_arrays([np.zeros(rate), s[:4000]], rate, include_mos=True)
    assert zero["mos_ovrl_reason"] == "silent" and short["mos_ovrl_reason"] == "too_short"


def test_an_estimator_failure_is_reported_not_raised(monkeypatch, speech):
    from sercorpus.profile.estimators import peak

    def boom(clip):
        raise RuntimeError("kaput")

    monkeypatch.setattr(peak, "estimate", boom)
    row = profile_arrays([speech[0][1]], 16000)[0]
    assert row["peak_dbfs"] is None and row["peak_dbfs_reason"] == "estimator_error: RuntimeError: kaput"
    assert row["loudness_lufs"] is not None


def test_value_type_refuses_nan():
    from sercorpus.profile.values import Value, null, ok

    assert ok(float("nan")).reason == "non_finite_result"
    assert ok(float("inf")).value is None
    with pytest.raises(ValueError):
        Value(1.0, "silent")
    with pytest.raises(ValueError):
        null("made_up_reason")
