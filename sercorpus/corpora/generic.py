"""Bring-your-own corpus: a YAML spec maps a CSV table or a folder of audio files onto the schema.

Adding a corpus is writing the spec, not code (``docs/CUSTOM_CORPORA.md`` documents every key;
``manifests/custom_example.yaml`` and ``manifests/custom_folder_example.yaml`` are worked examples).

- ``csv`` mode (spec key ``table``): one row per utterance; ``columns`` names the column of each field,
  like nkululeko's CSV databases (``file,speaker,gender,emotion,...``).
- ``folder`` mode (spec key ``files``): one utterance per audio file; fields come from named groups of a
  file-name regex (EmoDB's ``03a01Fa.wav`` = speaker 03, text a01, emotion F, take a).

Both modes can use ``files.pattern`` to fill fields from file names. The spec's ``name`` is the corpus name of
the records (ids ``<name>/<utterance>``), so several custom corpora can be merged and keep their own roots.
"""

from __future__ import annotations

import csv
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from sercorpus.core.audio import AudioInfo
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.privacy import (
    DEFAULT_MIN_DIGITS,
    Pseudonymiser,
    TranscriptPolicy,
    resolve_key,
    transcript_policy,
)
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import DIMENSIONS, VOCABULARY, Annotation, Utterance, qualified
from sercorpus.core.textfile import read_text_lines
from sercorpus.core.votes import MultiLabelPolicy, add_rater_votes, plurality, soft_from_votes
from sercorpus.corpora.common import RecordSkip, cell_number, cell_text, check_audio
from sercorpus.corpora.nativelabels import LabelMatcher, normalise, parse_scale, split_words
from sercorpus.corpora.options import LoaderOptions, loader, option

SPEC_FILE = "sercorpus.yaml"
SPEC_KEYS = (
    "name",
    "description",
    "table",
    "delimiter",
    "audio_dir",
    "columns",
    "files",
    "labels",
    "unknown_labels",
    "scale",
    "genders",
    "speaker_genders",
    "splits",
    "speaker_splits",
    "default_split",
    "multi_label",
    "pseudonymise",
)
COLUMN_FIELDS = (
    "audio",
    "id",
    "speaker",
    "gender",
    "split",
    "label",
    "raters",
    "transcript",
    "offset",
    "duration",
    *DIMENSIONS,
)
FILE_KEYS = ("glob", "pattern", "path_pattern")
#: named regex groups that fill schema fields; any other group lands in ``extra``
GROUP_FIELDS = ("id", "speaker", "gender", "split", "label", "transcript")
DEFAULT_GENDERS = {"m": "male", "male": "male", "f": "female", "female": "female", "w": "female"}


# ------------------------------------------------------------------------------------------------ spec
@dataclass
class Spec:
    """A validated corpus spec (see ``docs/CUSTOM_CORPORA.md``)."""

    path: Path
    name: str
    table: str | None
    delimiter: str
    audio_dir: str
    columns: dict[str, Any]
    glob: str
    pattern: re.Pattern[str] | None
    path_pattern: re.Pattern[str] | None
    labels: LabelMatcher
    unknown_labels: str
    scale: tuple[float, float] | None
    genders: dict[str, str]
    speaker_genders: dict[str, str]
    splits: dict[str, str]
    speaker_splits: dict[str, str]  # speaker -> split
    default_split: str | None
    policy: MultiLabelPolicy
    pseudonymise: bool
    extra_groups: list[str] = field(default_factory=list)


def find_spec(root: Path, spec: str | None) -> Path:
    """``spec`` relative to the corpus root (else to the working directory), default ``<root>/sercorpus.yaml``."""
    if spec is None:
        path = root / SPEC_FILE
        if not path.is_file():
            raise CorpusFormatError(
                path, "no corpus spec: write one (see docs/CUSTOM_CORPORA.md) or pass --opt spec=FILE"
            )
        return path
    for path in (root / spec, Path(spec)):
        if path.is_file():
            return path
    raise CorpusFormatError(
        spec, "corpus spec not found (looked in the corpus root and the working directory)"
    )


def read_spec(path: Path) -> Spec:
    """Parse and check a spec; every mistake is a CorpusFormatError naming the spec file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CorpusFormatError(
            path, f"invalid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None
        ) from None
    if not isinstance(raw, dict):
        raise CorpusFormatError(path, "a spec is a YAML mapping (see docs/CUSTOM_CORPORA.md)")
    _known_keys(path, "spec", raw, SPEC_KEYS)
    name = str(raw.get("name") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise CorpusFormatError(path, f"'name' must be a short id (letters, digits, . _ -), got {name!r}")
    from sercorpus.corpora import CORPORA

    if name in CORPORA:
        raise CorpusFormatError(path, f"'name' {name!r} is a built-in corpus name; choose another")
    if "table" not in raw and "files" not in raw:
        raise CorpusFormatError(path, "give 'table' (csv mode) or 'files' (folder mode)")
    if "table" in raw and "glob" in (raw.get("files") or {}):
        raise CorpusFormatError(
            path, "files.glob is for folder mode; a csv spec lists its files in the table"
        )
    columns = dict(raw.get("columns") or {})
    _known_keys(path, "columns", columns, COLUMN_FIELDS)
    if "table" in raw and "audio" not in columns:
        raise CorpusFormatError(path, "csv mode needs columns.audio (the column holding the audio file path)")
    files = dict(raw.get("files") or {})
    _known_keys(path, "files", files, FILE_KEYS)
    pattern, path_pattern = _regex(path, files, "pattern"), _regex(path, files, "path_pattern")
    if "files" in raw and pattern is None and path_pattern is None:
        raise CorpusFormatError(
            path, "folder mode needs files.pattern (or files.path_pattern) to find labels"
        )
    groups = [g for p in (pattern, path_pattern) if p for g in p.groupindex]
    if any(d in columns for d in DIMENSIONS) and raw.get("scale") is None:
        raise CorpusFormatError(path, "dimensional columns need 'scale: [lo, hi]' (the native rating scale)")
    unknown_labels = str(raw.get("unknown_labels", "skip"))
    if unknown_labels not in ("skip", "error"):
        raise CorpusFormatError(path, f"unknown_labels must be 'skip' or 'error', got {unknown_labels!r}")
    return Spec(
        path=path,
        name=name,
        table=raw.get("table"),
        delimiter=str(raw.get("delimiter", "\t" if str(raw.get("table", "")).endswith(".tsv") else ",")),
        audio_dir=str(raw.get("audio_dir", ".")),
        columns=columns,
        glob=str(files.get("glob", "**/*.wav")),
        pattern=pattern,
        path_pattern=path_pattern,
        labels=LabelMatcher(raw.get("labels") or {c: c for c in VOCABULARY}, str(path)),
        unknown_labels=unknown_labels,
        scale=parse_scale(raw.get("scale"), str(path)),
        genders=_gender_map(path, raw.get("genders") or DEFAULT_GENDERS, "genders"),
        speaker_genders=_gender_map(path, raw.get("speaker_genders") or {}, "speaker_genders"),
        splits={str(k): str(v).lower() for k, v in (raw.get("splits") or {}).items()},
        speaker_splits=_speaker_splits(path, raw.get("speaker_splits") or {}),
        default_split=str(raw["default_split"]).lower() if raw.get("default_split") else None,
        policy=MultiLabelPolicy(raw.get("multi_label", "split")),
        pseudonymise=bool(raw.get("pseudonymise", False)),
        extra_groups=[g for g in groups if g not in GROUP_FIELDS],
    )


def _known_keys(path: Path, where: str, values: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(set(map(str, values)) - set(known))
    if unknown:
        raise CorpusFormatError(path, f"unknown key(s) {unknown} in {where}; known: {list(known)}")


def _regex(path: Path, files: Mapping[str, Any], key: str) -> re.Pattern[str] | None:
    if files.get(key) is None:
        return None
    try:
        return re.compile(str(files[key]))
    except re.error as exc:
        raise CorpusFormatError(path, f"files.{key} is not a valid regular expression: {exc}") from None


def _gender_map(path: Path, values: Mapping[Any, Any], key: str) -> dict[str, str]:
    out = {str(k).lower(): str(v).lower() for k, v in values.items()}
    bad = sorted({v for v in out.values() if v not in ("female", "male")})
    if bad:
        raise CorpusFormatError(path, f"{key} values must be female or male, got {bad}")
    return out


def _speaker_splits(path: Path, values: Mapping[Any, Any]) -> dict[str, str]:
    """``{split: [speakers]}`` -> speaker -> split; a speaker in two splits is an error (it would leak)."""
    out: dict[str, str] = {}
    for split, speakers in values.items():
        for speaker in speakers if isinstance(speakers, list) else [speakers]:
            if str(speaker) in out:
                raise CorpusFormatError(
                    path, f"speaker {speaker!r} listed in splits {out[str(speaker)]} and {split}"
                )
            out[str(speaker)] = str(split).lower()
    return out


# ------------------------------------------------------------------------------------------------ items
@dataclass
class Item:
    """One candidate utterance before checks: where it was listed and its raw field values."""

    source: Path
    line: int | None
    audio: str  # relative to the corpus root
    name: str  # relative to audio_dir, without extension: the default utterance id
    fields: dict[str, Any]


def table_items(root: Path, spec: Spec, report: PrepareReport) -> Iterator[Item]:
    """Rows of the spec's table; missing columns are a spec error, short rows counted skips."""
    table = root / str(spec.table)
    reader = csv.reader(read_text_lines(table), delimiter=spec.delimiter)
    header = next(reader, None) or []
    wanted = {f: c for f, c in spec.columns.items() if f != "raters"}
    raters = [str(c) for c in spec.columns.get("raters") or []]
    missing = [c for c in [*wanted.values(), *raters] if c not in header]
    if missing:
        raise CorpusFormatError(
            table, f"column(s) {missing} named in {spec.path.name} are not in the header {header}", 1
        )
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        report.read += 1
        if len(values) != len(header):
            report.skip(
                "malformed-row", table, f"expected {len(header)} fields, got {len(values)}", reader.line_num
            )
            continue
        row = dict(zip(header, values, strict=True))
        fields: dict[str, Any] = {f: row[c] for f, c in wanted.items()}
        fields["raters"] = {r: row[r] for r in raters}
        listed = row[wanted["audio"]].replace("\\", "/")
        audio = posixpath.normpath(posixpath.join(spec.audio_dir, listed))
        yield Item(table, reader.line_num, audio, str(PurePosixPath(listed).with_suffix("")), fields)


def folder_items(root: Path, spec: Spec, report: PrepareReport) -> Iterator[Item]:
    """Audio files matching ``files.glob`` under ``audio_dir``, in sorted order."""
    base = root / spec.audio_dir
    for path in sorted(p for p in base.glob(spec.glob) if p.is_file()):
        report.read += 1
        yield Item(
            path,
            None,
            path.relative_to(root).as_posix(),
            path.relative_to(base).with_suffix("").as_posix(),
            {},
        )


def with_pattern_fields(item: Item, spec: Spec) -> Item:
    """Fill fields from ``files.pattern`` (whole file name without extension) and ``files.path_pattern``."""
    found: dict[str, str] = {}
    stem = Path(item.audio).stem
    for pattern, text, match in (
        (spec.pattern, stem, re.fullmatch),
        (spec.path_pattern, item.audio, re.search),
    ):
        if pattern is None:
            continue
        hit = match(pattern, text)
        if hit is None:
            raise RecordSkip(
                "unmatched-file-name",
                f"file name does not match files.{'pattern' if pattern is spec.pattern else 'path_pattern'}",
            )
        found.update({k: v for k, v in hit.groupdict().items() if v is not None})
    return Item(
        item.source,
        item.line,
        item.audio,
        item.name,
        {**found, **{k: v for k, v in item.fields.items() if v}},
    )


# ---------------------------------------------------------------------------------------------- records
@dataclass
class Context:
    root: Path
    spec: Spec  # spec.name is the records' corpus: custom corpora stay distinct (own ids, own roots)
    report: PrepareReport
    pseudo: Pseudonymiser
    texts: TranscriptPolicy


def to_record(item: Item, ctx: Context) -> Utterance | None:
    """Checks and conversion of one item: labels and values first, then the audio header."""
    spec = ctx.spec
    native_id = cell_text(item.fields.get("id")) or item.name
    utt_id = qualified(spec.name, native_id)
    if item.audio == ".." or item.audio.startswith(("../", "/")):
        raise RecordSkip(
            "audio-outside-root", "audio path leaves the corpus root (audio_path must be relative)"
        )
    votes, annotations = _votes(item, spec)
    dims = _dimensions(item, spec)
    speaker = cell_text(item.fields.get("speaker"))
    info = check_audio(ctx.root, item.audio, ctx.report, utt_id, label_file=item.source, line=item.line)
    if info is None:
        return None
    offset, duration = _span(item, info)
    return Utterance(
        id=utt_id,
        corpus=spec.name,
        audio_path=item.audio,
        duration=duration,
        sample_rate=info.sample_rate,
        offset=offset,
        num_channels=info.num_channels,
        speaker=qualified(spec.name, ctx.pseudo("speaker", speaker)) if speaker else None,
        gender=_gender(item, spec, speaker, ctx.report),
        split=_split(item, spec, speaker),
        label=plurality(votes),
        votes=votes,
        soft_label=soft_from_votes(votes),
        transcript=ctx.texts.apply(cell_text(item.fields.get("transcript"))),
        annotations=annotations,
        extra={"dataset": spec.name, **{g: item.fields[g] for g in spec.extra_groups if g in item.fields}},
        arousal=dims.get("arousal"),
        valence=dims.get("valence"),
        dominance=dims.get("dominance"),
        sentiment=dims.get("sentiment"),
    )


def _gender(item: Item, spec: Spec, speaker: str | None, report: PrepareReport) -> str | None:
    """The gender field through ``genders``, else ``speaker_genders``; an unmapped value is counted."""
    native = cell_text(item.fields.get("gender"))
    if native is None:
        return spec.speaker_genders.get((speaker or "").lower())
    gender = spec.genders.get(native.lower())
    if gender is None:
        report.counts["gender:unmapped"] += 1
    return gender


def _span(item: Item, info: AudioInfo) -> tuple[float, float]:
    """Offset/duration columns (segments of longer files) or the whole file."""
    offset = cell_number(item.fields.get("offset"), "offset") or 0.0
    duration = cell_number(item.fields.get("duration"), "duration")
    duration = info.duration - offset if duration is None else duration
    if offset < 0 or duration <= 0:
        raise RecordSkip("out-of-range", f"offset {offset:g} s / duration {duration:g} s")
    if offset + duration > info.duration + 0.05:
        raise RecordSkip(
            "past-end-of-audio",
            f"segment ends at {offset + duration:.3f} s, the file at {info.duration:.3f} s",
        )
    return round(offset, 6), round(min(duration, info.duration - offset), 6)


def _categories(native: str, spec: Spec) -> list[str]:
    try:
        return spec.labels.categories(split_words(native))
    except KeyError as exc:
        raise RecordSkip("unknown-label", f"label {exc.args[0]!r} is not in the spec's labels map") from None


def _votes(item: Item, spec: Spec) -> tuple[dict[str, float], list[Annotation]]:
    """One label per item (a vote of 1), or one vote per rater column under the spec's multi-label policy."""
    votes: dict[str, float] = {}
    annotations = []
    for rater, native in (item.fields.get("raters") or {}).items():
        if cell_text(native):
            cats = _categories(native, spec)
            add_rater_votes(votes, cats, spec.policy)
            annotations.append(Annotation(rater=rater, categories=cats, native=split_words(native)))
    label = cell_text(item.fields.get("label"))
    if label and not annotations:
        add_rater_votes(votes, _categories(label, spec), spec.policy)
    return votes, annotations


def _split(item: Item, spec: Spec, speaker: str | None) -> str | None:
    native = cell_text(item.fields.get("split"))
    if native is not None:
        return spec.splits.get(native, native.lower())
    return spec.speaker_splits.get(speaker or "", spec.default_split)


def _dimensions(item: Item, spec: Spec) -> dict[str, float]:
    out = {}
    for dim in DIMENSIONS:
        value = cell_number(item.fields.get(dim), dim)
        if value is None:
            continue
        assert spec.scale is not None  # read_spec insists on a scale when a dimension column is named
        scaled = normalise(value, spec.scale)
        if scaled is None:
            raise RecordSkip("out-of-range", f"{dim} {value:g} outside the spec's scale {list(spec.scale)}")
        out[dim] = scaled
    return out


# ---------------------------------------------------------------------------------------------- loaders
@dataclass(frozen=True)
class GenericOptions(LoaderOptions):
    spec: str | None = option(
        None,
        "the corpus spec, relative to the root (else the working directory); default <root>/sercorpus.yaml",
    )
    key: str | bytes | None = option(None, "pseudonymisation key (library use; never recorded)")
    key_env: str | None = option(None, "environment variable holding the pseudonymisation key")
    no_transcripts: bool = option(False, "leave transcripts out of the manifest")
    redact: str | None = option(None, "file of words/phrases to replace by [REDACTED] in transcripts")
    redact_classes: str = option(
        "none", "pattern classes redacted from transcripts: email, phone, digits (comma-separated) or none"
    )
    redact_min_digits: int = option(DEFAULT_MIN_DIGITS, "digits class: words with a run of this many digits")


def load_generic(
    root: Path, report: PrepareReport, mode: str, options: GenericOptions
) -> Iterator[Utterance]:
    """Read the corpus a spec describes; ``mode`` ('csv'/'folder') must match the spec."""
    key, key_env = options.key, options.key_env
    parsed = read_spec(find_spec(root, options.spec))
    if (mode == "csv") != (parsed.table is not None):
        other = "folder" if mode == "csv" else "csv"
        raise CorpusFormatError(
            parsed.path, f"this spec describes a {other} corpus: use `sercorpus prepare {other}`"
        )
    wants_key = parsed.pseudonymise or key is not None or key_env is not None
    pseudo = Pseudonymiser(resolve_key(key, key_env, root) if wants_key else None)
    texts = transcript_policy(
        options.no_transcripts, options.redact, root, (), options.redact_classes, options.redact_min_digits
    )
    ctx = Context(root, parsed, report, pseudo, texts)
    items = table_items(root, parsed, report) if mode == "csv" else folder_items(root, parsed, report)
    for item in items:
        try:
            record = to_record(with_pattern_fields(item, parsed), ctx)
        except RecordSkip as exc:
            if exc.reason == "unknown-label" and parsed.unknown_labels == "error":
                raise CorpusFormatError(item.source, exc.detail, item.line) from None
            report.skip(exc.reason, item.source, exc.detail, item.line)
            continue
        if record is not None:
            yield record


@loader("csv", GenericOptions)
def load_csv(root: Path, report: PrepareReport, options: GenericOptions) -> Iterator[Utterance]:
    """A corpus described by a table (spec key ``table``); spec defaults to ``<root>/sercorpus.yaml``."""
    return load_generic(root, report, "csv", options)


@loader("folder", GenericOptions)
def load_folder(root: Path, report: PrepareReport, options: GenericOptions) -> Iterator[Utterance]:
    """A folder of audio files whose names carry the labels (spec key ``files``)."""
    return load_generic(root, report, "folder", options)
