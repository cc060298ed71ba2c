"""Seeded outputs match their pinned golden digests (see golden_tool.py): reproducible across runs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from golden_tool import GOLDEN, compute, environment

from sercorpus.augment import registry


@pytest.fixture(scope="module")
def pinned():
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def computed(resources):
    return compute(resources)


def test_every_pinned_case_still_exists(pinned):
    ops = {f"op:{name}" for name in registry.ops()}
    stale = sorted(c for c in pinned["cases"] if c.startswith("op:") and c not in ops)
    assert not stale, f"golden digests for ops that no longer exist: {stale}"


def test_seeded_outputs_match_the_golden_digests(pinned, computed):
    same_env = pinned["environment"] == environment()
    missing = []
    for case, now in sorted(computed.items()):
        if case not in pinned["cases"]:
            missing.append(case)
            continue
        then = pinned["cases"][case]
        assert now["lengths"] == then["lengths"], case
        assert now["provenance_sha256"] == then["provenance_sha256"], f"{case}: parameters changed"
        assert np.allclose(now["fingerprint"], then["fingerprint"], atol=1e-5, rtol=0), (
            f"{case}: audio changed"
        )
        if same_env:
            assert now["audio_sha256"] == then["audio_sha256"], f"{case}: output bytes changed"
    if missing:
        pytest.skip(f"no golden digest pinned yet for {missing}: run tests/augment/golden_tool.py --update")
