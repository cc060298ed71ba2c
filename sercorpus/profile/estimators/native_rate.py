"""Native sample rate and channel count as decoded from the file (before any resampling or mixdown)."""

from __future__ import annotations

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, ok

COLUMNS = ("sample_rate_hz", "channels")
NEEDS_VAD = False


def estimate(clip: Clip) -> dict[str, Value]:
    return {"sample_rate_hz": ok(clip.rate), "channels": ok(clip.channels)}
