"""The augmentation parameters condition matching searches, as a point in the unit cube <-> a config.

Every coordinate of ``theta`` lies in [0, 1] and maps linearly onto one engine parameter (:data:`DIMS`).
:func:`to_config` turns a point into the mapping that ``sercorpus.augment.load_config`` (and so
``sercorpus augment``) reads, with values rounded so the YAML is tidy and what is evaluated is exactly
what is written. The chain order follows the physics of a recording: room, then noise at the microphone,
then the channel (EQ, telephone), then gain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Dim:
    name: str
    lo: float
    hi: float
    digits: int

    def value(self, u: float) -> float:
        return round(self.lo + float(np.clip(u, 0.0, 1.0)) * (self.hi - self.lo), self.digits)

    def unit(self, v: float) -> float:
        return float(np.clip((v - self.lo) / (self.hi - self.lo), 0.0, 1.0))


DIMS: tuple[Dim, ...] = (
    Dim("rate", 0.0, 1.0, 2),
    Dim("reverb_p", 0.0, 1.0, 2),
    Dim("t60_centre", 0.15, 1.5, 2),
    Dim("t60_spread", 0.0, 1.0, 2),
    Dim("drr_centre", -6.0, 24.0, 1),
    Dim("drr_width", 0.0, 12.0, 1),
    Dim("noise_p", 0.0, 1.0, 2),
    Dim("snr_centre", -5.0, 45.0, 1),
    Dim("snr_width", 0.0, 20.0, 1),
    Dim("noise_colour", -0.5, 2.0, 2),
    Dim("background_share", 0.0, 1.0, 2),
    Dim("lowpass_p", 0.0, 1.0, 2),
    Dim("lowpass_hz", 1500.0, 7500.0, -1),
    Dim("highpass_p", 0.0, 1.0, 2),
    Dim("highpass_hz", 50.0, 500.0, 0),
    Dim("gain_centre_db", -15.0, 15.0, 1),
    Dim("gain_width_db", 0.0, 12.0, 1),
    Dim("telephone_p", 0.0, 1.0, 2),
)
INDEX = {d.name: i for i, d in enumerate(DIMS)}


@dataclass(frozen=True)
class Resources:
    """Optional real sources: background noise (ESC-50 root or a folder of wavs) and measured RIRs with
    their T60 (chosen by T60 range when given)."""

    noise_root: Path | None = None
    noise_is_esc50: bool = False
    rirs: tuple[tuple[str, float], ...] = ()  # (path, measured T60 s)


def params(theta: Sequence[float] | np.ndarray) -> dict[str, float]:
    return {d.name: d.value(u) for d, u in zip(DIMS, theta, strict=True)}


def theta_of(values: dict[str, float], base: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """A point from named parameter values (others from ``base``, default the cube's centre)."""
    out = np.array(base, dtype=np.float64) if base is not None else np.full(len(DIMS), 0.5)
    for name, v in values.items():
        out[INDEX[name]] = DIMS[INDEX[name]].unit(v)
    return out


def _rng(centre: float, half: float, lo: float, hi: float, digits: int) -> tuple[float, float]:
    return round(max(lo, centre - half), digits), round(min(hi, centre + half), digits)


def to_config(
    theta: Sequence[float] | np.ndarray,
    resources: Resources,
    sample_rate: int = 16000,
) -> dict[str, Any]:
    """The augmentation config of a point (ops whose probability rounds to 0 are left out)."""
    p = params(theta)
    chain: list[dict[str, Any]] = []
    if p["reverb_p"] > 0:
        lo, hi = _rng(p["t60_centre"], p["t60_centre"] * 0.5 * p["t60_spread"], 0.1, 2.0, 2)
        if resources.rirs:
            chosen = [path for path, t in resources.rirs if lo <= t <= hi]
            if not chosen:  # the RIR whose T60 is nearest the centre
                chosen = [min(resources.rirs, key=lambda r: abs(r[1] - p["t60_centre"]))[0]]
            chain.append({"op": "rir_reverb", "p": p["reverb_p"], "paths": sorted(chosen)})
        else:
            dlo, dhi = _rng(p["drr_centre"], p["drr_width"] / 2, -30.0, 40.0, 1)
            chain.append(
                {
                    "op": "synthetic_reverb",
                    "p": p["reverb_p"],
                    "min_t60": lo,
                    "max_t60": hi,
                    "min_drr_db": dlo,
                    "max_drr_db": dhi,
                }
            )
    if p["noise_p"] > 0:
        slo, shi = _rng(p["snr_centre"], p["snr_width"] / 2, -30.0, 60.0, 1)
        pink = {"op": "pink_noise", "min_snr_db": slo, "max_snr_db": shi, "exponent": p["noise_colour"]}
        share = p["background_share"] if resources.noise_root is not None else 0.0
        if share > 0:
            key = "root" if resources.noise_is_esc50 else "folder"
            background = {
                "op": "background_noise",
                key: str(resources.noise_root),
                "min_snr_db": slo,
                "max_snr_db": shi,
            }
            chain.append(
                {"one_of": [pink, background], "weights": [round(1 - share, 2), share], "p": p["noise_p"]}
            )
        else:
            chain.append({**pink, "p": p["noise_p"]})
    nyquist = sample_rate / 2
    if p["lowpass_p"] > 0:
        hz = min(p["lowpass_hz"], 0.95 * nyquist)
        chain.append(
            {
                "op": "lowpass",
                "p": p["lowpass_p"],
                "min_cutoff_hz": round(0.85 * hz, -1),
                "max_cutoff_hz": round(hz, -1),
                "order": 9,
            }
        )
    if p["highpass_p"] > 0:
        hz = p["highpass_hz"]
        chain.append(
            {
                "op": "highpass",
                "p": p["highpass_p"],
                "min_cutoff_hz": round(0.7 * hz),
                "max_cutoff_hz": round(hz),
                "order": 9,
            }
        )
    if p["telephone_p"] > 0:
        chain.append({"op": "telephone", "p": p["telephone_p"], "codec": "random"})
    if p["gain_centre_db"] != 0 or p["gain_width_db"] > 0:
        glo, ghi = _rng(p["gain_centre_db"], p["gain_width_db"] / 2, -40.0, 40.0, 1)
        chain.append({"op": "gain", "p": 1.0, "min_gain_db": glo, "max_gain_db": ghi})
    rate = p["rate"] if chain else 0.0
    if not chain:  # the engine needs a tree: a gain of exactly 0 dB changes nothing
        chain.append({"op": "gain", "p": 1.0, "min_gain_db": 0.0, "max_gain_db": 0.0})
    return {"sample_rate": sample_rate, "rate": rate, "chain": chain}
