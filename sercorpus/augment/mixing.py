"""Valid-region statistics and SNR mixing, computed once for every op.

Why this module exists: the peers' worst defects (RMS over zero padding, noise written into padding) come
from ops computing powers each in their own way. Here powers are measured on valid samples only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from sercorpus.augment.padding import valid_mask, zero_tail_


def row_power(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean square over valid samples of a batch whose padding is zero (the engine's invariant)."""
    return (x * x).sum(-1) / lengths.clamp(min=1).to(x.dtype)


def masked_power(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean square over the samples where ``mask`` is set, per row; 0 where the mask is empty."""
    m = mask.to(x.dtype)
    count = m.sum(-1)
    return (x * x * m).sum(-1) / count.clamp(min=1)


def active_mask(
    x: torch.Tensor, lengths: torch.Tensor, sample_rate: int, gate_db: float = -30.0, frame_s: float = 0.02
) -> torch.Tensor:
    """(B, T) bool: valid samples inside 20 ms frames whose power is within ``gate_db`` of the loudest frame.

    The "speech-active" reference for SNR; an all-silent row falls back to its whole valid region.
    """
    B, T = x.shape
    frame = max(1, int(round(frame_s * sample_rate)))
    nf = -(-T // frame)
    valid = valid_mask(lengths, T)
    sq = torch.nn.functional.pad(x * x, (0, nf * frame - T)).view(B, nf, frame).sum(-1)
    starts = torch.arange(nf, device=x.device) * frame
    count = (lengths[:, None] - starts[None, :]).clamp(min=0, max=frame)
    power = sq / count.clamp(min=1)
    peak = power.max(-1, keepdim=True).values
    active = (power >= peak * 10.0 ** (gate_db / 10.0)) & (power > 0) & (count > 0)
    samples = active.repeat_interleave(frame, dim=1)[:, :T] & valid
    empty = ~samples.any(-1, keepdim=True)
    return torch.where(empty, valid, samples)


def mix_at_snr(
    x: torch.Tensor,
    noise: torch.Tensor,
    lengths: torch.Tensor,
    snr_db: torch.Tensor,
    sample_rate: int,
    reference: str = "whole",
    gate_db: float = -30.0,
    *,
    lens: Sequence[int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """``x + g * noise`` with g chosen per row so the SNR on the reference region equals ``snr_db``: the
    ``"whole"`` valid region, or its ``"active"`` frames (see :func:`active_mask`).

    Both powers are measured on the same region of valid samples; the noise is zeroed in padding first (in
    place; ``lens`` is the CPU mirror of ``lengths``), so padding stays exactly 0. A silent row (zero power)
    gets no noise; a row whose noise is silent on the region is left unchanged. Returns (mixed, achieved SNR
    in dB, +inf where nothing was added).
    """
    noise = zero_tail_(noise, lens, lengths)
    if reference == "whole":  # padding is zero in both, so plain sums over T are sums over valid samples
        p_sig, p_noise = row_power(x, lengths), row_power(noise, lengths)
    else:
        region = active_mask(x, lengths, sample_rate, gate_db)
        p_sig, p_noise = masked_power(x, region), masked_power(noise, region)
    target = 10.0 ** (-snr_db.to(x.dtype) / 10.0)
    gain = torch.where(
        p_noise > 0, torch.sqrt(p_sig * target / p_noise.clamp(min=1e-30)), torch.zeros_like(p_sig)
    )
    added = gain * gain * p_noise
    achieved = torch.where(
        added > 0,
        10.0 * torch.log10(p_sig.clamp(min=1e-30) / added.clamp(min=1e-30)),
        torch.full_like(p_sig, math.inf),
    )
    return torch.addcmul(x, gain[:, None], noise), achieved
