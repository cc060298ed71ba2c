"""WADA-SNR (dB): waveform-amplitude-distribution analysis, the classic blind SNR (Kim & Stern 2008).

Method: clean speech amplitudes are modelled as Gamma-distributed with shape 0.4 and the noise as
Gaussian; the statistic G = log E|x| - E log|x| of the observed samples grows monotonically with the SNR
of such a mixture. We tabulate G(SNR) for -20..100 dB ourselves (midpoint quadrature over the Gamma and
Gaussian quantiles: deterministic, no random numbers; computed once per process) and invert it by
interpolation. The SNR is the whole-utterance power ratio,
the same definition as ``snr_db``.
Reference: C. Kim, R. M. Stern, "Robust signal-to-noise ratio estimation based on waveform amplitude
distribution analysis", Interspeech 2008.
Valid: about 0-20 dB with Gaussian noise (where the model holds); babble, music and ESC-50 events bias it
(they are not Gaussian). Null reasons: ``outside_model`` (G beyond the table: e.g. all-Gaussian input
reads below -20 dB, or a non-speech signal), ``too_short`` (< 0.25 s), ``silent``,
``non_finite_samples``, ``empty``.
"""

from __future__ import annotations

import functools

import numpy as np

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("wada_snr_db",)
NEEDS_VAD = False
ALPHA = 0.4
SNR_GRID_DB = np.arange(-20.0, 100.5, 1.0)
MIN_SECONDS = 0.25


@functools.lru_cache(maxsize=1)
def g_table() -> np.ndarray:
    """G for each SNR of :data:`SNR_GRID_DB` (Gamma(0.4) speech amplitudes + Gaussian noise).

    The sign of the speech sample does not matter (the noise is symmetric), so |g + n| over a grid of
    Gamma and normal quantiles is an equal-weight quadrature of both expectations."""
    from scipy.special import gammaincinv, ndtri

    speech = gammaincinv(ALPHA, (np.arange(500) + 0.5) / 500)
    speech /= np.sqrt(ALPHA * (ALPHA + 1))  # E[g^2] of a unit-scale Gamma(alpha)
    noise = ndtri((np.arange(100) + 0.5) / 100)
    noise /= np.sqrt(np.mean(noise**2))
    out = []
    for snr in SNR_GRID_DB:
        y = np.maximum(np.abs(speech[:, None] + noise[None, :] * 10 ** (-snr / 20)), 1e-300)
        out.append(np.log(np.mean(y)) - np.mean(np.log(y)))
    return np.maximum.accumulate(np.asarray(out))


def estimate(clip: Clip) -> dict[str, Value]:
    if clip.problem is not None:
        return {"wada_snr_db": null(clip.problem)}
    if clip.duration < MIN_SECONDS:
        return {"wada_snr_db": null("too_short")}
    a = np.abs(clip.x16)
    a = a[a > 0]
    if a.size < 100:
        return {"wada_snr_db": null("silent")}
    a = a / a.max()
    g = float(np.log(np.mean(a)) - np.mean(np.log(np.maximum(a, 1e-20))))
    table = g_table()
    if g < table[0] or g > table[-1]:
        return {"wada_snr_db": null("outside_model")}
    return {"wada_snr_db": ok(float(np.interp(g, table, SNR_GRID_DB)))}
