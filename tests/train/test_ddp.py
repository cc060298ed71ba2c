"""Two CPU processes on gloo (torchrun) give the one-process metrics within tolerance; evaluation under DDP
scores every dev sample exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

WORKER = Path(__file__).resolve().parent / "ddp_worker.py"


def test_two_gloo_processes_match_one(
    mini: Path, tmp_path: Path, tcgru_run: tuple[Path, dict[str, Any]]
) -> None:
    single_dir, single = tcgru_run
    out = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(WORKER),
        "mitra_tcgru_wavlm_msp", str(out), str(mini), f"model.cache_dir={single_dir / 'embeddings'}",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ddp = json.loads((out / "metrics.json").read_text())
    assert ddp["world_size"] == 2 and single["world_size"] == 1
    assert ddp["steps"] == single["steps"] and ddp["best"]["step"] == single["best"]["step"]
    for split in ("dev", "test/msp-podcast"):
        a, b = ddp["splits"][split], single["splits"][split]
        assert a["n"] == b["n"]  # gathered, deduplicated by id, never padded
        for key in ("loss", "uar", "ccc_arousal", "ccc_valence", "ccc_dominance", "mean_ccc"):
            assert a[key] == pytest.approx(b[key], abs=1e-4), (split, key)
    rows = (out / "predictions" / "dev.csv").read_text().splitlines()[1:]
    assert len(rows) == single["splits"]["dev"]["n"] == len({r.split(",")[0] for r in rows})
