"""Feature-level augmentation: length-aware SpecAugment on (B, F, frames) features, plus a log-mel front end.

Masks are drawn per example from its own seed; time-mask widths are fractions of that example's valid
frame count and both kinds of mask stay inside the valid frames (lhotse#648 and NeMo PR #2398 are the
padding bugs this avoids). Padded frames are never touched.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from sercorpus.augment.base import Op, check_choice, check_int, check_range, register
from sercorpus.augment.batch import Batch, ExampleRNG, valid_mask
from sercorpus.augment.dsp import hz_to_mel, mel_to_hz
from sercorpus.augment.temporal import stft_frames


@register
class SpecAugment(Op):
    """``freq_masks`` masks of width U{0..freq_width} bins and ``time_masks`` masks of width
    U{0..max_time_fraction * valid frames} (capped at ``max_time_width`` frames) per example.

    ``mask_value``: a number, or ``"mean"`` (the example's mean over its valid frames).
    """

    name = "spec_augment"
    domain = "features"

    def __init__(
        self,
        freq_masks: int = 2,
        freq_width: int = 27,
        time_masks: int = 2,
        max_time_fraction: float = 0.05,
        max_time_width: int | None = None,
        mask_value: float | str = 0.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.freq_masks = check_int(self.name, "freq_masks", freq_masks, 0, 16)
        self.freq_width = check_int(self.name, "freq_width", freq_width, 0, 512)
        self.time_masks = check_int(self.name, "time_masks", time_masks, 0, 64)
        self.max_time_fraction = check_range(self.name, "max_time_fraction", max_time_fraction, 0.0, 1.0)
        self.max_time_width = (
            None
            if max_time_width is None
            else check_int(self.name, "max_time_width", max_time_width, 0, 100000)
        )
        if isinstance(mask_value, str):
            check_choice(self.name, "mask_value", mask_value, ("mean",))
        else:
            check_range(self.name, "mask_value", mask_value, -1e6, 1e6)
        self.mask_value = mask_value

    def decide(self, seeds: Sequence[int], batch: Batch) -> list[dict[str, Any] | None]:
        n_freq = batch.x.shape[1]
        out: list[dict[str, Any] | None] = []
        for seed, frames in zip(seeds, batch.lens, strict=True):
            rng = ExampleRNG(seed)
            if not rng.random() < self.p:
                out.append(None)
                continue
            freq = []
            for _ in range(self.freq_masks):
                w = int(rng.integers(0, min(self.freq_width, n_freq) + 1))
                freq.append([int(rng.integers(0, n_freq - w + 1)), w])
            cap = int(self.max_time_fraction * frames)
            if self.max_time_width is not None:
                cap = min(cap, self.max_time_width)
            time = []
            for _ in range(self.time_masks):
                w = int(rng.integers(0, cap + 1))
                time.append([int(rng.integers(0, frames - w + 1)), w])
            out.append({"freq_masks": freq, "time_masks": time})
        return out

    @staticmethod
    def _band(spans: list[list[list[int]]], size: int, device: torch.device) -> torch.Tensor:
        """(B, size) bool: union of [start, start + width) spans per row."""
        n = max((len(s) for s in spans), default=0)
        if n == 0:
            return torch.zeros((len(spans), size), dtype=torch.bool, device=device)
        arr = np.zeros((len(spans), n, 2), dtype=np.int64)
        for i, s in enumerate(spans):
            if s:
                arr[i, : len(s)] = s
        t = torch.from_numpy(arr).to(device)
        pos = torch.arange(size, device=device)[None, None, :]
        return ((pos >= t[..., :1]) & (pos < t[..., :1] + t[..., 1:])).any(1)

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        x = batch.x
        B, F, K = x.shape
        valid = valid_mask(batch.lengths, K)
        fmask = self._band([p["freq_masks"] for p in params], F, x.device)
        tmask = self._band([p["time_masks"] for p in params], K, x.device)
        mask = (fmask[:, :, None] | tmask[:, None, :]) & valid[:, None, :]
        if self.mask_value == "mean":
            m = valid[:, None, :].to(x.dtype)
            value = ((x * m).sum((1, 2)) / (m.sum((1, 2)) * F).clamp(min=1))[:, None, None]
            y = torch.where(mask, value.expand_as(x), x)
        else:
            y = x.masked_fill(mask, float(self.mask_value))
        return Batch(y, batch.lengths, batch.sample_rate, batch.lens), None


@functools.lru_cache(maxsize=16)
def mel_filterbank(
    n_fft: int,
    sample_rate: int,
    n_mels: int,
    f_min: float,
    f_max: float,
    device_str: str,
) -> torch.Tensor:
    """(n_fft//2+1, n_mels) triangular HTK-mel filters."""
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (freqs[None, :] - lo) / (mid - lo)
    down = (hi - freqs[None, :]) / (hi - mid)
    fb = np.clip(np.minimum(up, down), 0.0, None)
    return torch.from_numpy(fb.T.astype(np.float32)).to(device_str)


class LogMel:
    """Length-aware log-mel features: (B, T) + lengths -> (B, n_mels, frames) + frame lengths.

    Frames are centred at k*hop with zero padding; an example of L samples has L // hop + 1 frames and
    frames past that are exactly 0 (so SpecAugment and models see clean padding).
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 400,
        hop: int = 160,
        n_mels: int = 80,
        f_min: float = 0.0,
        f_max: float | None = None,
        floor: float = 1e-10,
    ) -> None:
        self.sample_rate, self.n_fft, self.hop, self.n_mels = sample_rate, n_fft, hop, n_mels
        self.f_min, self.f_max, self.floor = f_min, f_max or sample_rate / 2, floor

    def __call__(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        frames = x.shape[-1] // self.hop + 1
        spec = stft_frames(x, self.n_fft, self.hop, frames)
        power = spec.real**2 + spec.imag**2
        fb = mel_filterbank(self.n_fft, self.sample_rate, self.n_mels, self.f_min, self.f_max, str(x.device))
        feats = torch.log(torch.matmul(power, fb).clamp(min=self.floor)).transpose(1, 2)
        frame_lengths = lengths // self.hop + 1
        return feats * valid_mask(frame_lengths, frames)[:, None, :], frame_lengths


__all__ = ["SpecAugment", "LogMel", "mel_filterbank"]
