"""Ground-truth acoustics of a room impulse response: T60 by Schroeder integration, C50 and DRR.

These are the *intrusive* measures (they need the impulse response) that the blind estimators are
validated against, and that condition matching uses to describe a bank of RIRs.

- Onset: the direct path is the largest |h|; time zero is 1 ms before it (band-limited onsets start a
  little early; the augmentation engine aligns RIRs the same way).
- Noise floor (measured RIRs end in background noise): the mean power of the last 10 % is the floor; the
  decay is integrated only up to where the 10 ms energy envelope first meets floor + 5 dB, the floor is
  subtracted before integrating, and the energy beyond that point is replaced by the exponential tail of
  the fitted decay (a one-pass version of Lundeby et al. 1995). Simulated RIRs have no floor and skip this.
- T60: least-squares line through the Schroeder energy-decay curve (EDC) between -5 and -35 dB (T30),
  extrapolated to 60 dB; T20 (-5 to -25 dB) when the curve does not reach -35 dB (ISO 3382-1). The headline
  ``t60_s`` is T_mid, the mean of the 500 Hz and 1 kHz octave-band values (ISO 3382-1's single-number
  reverberation time, and the band speech carries most energy in); ``t60_full_s`` is the broadband value,
  which a slowly decaying low or high band can dominate (e.g. the MIT living room: 0.40 s broadband,
  0.25 s T_mid).
- C50: 10 log10 of the energy of the first 50 ms after time zero over the energy after it (ISO 3382-1).
- DRR: energy within +-2.5 ms of the direct path over all energy after that window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEAD_S = 0.001


@dataclass(frozen=True)
class RirAcoustics:
    t60_s: float | None  # T_mid: mean of the 500 Hz and 1 kHz octave-band T30
    t60_full_s: float | None
    c50_db: float
    drr_db: float
    edc_range_db: float  # how far the integrated decay reaches (T30 needs 35 dB)
    method: str  # "T30", "T20" or "none"


def _envelope_db(e: np.ndarray, win: int) -> np.ndarray:
    k = np.ones(win) / win
    return 10 * np.log10(np.convolve(e, k, mode="same") + 1e-30)


def rir_acoustics(h: np.ndarray, rate: int, noise_floor: bool = True) -> RirAcoustics:
    """T60 (T_mid and broadband) / C50 / DRR of a mono impulse response ``h`` at ``rate`` (module docstring)."""
    h = np.asarray(h, dtype=np.float64).reshape(-1)
    if h.size == 0 or not np.isfinite(h).all() or not np.any(h):
        raise ValueError("impulse response is empty, silent or not finite")
    full = _broadband(h, rate, noise_floor)
    mids = [_broadband(octave_band(h, rate, fc), rate, noise_floor)[0] for fc in (500.0, 1000.0)]
    t_mid = float(np.mean(mids)) if all(m is not None for m in mids) else None  # type: ignore[arg-type]
    return RirAcoustics(t_mid, full[0], full[1], full[2], full[3], full[4])


def octave_band(h: np.ndarray, rate: int, centre: float) -> np.ndarray:
    """Zero-phase 4th-order Butterworth octave band of ``h`` around ``centre`` Hz."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(
        4,
        [centre / math.sqrt(2), min(centre * math.sqrt(2), 0.49 * rate)],
        btype="bandpass",
        fs=rate,
        output="sos",
    )
    return sosfiltfilt(sos, h)


def _broadband(h: np.ndarray, rate: int, noise_floor: bool) -> tuple[float | None, float, float, float, str]:
    peak = int(np.argmax(np.abs(h)))
    t0 = max(0, peak - int(round(LEAD_S * rate)))
    e = h[t0:] ** 2
    end = len(e)
    floor = 0.0
    if noise_floor and len(e) > rate // 10:
        tail = e[int(0.9 * len(e)) :]
        floor = float(np.mean(tail))
        env = _envelope_db(e, max(1, int(0.01 * rate)))
        above = env > 10 * math.log10(floor + 1e-30) + 5.0
        after = np.flatnonzero(~above[int(0.005 * rate) :])
        end = int(0.005 * rate) + int(after[0]) if after.size else len(e)
        # a floor that is more than -60 dB below the peak is not noise worth removing (simulated tails)
        if floor < 1e-9 * float(np.max(e)):
            floor, end = 0.0, len(e)
    clean = np.clip(e[:end] - floor, 0.0, None)
    edc = np.cumsum(clean[::-1])[::-1]
    # exponential tail beyond `end` from the slope of the last 10 dB above it
    edc_db = 10 * np.log10(edc / edc[0] + 1e-30)
    tail_energy = 0.0
    if end < len(e):
        lo = np.flatnonzero(edc_db > edc_db[max(0, end - 1)] + 10.0)
        start = int(lo[-1]) if lo.size else 0
        t = np.arange(start, end) / rate
        if end - start > 4:
            slope = np.polyfit(t, 10 * np.log10(clean[start:end] + 1e-30), 1)[0]
            if slope < 0:
                decay = -slope * math.log(10) / 10  # per second, power
                tail_energy = float(np.mean(clean[max(start, end - int(0.01 * rate)) : end])) * rate / decay
    edc = edc + tail_energy
    edc_db = 10 * np.log10(np.maximum(edc / edc[0], 1e-30))
    t60, method = _t60_from_edc(edc_db, rate)
    n50 = int(round(0.05 * rate))
    early = float(edc[0] - (edc[n50] if n50 < len(edc) else tail_energy))
    late = float(edc[n50]) if n50 < len(edc) else tail_energy
    c50 = 10 * math.log10(max(early, 1e-30) / max(late, 1e-30 * early))
    d = int(round(0.0025 * rate))
    d_lo = max(0, peak - d - t0)
    d_hi = min(len(clean), peak + d + 1 - t0)
    direct = float(np.sum(clean[d_lo:d_hi]))
    rest = float(np.sum(clean[d_hi:])) + tail_energy
    drr = 10 * math.log10(max(direct, 1e-30) / max(rest, 1e-30 * direct))
    return t60, c50, drr, float(-edc_db[-1]), method


def _t60_from_edc(edc_db: np.ndarray, rate: int) -> tuple[float | None, str]:
    for lo, hi, name in ((-5.0, -35.0, "T30"), (-5.0, -25.0, "T20")):
        idx = np.flatnonzero((edc_db <= lo) & (edc_db >= hi))
        if idx.size >= 8 and edc_db.min() < hi:
            t = idx / rate
            slope = np.polyfit(t, edc_db[idx], 1)[0]
            if slope < 0:
                return float(-60.0 / slope), name
    return None, "none"
