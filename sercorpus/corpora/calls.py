"""Private call-centre recordings: long (often 8 kHz, often dual-channel) calls plus a segment table.

The column contract, option list and privacy design are documented in ``manifests/CALLS.md``. In short:
one table row = one utterance (call id, start/end or a cue of an aeneas/SRT/WebVTT timing file, speaker role,
annotator labels or vote counts, optional transcript and dimensional ratings). Each row becomes a record with
``offset``/``duration`` into the long recording (nothing is cut), the speaker's ``channel`` on dual-channel
recordings, votes -> soft label, and pseudonymised call/speaker/rater ids. Annotator agreement goes into the
report. Problems that cost one row are counted skips naming ``table:line``; problems that make the table
untrustworthy (bad header, unparsable timing file) are errors.
"""

from __future__ import annotations

import csv
import json
import os
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sercorpus.core import agreement as agree
from sercorpus.core.audio import AudioInfo
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.labelmap import load_label_map
from sercorpus.core.privacy import (
    MIN_KEY_CHARS,
    Pseudonymiser,
    TranscriptPolicy,
    resolve_key,
    reveals_id,
    searchable_ids,
    transcript_policy,
)
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Annotation, Utterance, qualified
from sercorpus.core.textfile import read_text_lines
from sercorpus.core.votes import MultiLabelPolicy, add_rater_votes, plurality, soft_from_votes
from sercorpus.core.votes import agreement as vote_share
from sercorpus.corpora.common import RecordSkip, cell_number, cell_text, check_audio
from sercorpus.corpora.nativelabels import (
    LabelMatcher,
    normalise,
    parse_scale,
    read_label_map_file,
    split_words,
)
from sercorpus.corpora.timings import Cue, read_timings, timing_format

CORPUS = "calls"
TABLE_NAMES = ("segments.csv", "segments.tsv", "segments.jsonl")
DIMS = ("arousal", "valence", "dominance")
END_TOLERANCE = 0.05  # s: aligners round to frames; a segment this close past the end is clipped, not dropped
OVERLAP_TOLERANCE = 0.001  # s: touching segments (end == next start) written with rounding are not overlaps

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

ROLE_ALIASES = {
    "agent": (
        "agent",
        "operator",
        "rep",
        "representative",
        "csr",
        "advisor",
        "adviser",
        "engineer",
        "technician",
        "support",
        "analyst",
    ),
    "customer": ("customer", "caller", "client", "user", "end_user", "enduser", "requester"),
}
_ROLE_BY_ALIAS = {alias: role for role, aliases in ROLE_ALIASES.items() for alias in aliases}
_GENDERS = {"m": "male", "male": "male", "man": "male", "f": "female", "female": "female", "woman": "female"}
_CHANNEL_NAMES = {"left": 0, "l": 0, "right": 1, "r": 1}


# ------------------------------------------------------------------------------------------- settings
@dataclass
class Settings:
    """Loader options, validated once."""

    roles: dict[str, int]
    split: str
    labels: LabelMatcher
    scale: tuple[float, float] | None
    policy: MultiLabelPolicy
    audio_dir: str
    link_dir: str | None
    id_in_filename: str


def parse_roles(value: str | Mapping[str, Any]) -> dict[str, int]:
    """``"agent=0,customer=1"`` (as ``--opt roles=...`` arrives) or a mapping -> role -> channel."""
    pairs = (
        value.items() if isinstance(value, Mapping) else (p.split("=", 1) for p in str(value).split(",") if p)
    )
    roles: dict[str, int] = {}
    for role, channel in pairs:
        try:
            roles[_canonical_role(str(role).strip()) or str(role).strip().lower()] = int(channel)
        except (TypeError, ValueError):
            raise ValueError(
                f"roles: expected ROLE=CHANNEL pairs like 'agent=0,customer=1', got {value!r}"
            ) from None
    return roles


def _settings(
    root: Path,
    roles: Any,
    split: str,
    labelmap: str | None,
    scale: Any,
    multi_label: str,
    audio_dir: str,
    link_dir: str | None,
    id_in_filename: str,
) -> Settings:
    if labelmap is not None:
        matcher, map_scale = read_label_map_file(root / labelmap)
    else:
        shipped = load_label_map(CORPUS)
        matcher, map_scale = LabelMatcher.from_label_map(shipped, f"labelmaps/{CORPUS}.yaml"), shipped.scale
    if id_in_filename not in ("warn", "error"):
        raise ValueError(f"id_in_filename must be 'warn' or 'error', got {id_in_filename!r}")
    return Settings(
        roles=parse_roles(roles),
        split=str(split).lower(),
        labels=matcher,
        scale=parse_scale(scale, "option scale") if scale is not None else map_scale,
        policy=MultiLabelPolicy(multi_label),
        audio_dir=audio_dir,
        link_dir=link_dir,
        id_in_filename=id_in_filename,
    )


# ---------------------------------------------------------------------------------------------- table
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


# ------------------------------------------------------------------------------------------------ rows
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


def _canonical_role(value: str) -> str | None:
    return _ROLE_BY_ALIAS.get(re.sub(r"[\s\-]+", "_", value.strip().lower()))


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
    role = _canonical_role(text) or text.lower()
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


# ------------------------------------------------------------------------------------------- timings
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


# ------------------------------------------------------------------------------------------- records
@dataclass
class Context:
    """Everything record building needs besides the segment."""

    pseudo: Pseudonymiser
    texts: TranscriptPolicy
    settings: Settings


def build_record(seg: Segment, audio_path: str, info: AudioInfo, ctx: Context) -> Utterance:
    """One schema record: votes from every rater (under the multi-label policy) plus vote-count columns."""
    row, pseudo = seg.row, ctx.pseudo
    call = pseudo("call", row.call)
    votes = dict(row.counts)
    for rating in row.ratings:
        add_rater_votes(votes, rating.categories, ctx.settings.policy)
    who = row.role or (f"ch{seg.channel}" if seg.channel is not None else "seg")
    share = vote_share(votes)  # None without votes
    return Utterance(
        id=qualified(CORPUS, f"{call}/{who}-{round(seg.start * 1000):08d}"),
        corpus=CORPUS,
        audio_path=audio_path,
        duration=round(seg.end - seg.start, 6),
        sample_rate=info.sample_rate,
        offset=round(seg.start, 6),
        num_channels=info.num_channels,
        channel=seg.channel,
        speaker=_speaker(row, pseudo),
        gender=row.gender,
        split=row.split,
        group=call,
        label=plurality(votes),
        votes=votes,
        soft_label=soft_from_votes(votes),
        transcript=ctx.texts.apply(seg.text),
        annotations=[
            Annotation(rater=pseudo("rater", r.rater), categories=r.categories, native=r.native, **r.dims)
            for r in row.ratings
        ],
        extra={
            "role": row.role,
            "line": row.line,
            "timing": seg.timing,
            "cue": row.cue,
            "raters": sum(1 for r in row.ratings if r.categories),
            "agreement": None if share is None else round(share, 4),
        },
        **consensus_dims(row),
    )


def _speaker(row: Row, pseudo: Pseudonymiser) -> str | None:
    """The speaker column, else one speaker per (call, role): a customer rarely has an id across calls."""
    if row.speaker is not None:
        return qualified(CORPUS, pseudo("speaker", row.speaker))
    if row.role is not None:
        return qualified(CORPUS, pseudo("speaker", f"{row.call}/{row.role}"))
    return None


def consensus_dims(row: Row) -> dict[str, float]:
    """The consensus columns, else the mean of the raters' normalised ratings."""
    out = dict(row.dims)
    for dim in DIMS:
        values = [r.dims[dim] for r in row.ratings if dim in r.dims]
        if dim not in out and values:
            out[dim] = sum(values) / len(values)
    return out


# -------------------------------------------------------------------------------------------- loader
def load_calls(
    root: str | Path,
    report: PrepareReport | None = None,
    *,
    table: str | None = None,
    audio_dir: str = ".",
    roles: str | Mapping[str, int] = "agent=0,customer=1",
    split: str = "test",
    labelmap: str | None = None,
    scale: str | list[float] | None = None,
    multi_label: str = "split",
    key: str | bytes | None = None,
    key_env: str | None = None,
    pseudonymise: bool = True,
    no_transcripts: bool = False,
    redact: str | None = None,
    link_dir: str | None = None,
    id_in_filename: str = "warn",
) -> Iterator[Utterance]:
    """Yield one record per valid segment-table row; options and column contract in ``manifests/CALLS.md``."""
    root = Path(root)
    report = report or PrepareReport(CORPUS)
    settings = _settings(
        root, roles, split, labelmap, scale, multi_label, audio_dir, link_dir, id_in_filename
    )
    table_path = find_table(root, table)
    rows = parse_rows(table_path, report, settings)
    if link_dir is not None and not pseudonymise:
        raise ValueError("link_dir writes pseudonymised links: it needs pseudonymise=true")
    pseudo = Pseudonymiser(resolve_key(key, key_env, root) if pseudonymise else None)
    raw_ids = searchable_ids([r.call for r in rows] + [r.speaker for r in rows if r.speaker])
    texts = transcript_policy(no_transcripts, redact, root, raw_ids if pseudo.active else ())
    ctx = Context(pseudo, texts, settings)
    _note_privacy(ctx, report, table_path)
    records = build_records(root, table_path, rows, ctx, report)
    summarise(records, ctx, report, table_path)
    yield from records


def parse_rows(table: Path, report: PrepareReport, settings: Settings) -> list[Row]:
    rows = []
    for line, cells in read_table(table, report):
        try:
            rows.append(parse_row(line, cells, settings))
        except RecordSkip as exc:
            report.skip(exc.reason, table, exc.detail, line)
    return rows


def build_records(
    root: Path, table: Path, rows: list[Row], ctx: Context, report: PrepareReport
) -> list[Utterance]:
    """Group rows by recording, probe each recording once, place, de-overlap and convert its segments."""
    by_audio: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        try:
            by_audio[audio_rel(root, row, ctx.settings.audio_dir)].append(row)
        except RecordSkip as exc:
            report.skip(exc.reason, table, exc.detail, row.line)
    cues = TimingCache(root)
    records: list[Utterance] = []
    for rel, group in sorted(by_audio.items()):
        call = ctx.pseudo("call", group[0].call)
        info = probe_recording(root, rel, group, report, table, call)
        if info is None:
            continue
        report.counts[f"recordings:{info.sample_rate}Hz_{info.num_channels}ch"] += 1
        placed = []
        for row in group:
            try:
                placed.append(place(row, info, ctx.settings, cues, report, table))
            except RecordSkip as exc:
                report.skip(exc.reason, table, exc.detail, row.line)
        placed = drop_overlaps(placed, info.num_channels > 1, report, table, f"call {call}")
        if placed:
            audio_path = output_audio_path(root, rel, group, ctx, report, table)
            records += [build_record(seg, audio_path, info, ctx) for seg in placed]
    return records


def audio_rel(root: Path, row: Row, audio_dir: str) -> str:
    """The row's recording relative to the root: the ``audio`` column, else ``<audio_dir>/<call id>.wav``."""
    if row.audio is None:
        base = posixpath.join(audio_dir, row.call)
        found = [base + ext for ext in (".wav", ".flac") if (root / (base + ext)).is_file()]
        return posixpath.normpath(found[0] if found else base + ".wav")
    candidate = row.audio.replace("\\", "/")
    if os.path.isabs(candidate):
        try:
            candidate = Path(candidate).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise RecordSkip("audio-outside-root", "its audio file lies outside the corpus root") from None
    else:
        candidate = posixpath.join(audio_dir, candidate)
    rel = posixpath.normpath(candidate)
    if rel == ".." or rel.startswith("../"):
        raise RecordSkip("audio-outside-root", "its audio path leaves the corpus root")
    return rel


#: check_audio skip reason -> a detail without the file name (file names may hold raw ids)
_AUDIO_PROBLEMS = {
    "missing-audio": "audio file not found",
    "unreadable-audio": "audio file unreadable or truncated",
    "empty-audio": "audio file holds no samples",
}


def probe_recording(
    root: Path, rel: str, rows: list[Row], report: PrepareReport, table: Path, call: str
) -> AudioInfo | None:
    """Header facts of one recording; a bad recording is a counted skip of each of its rows (table:line)."""
    scratch = PrepareReport(CORPUS)
    info = check_audio(root, rel, scratch, record=call)
    if info is None:
        reason = scratch.skipped[0].reason
        for row in rows:
            report.skip(
                reason, table, f"{_AUDIO_PROBLEMS.get(reason, reason)} (recording of call {call})", row.line
            )
    return info


def output_audio_path(
    root: Path, rel: str, rows: list[Row], ctx: Context, report: PrepareReport, table: Path
) -> str:
    """``audio_path`` for the manifest: a pseudonymised link (``link_dir``), else the real file name.

    The real file name is the one place a raw id can reach the outputs; it is checked and warned about
    (or refused, ``id_in_filename=error``) without printing the name itself.
    """
    if ctx.settings.link_dir is not None:
        return link_audio(root, rel, ctx.settings.link_dir, ctx.pseudo)
    raw_ids = {r.call for r in rows} | {r.speaker for r in rows if r.speaker}
    if ctx.pseudo.active and reveals_id(rel, raw_ids):
        message = (
            f"the audio file name of call {ctx.pseudo('call', rows[0].call)} contains a raw call or speaker "
            "id, which the manifest's audio_path will show; pass link_dir=DIR for pseudonymised links "
            "or rename the recordings"
        )
        if ctx.settings.id_in_filename == "error":
            raise CorpusFormatError(table, message, rows[0].line)
        report.note("file-name-reveals-id", table, message, rows[0].line)
        report.counts["privacy:file_names_with_raw_ids"] += 1
    return rel


def link_audio(root: Path, rel: str, link_dir: str, pseudo: Pseudonymiser) -> str:
    """A relative symlink ``<link_dir>/<audio pseudonym><ext>`` -> the recording (moves with the root)."""
    base = (root / link_dir).resolve()
    try:
        base_rel = base.relative_to(root.resolve())
    except ValueError:
        raise CorpusFormatError(
            base, "link_dir must lie inside the corpus root (audio_path is relative to it)"
        ) from None
    name = pseudo("audio", rel) + Path(rel).suffix.lower()
    link, target = base / name, os.path.relpath((root / rel).resolve(), base)
    base.mkdir(parents=True, exist_ok=True)
    if not (link.is_symlink() and os.readlink(link) == target):
        tmp = base / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(target, tmp)
        os.replace(tmp, link)
    return (base_rel / name).as_posix()


# ------------------------------------------------------------------------------------------- report
def _note_privacy(ctx: Context, report: PrepareReport, table: Path) -> None:
    if not ctx.pseudo.active:
        report.note(
            "pseudonymisation-off", table, "raw call, speaker and rater ids are kept (pseudonymise=false)"
        )
    elif len(ctx.pseudo.key or b"") < MIN_KEY_CHARS:
        report.note(
            "short-key",
            table,
            f"the pseudonymisation key has fewer than {MIN_KEY_CHARS} characters; a "
            "longer random key makes the pseudonyms harder to reverse by trying ids",
        )


def summarise(records: list[Utterance], ctx: Context, report: PrepareReport, table: Path) -> None:
    """Calls, transcript handling and annotator agreement into the report (numbers only, never text)."""
    report.counts["calls"] = len({u.group for u in records})
    report.counts["speakers"] = len({u.speaker for u in records if u.speaker})
    redactor = ctx.texts.redactor
    if not ctx.texts.keep:
        report.counts["transcripts:dropped"] = len(records)
    elif redactor is not None:
        report.counts["transcripts:redactions"] = redactor.replacements
    result = annotator_agreement(records)
    if result is None:
        report.note(
            "agreement", table, "fewer than two ratings per segment: annotator agreement not computed"
        )
        return
    for name, value in result.counts().items():
        report.counts[name] = value
    report.note("agreement", table, result.describe())


def annotator_agreement(records: list[Utterance]) -> agree.Agreement | None:
    """Raters' first choices (Cohen for two raters, Fleiss for more), else whole-number vote counts (Fleiss)."""
    items = [{a.rater: a.categories[0] for a in u.annotations if a.categories} for u in records]
    if any(len(item) >= 2 for item in items):
        return agree.from_rater_labels([item for item in items if item])
    lists = [
        [cat for cat, n in u.votes.items() for _ in range(int(n))]
        for u in records
        if not u.annotations and all(float(n).is_integer() for n in u.votes.values())
    ]
    return agree.from_label_lists(lists)
