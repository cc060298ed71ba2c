"""Pitch-preserving time stretch: one phase vocoder for the whole batch with a separate rate per example.

A single STFT, per-example fractional frame positions gathered from it, one inverse STFT. No rate buckets
are needed (``rate_step`` can still quantise rates, as NeMo's ``num_rates`` does). Framing zero-pads
instead of reflecting, so an example's output does not depend on how much padding its batch carries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.op import Op
from sercorpus.augment.padding import zero_tail_
from sercorpus.augment.params import Span, integer, number
from sercorpus.augment.rng import ExampleRNG
from sercorpus.augment.stft import istft_frames, stft_frames


class TimeStretch(Op):
    """Change tempo by a rate r ~ U(min_rate, max_rate) without changing pitch (phase vocoder).

    r > 1 is faster: the new length is round(L / r). Each example has its own (unquantised) rate;
    ``rate_step`` > 0 rounds rates to a grid for parity with recipes that used discrete rates.

    Frames are ~30 ms Hann windows (480 samples at 16 kHz) with hop n_fft / ``overlap``. The default
    overlap 3 (10 ms hop) resolves phase advances up to +-50 Hz, 1.5 bins, which covers the bins that
    carry a partial's energy, and costs ~35 % less than overlap 4. Measured on steady harmonic tones
    (f0 100-230 Hz, rates 0.9 and 1.2), energy at the harmonics vs the rest after stretching: 32-49 dB with
    overlap 3, 41-52 dB with overlap 4, 12-45 dB with overlap 2. Use ``overlap=4`` for the textbook setting.
    """

    name = "time_stretch"
    params = (
        Span("rate", (0.9, 1.2), 0.25, 4.0, "the tempo rate (> 1 is faster)"),
        number("rate_step", 0.0, 0.0, 0.5, "round rates to multiples of this (0: no rounding)"),
        integer("n_fft", None, 64, 16384, "frame size; null: ~30 ms", optional=True),
        integer("overlap", 3, 2, 8, "frames per frame length (hop = n_fft / overlap)"),
    )

    def validate(self) -> None:
        if self.n_fft is not None and self.n_fft % self.overlap:
            raise ValueError(f"{self.name}: n_fft={self.n_fft} must be a multiple of overlap={self.overlap}")

    def _fft_size(self, sample_rate: int) -> int:
        """~30 ms frames (480 samples at 16 kHz), a multiple of ``overlap``; the hop is n_fft / overlap."""
        if self.n_fft:
            return int(self.n_fft)
        return int(self.overlap * max(16, round(0.03 * sample_rate / self.overlap)))

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        rate = self.draw("rate", rng)
        if self.rate_step > 0:
            rate = round(round(rate / self.rate_step) * self.rate_step, 6)
        return {"rate": rate}

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        x, sr = batch.x, batch.sample_rate
        device = x.device
        n_fft = self._fft_size(sr)
        hop = n_fft // self.overlap
        B, T = x.shape
        rates = np.array([p["rate"] for p in params], dtype=np.float64)
        new_lens = [max(1, int(round(n / r))) for n, r in zip(batch.lens, rates, strict=True)]
        T_out = max(new_lens)
        # analysis frames: enough that every frame past the data is all-zero for every row
        K = (T + n_fft // 2) // hop + 2
        K_out = (T_out + n_fft // 2) // hop + 2
        spec = stft_frames(x, n_fft, hop, K)  # (B, K, F)
        F = spec.shape[-1]
        re, im = spec.real.contiguous(), spec.imag.contiguous()  # strided views hit slow scalar kernels
        mag = torch.addcmul(re * re, im, im).sqrt_()
        phase = torch.atan2(im, re)
        # per-row fractional read positions j * rate (CPU, float64) -> frame index and interpolation weight
        pos = np.arange(K_out, dtype=np.float64)[None, :] * rates[:, None]
        t0 = np.minimum(np.floor(pos), K - 2).astype(np.int64)
        alpha = torch.from_numpy(np.clip(pos - t0, 0.0, 1.0).astype(np.float32)).to(device, non_blocking=True)
        rows = torch.from_numpy((np.arange(B)[:, None] * K + t0).reshape(-1)).to(device, non_blocking=True)
        mag_f = mag.reshape(B * K, F)
        m0 = mag_f.index_select(0, rows).view(B, K_out, F)
        m1 = mag_f.index_select(0, rows + 1).view(B, K_out, F)
        # output phase j = phase of frame 0 + sum of the phase advances read at frames t_0 .. t_{j-1}
        # (a multiple of 2*pi in an advance does not change cos/sin, so no unwrapping is needed)
        advance = torch.diff(phase, dim=1).reshape(B * (K - 1), F)
        shifted = (
            torch.from_numpy(
                np.concatenate([np.zeros((B, 1), np.int64), t0[:, :-1]], axis=1)
                + np.arange(B)[:, None] * (K - 1)
            )
            .reshape(-1)
            .to(device, non_blocking=True)
        )
        steps = advance.index_select(0, shifted).view(B, K_out, F)
        steps[:, 0] = phase[:, 0]
        out_phase = torch.cumsum(steps, dim=1)
        out_mag = m0.lerp_(m1, alpha[..., None])
        sin = torch.sin(out_phase).mul_(out_mag)  # in place from here on: fewer large allocations
        out_spec = torch.complex(out_phase.cos_().mul_(out_mag), sin)
        y = istft_frames(out_spec, n_fft, hop, T_out)
        lengths = torch.tensor(new_lens, dtype=torch.int64).to(device, non_blocking=True)
        return Batch(zero_tail_(y, new_lens, lengths), lengths, sr, new_lens), None
