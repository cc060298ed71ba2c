"""Acoustic profiling and condition matching.

- :func:`profile_manifest` (``sercorpus profile``): per utterance loudness, peak, clipping, DC offset,
  speech activity, blind SNR / T60 / C50, bandwidth, spectral tilt, duration, native rate, optional MOS;
  every feature null with a reason where it cannot be measured (:mod:`sercorpus.profile.values`).
- :func:`compare_profiles` (``sercorpus profile compare``): distributions, quartiles, Wasserstein distances.
- :func:`match_profiles` (``sercorpus match``): augmentation parameters that move one corpus toward another.

One estimator per module in ``sercorpus/profile/estimators/``; docs/profiling.md has methods, references,
valid ranges and the validation numbers.
"""

from sercorpus.core.lazy import lazy_getattr

_EXPORTS = {
    "profile_manifest": "runner",
    "ProfileSummary": "runner",
    "profile_arrays": "analyze",
    "profile_clips": "analyze",
    "compare_profiles": "compare",
    "compare_tables": "compare",
    "to_markdown": "compare",
    "plot": "compare",
    "match_profiles": "match",
    "MatchResult": "match",
    "read_profile": "store",
    "ProfileError": "store",
    "Clip": "clip",
    "Value": "values",
    "REASONS": "values",
}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr("sercorpus.profile", _EXPORTS, globals())
