"""Simulated rooms cached on disk (``simulate_room`` is deterministic, so the cache is only a speed-up)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sercorpus.profile.groundtruth import Room, room_from_rir
from sercorpus.profile.simulate import simulate_room


def default_cache() -> Path:
    return Path.home() / ".cache" / "sercorpus" / "profile"


def simulated_rooms(seed: int, count: int, cache: Path | None = None, log=print) -> list[Room]:
    """``count`` rooms of ``seed`` (RIRs at 16 kHz) with their measured acoustics."""
    cache = cache or default_cache()
    path = cache / f"rooms_seed{seed}_n{count}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            rirs = [data[f"rir{i}"] for i in range(count)]
    else:
        start = time.perf_counter()
        rirs = []
        for i in range(count):
            rirs.append(simulate_room(seed, i).rir.astype(np.float32))
            if log and (i + 1) % 100 == 0:
                log(f"  simulated {i + 1}/{count} rooms (seed {seed}) in {time.perf_counter() - start:.0f} s")
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **{f"rir{i}": h for i, h in enumerate(rirs)})
        tmp.replace(path)
    return [room_from_rir(f"sim{seed}-{i}", h.astype(np.float64)) for i, h in enumerate(rirs)]
