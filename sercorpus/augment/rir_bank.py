"""Room-impulse-response banks: RIR files decoded, reduced to one channel, resampled, direct-path aligned and
energy-normalised once (any rate, any channel count), cached per process."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sercorpus.augment.dsp import mono_at_rate
from sercorpus.augment.padding import pad_batch

_LEAD_S = 0.001  # keep 1 ms before the direct-path peak (band-limited onsets start a little early)


@dataclass
class RIRBank:
    """Impulse responses decoded, reduced to one channel, resampled and direct-path aligned once."""

    data: torch.Tensor  # (K, Lmax), the direct-path peak at index `lead`
    lens: list[int]
    names: list[str]
    sample_rate: int
    lead: int
    _device_copies: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)

    def on(self, device: torch.device) -> torch.Tensor:
        key = str(device)
        if key not in self._device_copies:
            self._device_copies[key] = self.data.to(device)
        return self._device_copies[key]

    @classmethod
    def from_files(
        cls,
        paths: Sequence[str | Path],
        sample_rate: int,
        channel: str | int = "first",
        max_seconds: float | None = None,
    ) -> RIRBank:
        from sercorpus.core.audio import read_audio

        lead = int(round(_LEAD_S * sample_rate))
        rirs, names = [], []
        for path in paths:
            h, rate = read_audio(path)
            if h.ndim == 2:
                if channel == "mix":
                    h = h.mean(axis=1)
                else:
                    index = 0 if channel == "first" else int(channel)
                    if index >= h.shape[1]:
                        raise ValueError(f"{path}: channel {index} requested, RIR has {h.shape[1]}")
                    h = h[:, index]
            h = mono_at_rate(np.asarray(h, dtype=np.float64), rate, sample_rate)
            peak = int(np.argmax(np.abs(h)))
            start = peak - lead
            h = np.concatenate([np.zeros(max(0, -start)), h[max(0, start) :]])
            if max_seconds is not None:
                keep = int(max_seconds * sample_rate)
                if len(h) > keep:
                    fade = min(keep // 4, int(0.01 * sample_rate))
                    h = h[:keep].copy()
                    h[keep - fade :] *= np.linspace(1.0, 0.0, fade)
            energy = float(np.sum(h**2))
            if energy <= 0:
                raise ValueError(f"{path}: impulse response is silent")
            rirs.append((h / math.sqrt(energy)).astype(np.float32))
            names.append(Path(path).name)
        if not rirs:
            raise ValueError("no impulse responses given")
        data, _ = pad_batch(rirs)
        return cls(data, [len(h) for h in rirs], names, sample_rate, lead)


_RIR_BANKS: dict[tuple[Any, ...], RIRBank] = {}


def cached_rir_bank(
    paths: Sequence[str], sample_rate: int, channel: str | int, max_seconds: float | None
) -> RIRBank:
    """Decode a RIR bank once per process."""
    key = (tuple(paths), sample_rate, channel, max_seconds)
    if key not in _RIR_BANKS:
        _RIR_BANKS[key] = RIRBank.from_files(paths, sample_rate, channel, max_seconds)
    return _RIR_BANKS[key]
