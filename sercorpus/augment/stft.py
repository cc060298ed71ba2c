"""Short-time Fourier transforms with zero-padded framing (no reflection), shared by the time stretch and the
log-mel front end: frames centred at k*hop, so an example's frames do not depend on its batch's padding."""

from __future__ import annotations

import functools

import torch

from sercorpus.augment import fft


@functools.lru_cache(maxsize=16)
def _hann(n: int, device_str: str) -> torch.Tensor:
    return torch.hann_window(n, periodic=True, dtype=torch.float32).to(device_str)


@functools.lru_cache(maxsize=64)
def _inverse_envelope(frames: int, n_fft: int, hop: int, device_str: str) -> torch.Tensor:
    """1 / sum of squared synthesis windows for ``frames`` frames centred at j*hop (least-squares iSTFT)."""
    ratio = n_fft // hop
    w2 = (_hann(n_fft, "cpu").double() ** 2).view(ratio, hop)
    blocks = torch.zeros(frames + ratio - 1, hop, dtype=torch.float64)
    for r in range(ratio):
        blocks[r : r + frames] += w2[r]
    env = blocks.reshape(-1)
    inv = torch.where(env > 1e-3, 1.0 / env.clamp(min=1e-3), torch.zeros_like(env))
    return inv[n_fft // 2 :].to(torch.float32).to(device_str)


def stft_frames(x: torch.Tensor, n_fft: int, hop: int, frames: int) -> torch.Tensor:
    """(B, frames, n_fft//2+1) spectra of Hann-windowed frames centred at k*hop, zero-padded (no reflection)."""
    need = (frames - 1) * hop + n_fft
    padded = torch.nn.functional.pad(x, (n_fft // 2, max(0, need - x.shape[-1] - n_fft // 2)))
    chunks = padded.unfold(-1, n_fft, hop)[:, :frames]
    return fft.rfft(chunks * _hann(n_fft, str(x.device)), dim=-1)


def istft_frames(spec: torch.Tensor, n_fft: int, hop: int, length: int) -> torch.Tensor:
    """Weighted overlap-add inverse of :func:`stft_frames` (hop must divide n_fft), cropped to ``length``."""
    B, K, _ = spec.shape
    y = fft.irfft(spec, n=n_fft, dim=-1).mul_(_hann(n_fft, str(spec.device)))
    ratio = n_fft // hop
    y = y.view(B, K, ratio, hop)
    out = torch.nn.functional.pad(y[:, :, 0], (0, 0, 0, ratio - 1))
    for r in range(1, ratio):
        out[:, r : r + K].add_(y[:, :, r])
    out = out.reshape(B, -1)[:, n_fft // 2 : n_fft // 2 + length]
    inv = _inverse_envelope(K, n_fft, hop, str(spec.device))[:length]
    return out * inv[None, : out.shape[1]]
