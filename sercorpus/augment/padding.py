"""Padding helpers: zero-padded batches in and out, valid-sample masks, and the engine's zero-padding invariant.

Every op relies on one invariant: samples past an example's length are exactly 0. These helpers establish
it (:func:`pad_batch`, :func:`zero_tail_`) and undo the padding (:func:`unpad`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def pad_batch(
    signals: Sequence[np.ndarray | torch.Tensor],
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """1-D signals -> zero-padded (B, T) float32 tensor and int64 lengths."""
    lens = [int(len(s)) for s in signals]
    T = max(lens, default=0)
    x = torch.zeros(len(signals), max(T, 1), dtype=torch.float32)
    for i, s in enumerate(signals):
        x[i, : lens[i]] = torch.as_tensor(np.asarray(s, dtype=np.float32))
    return x.to(device), torch.tensor(lens, dtype=torch.int64, device=device)


def unpad(x: torch.Tensor, lengths: torch.Tensor | Sequence[int]) -> list[np.ndarray]:
    """A padded batch back to a list of float32 numpy arrays of their valid lengths."""
    lens = lengths.tolist() if isinstance(lengths, torch.Tensor) else list(lengths)
    xc = x.detach().to("cpu", torch.float32).numpy()
    return [xc[i, ..., : int(n)].copy() for i, n in enumerate(lens)]


def valid_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(B, T) bool: True on valid samples."""
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]


def uses_host_paths(device: torch.device | str) -> bool:
    """Whether per-row slicing and numpy hashing are the fast way on this device (the CPU); elsewhere ops
    use one vectorised kernel per step. Tests monkeypatch this to run the device paths on the CPU, so
    callers look it up through this module at call time."""
    return torch.device(device).type == "cpu"


def zero_tail_(x: torch.Tensor, lens: Sequence[int], lengths: torch.Tensor | None = None) -> torch.Tensor:
    """In place: zero every row of a freshly computed ``x`` past its length; returns ``x``.

    On CPU it fills the tails by slicing (cost proportional to the padding; a bool mask multiply is ~20x
    slower than a float multiply there). On other devices it is one multiply by a float mask.
    """
    T = x.shape[-1]
    if uses_host_paths(x.device):
        for i, n in enumerate(lens):
            if n < T:
                x[i, ..., n:] = 0
        return x
    if lengths is None:
        lengths = torch.tensor(list(lens), dtype=torch.int64).to(x.device, non_blocking=True)
    mask = valid_mask(lengths, T).to(x.dtype)
    return x.mul_(mask.view(mask.shape[0], *([1] * (x.dim() - 2)), T))


def wrap_index(offset: torch.Tensor, period: torch.Tensor, T: int, max_period: int) -> torch.Tensor:
    """(B, T) int64: (offset[b] + t) mod period[b], without integer division (slow on CPU).

    float32 is exact for the integers involved (< 2**24); the float quotient can be off by one next to a
    multiple of the period, which the two corrections fix.
    """
    if int(T) + 2 * int(max_period) >= 1 << 24:
        return torch.remainder(
            offset[:, None] + torch.arange(T, device=offset.device)[None, :], period[:, None]
        )
    per = period.to(torch.float32)[:, None]
    pos = (
        offset.to(torch.float32)[:, None]
        + torch.arange(T, device=offset.device, dtype=torch.float32)[None, :]
    )
    pos = pos - torch.floor(pos / per) * per
    pos = torch.where(pos < 0, pos + per, pos)
    pos = torch.where(pos >= per, pos - per, pos)
    return pos.to(torch.int64)
