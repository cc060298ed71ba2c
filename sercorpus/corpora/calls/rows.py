"""One segment-table row -> a validated :class:`Row` (timing, role, channel, ratings, vote counts)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sercorpus.core.report import PrepareReport
from sercorpus.corpora.calls.settings import DIMS, ROLE_ALIASES, Settings, canonical_role
from sercorpus.corpora.calls.table import read_table
from sercorpus.corpora.common import RecordSkip, cell_number, cell_text
from sercorpus.corpora.nativelabels import normalise, split_words

_GENDERS = {"m": "male", "male": "male", "man": "male", "f": "female", "female": "female", "woman": "female"}
_CHANNEL_NAMES = {"left": 0, "l": 0, "right": 1, "r": 1}


@dataclass
class Rating:
    rater: str  # raw rater id (column suffix or JSON); pseudonymised when records are built
    native: list[str]
    categories: list[str]  # unified, abstentions (null-mapped words) removed
    dims: dict[str, float] = field(default_factory=dict)  # normalised to [0, 1]


@dataclass
class Row:
    """One parsed segment-table row (raw ids still in it: never written anywhere as is)."""

    line: int
    call: str
    audio: str | None
    start: float | None
    end: float | None
    timings: str | None
    cue: str | None
    role: str | None
    channel: int | None
    speaker: str | None
    gender: str | None
    transcript: str | None
    split: str | None
    ratings: list[Rating]
    counts: dict[str, float]  # unified category -> vote count (vote-count columns)
    dims: dict[str, float]  # consensus ratings, normalised


def parse_row(line: int, cells: dict[tuple, Any], settings: Settings) -> Row:
    """Validate one row's values; raises RecordSkip with the reason of the skip."""
    get = lambda name: cells.get(("field", name))  # noqa: E731
    call = cell_text(get("call_id"))
    if call is None:
        raise RecordSkip("malformed-row", "empty call id")
    start, end = cell_number(get("start"), "start"), cell_number(get("end"), "end")
    timings, cue = cell_text(get("timings")), cell_text(get("cue"))
    if (start is None) != (end is None):
        raise RecordSkip("malformed-row", "start and end must both be given (or both come from a cue)")
    if start is None and cue is None:
        raise RecordSkip("malformed-row", "no start/end and no cue: the segment has no timing")
    if cue is not None and timings is None and start is None:
        raise RecordSkip("malformed-row", "cue given without a timings file")
    return Row(
        line=line,
        call=call,
        audio=cell_text(get("audio")),
        start=start,
        end=end,
        timings=timings,
        cue=cue,
        role=_role(get("role"), settings),
        channel=_channel(get("channel")),
        speaker=cell_text(get("speaker")),
        gender=_GENDERS.get((cell_text(get("gender")) or "").lower()),
        transcript=cell_text(get("transcript")),
        split=(cell_text(get("split")) or settings.split).lower(),
        ratings=_ratings(cells, settings),
        counts=_vote_counts(cells, settings),
        dims={d: v for d in DIMS if (v := _dim(get(d), d, settings)) is not None},
    )


def _role(value: Any, settings: Settings) -> str | None:
    text = cell_text(value)
    if text is None:
        return None
    role = canonical_role(text) or text.lower()
    if role not in ROLE_ALIASES and role not in settings.roles:
        raise RecordSkip("unknown-role", f"role {text!r} is neither agent nor customer (nor in option roles)")
    return role


def _channel(value: Any) -> int | None:
    text = cell_text(value)
    if text is None:
        return None
    if text.lower() in _CHANNEL_NAMES:
        return _CHANNEL_NAMES[text.lower()]
    if not text.isdigit():
        raise RecordSkip(
            "malformed-row", f"channel {text!r} is not a channel number (0, 1, ... or left/right)"
        )
    return int(text)


def _dim(value: Any, name: str, settings: Settings) -> float | None:
    number = cell_number(value, name)
    if number is None:
        return None
    if settings.scale is None:
        raise RecordSkip("malformed-row", f"{name} given but no dimensional scale is set (option scale)")
    scaled = normalise(number, settings.scale)
    if scaled is None:
        raise RecordSkip("out-of-range", f"{name} {number:g} outside the scale {list(settings.scale)}")
    return scaled


def _ratings(cells: dict[tuple, Any], settings: Settings) -> list[Rating]:
    """Annotator judgements from ``label``, ``label_<rater>`` and ``labels`` (JSON) cells, in column order."""
    raw: list[tuple[str, Any]] = []
    for key, value in cells.items():
        if key == ("field", "label"):
            raw.append(("label", value))
        elif key[0] == "rater":
            raw.append((key[1], value))
        elif key == ("field", "labels"):
            raw.extend(_json_ratings(value))
    rater_dims: dict[str, dict[str, float]] = defaultdict(dict)
    for key, value in cells.items():
        if key[0] == "dim" and (number := _dim(value, f"{key[1]}_{key[2]}", settings)) is not None:
            rater_dims[key[2]][key[1]] = number
    ratings = []
    for rater, value in raw:
        native = split_words(value)
        if native or rater in rater_dims:
            ratings.append(Rating(rater, native, _categories(native, settings), rater_dims.pop(rater, {})))
    ratings += [Rating(rater, [], [], dims) for rater, dims in rater_dims.items()]
    return ratings


def _json_ratings(value: Any) -> list[tuple[str, Any]]:
    """``labels``: a JSON list (one entry per annotator, optionally ``{"rater":, "label":}``) or object."""
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise RecordSkip("malformed-row", "labels must be a JSON list or object") from None
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if not isinstance(value, list):
        raise RecordSkip("malformed-row", "labels must be a JSON list or object")
    out = []
    for i, item in enumerate(value, start=1):
        if isinstance(item, dict):
            if "rater" not in item or not ({"label", "labels"} & set(item)):
                raise RecordSkip("malformed-row", "labels entries that are objects need 'rater' and 'label'")
            out.append((str(item["rater"]), item.get("label", item.get("labels"))))
        else:
            out.append((str(i), item))
    return out


def _categories(native: list[str], settings: Settings) -> list[str]:
    try:
        return settings.labels.categories(native)
    except KeyError as exc:
        raise RecordSkip(
            "unknown-label", f"label {exc.args[0]!r} is not in the label map ({settings.labels.source})"
        ) from None


def _vote_counts(cells: dict[tuple, Any], settings: Settings) -> dict[str, float]:
    """``votes_<label>`` columns or a ``votes`` JSON object -> unified category -> count."""
    pairs: list[tuple[str, Any]] = [(key[1], v) for key, v in cells.items() if key[0] == "votes"]
    blob = cells.get(("field", "votes"))
    if isinstance(blob, str) and blob.strip():
        try:
            blob = json.loads(blob)
        except json.JSONDecodeError:
            raise RecordSkip("malformed-row", "votes must be a JSON object {label: count}") from None
    if isinstance(blob, dict):
        pairs += list(blob.items())
    elif blob not in (None, ""):
        raise RecordSkip("malformed-row", "votes must be a JSON object {label: count}")
    counts: dict[str, float] = {}
    for native, value in pairs:
        count = cell_number(value, f"votes for {native!r}") or 0.0
        if count < 0:
            raise RecordSkip("out-of-range", f"negative vote count for {native!r}")
        for cat in _categories([str(native)], settings):
            counts[cat] = counts.get(cat, 0.0) + count
    return {k: v for k, v in counts.items() if v > 0}


def parse_rows(table: Path, report: PrepareReport, settings: Settings) -> list[Row]:
    rows = []
    for line, cells in read_table(table, report):
        try:
            rows.append(parse_row(line, cells, settings))
        except RecordSkip as exc:
            report.skip(exc.reason, table, exc.detail, line)
    return rows
