"""Length-aware SpecAugment on (B, F, frames) features.

Masks are drawn per example from its own seed; time-mask widths are fractions of that example's valid
frame count and both kinds of mask stay inside the valid frames (lhotse#648 and NeMo PR #2398 are the
padding bugs this avoids). Padded frames are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.node import Records
from sercorpus.augment.op import Op
from sercorpus.augment.padding import valid_mask
from sercorpus.augment.params import Param, integer, number
from sercorpus.augment.rng import ExampleRNG


class SpecAugment(Op):
    """``freq_masks`` masks of width U{0..freq_width} bins and ``time_masks`` masks of width
    U{0..max_time_fraction * valid frames} (capped at ``max_time_width`` frames) per example.

    ``mask_value``: a number, or ``"mean"`` (the example's mean over its valid frames). Works on features
    (e.g. :class:`~sercorpus.augment.features.LogMel`), in the training loop, not on files.
    """

    name = "spec_augment"
    domain = "features"
    params = (
        integer("freq_masks", 2, 0, 16, "frequency masks per example"),
        integer("freq_width", 27, 0, 512, "largest frequency-mask width (bins)"),
        integer("time_masks", 2, 0, 64, "time masks per example"),
        number("max_time_fraction", 0.05, 0.0, 1.0, "largest time-mask width as a fraction of valid frames"),
        integer(
            "max_time_width",
            None,
            0,
            100000,
            "cap on the time-mask width (frames); null: none",
            optional=True,
        ),
        Param(
            "mask_value",
            "number_or_choice",
            0.0,
            "value written into masks, or mean (the example's mean over valid frames)",
            lo=-1e6,
            hi=1e6,
            choices=("mean",),
        ),
    )

    def decide(
        self, seeds: Sequence[int], batch: Batch, records: Records = None
    ) -> list[dict[str, Any] | None]:
        if records is not None:
            return super().decide(seeds, batch, records)
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

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
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
        return batch.with_x(y), None
