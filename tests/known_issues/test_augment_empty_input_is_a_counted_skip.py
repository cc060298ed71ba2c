"""Issue 10 item 9: a 0-sample input was written as a 0-sample output without a word. It is now skipped and
counted, as prepare does."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from sercorpus.augment.files import augment_files


def test_zero_sample_input_is_skipped_and_reported(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "empty.wav", np.zeros(0, np.float32), 16000)
    sf.write(src / "fine.wav", (0.1 * np.sin(np.arange(4000) * 0.05)).astype(np.float32), 16000)
    summary = augment_files(src, {"chain": [{"op": "gain"}]}, tmp_path / "out")
    assert summary.written == 1
    assert [(s.id, s.reason) for s in summary.skipped] == [("empty", "empty")]
    assert "0 samples" in summary.skipped[0].detail
    assert not list((tmp_path / "out").glob("empty.*"))
    report = json.loads((tmp_path / "out" / "REPORT.json").read_text())
    assert report["skipped_by_reason"] == {"empty": 1}
