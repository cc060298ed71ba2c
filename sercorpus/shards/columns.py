"""The columns of a shard row (Parquet) and the JSON of a WebDataset sample: one definition for both.

Labels keep the unified schema's meaning (vocabulary names, [0, 1] dimensions) so a shard row can be turned
back into a manifest record; ``augmentation`` holds the engine's provenance (seeds and every parameter), and
the ``source_*`` columns say which span of which file was decoded, so any sample can be replayed.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from sercorpus.core.schema import DIMENSIONS, VOCABULARY, Utterance

_DIST = pa.struct([pa.field(c, pa.float64()) for c in VOCABULARY])

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("copy", pa.int32(), nullable=False),
        pa.field("segment", pa.int32()),
        pa.field("corpus", pa.string(), nullable=False),
        pa.field("speaker", pa.string()),
        pa.field("gender", pa.string()),
        pa.field("split", pa.string()),
        pa.field("group", pa.string()),
        pa.field("label", pa.string()),
        pa.field("votes", _DIST),
        pa.field("soft_label", _DIST),
        *(pa.field(d, pa.float64()) for d in DIMENSIONS),
        pa.field("transcript", pa.string()),
        pa.field("augmentation", pa.string()),  # JSON provenance; null for clean copies
        pa.field("audio", pa.binary(), nullable=False),  # FLAC bytes (soundfile decodes them)
        pa.field("scale", pa.float32(), nullable=False),  # audio = decoded FLAC * scale
        pa.field("sample_rate", pa.int32(), nullable=False),
        pa.field("num_samples", pa.int64(), nullable=False),
        pa.field("duration", pa.float64(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),  # relative to the corpus root
        pa.field("source_offset", pa.float64(), nullable=False),
        pa.field("source_duration", pa.float64()),
        pa.field("source_channel", pa.int32()),
        pa.field("source_sample_rate", pa.int32()),
        pa.field("loudness", pa.string()),  # JSON: measured LUFS and gain, or why none; null when off
    ]
)
NAMES: tuple[str, ...] = tuple(SCHEMA.names)
#: what the loader's epoch plan needs, read without touching the audio column
PLAN_COLUMNS = ("id", "corpus", "label", "num_samples", "sample_rate")
#: columns whose values are already compressed or unique: no dictionary, no statistics, no zstd
BINARY_COLUMNS = ("audio",)


def dist_cell(dist: dict[str, float]) -> dict[str, float] | None:
    return {c: float(dist.get(c, 0.0)) for c in VOCABULARY} if dist else None


def cell_dist(cell: dict[str, float] | None) -> dict[str, float]:
    return {k: float(v) for k, v in (cell or {}).items() if v}


def label_columns(utt: Utterance, transcripts: bool) -> dict[str, Any]:
    """The per-utterance columns shared by all of its samples."""
    return {
        "source_id": utt.id,
        "corpus": utt.corpus,
        "speaker": utt.speaker,
        "gender": utt.gender,
        "split": utt.split,
        "group": utt.group,
        "label": utt.label,
        "votes": dist_cell(utt.votes),
        "soft_label": dist_cell(utt.soft_label),
        **{d: getattr(utt, d) for d in DIMENSIONS},
        "transcript": utt.transcript if transcripts else None,
    }


def to_json(value: Any) -> str | None:
    return (
        None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    )


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)
