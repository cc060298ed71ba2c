"""Duration in seconds: decoded samples over the native rate (exact; valid for any clip, empty gives 0)."""

from __future__ import annotations

from sercorpus.profile.clip import Clip
from sercorpus.profile.values import Value, ok

COLUMNS = ("duration_s",)
NEEDS_VAD = False


def estimate(clip: Clip) -> dict[str, Value]:
    return {"duration_s": ok(len(clip.samples) / clip.rate)}
