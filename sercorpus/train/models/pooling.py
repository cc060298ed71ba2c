"""Pooling over valid frames only: zero padding must not pull an utterance's mean or max toward the pad."""

from __future__ import annotations

import torch


def frame_mask(lengths: torch.Tensor, frames: int) -> torch.Tensor:
    """bool [B, frames]: True on the first ``lengths[b]`` frames of each row."""
    return torch.arange(frames, device=lengths.device)[None, :] < lengths[:, None]


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of [B, T, D] over the True frames of ``mask`` [B, T] (a row with none gives zeros)."""
    m = mask.to(x.dtype)[..., None]
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)


def masked_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max of [B, T, D] over the True frames of ``mask`` [B, T] (a row with none gives zeros)."""
    filled = x.masked_fill(~mask[..., None], torch.finfo(x.dtype).min)
    out = filled.max(dim=1).values
    return torch.where(mask.any(dim=1, keepdim=True), out, torch.zeros_like(out))
