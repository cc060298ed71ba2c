"""Blind clarity C50 (dB): energy of the first 50 ms of the room response over the energy after it.

Method: gradient-boosted trees (project-trained, :mod:`sercorpus.profile.learned`) on blind descriptors,
chiefly the offset drops within 24-96 ms per octave band (how much reverberant energy fills the first
50 ms after a phoneme ends) and the free-decay rates; the recipe of Gamper (2020) (simulate rooms, learn
C50 from reverberant speech) with trees on descriptors instead of a CNN-LSTM on log-mel frames. Truth:
C50 of each simulated RIR (ISO 3382-1, time zero 1 ms before the direct path).
Valid: -5..30 dB as validated; clips >= 1 s with speech, estimated SNR >= 10 dB.
Null reasons: ``too_noisy``, ``too_short``, ``no_speech``, ``silent``, ``non_finite_samples``,
``vad_unavailable``, ``model_unavailable``.
"""

from __future__ import annotations

from sercorpus.profile.clip import Clip
from sercorpus.profile.estimators._learned_common import unmeasurable
from sercorpus.profile.estimators.snr import snr_of
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("c50_db",)
NEEDS_VAD = True
MIN_SNR_DB = 10.0


def estimate(clip: Clip) -> dict[str, Value]:
    why = unmeasurable(clip)
    if why is not None:
        return {"c50_db": null(why)}
    if snr_of(clip) < MIN_SNR_DB:
        return {"c50_db": null("too_noisy")}
    from sercorpus.profile.learned import predict

    return {"c50_db": ok(predict(clip, "c50_db"))}
