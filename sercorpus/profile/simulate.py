"""Simulated rooms for validating and training the reverberation estimators (needs ``pyroomacoustics``,
a dev dependency; imported only here).

Each room is a shoebox with a random size, a uniform wall absorption chosen (inverse Sabine) for a target
T60, and a source and microphone at a random distance; the impulse response comes from the hybrid
image-source (order 3) + ray-tracing model with air absorption, whose exponential tails are closer to
real rooms than a pure high-order image-source model. The target T60 is only a way to spread the rooms:
the ground truth is always *measured* on the generated RIR (:func:`rir_metrics.rir_acoustics`), since
simulated and Sabine T60 differ (pyroomacoustics issue #280). A share of RIRs gets its direct path scaled
(Bryan 2020), which widens the C50/DRR range independently of T60.

Determinism: every room draws from its own numpy Generator keyed by (seed, index), and pyroomacoustics'
own generators (its ray tracer) are seeded per room with ``pyroomacoustics.random.seed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sercorpus.core.seeding import rng_for


@dataclass(frozen=True)
class SimulatedRoom:
    rir: np.ndarray
    rate: int
    dims: tuple[float, float, float]
    target_t60: float
    distance: float
    direct_gain_db: float


def _pra() -> Any:
    try:
        import pyroomacoustics as pra
    except ImportError as exc:
        raise ImportError("room simulation needs pyroomacoustics (pip install 'sercorpus[dev]')") from exc
    return pra


def simulate_room(
    seed: int,
    index: int,
    rate: int = 16000,
    t60_range: tuple[float, float] = (0.15, 1.4),
    distance_range: tuple[float, float] = (0.2, 6.0),
    direct_scale_share: float = 0.3,
    n_rays: int = 4000,
) -> SimulatedRoom:
    """One random room's impulse response (deterministic for ``(seed, index)``)."""
    pra = _pra()
    rng = rng_for("simulate_room", seed, index)
    for _attempt in range(100):
        dims = (float(rng.uniform(3.0, 12.0)), float(rng.uniform(3.0, 10.0)), float(rng.uniform(2.4, 4.5)))
        t60 = float(rng.uniform(*t60_range))
        try:
            absorption, _ = pra.inverse_sabine(t60, list(dims))
        except ValueError:
            continue
        if not 0.01 < absorption < 0.99:
            continue
        margin = 0.4
        src = np.array([rng.uniform(margin, d - margin) for d in dims])
        src[2] = rng.uniform(1.0, min(2.0, dims[2] - margin))
        dist = float(rng.uniform(*distance_range))
        direction = rng.normal(size=3)
        direction[2] *= 0.2
        direction /= np.linalg.norm(direction)
        mic = src + dist * direction
        if not all(margin <= m <= d - margin for m, d in zip(mic, dims, strict=True)):
            continue
        break
    else:  # pragma: no cover - 100 rejections in a row does not happen with these ranges
        raise RuntimeError(f"could not place a room for seed={seed}, index={index}")
    pra.random.seed(numpy=int(rng.integers(2**31)), libroom=int(rng.integers(2**31)))
    room = pra.ShoeBox(
        list(dims),
        fs=rate,
        materials=pra.Material(float(absorption)),
        max_order=3,
        ray_tracing=True,
        air_absorption=True,
    )
    room.set_ray_tracing(receiver_radius=0.5, n_rays=n_rays, energy_thres=1e-7)
    room.add_source(list(src))
    room.add_microphone(list(mic))
    room.compute_rir()
    h = np.asarray(room.rir[0][0], dtype=np.float64)
    gain_db = 0.0
    if rng.random() < direct_scale_share:
        gain_db = float(rng.uniform(-12.0, 12.0))
        peak = int(np.argmax(np.abs(h)))
        w = int(round(0.0025 * rate))
        window = np.ones(len(h))
        window[max(0, peak - w) : peak + w + 1] = 10 ** (gain_db / 20)
        h = h * window
    h = h / math.sqrt(float(np.sum(h**2)))
    return SimulatedRoom(h, rate, dims, t60, dist, gain_db)
