"""Blind SNR (dB): whole-utterance speech power over noise power, as the augmentation engine defines it.

Method: gradient-boosted trees (project-trained, :mod:`sercorpus.profile.learned`) on blind descriptors
(:mod:`sercorpus.profile.descriptors`): VAD-gated pause levels, per-band minimum-statistics noise
floors, level distributions, transient shares. It generalises the two classic blind estimators, the
VAD-gated noise floor and WADA-SNR (Kim & Stern 2008, also reported as ``wada_snr_db``), by learning
their biases on real speech + real noise (ESC-50, Speech Commands backgrounds, coloured noise) at known
SNRs, with and without simulated reverberation.
Valid: -5..45 dB (the training range; outputs never leave it), clips >= 1 s with detected speech.
Accuracy: see docs/profiling.md (stationary noise is measured far better than impulsive ESC-50 noise
such as knocks or clock ticks, whose power is unobservable under speech).
Null reasons: ``too_short``, ``no_speech``, ``silent``, ``non_finite_samples``, ``vad_unavailable``,
``model_unavailable``.
"""

from __future__ import annotations

from sercorpus.profile.clip import Clip
from sercorpus.profile.estimators._learned_common import unmeasurable
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("snr_db",)
NEEDS_VAD = True


def estimate(clip: Clip) -> dict[str, Value]:
    why = unmeasurable(clip)
    if why is not None:
        return {"snr_db": null(why)}
    return {"snr_db": ok(snr_of(clip))}


def snr_of(clip: Clip) -> float:
    """The SNR estimate (cached on the clip: T60 and C50 check it for their validity floor)."""
    from sercorpus.profile.learned import predict

    return float(clip.cached("snr_db", lambda: predict(clip, "snr_db")))
