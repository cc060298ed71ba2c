"""Seeds derived from names, so randomness never depends on iteration order or global RNG state.

``stable_seed(seed, "iemocap", utt_id, copy)`` gives the same 64-bit integer on every machine and Python
version (blake2b, not ``hash()``, which is salted per process).
"""

from __future__ import annotations

import hashlib

import numpy as np


def stable_seed(*parts: object) -> int:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


def rng_for(*parts: object) -> np.random.Generator:
    return np.random.default_rng(stable_seed(*parts))
