"""Log-mel features for feature-level augmentation (SpecAugment) and models: length-aware, padding exactly 0."""

from __future__ import annotations

import functools

import numpy as np
import torch

from sercorpus.augment.dsp import hz_to_mel, mel_to_hz
from sercorpus.augment.execution import single_threaded
from sercorpus.augment.padding import valid_mask
from sercorpus.augment.stft import stft_frames


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
    frames past that are exactly 0 (so SpecAugment and models see clean padding). On the CPU each example
    is computed alone (as the augmentation engine does, :mod:`sercorpus.augment.execution`), so its
    features do not depend on its batch.
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
        frame_lengths = lengths // self.hop + 1
        if x.device.type != "cpu":
            return self._batch(x, frame_lengths, frames), frame_lengths
        out = x.new_zeros((x.shape[0], self.n_mels, frames))
        with single_threaded():
            for i, n in enumerate(lengths.tolist()):
                k = int(n) // self.hop + 1
                out[i, :, :k] = self._batch(x[i : i + 1, : int(n)].clone(), frame_lengths[i : i + 1], k)[0]
        return out, frame_lengths

    def _batch(self, x: torch.Tensor, frame_lengths: torch.Tensor, frames: int) -> torch.Tensor:
        spec = stft_frames(x, self.n_fft, self.hop, frames)
        power = spec.real**2 + spec.imag**2
        fb = mel_filterbank(self.n_fft, self.sample_rate, self.n_mels, self.f_min, self.f_max, str(x.device))
        feats = torch.log(torch.matmul(power, fb).clamp(min=self.floor)).transpose(1, 2)
        return feats * valid_mask(frame_lengths, frames)[:, None, :]
