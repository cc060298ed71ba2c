"""Blind reverberation time T60 (s), as T_mid: the mean of the 500 Hz and 1 kHz octave-band T30.

Method: gradient-boosted trees (project-trained, :mod:`sercorpus.profile.learned`) on blind descriptors
whose core is the subband free-decay analysis of Prego et al. (2015) and Löllmann et al. (2010): decay
rates of speech offsets per octave band, offset drops at 24-400 ms, envelope correlation. Trained on log
T60 of simulated rooms (pyroomacoustics hybrid ISM + ray tracing; truth by Schroeder integration of each
RIR) convolved with real speech, at SNRs of 5-50 dB. The plain signal-processing version (calibrated
subband ML decay) and the blind-rt60 package are compared in benchmarks/estimators.py.
Valid: 0.2-1.2 s as validated (trained on 0.15-1.6 s), clips >= 1 s with speech, estimated SNR >= 10 dB
(blind T60 degrades quickly in noise, Gaubitch et al.).
Null reasons: ``too_noisy``, ``too_short``, ``no_speech``, ``silent``, ``non_finite_samples``,
``vad_unavailable``, ``model_unavailable``.
"""

from __future__ import annotations

from sercorpus.profile.clip import Clip
from sercorpus.profile.estimators._learned_common import unmeasurable
from sercorpus.profile.estimators.snr import snr_of
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("t60_s",)
NEEDS_VAD = True
MIN_SNR_DB = 10.0


def estimate(clip: Clip) -> dict[str, Value]:
    why = unmeasurable(clip)
    if why is not None:
        return {"t60_s": null(why)}
    if snr_of(clip) < MIN_SNR_DB:
        return {"t60_s": null("too_noisy")}
    from sercorpus.profile.learned import predict

    return {"t60_s": ok(predict(clip, "t60_s"))}
