"""Speech-activity ratio and speech segments from silero-vad v6 (offline: the model ships in its wheel).

Method: silero's per-32-ms speech probability (:mod:`sercorpus.profile.silero`, the packaged network
evaluated in one batched pass), then hysteresis (speech starts at p >= 0.5, ends below 0.35), gaps under
100 ms bridged, segments under 250 ms dropped, 30 ms padding. Ratio = speech seconds / duration.
Reference: Silero Team, "Silero VAD", 2024 (github.com/snakers4/silero-vad).
Valid: any clip (a clip without speech has ratio 0 and no segments, a real measurement).
Null reasons: ``vad_unavailable`` (silero-vad not installed), ``empty``, ``non_finite_samples``.
"""

from __future__ import annotations

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, null, ok

COLUMNS = ("speech_ratio",)
NEEDS_VAD = True


def estimate(clip: Clip) -> dict[str, Value]:
    if clip.problem in ("empty", "non_finite_samples"):
        return {"speech_ratio": null(clip.problem)}
    if clip.problem == "silent":
        return {"speech_ratio": ok(0.0)}
    if clip.speech is None:
        return {"speech_ratio": null("vad_unavailable")}
    return {"speech_ratio": ok(min(1.0, clip.speech.speech_seconds / max(clip.duration, 1e-9)))}
