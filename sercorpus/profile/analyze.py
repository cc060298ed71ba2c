"""Profile clips in memory: speech activity for a whole batch at once, then every estimator per clip.

This is the engine under :mod:`sercorpus.profile.runner` (files, manifests, resumable runs) and under
condition matching (augmented audio profiled without touching disk). Long clips are analysed by the
learned estimators in windows (:data:`WINDOW_S`), whose estimates are combined by their median, so memory
does not grow with an utterance's length beyond its samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sercorpus.profile import silero
from sercorpus.profile.clip import ANALYSIS_RATE, Clip, SpeechActivity
from sercorpus.profile.estimators import ESTIMATORS, module_name
from sercorpus.profile.values import Value, null

#: the learned estimators see at most this much audio at once; longer clips are split into windows
WINDOW_S = 8.0
MAX_WINDOWS = 12
LEARNED_TARGETS = ("snr_db", "t60_s", "c50_db")


def attach_speech_activity(clips: Sequence[Clip]) -> None:
    """Run silero once over every clip that can hold speech; sets ``clip.speech`` (or ``vad_error``)."""
    todo = [c for c in clips if c.problem is None and c.speech is None]
    if not todo:
        return
    try:
        silero.available() or silero._weights()
    except silero.SileroUnavailable as exc:
        for c in todo:
            c.vad_error = str(exc)
        return
    order = sorted(range(len(todo)), key=lambda i: len(todo[i].x16))  # similar lengths share padding
    group: list[int] = []
    budget = 1 << 21  # samples per silero call (rows x longest row)

    def flush() -> None:
        probs = silero.speech_probabilities([todo[i].x16 for i in group])
        for i, p in zip(group, probs, strict=True):
            clip = todo[i]
            segs = silero.segments_from_probabilities(p, clip.duration)
            clip.speech = SpeechActivity(p, segs, silero.CHUNK / silero.RATE)
        group.clear()

    for i in order:
        if group and (len(group) + 1) * len(todo[i].x16) > budget:
            flush()
        group.append(i)
    if group:
        flush()


def _windows(clip: Clip) -> list[Clip]:
    """The clip itself, or evenly spaced WINDOW_S sub-clips (with their share of the speech segments)."""
    if clip.duration <= 2.5 * WINDOW_S:
        return [clip]
    x = clip.x16
    n = int(WINDOW_S * ANALYSIS_RATE)
    count = min(MAX_WINDOWS, int(len(x) // n))
    starts = np.linspace(0, len(x) - n, count).astype(int)
    out = []
    for s in starts:
        t0, t1 = s / ANALYSIS_RATE, (s + n) / ANALYSIS_RATE
        segs = [
            (max(a, t0) - t0, min(b, t1) - t0)
            for a, b in (clip.speech.segments if clip.speech else [])
            if b > t0 and a < t1
        ]
        sub = Clip(x[s : s + n], ANALYSIS_RATE, id=clip.id)
        sub.speech = SpeechActivity(np.zeros(0), segs, silero.CHUNK / silero.RATE) if clip.speech else None
        out.append(sub)
    return out


def attach_learned_predictions(clips: Sequence[Clip]) -> None:
    """Run the learned SNR/T60/C50 forests once over the descriptor matrix of all eligible clips."""
    from sercorpus.profile.descriptors import describe
    from sercorpus.profile.estimators._learned_common import unmeasurable
    from sercorpus.profile.learned import load_model

    eligible = [c for c in clips if unmeasurable(c) is None and "pred:snr_db" not in c._cache]
    if not eligible:
        return
    model = load_model()
    rows, owner = [], []
    for k, clip in enumerate(eligible):
        for sub in _windows(clip):
            rows.append(describe(sub))
            owner.append(k)
    X = np.stack(rows)
    own = np.asarray(owner)
    for target in LEARNED_TARGETS:
        y = model.predict(target, X)
        for k, clip in enumerate(eligible):
            clip._cache[f"pred:{target}"] = float(np.median(y[own == k]))


def profile_clips(clips: Sequence[Clip], include_mos: bool = False) -> list[dict[str, Any]]:
    """One row per clip: every feature as ``{column: value or None, column_reason: reason or None}``
    plus ``speech_segments`` (a list of [start, end] seconds, or None when VAD could not run)."""
    attach_speech_activity(clips)
    try:
        attach_learned_predictions(clips)
    except Exception:  # noqa: BLE001 - the per-clip path below reports the failure per feature
        pass
    rows = []
    for clip in clips:
        row: dict[str, Any] = {}
        for module in ESTIMATORS:
            name = module_name(module)
            values: dict[str, Value]
            if name == "mos" and not include_mos:
                values = {c: null("not_requested") for c in module.COLUMNS}
            else:
                try:
                    values = module.estimate(clip)
                except Exception as exc:  # noqa: BLE001 - never crash a run: report the failure per feature
                    message = f"estimator_error: {type(exc).__name__}: {exc}"[:300]
                    values = {c: Value(None, message) for c in module.COLUMNS}
            for col in module.COLUMNS:
                v = values[col]
                row[col] = v.value
                row[f"{col}_reason"] = v.reason
        row["speech_segments"] = [list(s) for s in clip.speech.segments] if clip.speech is not None else None
        rows.append(row)
    return rows


def profile_arrays(
    signals: Sequence[np.ndarray], rate: int, include_mos: bool = False, ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Profile in-memory 1-D (or (frames, channels)) arrays at ``rate``."""
    clips = [Clip(np.asarray(s), rate, id=(ids[i] if ids else str(i))) for i, s in enumerate(signals)]
    return profile_clips(clips, include_mos)
