"""Helpers every corpus loader shares: audio checks that turn into counted skips, robust text reading."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, TypedDict

from sercorpus.core.audio import AudioError, AudioInfo, LfsPointerError, probe
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.report import PrepareReport


def check_audio(
    root: Path,
    rel_path: str,
    report: PrepareReport,
    record: str,
    expected_rate: int | None = None,
    expected_channels: int | None = None,
    label_file: str | os.PathLike[str] | None = None,
    line: int | None = None,
    lfs_hint: str | None = None,
) -> AudioInfo | None:
    """Probe one audio file; a problem becomes a counted skip (None), a git-LFS pointer stops the run.

    An LFS pointer means the whole corpus checkout lacks its audio, so skipping file by file would bury
    the one fact the user needs; it is raised as a CorpusFormatError instead (``lfs_hint`` adds the
    corpus's own way out).
    """
    path = root / rel_path
    listed = f" (listed at {label_file}:{line})" if label_file is not None and line is not None else ""
    try:
        info = probe(path)
    except LfsPointerError as exc:
        detail = str(exc).split(": ", 1)[1]
        raise CorpusFormatError(path, f"{detail} {lfs_hint}" if lfs_hint else detail) from None
    except AudioError as exc:
        reason = "missing-audio" if not path.exists() else "unreadable-audio"
        report.skip(reason, path, str(exc).split(": ", 1)[-1] + listed, record=record)
        return None
    problem = None
    if info.num_frames == 0:
        problem = ("empty-audio", "audio file holds no samples")
    elif expected_rate is not None and info.sample_rate != expected_rate:
        problem = (
            "wrong-sample-rate",
            f"sample rate {info.sample_rate} Hz, corpus promises {expected_rate} Hz",
        )
    elif expected_channels is not None and info.num_channels != expected_channels:
        problem = ("wrong-channels", f"{info.num_channels} channels, corpus promises {expected_channels}")
    if problem is not None:
        report.skip(problem[0], path, problem[1] + listed, record=record)
        return None
    return info


class AudioFields(TypedDict):
    audio_path: str
    duration: float
    sample_rate: int
    num_channels: int


def audio_fields(rel_path: str, info: AudioInfo) -> AudioFields:
    """A record's audio block from a probe: ``Utterance(id=..., **audio_fields(rel, info), ...)``."""
    return AudioFields(
        audio_path=rel_path,
        duration=info.duration,
        sample_rate=info.sample_rate,
        num_channels=info.num_channels,
    )


class RecordSkip(Exception):
    """The one skip exception: a row, block or file cannot become a record.

    Carries the loader's counted-skip ``reason`` and ``detail`` and, where the problem sits on another line
    than the record's own (an evaluator line inside an IEMOCAP block), that ``line``.
    """

    def __init__(self, reason: str, detail: str, line: int | None = None):
        super().__init__(detail)
        self.reason, self.detail, self.line = reason, detail, line


def cell_text(value: Any) -> str | None:
    """A table cell as stripped text; empty or missing is None."""
    text = "" if value is None else str(value).strip()
    return text or None


def cell_number(value: Any, name: str) -> float | None:
    """A table cell as a finite float (None when empty); anything else is a 'malformed-row' skip.

    NaN and inf are refused here: they pass every range comparison and would only fail much later."""
    text = cell_text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise RecordSkip("malformed-row", f"{name} {text!r} is not a number") from None
    if not math.isfinite(number):
        raise RecordSkip("malformed-row", f"{name} {text!r} is not a finite number")
    return number
