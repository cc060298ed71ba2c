"""The profile file: one Parquet row per utterance, a ``<feature>_reason`` column beside every feature,
and the run's settings in the file metadata (so a resumed or repeated run can refuse to mix settings).

Rows are sorted by id and nothing time-dependent is stored: the same manifest and settings give a
byte-identical file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sercorpus.core.atomic import atomic_output
from sercorpus.profile.estimators import columns

METADATA_KEY = b"sercorpus_profile"
SEGMENT = pa.list_(pa.list_(pa.float64()))
ID_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("id", pa.string()),
    ("corpus", pa.string()),
    ("audio", pa.string()),
    ("offset", pa.float64()),
    ("segment_duration", pa.float64()),
    ("channel", pa.int32()),
)
INTEGER_FEATURES = {"sample_rate_hz", "channels"}


class ProfileError(ValueError):
    """A profile file is unreadable, not a profile, or was made with other settings."""


def schema(include_mos: bool, settings: Mapping[str, Any] | None = None) -> pa.Schema:
    fields = [pa.field(n, t) for n, t in ID_COLUMNS]
    for col in columns(include_mos=True):
        fields.append(pa.field(col, pa.int64() if col in INTEGER_FEATURES else pa.float64()))
        fields.append(pa.field(f"{col}_reason", pa.string()))
    fields.append(pa.field("speech_segments", SEGMENT))
    s = pa.schema(fields)
    if settings is not None:
        s = s.with_metadata({METADATA_KEY: json.dumps(dict(settings), sort_keys=True).encode()})
    return s


def to_table(rows: Sequence[Mapping[str, Any]], settings: Mapping[str, Any] | None = None) -> pa.Table:
    sch = schema(True, settings)
    fixed = []
    for row in rows:
        r = dict(row)
        for col in INTEGER_FEATURES:
            if r.get(col) is not None:
                r[col] = int(r[col])
        fixed.append(r)
    return pa.Table.from_pylist(fixed, schema=sch)


def write_table(path: Path, table: pa.Table) -> None:
    with atomic_output(path) as handle:
        pq.write_table(table, handle, compression="zstd")


def read_settings(path: str | Path) -> dict[str, Any]:
    try:
        meta = pq.read_schema(path).metadata or {}
    except (pa.ArrowInvalid, OSError) as exc:
        raise ProfileError(f"{path}: not a readable Parquet file ({exc})") from None
    if METADATA_KEY not in meta:
        raise ProfileError(f"{path}: not a sercorpus profile (no {METADATA_KEY.decode()} metadata)")
    return json.loads(meta[METADATA_KEY])


def read_profile(path: str | Path) -> pa.Table:
    """A profile as an Arrow table (validated to be one)."""
    read_settings(path)
    return pq.read_table(path)


def feature_columns(table: pa.Table) -> list[str]:
    """Numeric feature columns of a profile (those with a reason column beside them)."""
    names = set(table.column_names)
    return [c for c in table.column_names if f"{c}_reason" in names]
