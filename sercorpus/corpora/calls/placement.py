"""Where a row sits in its recording: timing (table or cue), range checks, channel, no overlaps per track."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sercorpus.core.audio import AudioInfo
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.calls.rows import Row
from sercorpus.corpora.calls.settings import Settings
from sercorpus.corpora.common import RecordSkip
from sercorpus.corpora.timings import Cue, read_timings, timing_format

END_TOLERANCE = 0.05  # s: aligners round to frames; a segment this close past the end is clipped, not dropped
OVERLAP_TOLERANCE = 0.001  # s: touching segments (end == next start) written with rounding are not overlaps


class TimingCache:
    """Parsed timing files, each read once; missing files are a per-row skip, bad ones an error."""

    def __init__(self, root: Path):
        self.root = root
        self._files: dict[str, dict[str, Cue]] = {}

    def cue(self, timings: str, cue_id: str) -> tuple[Cue, str]:
        """The cue and its file's format name."""
        path = self.root / timings
        if not path.is_file():
            raise RecordSkip("missing-timings", "its timings file does not exist")
        if timings not in self._files:
            self._files[timings] = read_timings(path)
        fmt = timing_format(path)
        if cue_id not in self._files[timings]:
            raise RecordSkip("unknown-cue", f"cue {cue_id!r} is not in its {fmt} timing file")
        return self._files[timings][cue_id], fmt


@dataclass
class Segment:
    """A row with its final timing, channel and text source."""

    row: Row
    start: float
    end: float
    channel: int | None
    timing: str  # "table" | "aeneas" | "srt" | "vtt"
    text: str | None


def place(
    row: Row, info: AudioInfo, settings: Settings, cues: TimingCache, report: PrepareReport, table: Path
) -> Segment:
    """Timing (table or cue), range checks against the recording, channel choice."""
    start, end, timing, text = row.start, row.end, "table", row.transcript
    if row.timings is not None and row.cue is not None:
        cue, fmt = cues.cue(row.timings, row.cue)
        text = text or cue.text
        if start is None:
            start, end, timing = cue.start, cue.end, fmt
    assert start is not None and end is not None
    if start < 0:
        raise RecordSkip("out-of-range", f"start {start:.3f} s is negative")
    if end <= start:
        raise RecordSkip("end-before-start", f"end {end:.3f} s is not after start {start:.3f} s")
    if start >= info.duration or end > info.duration + END_TOLERANCE:
        raise RecordSkip(
            "past-end-of-audio",
            f"segment {start:.3f}-{end:.3f} s ends past the recording ({info.duration:.3f} s)",
        )
    if end > info.duration:
        report.note(
            "clipped-to-audio-end",
            table,
            f"end {end:.3f} s clipped to the recording's {info.duration:.3f} s",
            row.line,
        )
        end = info.duration
    return Segment(row, start, end, _pick_channel(row, info, settings), timing, text)


def _pick_channel(row: Row, info: AudioInfo, settings: Settings) -> int | None:
    """Explicit channel column, else role -> channel on multi-channel audio; None on mono (= all)."""
    if row.channel is not None and row.channel >= info.num_channels:
        raise RecordSkip("bad-channel", f"channel {row.channel} but the recording has {info.num_channels}")
    if info.num_channels == 1:
        return None
    if row.channel is not None:
        return row.channel
    channel = settings.roles.get(row.role) if row.role else None
    if channel is not None and channel >= info.num_channels:
        raise RecordSkip(
            "bad-channel",
            f"role {row.role} maps to channel {channel} (option roles) but the "
            f"recording has {info.num_channels}",
        )
    return channel


def drop_overlaps(
    segments: list[Segment], multichannel: bool, report: PrepareReport, table: Path, where: str
) -> list[Segment]:
    """Within one recording, segments of one track (channel; role on mono) must not overlap."""
    kept: list[Segment] = []
    last: dict[Any, Segment] = {}
    for seg in sorted(segments, key=lambda s: (s.start, s.row.line)):
        track = seg.channel if multichannel else seg.row.role
        prev = last.get(track)
        if prev is not None and seg.start < prev.end - OVERLAP_TOLERANCE:
            what = f"channel {track}" if multichannel else f"role {track or 'unknown'}"
            overlap = min(prev.end, seg.end) - seg.start
            report.skip(
                "overlapping-segment",
                table,
                f"overlaps the segment of line {prev.row.line} by {overlap:.3f} s ({where}, {what})",
                seg.row.line,
            )
            continue
        last[track] = seg
        kept.append(seg)
    return kept
