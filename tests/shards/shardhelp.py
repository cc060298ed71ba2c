"""Shared constants and helpers of the shard tests (conftest.py holds the fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

from sercorpus.shards.settings import ShardSettings

#: cheap ops only (counter-based noise, gain, fade): the tests check plumbing, the engine has its own tests
AUG = {
    "sample_rate": 16000,
    "chain": [
        {"op": "gain", "p": 0.5, "min_gain_db": -6, "max_gain_db": 9},
        {"op": "pink_noise", "min_snr_db": 10, "max_snr_db": 30},
        {"op": "fade", "p": 0.5, "max_in": 0.1, "max_out": 0.1},
    ],
}
#: the reference dataset: 2 augmented copies + clean copy, long call turns split at 3 s, small shards
REF_SETTINGS = ShardSettings(
    copies=2, keep_clean=True, max_duration=3.0, long="split", shard_mb=0.4, rows_per_group=16
)


def index_of(folder: Path) -> dict:
    return json.loads((folder / "index.json").read_text(encoding="utf-8"))


def shard_hashes(folder: Path) -> dict[str, str]:
    return {e["name"]: e["sha256"] for e in index_of(folder)["shards"]}


def rows_by_id(folder: Path) -> dict[str, dict]:
    """Every row of a Parquet dataset keyed by id (audio bytes included)."""
    import pyarrow.parquet as pq

    out = {}
    for entry in index_of(folder)["shards"]:
        for row in pq.read_table(folder / entry["name"]).to_pylist():
            out[row["id"]] = row
    return out
