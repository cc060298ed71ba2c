"""What gets augmented: a manifest or a folder of wav/flac files as items with stable ids, and decoding an
item at the engine's rate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sercorpus.augment.dsp import mono_at_rate
from sercorpus.core.audio import AudioError, audio_files, read_audio


class NonFiniteAudio(AudioError):
    """Decoded samples hold NaN or inf (they would turn a whole output into NaN)."""


@dataclass(frozen=True)
class InputItem:
    id: str
    path: Path
    offset: float = 0.0
    duration: float | None = None
    channel: int | None = None


def list_inputs(source: str | Path) -> list[InputItem]:
    """A manifest (.parquet/.jsonl) or a folder of wav/flac files -> items with stable ids."""
    source = Path(source)
    if source.is_dir():
        files = audio_files(source)
        if not files:
            raise FileNotFoundError(f"no .wav/.flac files under {source}")
        return [InputItem(p.relative_to(source).with_suffix("").as_posix(), p) for p in files]
    if not source.exists():
        raise FileNotFoundError(f"input not found: {source}")
    from sercorpus.core.manifest import read_manifest

    manifest = read_manifest(source)
    return [
        InputItem(u.id, manifest.audio_file(u), u.offset, u.duration, u.channel) for u in manifest.records
    ]


def load_item(item: InputItem, sample_rate: int) -> tuple[np.ndarray, int]:
    """Samples at ``sample_rate`` (mixed down when no channel is given) and the file's own rate."""
    y, rate = read_audio(item.path, item.offset, item.duration, item.channel)
    if not np.isfinite(y).all():
        raise NonFiniteAudio(f"{item.path}: non-finite samples (NaN or inf) in the audio of {item.id}")
    return np.asarray(mono_at_rate(y, rate, sample_rate), dtype=np.float32), rate


def item_from_provenance(provenance: Mapping[str, Any]) -> InputItem:
    """The input an output JSON was made from (its ``source``, ``offset``, ``duration``, ``channel``)."""
    if "source" not in provenance:
        raise ValueError("replay: the provenance names no source file; pass the input audio")
    return InputItem(
        str(provenance.get("id", "")),
        Path(provenance["source"]),
        float(provenance.get("offset") or 0.0),
        provenance.get("duration"),
        provenance.get("channel"),
    )
