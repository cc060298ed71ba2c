"""Issue 10 item 8: silent input gave provenance JSON with a bare ``Infinity`` (not JSON). An SNR that
cannot be measured is now null, with a reason beside it."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from sercorpus.augment import pad_batch
from sercorpus.augment.files import augment_files


def strict_load(text: str):
    def refuse(token: str):
        raise AssertionError(f"not JSON: bare {token}")

    return json.loads(text, parse_constant=refuse)


def test_silent_input_gives_null_snr_with_a_reason(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "silence.wav", np.zeros(8000, np.float32), 16000)
    sf.write(src / "tone.wav", (0.1 * np.sin(np.arange(8000) * 0.05)).astype(np.float32), 16000)
    config = {"chain": [{"op": "pink_noise", "snrs_db": [10]}]}
    summary = augment_files(src, config, tmp_path / "out")
    assert summary.written == 2 and len(summary.achieved_snr_db) == 1
    silent = strict_load((tmp_path / "out" / "silence.aug0.json").read_text())
    op = silent["ops"]["ops"][0]
    assert op["achieved_snr_db"] is None and "silent" in op["achieved_snr_db_reason"]
    loud = strict_load((tmp_path / "out" / "tone.aug0.json").read_text())["ops"]["ops"][0]
    assert abs(loud["achieved_snr_db"] - 10.0) < 0.01 and "achieved_snr_db_reason" not in loud
    for path in (tmp_path / "out").glob("*.json"):
        strict_load(path.read_text())


def test_in_memory_provenance_has_no_infinity_either():
    from sercorpus.augment import load_config
    from sercorpus.augment.jsonsafe import dumps

    x, lengths = pad_batch([np.zeros(4000, np.float32)])
    aug = load_config({"chain": [{"op": "pink_noise"}]})
    out = aug(x, lengths, ids=["quiet"], measure=True)
    assert out.provenance[0]["ops"]["ops"][0]["achieved_snr_db"] is None
    strict_load(json.dumps(out.provenance[0], allow_nan=False))
    # and the writer turns any stray non-finite number into null + reason
    assert strict_load(dumps({"x": float("inf"), "y": [float("nan"), 1.0]})) == {
        "x": None,
        "x_reason": "not a finite number (inf)",
        "y": [None, 1.0],
    }
