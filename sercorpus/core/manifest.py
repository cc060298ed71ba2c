"""Reading, writing and validating manifests (Parquet primary, JSONL for people and diffs).

Design points:
- rows are sorted by id and nothing time-dependent is stored, so the same input gives byte-identical files;
- ``audio_path`` is relative to a per-corpus root stored in the file's metadata, so a moved corpus only needs
  ``roots={...}`` (or ``--root corpus=DIR`` on the CLI) instead of a rewritten manifest;
- writes go to a temporary file that is renamed into place, so an interrupted run never leaves a file that
  looks complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sercorpus.core.atomic import atomic_output
from sercorpus.core.schema import (
    SCHEMA_VERSION,
    VOCABULARY,
    Annotation,
    Utterance,
    audio_path_problem,
    validate_utterance,
)

METADATA_KEY = b"sercorpus"
JSONL_HEADER_KEY = "sercorpus_manifest"
FORMATS = (".parquet", ".jsonl")


class ManifestError(ValueError):
    """A manifest (or a set of records) failed validation; ``problems`` lists every finding."""

    def __init__(self, source: str, problems: list[str], shown: int = 20):
        self.source = source
        self.problems = problems
        head = "\n  ".join(problems[:shown])
        more = f"\n  ... and {len(problems) - shown} more" if len(problems) > shown else ""
        super().__init__(f"{source}: {len(problems)} problem(s):\n  {head}{more}")


@dataclass
class Manifest:
    """Records plus where their audio lives."""

    records: list[Utterance]
    roots: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def audio_file(self, utt: Utterance) -> Path:
        try:
            root = self.roots[utt.corpus]
        except KeyError:
            raise ManifestError(
                "manifest",
                [
                    f"no root recorded for corpus {utt.corpus!r} (utterance {utt.id}); pass roots={{...}} "
                    f"(CLI: --root {utt.corpus}=DIR)"
                ],
            ) from None
        why = audio_path_problem(utt.audio_path)
        if why is not None:
            raise ManifestError("manifest", [f"{utt.id}: audio_path: {why}"])
        return Path(root) / utt.audio_path

    def corpora(self) -> list[str]:
        return sorted({u.corpus for u in self.records})


# ------------------------------------------------------------------------------------------ validation
def validate_records(
    records: Iterable[Utterance], source: str = "records", locations: list[str] | None = None
) -> list[str]:
    """Every problem in ``records`` as '<where> (id): field: why' strings; duplicates included.

    ``locations`` names each record as its file does (``line 7`` of a JSONL manifest); by default records
    are ``row 1``, ``row 2`` ... (1-based, like the rows of a Parquet file).
    """
    problems: list[str] = []
    seen: dict[str, str] = {}
    for index, utt in enumerate(records):
        where = locations[index] if locations is not None else f"row {index + 1}"
        for problem in validate_utterance(utt):
            problems.append(f"{where} ({utt.id}): {problem}")
        if utt.id in seen:
            problems.append(f"{where} ({utt.id}): id: duplicate of {seen[utt.id]}")
        else:
            seen[utt.id] = where
    return problems


def check_records(
    records: list[Utterance], source: str = "records", locations: list[str] | None = None
) -> None:
    problems = validate_records(records, source, locations)
    if problems:
        raise ManifestError(source, problems)


def check_audio_paths(records: Iterable[Utterance], source: str, locations: list[str] | None = None) -> None:
    """Refuse absolute ``audio_path``s and ones that leave their corpus root (``../../etc/passwd``).

    Run on every read, validated or not: a manifest is input, and its paths are opened later.
    """
    problems = []
    for index, utt in enumerate(records):
        why = audio_path_problem(utt.audio_path)
        if why is not None:
            where = locations[index] if locations is not None else f"row {index + 1}"
            problems.append(f"{where} ({utt.id}): audio_path: {why}")
    if problems:
        raise ManifestError(source, problems)


# -------------------------------------------------------------------------------------------- arrow
_DIST = pa.struct([pa.field(c, pa.float64()) for c in VOCABULARY])
_ANNOTATION = pa.struct(
    [
        pa.field("rater", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("categories", pa.list_(pa.string())),
        pa.field("secondary", pa.list_(pa.string())),
        pa.field("native", pa.list_(pa.string())),
        pa.field("arousal", pa.float64()),
        pa.field("valence", pa.float64()),
        pa.field("dominance", pa.float64()),
        pa.field("sentiment", pa.float64()),
    ]
)
_ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "corpus": pa.string(),
    "audio_path": pa.string(),
    "duration": pa.float64(),
    "sample_rate": pa.int32(),
    "offset": pa.float64(),
    "num_channels": pa.int32(),
    "channel": pa.int32(),
    "speaker": pa.string(),
    "gender": pa.string(),
    "split": pa.string(),
    "group": pa.string(),
    "label": pa.string(),
    "votes": _DIST,
    "soft_label": _DIST,
    "arousal": pa.float64(),
    "valence": pa.float64(),
    "dominance": pa.float64(),
    "sentiment": pa.float64(),
    "transcript": pa.string(),
    "annotations": pa.list_(_ANNOTATION),
    "extra": pa.string(),  # JSON object: its keys differ per corpus
}
_REQUIRED = ("id", "corpus", "audio_path", "duration", "sample_rate")
assert list(_ARROW_TYPES) == [f.name for f in fields(Utterance)], "arrow schema out of sync with Utterance"


def arrow_schema(meta: Mapping[str, Any] | None = None) -> pa.Schema:
    schema = pa.schema([pa.field(n, t, nullable=n not in _REQUIRED) for n, t in _ARROW_TYPES.items()])
    if meta is not None:
        schema = schema.with_metadata({METADATA_KEY: json.dumps(meta, sort_keys=True).encode()})
    return schema


def _to_arrow_row(utt: Utterance) -> dict[str, Any]:
    row = utt.to_dict()
    for name in ("votes", "soft_label"):
        row[name] = {c: row[name].get(c, 0.0) for c in VOCABULARY} if row[name] else None
    row["extra"] = json.dumps(row["extra"], sort_keys=True, ensure_ascii=False)
    return row


def _from_arrow_row(row: dict[str, Any]) -> Utterance:
    for name in ("votes", "soft_label"):
        row[name] = {k: v for k, v in (row[name] or {}).items() if v}
    row["extra"] = json.loads(row["extra"]) if row["extra"] else {}
    row["annotations"] = [Annotation.from_dict(a) for a in row["annotations"] or []]
    return Utterance.from_dict(row)


# ---------------------------------------------------------------------------------------- write/read
def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: manifest format is chosen by extension; use one of {FORMATS}")
    return suffix


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Refuse a manifest path that cannot be written, before any work: wrong extension, an existing
    directory, or a folder on the way that is a file. One-line ValueErrors naming the path."""
    path = Path(path)
    _format_of(path)
    if path.is_dir():
        raise ValueError(
            f"{path}: is a directory; name the manifest file to write, e.g. {path / 'NAME.parquet'}"
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{path}: cannot be written, {parent} is a file, not a folder")
            break
    return path


def write_manifest(
    path: str | os.PathLike[str],
    records: Iterable[Utterance],
    roots: Mapping[str, str | os.PathLike[str]],
    meta: Mapping[str, Any] | None = None,
    validate: bool = True,
) -> Path:
    """Write ``records`` sorted by id to ``path`` (.parquet or .jsonl); validation errors name rows."""
    path = check_output_path(path)
    fmt = _format_of(path)
    ordered = sorted(records, key=lambda u: u.id)
    if validate:
        check_records(ordered, str(path))
    used = sorted({u.corpus for u in ordered})
    missing = [c for c in used if c not in roots]
    if missing:
        raise ValueError(f"{path}: no root given for corpora {missing}")
    header = {
        "schema_version": SCHEMA_VERSION,
        "roots": {c: str(Path(roots[c])) for c in used},
        **({"meta": dict(meta)} if meta else {}),
    }
    if fmt == ".parquet":
        table = pa.Table.from_pylist([_to_arrow_row(u) for u in ordered], schema=arrow_schema(header))
        with atomic_output(path) as handle:
            pq.write_table(table, handle, compression="zstd")
    else:
        with atomic_output(path, "w") as handle:
            handle.write(json.dumps({JSONL_HEADER_KEY: header}, sort_keys=True, ensure_ascii=False) + "\n")
            for utt in ordered:
                handle.write(json.dumps(utt.to_dict(), ensure_ascii=False) + "\n")
    return path


def read_manifest(
    path: str | os.PathLike[str],
    roots: Mapping[str, str | os.PathLike[str]] | None = None,
    validate: bool = True,
) -> Manifest:
    """Read a manifest; ``roots`` overrides the stored corpus roots (for a corpus that moved).

    Problems name the file's own places: ``line N`` of a JSONL manifest, ``row N`` (1-based) of a Parquet
    one. Audio paths that are absolute or leave their corpus root are refused even with ``validate=False``.
    """
    path = Path(path)
    fmt = _format_of(path)
    if not path.is_file():
        raise FileNotFoundError(f"manifest not found: {path}")
    if fmt == ".parquet":
        header, records, locations = _read_parquet(path)
    else:
        header, records, locations = _read_jsonl(path)
    version = header.get("schema_version")
    if version is None or str(version).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ManifestError(
            str(path), [f"schema version {version!r} is not compatible with {SCHEMA_VERSION}"]
        )
    check_audio_paths(records, str(path), locations)
    if validate:
        check_records(records, str(path), locations)
    stored = dict(header.get("roots") or {})
    stored.update({k: str(v) for k, v in (roots or {}).items()})
    return Manifest(records=records, roots=stored, meta=dict(header.get("meta") or {}))


def _read_parquet(path: Path) -> tuple[dict[str, Any], list[Utterance], list[str]]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ManifestError(str(path), [f"not a readable Parquet file: {exc}"]) from exc
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise ManifestError(
            str(path), ["Parquet file carries no sercorpus metadata (not a sercorpus manifest)"]
        )
    missing = [n for n in _ARROW_TYPES if n not in table.column_names]
    if missing:
        raise ManifestError(str(path), [f"missing column(s) {missing}"])
    records = []
    for row_no, row in enumerate(table.to_pylist(), start=1):
        try:
            records.append(_from_arrow_row(row))
        except _RECORD_ERRORS as exc:
            raise ManifestError(str(path), [f"row {row_no} ({row.get('id')}): {exc}"]) from exc
    return json.loads(raw), records, [f"row {n}" for n in range(1, len(records) + 1)]


#: what a malformed record raises on its way into an Utterance (each becomes a message naming its place)
_RECORD_ERRORS = (KeyError, ValueError, TypeError, AttributeError)


def _read_jsonl(path: Path) -> tuple[dict[str, Any], list[Utterance], list[str]]:
    """Header and records with their line numbers; bytes are decoded line by line so that a non-UTF-8 line
    is named, not reported as an anonymous decode error."""
    header: dict[str, Any] | None = None
    records: list[Utterance] = []
    lines: list[str] = []
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ManifestError(
                    str(path), [f"line {line_no}: not UTF-8 text (byte {exc.start + 1} of the line)"]
                ) from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError(str(path), [f"line {line_no}: invalid JSON: {exc.msg}"]) from exc
            if header is None:
                if not isinstance(obj, dict) or JSONL_HEADER_KEY not in obj:
                    raise ManifestError(
                        str(path), [f"line {line_no}: first line must be the {JSONL_HEADER_KEY} header"]
                    )
                header = obj[JSONL_HEADER_KEY]
                continue
            if not isinstance(obj, dict):
                raise ManifestError(str(path), [f"line {line_no}: a record must be a JSON object"])
            try:
                records.append(Utterance.from_dict(obj))
            except _RECORD_ERRORS as exc:
                raise ManifestError(str(path), [f"line {line_no} ({obj.get('id')}): {exc}"]) from exc
            lines.append(f"line {line_no}")
    if header is None:
        raise ManifestError(str(path), ["empty file: no header line"])
    return header, records, lines
