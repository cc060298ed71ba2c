"""Determinism across workers, parts and engines; resume after SIGKILL at random points."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shardhelp import AUG, index_of, rows_by_id, shard_hashes

from sercorpus.shards.index import merge, verify
from sercorpus.shards.layout import Part
from sercorpus.shards.run import write_shards
from sercorpus.shards.settings import ShardSettings

CLEAN = ShardSettings(shard_mb=0.1, rows_per_group=8)


def file_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a dataset folder except the manifests (they record the folder's absolute path)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".manifest.parquet") and p.name != "manifest.parquet"
    }


def test_byte_identical_whatever_the_worker_count(corpora, tmp_path):
    settings = ShardSettings(copies=2, keep_clean=True, shard_mb=0.3, rows_per_group=16)
    one, two = tmp_path / "w1", tmp_path / "w2"
    write_shards([corpora["msp"]], one, settings, augment=AUG, workers=1)
    write_shards([corpora["msp"]], two, settings, augment=AUG, workers=2)
    assert len(index_of(one)["shards"]) > 2 and index_of(one)["augmented"] > 0
    assert file_bytes(two) == file_bytes(one)


def test_byte_identical_whatever_the_batch_size_and_a_resume_may_change_it(corpora, tmp_path):
    """The engine computes each example alone, so --batch-size changes no byte and is not a recorded setting."""
    aug = {
        "sample_rate": 16000,
        "chain": [
            {"op": "synthetic_reverb", "p": 0.7},
            {"op": "pink_noise", "min_snr_db": 10, "max_snr_db": 30},
            {"op": "highpass", "p": 0.5, "min_cutoff_hz": 50, "max_cutoff_hz": 300},
        ],
    }
    outs = {}
    for size in (1, 3, 8):
        outs[size] = tmp_path / f"b{size}"
        settings = ShardSettings(copies=2, shard_mb=0.3, rows_per_group=16, batch_size=size)
        write_shards([corpora["msp"]], outs[size], settings, augment=aug)
    assert file_bytes(outs[3]) == file_bytes(outs[1])
    assert file_bytes(outs[8]) == file_bytes(outs[1])
    # the same folder accepts a rerun with another batch size (nothing to refuse, nothing rewritten)
    write_shards(
        [corpora["msp"]],
        outs[1],
        ShardSettings(copies=2, shard_mb=0.3, rows_per_group=16, batch_size=5),
        augment=aug,
    )
    assert file_bytes(outs[1]) == file_bytes(outs[8])


def test_union_of_parts_is_the_whole(corpora, clean_msp, tmp_path):
    whole = rows_by_id(clean_msp)
    separate = []
    for i in range(3):
        out = tmp_path / f"p{i}"
        summary = write_shards([corpora["msp"]], out, CLEAN, part=f"{i}/3")
        assert summary.index is None and summary.missing_parts == [j for j in range(3) if j != i]
        separate.append(out)
    ids: list[str] = []
    for i, out in enumerate(separate):
        names = sorted(p.name for p in (out / "shards").glob("*.parquet"))
        assert names and all(n.startswith(f"part-{i:05d}-") for n in names)
    merged = merge(separate, tmp_path / "merged")
    rows = rows_by_id(tmp_path / "merged")
    ids = [r for r in rows]
    assert len(ids) == len(set(ids)) and set(rows) == set(whole)
    for key, row in rows.items():  # same bytes for every sample, whichever part wrote it
        assert row["audio"] == whole[key]["audio"] and row["label"] == whole[key]["label"]
    assert verify(tmp_path / "merged").ok and merged["samples"] == len(whole)
    # all three parts written here, into one folder, give the same files as the three separate runs merged
    together = tmp_path / "together"
    write_shards([corpora["msp"]], together, CLEAN, parts=3)
    assert file_bytes(together) == file_bytes(tmp_path / "merged")
    # and so does a Slurm-array-like run of the parts into one shared folder (the last one writes the index)
    shared = tmp_path / "shared"
    for i in (2, 0, 1):
        last = write_shards([corpora["msp"]], shared, CLEAN, part=Part(i, 3))
    assert last.index is not None and shard_hashes(shared) == shard_hashes(together)


def test_ray_parts_equal_local_parts(corpora, tmp_path):
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'sercorpus[distributed]')")
    local = tmp_path / "local"
    write_shards([corpora["msp"]], local, CLEAN, parts=2)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        on_ray = tmp_path / "ray"
        summary = write_shards([corpora["msp"]], on_ray, CLEAN, parts=2, executor="ray")
    finally:
        ray.shutdown()
    assert summary.index is not None and summary.parts_written == [0, 1]
    assert file_bytes(on_ray) == file_bytes(local)


def _command(manifest: Path, out: Path) -> list[str]:
    """The library call in a fresh interpreter (the CLI would import every command module first)."""
    code = (
        "import sys; from sercorpus.shards.run import write_shards; "
        "from sercorpus.shards.settings import ShardSettings; "
        "write_shards([sys.argv[1]], sys.argv[2], ShardSettings(shard_mb=0.1, rows_per_group=8))"
    )
    return [sys.executable, "-c", code, str(manifest), str(out)]


def test_kill_at_random_points_then_resume_equals_an_uninterrupted_run(corpora, clean_msp, tmp_path):
    out = tmp_path / "killed"
    total = len(index_of(clean_msp)["shards"])
    rng = random.Random(12)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    kills = 0
    # kill once shards exist (mid-shard, between shards), once all shards exist (during the part/final
    # index), and once at a random early moment (claim, planning)
    for threshold in sorted(rng.sample(range(1, total), 2)) + [total, 0]:
        proc = subprocess.Popen(
            _command(corpora["msp"], out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            shards = out / "shards"
            have = len(list(shards.glob("*.parquet"))) if shards.is_dir() else 0
            if have >= threshold:
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.05))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        assert not (out / "index.json").exists() or verify(out).ok
    assert kills >= 2
    final = subprocess.run(_command(corpora["msp"], out), env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert index_of(out) == index_of(clean_msp)
    assert file_bytes(out) == file_bytes(clean_msp)
    assert verify(out).ok
