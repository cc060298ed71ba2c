"""Optional MOS: DNSMOS P.835 (SIG, BAK, OVRL) through ``speechmos`` + ``onnxruntime``, extra ``quality``.

Method: Microsoft's DNSMOS P.835 network (Reddy, Gopal, Cutler, ICASSP 2022), whose ONNX files ship
inside the speechmos wheel, on the 16 kHz copy; nothing downloads. Caveats: DNSMOS scores 9.01 s windows,
so speechmos tiles shorter clips (2-6 s SER clips are repeated, which biases the scores); it rejects
samples outside [-1, 1], so louder float clips are scaled to a 0.99 peak first (DNSMOS is nearly
level-invariant). Valid: 1-5 MOS. Null reasons: ``mos_unavailable`` (extra not installed),
``not_requested`` (the run did not ask for MOS), ``too_short`` (< 1 s), ``silent``,
``non_finite_samples``, ``empty``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("mos_sig", "mos_bak", "mos_ovrl")
NEEDS_VAD = False
MIN_SECONDS = 1.0


@functools.lru_cache(maxsize=1)
def _dnsmos() -> Any:
    try:
        from speechmos import dnsmos
    except ImportError:
        return None
    return dnsmos


def available() -> bool:
    return _dnsmos() is not None


def estimate(clip: Clip) -> dict[str, Value]:
    def all_null(reason: str) -> dict[str, Value]:
        return {c: null(reason) for c in COLUMNS}

    if clip.problem is not None:
        return all_null(clip.problem)
    if clip.duration < MIN_SECONDS:
        return all_null("too_short")
    module = _dnsmos()
    if module is None:
        return all_null("mos_unavailable")
    x = clip.x16.astype(np.float64)
    peak = float(np.max(np.abs(x)))
    if peak > 1.0:
        x = x * (0.99 / peak)
    result = module.run(x, sr=16000)
    return {
        "mos_sig": ok(result["sig_mos"]),
        "mos_bak": ok(result["bak_mos"]),
        "mos_ovrl": ok(result["ovrl_mos"]),
    }
