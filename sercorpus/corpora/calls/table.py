"""The segment table: finding it, mapping its column names onto fields, reading its rows (CSV/TSV/JSONL)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.report import PrepareReport
from sercorpus.core.textfile import read_text_lines

TABLE_NAMES = ("segments.csv", "segments.tsv", "segments.jsonl")

#: canonical field -> accepted column names (after lower-casing and spaces/dashes -> underscores)
ALIASES: dict[str, tuple[str, ...]] = {
    "call_id": ("call_id", "call", "callid", "conversation_id", "conversation", "recording_id", "session_id"),
    "audio": ("audio", "audio_path", "audio_file", "file", "filename", "wav", "path", "recording"),
    "start": ("start", "begin", "start_time", "start_s", "from", "tmin"),
    "end": ("end", "stop", "end_time", "end_s", "to", "tmax"),
    "role": ("role", "speaker_role", "party", "side"),
    "channel": ("channel", "chan", "ch"),
    "speaker": ("speaker", "speaker_id", "spk"),
    "gender": ("gender", "sex"),
    "transcript": ("transcript", "text", "utterance", "asr"),
    "timings": ("timings", "timing_file", "alignment", "sync_map", "subtitles"),
    "cue": ("cue", "cue_id", "fragment", "fragment_id"),
    "split": ("split", "set", "partition"),
    "label": ("label", "emotion", "category"),
    "labels": ("labels", "annotations"),
    "votes": ("votes",),
    "arousal": ("arousal", "activation"),
    "valence": ("valence",),
    "dominance": ("dominance",),
}
_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_RATER_COL = re.compile(r"^(?:label|emotion)_(.+)$")
_VOTE_COL = re.compile(r"^votes?_(.+)$")
_DIM_COL = re.compile(r"^(arousal|activation|valence|dominance)_(.+)$")


def find_table(root: Path, table: str | None) -> Path:
    """The segment table: the ``table`` option, else the one ``segments.{csv,tsv,jsonl}`` in the root."""
    if table is not None:
        path = root / table
        if not path.is_file():
            raise CorpusFormatError(path, "segment table not found")
        return path
    found = [root / name for name in TABLE_NAMES if (root / name).is_file()]
    if not found:
        raise CorpusFormatError(
            root,
            f"no segment table: expected one of {list(TABLE_NAMES)} in the corpus root, "
            "or name it with --opt table=FILE",
        )
    if len(found) > 1:
        raise CorpusFormatError(
            root, f"several segment tables {[p.name for p in found]}; pick one with --opt table="
        )
    return found[0]


def column_key(name: str) -> tuple[str, ...] | None:
    """Normalised column name -> ('field', f) | ('rater', r) | ('votes', native) | ('dim', d, r) | None."""
    norm = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    if norm in _BY_ALIAS:
        return ("field", _BY_ALIAS[norm])
    for pattern, kind in ((_RATER_COL, "rater"), (_VOTE_COL, "votes")):
        match = pattern.match(norm)
        if match:
            return (kind, match.group(1))
    match = _DIM_COL.match(norm)
    if match:
        return ("dim", "arousal" if match.group(1) == "activation" else match.group(1), match.group(2))
    return None


def resolve_columns(
    names: list[str], table: Path, line: int | None, report: PrepareReport
) -> dict[str, tuple]:
    """Column name -> key; duplicates and mixing rater labels with vote counts are table errors."""
    keys: dict[str, tuple] = {}
    owners: dict[tuple, str] = {}
    ignored = []
    for name in names:
        key = column_key(name)
        if key is None:
            ignored.append(name)
            continue
        if key in owners:
            raise CorpusFormatError(
                table, f"columns {owners[key]!r} and {name!r} both mean {key[-1]!r}", line
            )
        owners[key] = name
        keys[name] = key
    kinds = {k[0] for k in keys.values()}
    if "votes" in kinds and (
        "rater" in kinds or ("field", "label") in owners or ("field", "labels") in owners
    ):
        raise CorpusFormatError(
            table, "give either annotator label columns or vote-count columns, not both", line
        )
    if ignored and line is not None:
        report.note("ignored-columns", table, f"columns not in the contract, ignored: {ignored}", line)
    return keys


def read_table(table: Path, report: PrepareReport) -> Iterator[tuple[int, dict[tuple, Any]]]:
    """(line, {column key: value}) per row of a CSV/TSV (header line) or JSONL table."""
    if table.suffix.lower() == ".jsonl":
        yield from _read_jsonl(table, report)
    else:
        yield from _read_delimited(table, report, "\t" if table.suffix.lower() == ".tsv" else ",")


def _read_delimited(
    table: Path, report: PrepareReport, delimiter: str
) -> Iterator[tuple[int, dict[tuple, Any]]]:
    reader = csv.reader(read_text_lines(table), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise CorpusFormatError(table, "empty segment table (no header line)", 1)
    keys = resolve_columns(header, table, 1, report)
    if ("field", "call_id") not in keys.values():
        raise CorpusFormatError(
            table, f"no call id column (one of {list(ALIASES['call_id'])}) in header {header}", 1
        )
    has_times = {("field", "start"), ("field", "end")} <= set(keys.values())
    if not has_times and ("field", "cue") not in keys.values():
        raise CorpusFormatError(table, "need start and end columns, or cue + timings columns", 1)
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        report.read += 1
        if len(values) != len(header):
            report.skip("malformed-row", table, f"expected {len(header)} fields, got {len(values)}", line)
            continue
        yield line, {keys[name]: value for name, value in zip(header, values, strict=True) if name in keys}


def _read_jsonl(table: Path, report: PrepareReport) -> Iterator[tuple[int, dict[tuple, Any]]]:
    for line, text in enumerate(read_text_lines(table), start=1):
        if not text.strip():
            continue
        report.read += 1
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            report.skip("malformed-row", table, f"invalid JSON ({exc.msg}, column {exc.colno})", line)
            continue
        if not isinstance(obj, dict):
            report.skip("malformed-row", table, "a JSONL row must be a JSON object", line)
            continue
        keys = resolve_columns(list(obj), table, None, report)
        yield line, {keys[name]: value for name, value in obj.items() if name in keys}
