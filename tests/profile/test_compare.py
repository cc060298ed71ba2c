"""``compare``: statistics and Wasserstein distances match scipy; Markdown and PNG are written."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from sercorpus.profile import store
from sercorpus.profile.compare import compare_tables, plot, to_markdown


def _table(snr: np.ndarray, t60: np.ndarray):
    rows = []
    for i, (a, b) in enumerate(zip(snr, t60, strict=True)):
        rows.append(
            {
                "id": f"u{i}",
                "snr_db": float(a),
                "snr_db_reason": None,
                "t60_s": None if np.isnan(b) else float(b),
                "t60_s_reason": "too_noisy" if np.isnan(b) else None,
            }
        )
    return store.to_table(rows, {"profile_version": 1})


def test_statistics_and_distances(tmp_path):
    rng = np.random.default_rng(0)
    a = _table(rng.normal(30, 3, 200), rng.uniform(0.2, 0.4, 200))
    t60_b = rng.uniform(0.5, 0.9, 100)
    t60_b[:10] = np.nan
    b = _table(rng.normal(15, 5, 100), t60_b)
    cmp = compare_tables([a, b], ["msp", "iemocap"])
    assert cmp.features == ["snr_db", "t60_s"]
    d = cmp.distances["snr_db"][("msp", "iemocap")]
    assert d == pytest.approx(
        wasserstein_distance(a.column("snr_db").to_numpy(), b.column("snr_db").to_numpy())
    )
    assert cmp.stats["t60_s"]["iemocap"].nulls == 10 and cmp.stats["t60_s"]["iemocap"].n == 90
    assert cmp.stats["snr_db"]["msp"].median == pytest.approx(np.median(a.column("snr_db").to_numpy()))
    assert cmp.scaled("snr_db", ("msp", "iemocap")) == pytest.approx(d / 10.0)
    md = to_markdown(cmp)
    assert "SNR (dB)" in md and "T60 (s)" in md and "msp median" in md
    png = plot(cmp, tmp_path / "cmp.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError):
        compare_tables([a], ["only"])
    with pytest.raises(ValueError):
        compare_tables([a, b], ["same", "same"])
