"""Utterance timings from forced-aligner and subtitle files: aeneas sync-map JSON, SubRip (SRT), WebVTT.

Call-centre pipelines rarely hand-time segments: an ASR service transcribes, a forced aligner (aeneas) or the
ASR itself writes a sync map or subtitles. The ``calls`` loader lets a segment-table row point at one cue of
such a file (``timings`` + ``cue`` columns) instead of repeating its times.

Every parser returns :class:`Cue` records in file order and raises :class:`CorpusFormatError` naming
``file:line`` for anything it cannot read; value checks (end before start ...) are the loader's job, where
they become counted skips of the segments that use the cue.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.textfile import read_text_lines

#: File extension -> format name (what ``extra['timing']`` records).
FORMATS = {".json": "aeneas", ".srt": "srt", ".vtt": "vtt"}


@dataclass(frozen=True)
class Cue:
    """One timed fragment: ``id`` is the aeneas fragment id, SRT index, or VTT identifier/position."""

    id: str
    start: float
    end: float
    text: str
    line: int  # 1-based line of the cue in its file, for messages


# ------------------------------------------------------------------------------------------ timestamps
_SRT_TIME = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)[,.](\d{1,3})$")
_VTT_TIME = re.compile(r"^(?:(\d+):)?([0-5]\d):([0-5]\d)\.(\d{3})$")
_ARROW = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)(?:\s+.*)?$")
_TAG = re.compile(r"<[^>]*>")


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    """Exact to the millisecond (fractions padded right: ``,5`` is 500 ms, as players read it)."""
    total_ms = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis.ljust(3, "0"))
    return total_ms / 1000


def _parse_time(value: str, pattern: re.Pattern[str], path: Path, line: int) -> float:
    match = pattern.match(value)
    if not match:
        raise CorpusFormatError(path, f"malformed timestamp {value!r}", line)
    return _seconds(*match.groups())


def _timing_line(text: str, pattern: re.Pattern[str], path: Path, line: int) -> tuple[float, float] | None:
    """``start --> end [settings]`` as seconds; None when the line is no timing line at all."""
    match = _ARROW.match(text)
    if not match:
        return None
    return _parse_time(match.group(1), pattern, path, line), _parse_time(match.group(2), pattern, path, line)


def _blocks(lines: list[str], first: int = 0) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks as (1-based start line, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for index in range(first, len(lines)):
        text = lines[index].rstrip()
        if not text.strip():
            if current:
                blocks.append((start, current))
                current = []
            continue
        if not current:
            start = index + 1
        current.append(text)
    if current:
        blocks.append((start, current))
    return blocks


def _unique(cues: list[Cue], path: Path) -> list[Cue]:
    """Cue ids must be unique: a segment table refers to cues by id."""
    seen: dict[str, int] = {}
    for cue in cues:
        if cue.id in seen:
            raise CorpusFormatError(
                path, f"cue id {cue.id!r} repeats the cue at line {seen[cue.id]}", cue.line
            )
        seen[cue.id] = cue.line
    return cues


# ---------------------------------------------------------------------------------------------- SRT
def parse_srt(path: str | Path) -> list[Cue]:
    """SubRip: ``index`` line, ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` line, text lines, blank line."""
    path = Path(path)
    cues = []
    for start, block in _blocks(read_text_lines(path)):
        index = block[0].strip()
        if not index.isdigit():
            raise CorpusFormatError(path, f"expected a cue number, got {index!r}", start)
        if len(block) < 2:
            raise CorpusFormatError(path, f"cue {index} has no timing line", start)
        times = _timing_line(block[1], _SRT_TIME, path, start + 1)
        if times is None:
            raise CorpusFormatError(
                path, f"expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm', got {block[1]!r}", start + 1
            )
        cues.append(Cue(index, times[0], times[1], _clean(block[2:]), start))
    return _unique(cues, path)


# -------------------------------------------------------------------------------------------- WebVTT
_VTT_SKIP_BLOCKS = ("NOTE", "STYLE", "REGION")


def parse_vtt(path: str | Path) -> list[Cue]:
    """WebVTT: ``WEBVTT`` header, optional cue identifier, ``[HH:]MM:SS.mmm --> ...`` with settings.

    NOTE/STYLE/REGION blocks are skipped; a cue without identifier is known by its 1-based position.
    Markup (``<v Agent>``, ``<c.loud>``, inline timestamps) is stripped from the text.
    """
    path = Path(path)
    lines = read_text_lines(path)
    if not lines or not (lines[0] == "WEBVTT" or lines[0].startswith(("WEBVTT ", "WEBVTT\t"))):
        raise CorpusFormatError(path, "not a WebVTT file (first line must be 'WEBVTT')", 1)
    cues: list[Cue] = []
    for start, block in _blocks(lines, first=1)[_header_blocks(lines) :]:
        if block[0].split(" ")[0] in _VTT_SKIP_BLOCKS:
            continue
        has_id = "-->" not in block[0]
        if has_id and len(block) < 2:
            raise CorpusFormatError(path, f"cue {block[0].strip()!r} has no timing line", start)
        timing = block[int(has_id)]
        times = _timing_line(timing, _VTT_TIME, path, start + has_id)
        if times is None:
            raise CorpusFormatError(
                path, f"expected '[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm', got {timing!r}", start + has_id
            )
        cue_id = block[0].strip() if has_id else str(len(cues) + 1)
        cues.append(Cue(cue_id, times[0], times[1], _clean(block[1 + has_id :]), start))
    return _unique(cues, path)


def _header_blocks(lines: list[str]) -> int:
    """0 when the header is only the WEBVTT line, 1 when header lines (metadata) follow it directly."""
    return 1 if len(lines) > 1 and lines[1].strip() else 0


def _clean(lines: list[str]) -> str:
    """Cue payload as one line of plain text."""
    words = (_TAG.sub("", line).strip() for line in lines)
    return " ".join(word for word in words if word)


# -------------------------------------------------------------------------------------------- aeneas
def parse_aeneas(path: str | Path) -> list[Cue]:
    """aeneas sync map (``--output-format json``): ``{"fragments": [{"id", "begin", "end", "lines", "children"}]}``.

    Times are strings (``"1.240"``) or numbers; nested ``children`` (multi-level maps) are flattened after
    their parent. A fragment's line is where its id (or its ``begin``) first appears in the file.
    """
    path = Path(path)
    text = "\n".join(read_text_lines(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusFormatError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("fragments"), list):
        raise CorpusFormatError(path, "not an aeneas sync map (no 'fragments' list)", 1)
    locator = _Locator(text)
    cues: list[Cue] = []
    _fragments(data["fragments"], path, locator, cues)
    return _unique(cues, path)


def _fragments(items: list, path: Path, locator: _Locator, cues: list[Cue]) -> None:
    for item in items:
        line = locator.line_of(item)
        if not isinstance(item, dict):
            raise CorpusFormatError(path, "fragment is not a JSON object", line)
        try:
            begin, end = float(item["begin"]), float(item["end"])
        except KeyError as exc:
            raise CorpusFormatError(path, f"fragment lacks {exc.args[0]!r}", line) from None
        except (TypeError, ValueError):
            begin = end = math.nan
        if not (math.isfinite(begin) and math.isfinite(end)):
            raise CorpusFormatError(
                path, f"fragment times are not numbers: {item.get('begin')!r}, {item.get('end')!r}", line
            )
        lines = item.get("lines") or []
        if not isinstance(lines, list):
            raise CorpusFormatError(path, "fragment 'lines' is not a list", line)
        cue_id = str(item.get("id") or len(cues) + 1)
        cues.append(
            Cue(cue_id, round(begin, 6), round(end, 6), " ".join(str(x).strip() for x in lines).strip(), line)
        )
        children = item.get("children") or []
        if not isinstance(children, list):
            raise CorpusFormatError(path, "fragment 'children' is not a list", line)
        _fragments(children, path, locator, cues)


class _Locator:
    """Approximate source lines of parsed fragments (json does not keep positions)."""

    def __init__(self, text: str):
        self.text = text
        self.begins = [m.start() for m in re.finditer(r'"begin"\s*:', text)]
        self.used = 0

    def line_of(self, item: object) -> int:
        pos = self.begins[self.used] if self.used < len(self.begins) else 0
        self.used += 1
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            found = self.text.find(json.dumps(item["id"]))
            pos = found if found >= 0 else pos
        return self.text.count("\n", 0, pos) + 1


# ------------------------------------------------------------------------------------------- dispatch
_PARSERS = {"aeneas": parse_aeneas, "srt": parse_srt, "vtt": parse_vtt}


def timing_format(path: str | Path) -> str:
    """Format name from the extension; raises for anything else."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise CorpusFormatError(path, f"unknown timing file type; expected one of {sorted(FORMATS)}")
    return fmt


def read_timings(path: str | Path) -> dict[str, Cue]:
    """Cues of one timing file by id (insertion order = file order)."""
    return {cue.id: cue for cue in _PARSERS[timing_format(path)](Path(path))}
