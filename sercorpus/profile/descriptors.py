"""Blind acoustic descriptors of a 16 kHz clip: the inputs of the learned SNR / T60 / C50 estimators.

All come from the clip's shared STFT power (32 ms frames, 8 ms hop) summed into 7 octave-wide bands plus the
full band, as log energies L[t, b] in dB, and from the speech-activity mask. Per band:

- level distribution: quantiles of L relative to the band's mean power (noise floor and dynamic range);
- pause level: mean power in the frames the VAD calls non-speech, relative to the band's mean power;
- free decays (Prego et al. 2015; Löllmann et al. 2010): runs of >= 5 strictly decreasing frames; the
  least-squares decay rate (dB/s) of each run, summarised by quantiles of the runs that span >= 10 dB, and
  the number of runs per second;
- offset drops: for frames that are local maxima in the top 40 % of levels, how far the level falls within
  24 to 400 ms (reverberation fills the gaps after a phoneme: the early-to-late balance that C50 measures
  shows up in the first 50 ms, the decay rate in the later lags);
- noise floor: per-bin low quantiles of the STFT power over time (minimum statistics, Martin 2001),
  corrected for the exponential distribution of a noise periodogram and summed per band, relative to the
  band's mean power (per-band SNR cues that survive speech filling most frames);
- transients: the share of a band's energy in its loudest 5 % of frames, and the mean-over-median level of
  the pause frames (impulsive noise is what biases the floor-based cues);
- envelope correlation: autocorrelation of the mean-removed L at lags of 16 to 256 ms (reverberation
  smears the envelope, Falk et al.'s modulation-domain argument in its simplest form).

Every value is a finite float (missing statistics get documented fallbacks and an indicator), so the
estimators downstream never see NaN.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from sercorpus.profile.clip import ANALYSIS_RATE, HOP, N_FFT, Clip

BAND_EDGES_HZ = (100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0, 8000.0)
LEVEL_QUANTILES = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.99)
DECAY_QUANTILES = (0.25, 0.5, 0.75, 0.9)
DROP_FRAMES = (3, 6, 9, 12, 18, 25, 37, 50)
FLOOR_QUANTILES = (0.05, 0.1, 0.2, 0.3)
LAGS = (2, 4, 8, 16, 32)
MIN_RUN = 5
FRAME_S = HOP / ANALYSIS_RATE
FLOOR_DB = -150.0


def band_matrix(n_fft: int = N_FFT, rate: int = ANALYSIS_RATE) -> np.ndarray:
    """(bins, 8) 0/1 matrix: 7 octave bands between BAND_EDGES_HZ and the full band 100 Hz-8 kHz."""
    f = np.arange(n_fft // 2 + 1) * rate / n_fft
    cols = [(f >= lo) & (f < hi) for lo, hi in zip(BAND_EDGES_HZ[:-1], BAND_EDGES_HZ[1:], strict=True)]
    cols.append((f >= BAND_EDGES_HZ[0]) & (f <= BAND_EDGES_HZ[-1]))
    return np.stack(cols, axis=1).astype(np.float64)


_BANDS = band_matrix()
N_BANDS = _BANDS.shape[1]


def band_levels(clip: Clip) -> np.ndarray:
    """(frames, 8) band log energies in dB (floored at -150 dB)."""

    def compute() -> np.ndarray:
        e = clip.power16 @ _BANDS
        return 10.0 * np.log10(np.maximum(e, 1e-15))

    return clip.cached("band_levels", compute)


def _runs(decreasing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive, in frames of L) of each run where L keeps decreasing for >= MIN_RUN steps."""
    d = np.concatenate([[False], decreasing, [False]]).astype(np.int8)
    edges = np.diff(d)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = ends - starts >= MIN_RUN
    return starts[keep], ends[keep] + 1  # a run of k decreasing steps spans k + 1 frames


def _slopes(level: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Least-squares slope (dB per frame) of level[s:e] for each run, from prefix sums (O(1) per run)."""
    t = np.arange(len(level), dtype=np.float64)
    c1 = np.concatenate([[0.0], np.cumsum(level)])
    ct = np.concatenate([[0.0], np.cumsum(t * level)])
    n = (ends - starts).astype(np.float64)
    sum_t = (starts + ends - 1) * n / 2
    sum_t2 = ((ends - 1) * ends * (2 * ends - 1) - (starts - 1) * starts * (2 * starts - 1)) / 6.0
    sum_l = c1[ends] - c1[starts]
    sum_tl = ct[ends] - ct[starts]
    return (n * sum_tl - sum_t * sum_l) / np.maximum(n * sum_t2 - sum_t**2, 1e-9)


def describe(clip: Clip) -> np.ndarray:
    """The descriptor vector of ``clip`` (length :data:`N_DESCRIPTORS`; see :func:`descriptor_names`)."""
    return clip.cached("descriptors", lambda: _describe(clip))


def _sorted_quantiles(a: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles (numpy's linear rule) along axis 0 of an already sorted array: one sort, many quantiles."""
    pos = np.asarray(qs) * (a.shape[0] - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, a.shape[0] - 1)
    w = (pos - lo).reshape((-1,) + (1,) * (a.ndim - 1))
    return a[lo] * (1 - w) + a[hi] * w


def _pause_mask(clip: Clip, n: int) -> np.ndarray:
    """Frames outside the VAD's speech segments (with 48 ms margins); all False without VAD."""
    pause = np.zeros(n, dtype=bool)
    if clip.speech is None:
        return pause
    pad = 0.048
    centres = np.arange(n) * FRAME_S + N_FFT / ANALYSIS_RATE / 2
    speech = np.zeros(n, dtype=bool)
    for s, e in clip.speech.segments:
        speech |= (centres >= s - pad) & (centres < e + pad)
    return ~speech


def _decay_features(L: np.ndarray, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Per band: log10 quantiles of the strong free-decay rates, and (runs, strong runs) per second."""
    n, nb = L.shape
    decay = np.full((nb, len(DECAY_QUANTILES)), np.log10(30.0))
    rates = np.zeros((nb, 2))
    if n <= MIN_RUN:
        return decay.reshape(-1), rates.reshape(-1)
    rows = L.T  # (bands, frames): runs are found on the flattened rows, never across a row boundary
    dec = np.zeros((nb, n), dtype=bool)
    dec[:, :-1] = np.diff(rows, axis=1) < 0
    flat = rows.reshape(-1)
    starts, ends = _runs(dec.reshape(-1)[:-1])
    slopes = -_slopes(flat, starts, ends) / FRAME_S
    span = flat[starts] - flat[ends - 1]
    band = starts // n
    strong = span >= 10.0
    for b in range(nb):
        sel = band == b
        s = slopes[sel & strong]
        rates[b] = (sel.sum() / seconds, s.size / seconds)
        if s.size:
            decay[b] = np.log10(np.maximum(np.quantile(s, DECAY_QUANTILES), 1.0))
    return decay.reshape(-1), rates.reshape(-1)


def _drop_features(L: np.ndarray) -> np.ndarray:
    """Per band and lag: median fall of the level within the lag after prominent local maxima."""
    n, nb = L.shape
    out = np.zeros((nb, len(DROP_FRAMES)))
    if n <= 2 * DROP_FRAMES[-1]:
        return out.reshape(-1)
    peak = (L == maximum_filter1d(L, 5, axis=0)) & (L >= np.quantile(L, 0.6, axis=0))
    peak[n - DROP_FRAMES[-1] :] = False
    drops = np.stack([L - minimum_filter1d(L, k + 1, axis=0, origin=-((k + 1) // 2)) for k in DROP_FRAMES])
    for b in range(nb):
        idx = np.flatnonzero(peak[:, b])
        if idx.size:
            out[b] = np.median(drops[:, idx, b], axis=1)
    return out.reshape(-1)


def _describe(clip: Clip) -> np.ndarray:
    L = band_levels(clip)
    n = L.shape[0]
    if n < 2:  # shorter than two STFT frames: a neutral vector (the estimators null such clips anyway)
        return np.zeros(N_DESCRIPTORS)
    seconds = max(n * FRAME_S, 1e-3)
    lin = 10 ** (L / 10)
    mean_db = 10 * np.log10(np.maximum(lin.mean(axis=0), 1e-15))
    L_sorted = np.sort(L, axis=0)
    feats: list[np.ndarray] = [(_sorted_quantiles(L_sorted, LEVEL_QUANTILES) - mean_db).T.reshape(-1)]
    power = clip.power16
    total_db = 10 * np.log10(np.maximum(power.mean(axis=0) @ _BANDS, 1e-15))
    k = np.asarray(FLOOR_QUANTILES) * (n - 1)
    part = np.partition(power, np.unique(np.concatenate([np.floor(k), np.ceil(k)]).astype(int)), axis=0)
    floors = _sorted_quantiles(part, FLOOR_QUANTILES) / (-np.log1p(-np.asarray(FLOOR_QUANTILES)))[:, None]
    feats.append((10 * np.log10(np.maximum(floors @ _BANDS, 1e-15)) - total_db).reshape(-1))
    top = max(1, int(np.ceil(0.05 * n)))
    lin_sorted = 10 ** (L_sorted / 10)
    feats.append(lin_sorted[-top:].sum(axis=0) / np.maximum(lin.sum(axis=0), 1e-30))
    pause = _pause_mask(clip, n)
    if pause.sum() >= 3:
        lp = lin[pause]
        feats.append(10 * np.log10(np.maximum(lp.mean(axis=0), 1e-15)) - mean_db)
        feats.append(
            10 * np.log10(np.maximum(lp.mean(axis=0), 1e-15) / np.maximum(np.median(lp, axis=0), 1e-15))
        )
    else:  # no pause: the quietest 5 % of frames stand in
        feats.append(_sorted_quantiles(L_sorted, (0.05,))[0] - mean_db)
        feats.append(np.zeros(N_BANDS))
    feats.append(np.array([float(pause.mean()), float(pause.sum() >= 3)]))
    decay, rates = _decay_features(L, seconds)
    feats += [decay, rates, _drop_features(L)]
    z = L - L.mean(axis=0)
    den = np.maximum(np.sum(z * z, axis=0), 1e-9)
    ac = [np.sum(z[lag:] * z[:-lag], axis=0) / den if n > lag + 2 else np.ones(N_BANDS) for lag in LAGS]
    feats.append(np.stack(ac, axis=1).reshape(-1))
    feats.append(np.array([np.log10(seconds)]))
    out = np.concatenate(feats).astype(np.float64)
    return np.where(np.isfinite(out), out, 0.0)


def descriptor_names() -> list[str]:
    bands = [f"b{b}" for b in range(N_BANDS - 1)] + ["full"]
    names = [f"q{q:g}_{b}" for b in bands for q in LEVEL_QUANTILES]
    names += [f"floor_q{q:g}_{b}" for q in FLOOR_QUANTILES for b in bands]
    names += [f"top5share_{b}" for b in bands]
    names += [f"pause_db_{b}" for b in bands]
    names += [f"pause_mean_over_median_{b}" for b in bands] + ["pause_share", "has_pause"]
    names += [f"logdecay_q{q:g}_{b}" for b in bands for q in DECAY_QUANTILES]
    names += [f"{k}_{b}" for b in bands for k in ("runs_per_s", "strong_runs_per_s")]
    names += [f"drop{k}_{b}" for b in bands for k in DROP_FRAMES]
    names += [f"ac{lag}_{b}" for b in bands for lag in LAGS]
    names += ["log_seconds"]
    return names


N_DESCRIPTORS = len(descriptor_names())
