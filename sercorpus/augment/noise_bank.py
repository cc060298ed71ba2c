"""Background-noise banks: clips decoded, trimmed, made loopable and resampled once, kept as one padded tensor.

Sources: an ESC-50 root in its native layout (via the corpus loader, filtered by major group and/or
category) or any folder of wav/flac files. Banks are cached per process, so configs built repeatedly share
the decoded audio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sercorpus.augment.dsp import mono_at_rate
from sercorpus.augment.padding import pad_batch
from sercorpus.core.audio import audio_files


@dataclass
class NoiseBank:
    """Noise clips decoded and resampled once, kept as one padded float32 tensor (moved once per device).

    Clips are trimmed of leading/trailing digital silence (ESC-50 pads short recordings with zeros) and
    made loopable: the last ``crossfade_s`` are crossfaded (equal power) into the start, so wrapping a
    short clip around for a long utterance has no click.
    """

    data: torch.Tensor  # (K, Lmax)
    lens: list[int]
    meta: list[dict[str, Any]]
    sample_rate: int
    _device_copies: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.lens)

    def on(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        key = str(device)
        if key not in self._device_copies:
            self._device_copies[key] = (
                self.data.to(device),
                torch.tensor(self.lens, dtype=torch.int64).to(device),
            )
        return self._device_copies[key]

    @classmethod
    def from_arrays(
        cls,
        clips: Sequence[np.ndarray],
        rates: Sequence[int],
        meta: Sequence[dict[str, Any]],
        sample_rate: int,
        crossfade_s: float = 0.05,
        min_seconds: float = 0.1,
    ) -> NoiseBank:
        kept, kept_meta = [], []
        for clip, rate, info in zip(clips, rates, meta, strict=True):
            y = _trim_silence(mono_at_rate(np.asarray(clip, dtype=np.float64), rate, sample_rate))
            if len(y) < min_seconds * sample_rate:
                continue
            kept.append(_make_loopable(y, int(crossfade_s * sample_rate)).astype(np.float32))
            kept_meta.append(dict(info))
        if not kept:
            raise ValueError(
                f"noise bank is empty: no clip has at least {min_seconds:g} s of non-silent audio"
            )
        data, _ = pad_batch(kept)
        return cls(data, [len(c) for c in kept], kept_meta, sample_rate)

    @classmethod
    def from_files(cls, paths: Sequence[Path], meta: Sequence[dict[str, Any]], sample_rate: int) -> NoiseBank:
        from sercorpus.core.audio import read_audio

        decoded = [read_audio(path) for path in paths]
        return cls.from_arrays([y for y, _ in decoded], [rate for _, rate in decoded], meta, sample_rate)

    @classmethod
    def from_folder(cls, folder: str | Path, sample_rate: int) -> NoiseBank:
        files = audio_files(folder)
        if not files:
            raise FileNotFoundError(f"no .wav/.flac noise files under {folder}")
        return cls.from_files(files, [{"clip": str(path.relative_to(folder))} for path in files], sample_rate)

    @classmethod
    def from_esc50(
        cls,
        root: str | Path,
        sample_rate: int,
        groups: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
    ) -> NoiseBank:
        """ESC-50 clips (via the corpus loader) of the given major groups and/or categories (all if neither)."""
        from sercorpus.corpora.esc50 import load_esc50

        records = list(load_esc50(root))
        if not records:
            raise ValueError(f"no ESC-50 clips found under {root}")
        chosen = [
            u
            for u in records
            if (not groups or u.extra["major_group_name"] in groups)
            and (not categories or u.extra["category"] in categories)
        ]
        if categories:
            present = {u.extra["category"] for u in records}
            missing = sorted(set(categories) - present)
            if missing:
                raise ValueError(
                    f"ESC-50 categories {missing} have no clips under {root}; present: {sorted(present)}"
                )
        if not chosen:
            raise ValueError(f"no ESC-50 clips under {root} match groups={groups} categories={categories}")
        meta = [
            {
                "clip": Path(u.audio_path).name,
                "category": u.extra["category"],
                "group": u.extra["major_group_name"],
            }
            for u in chosen
        ]
        return cls.from_files([Path(root) / u.audio_path for u in chosen], meta, sample_rate)


def _trim_silence(y: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    loud = np.flatnonzero(np.abs(y) > threshold * max(np.max(np.abs(y)), 1e-12))
    return y[loud[0] : loud[-1] + 1] if loud.size else y[:0]


def _make_loopable(y: np.ndarray, crossfade: int) -> np.ndarray:
    """Blend the last ``crossfade`` samples into the first ones so that y[-1] -> y[0] continues smoothly."""
    crossfade = min(crossfade, len(y) // 4)
    if crossfade < 2:
        return y
    ramp = np.sin(0.5 * np.pi * (np.arange(crossfade) + 0.5) / crossfade)
    head, body, tail = y[:crossfade], y[crossfade:-crossfade], y[-crossfade:]
    blended = tail * np.cos(0.5 * np.pi * (np.arange(crossfade) + 0.5) / crossfade) + head * ramp
    # loop = body + blended; after blended comes body[0] == y[crossfade], which followed head in the original
    return np.concatenate([body, blended])


_BANKS: dict[tuple[Any, ...], NoiseBank] = {}


def cached_bank(
    kind: str,
    source: str | Path,
    sample_rate: int,
    groups: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
) -> NoiseBank:
    """Decode a bank once per process (configs built repeatedly share it)."""
    key = (kind, str(Path(source).resolve()), sample_rate, tuple(groups or ()), tuple(categories or ()))
    if key not in _BANKS:
        if kind == "esc50":
            _BANKS[key] = NoiseBank.from_esc50(source, sample_rate, groups, categories)
        else:
            _BANKS[key] = NoiseBank.from_folder(source, sample_rate)
    return _BANKS[key]
