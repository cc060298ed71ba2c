"""Fixtures for the shard tests: two miniature corpora (16 kHz mono MSP-Podcast; 8 kHz calls with segments and
dual-channel recordings), a cheap augmentation config and one reference dataset most tests read."""

from __future__ import annotations

from pathlib import Path

import pytest
from shardhelp import AUG, REF_SETTINGS

from sercorpus.shards.settings import ShardSettings


@pytest.fixture(scope="session")
def corpora(tmp_path_factory) -> dict[str, Path]:
    from sercorpus.corpora.prepare import prepare
    from sercorpus.synth.calls import write_calls
    from sercorpus.synth.msp_podcast import write_msp_podcast

    base = tmp_path_factory.mktemp("corpora")
    prepare("msp-podcast", write_msp_podcast(base / "msp", seed=0, n=40), base / "msp.parquet")
    prepare("calls", write_calls(base / "calls", seed=0), base / "calls.parquet")
    return {"msp": base / "msp.parquet", "calls": base / "calls.parquet", "base": base}


@pytest.fixture(scope="session")
def reference(corpora, tmp_path_factory) -> Path:
    from sercorpus.shards.run import write_shards

    out = tmp_path_factory.mktemp("ref") / "ds"
    write_shards([corpora["msp"], corpora["calls"]], out, REF_SETTINGS, augment=AUG)
    return out


@pytest.fixture(scope="session")
def clean_msp(corpora, tmp_path_factory) -> Path:
    """MSP only, no augmentation (no torch needed to write it), many small shards."""
    from sercorpus.shards.run import write_shards

    out = tmp_path_factory.mktemp("clean") / "ds"
    write_shards([corpora["msp"]], out, ShardSettings(shard_mb=0.1, rows_per_group=8))
    return out
