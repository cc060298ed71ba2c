"""Preconditions shared by the learned estimators (SNR, T60, C50): why a clip cannot be measured."""

from __future__ import annotations

from sercorpus.profile.clip import Clip

MIN_SECONDS = 1.0


def unmeasurable(clip: Clip, min_seconds: float = MIN_SECONDS) -> str | None:
    """A reason code, or None when the clip suits the learned estimators."""
    if clip.problem is not None:
        return clip.problem
    if clip.duration < min_seconds:
        return "too_short"
    if clip.speech is None:
        return "vad_unavailable"
    if not clip.speech.segments:
        return "no_speech"
    from sercorpus.profile.learned import ModelUnavailable, load_model

    try:
        load_model()
    except ModelUnavailable:
        return "model_unavailable"
    return None
