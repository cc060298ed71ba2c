"""Effective bandwidth (Hz): the highest frequency where the long-term spectrum is within 50 dB of its peak.

Method: Welch long-term average spectrum at the native rate (Hann, ~32 ms segments, 50 % overlap),
smoothed over 1/6 octave; the bandwidth is the highest frequency whose level is >= peak - 50 dB. It
flags band-limiting: telephone channels (~3.4-4 kHz), low-pass EQ, audio upsampled from a lower rate,
lossy codecs' cut-offs. A 9th-order low-pass at fc reads about fc x 1.9 (the -50 dB point of its skirt),
and dull voices read lower than bright ones; compare corpora, not absolute numbers.
Valid: 0..Nyquist, clips >= 0.1 s. Null reasons: ``too_short``, ``silent``, ``non_finite_samples``,
``empty``.
"""

from __future__ import annotations

import numpy as np

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("bandwidth_hz",)
NEEDS_VAD = False
DROP_DB = 50.0
MIN_SECONDS = 0.1


def welch_psd(x: np.ndarray, rate: int, nper: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch's averaged periodogram (periodic Hann, 50 % overlap, no detrending, one-sided density): the
    same numbers as ``scipy.signal.welch`` with those settings, in one batched FFT instead of one per frame."""
    window = np.hanning(nper + 1)[:-1]
    frames = np.lib.stride_tricks.sliding_window_view(x, nper)[:: max(1, nper // 2)]
    spec = np.fft.rfft(frames * window, axis=-1)
    p = (spec.real**2 + spec.imag**2).mean(axis=0) / (rate * float(np.sum(window**2)))
    p[1 : None if nper % 2 else -1] *= 2
    return np.fft.rfftfreq(nper, 1 / rate), p


def long_term_spectrum(clip: Clip) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, level in dB) of the Welch LTAS at the native rate, 1/6-octave smoothed (cached)."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        nper = min(1 << int(round(np.log2(0.032 * clip.rate))), len(clip.samples))
        f, p = welch_psd(clip.samples, clip.rate, nper)
        # 1/6-octave smoothing as a running mean in log-frequency: a cumulative sum over bins
        c = np.concatenate([[0.0], np.cumsum(p)])
        lo = np.searchsorted(f, f * 2 ** (-1 / 12))
        hi = np.searchsorted(f, f * 2 ** (1 / 12), side="right")
        hi = np.maximum(hi, lo + 1)
        smooth = (c[hi] - c[lo]) / (hi - lo)
        return f, 10 * np.log10(np.maximum(smooth, 1e-30))

    return clip.cached("ltas", compute)


def estimate(clip: Clip) -> dict[str, Value]:
    if clip.problem is not None:
        return {"bandwidth_hz": null(clip.problem)}
    if clip.duration < MIN_SECONDS:
        return {"bandwidth_hz": null("too_short")}
    f, level = long_term_spectrum(clip)
    usable = f >= 50.0
    if not usable.any():
        return {"bandwidth_hz": null("too_short")}
    peak = float(level[usable].max())
    above = np.flatnonzero(usable & (level >= peak - DROP_DB))
    return {"bandwidth_hz": ok(float(f[above[-1]]))}
