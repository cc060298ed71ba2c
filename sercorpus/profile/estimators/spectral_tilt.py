"""Spectral tilt (dB/octave): slope of the long-term spectrum against log2 frequency, 100 Hz-5 kHz.

Method: least-squares line through the 1/6-octave-smoothed Welch spectrum (shared with ``bandwidth``)
sampled at 1/6-octave steps from 100 Hz to min(5 kHz, Nyquist), so each octave weighs the same. Speech
is typically -6 to -12 dB/octave; close microphones and bright (aroused) voices are flatter, low-pass EQ
and distance steeper. Reference: the long-term average spectrum slope of voice-quality work (e.g.
Hammarberg et al. 1980), simplified to one regression.
Valid: clips >= 0.1 s with a rate >= 1 kHz. Null reasons: ``too_short``, ``silent``,
``non_finite_samples``, ``empty``.
"""

from __future__ import annotations

import numpy as np

from sercorpus.profile.clip import Clip
from sercorpus.profile.estimators.bandwidth import MIN_SECONDS, long_term_spectrum
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("spectral_tilt_db_oct",)
NEEDS_VAD = False
F_LOW, F_HIGH = 100.0, 5000.0


def estimate(clip: Clip) -> dict[str, Value]:
    if clip.problem is not None:
        return {"spectral_tilt_db_oct": null(clip.problem)}
    if clip.duration < MIN_SECONDS or clip.rate < 1000:
        return {"spectral_tilt_db_oct": null("too_short")}
    f, level = long_term_spectrum(clip)
    top = min(F_HIGH, clip.rate / 2 * 0.95)
    grid = F_LOW * 2 ** (np.arange(0, np.log2(top / F_LOW) + 1e-9, 1 / 6))
    if grid.size < 4:
        return {"spectral_tilt_db_oct": null("too_short")}
    sampled = np.interp(grid, f, level)
    slope = np.polyfit(np.log2(grid), sampled, 1)[0]
    return {"spectral_tilt_db_oct": ok(float(slope))}
