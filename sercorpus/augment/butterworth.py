"""Butterworth EQ: the exact magnitude of scipy's digital design, its decay time, and the shared op base of
the high-pass and low-pass ops.

The magnitude is that of ``butter(order, fc, btype, fs=sr)`` (bilinear transform), so it matches
``sosfreqz`` to float32 precision (tested: max |error| < 1e-4 on every rfft bin); it is applied as a
zero-phase FFT-domain gain (see :mod:`sercorpus.augment.spectral`).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch

from sercorpus.augment.op import tensor_of
from sercorpus.augment.params import Declaration, Span, choice, integer
from sercorpus.augment.rng import ExampleRNG
from sercorpus.augment.spectral import SpectralFilter


@functools.lru_cache(maxsize=64)
def _warped_freq(n_fft: int, sample_rate: int, inverse: bool, device_str: str) -> torch.Tensor:
    """tan(pi f / sr) on the rfft grid (bilinear pre-warp), or its reciprocal; inf at Nyquist / DC."""
    f = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * (sample_rate / n_fft)
    w = torch.tan(math.pi * f / sample_rate).abs()
    if n_fft % 2 == 0:
        w[-1] = math.inf  # tan(pi/2)
    w = 1.0 / w if inverse else w  # 1/0 -> inf at DC
    return w.to(torch.float32).to(device_str)


def _int_power(r: torch.Tensor, k: int) -> torch.Tensor:
    """r**k for a positive integer k by repeated squaring (cheap multiplies instead of exp/log)."""
    out, base = None, r
    while k:
        if k & 1:
            out = base if out is None else out * base
        k >>= 1
        if k:
            base = base * base
    return out  # type: ignore[return-value]


def butterworth_magnitude(
    n_fft: int,
    sample_rate: int,
    cutoffs: torch.Tensor,
    order: int,
    kind: str,
) -> torch.Tensor:
    """|H| of the digital Butterworth filter scipy designs with ``butter(order, fc, kind, fs=sr)``.

    The analog prototype 1/sqrt(1 + (f/fc)^(2n)) under the bilinear transform becomes
    1/sqrt(1 + (tan(pi f/sr) / tan(pi fc/sr))^(2n)); that is the exact magnitude of scipy's design (and
    equals the analog formula far below Nyquist). High-pass is the dual with the ratio inverted.
    Returns (B, n_fft//2 + 1) float32 on ``cutoffs.device``; inf**2n gives exactly 0 gain, never NaN.
    """
    if kind not in ("lowpass", "highpass"):
        raise ValueError(f"kind must be 'lowpass' or 'highpass', got {kind!r}")
    warped_cut = torch.tan(math.pi * cutoffs.to(torch.float64) / sample_rate).to(torch.float32)
    if kind == "lowpass":  # ratio = tan(pi f/sr) / tan(pi fc/sr)
        ratio = _warped_freq(n_fft, sample_rate, False, str(cutoffs.device))[None, :] / warped_cut[:, None]
    else:  # ratio = tan(pi fc/sr) / tan(pi f/sr)
        ratio = _warped_freq(n_fft, sample_rate, True, str(cutoffs.device))[None, :] * warped_cut[:, None]
    return torch.rsqrt(_int_power(ratio, 2 * order).add_(1.0))


def butterworth_tail(cutoff_hz: float, order: int, sample_rate: int, decay_db: float = 80.0) -> int:
    """Samples until a Butterworth impulse response has decayed by ``decay_db`` (FFT guard band size)."""
    damping = 2 * math.pi * cutoff_hz * math.sin(math.pi / (2 * order))  # slowest pole's decay rate (1/s)
    return int(math.ceil(decay_db / 8.686 / damping * sample_rate)) + 64


def butterworth_params(cutoffs: tuple[float, float]) -> tuple[Declaration, ...]:
    """The declarations shared by the Butterworth ops, with the op's default cutoff range."""
    return (
        Span(
            "cutoff_hz",
            cutoffs,
            1.0,
            96000.0,
            "the cutoff frequency (Hz), drawn per example on `scale`",
            scale_param="scale",
        ),
        integer("order", 9, 1, 16, "filter order (roll-off 6 dB/octave per order)"),
        choice("scale", "mel", ("linear", "log", "mel"), "scale on which cutoffs are drawn uniformly"),
    )


class ButterworthFilter(SpectralFilter):
    """Butterworth ``name`` filter ("highpass" or "lowpass", also its scipy btype), cutoff per example."""

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        if self.max_cutoff_hz >= sample_rate / 2:
            raise ValueError(
                f"{self.name}: max_cutoff_hz={self.max_cutoff_hz:g} must be below Nyquist ({sample_rate / 2:g} Hz)"
            )
        return {"cutoff_hz": self.draw("cutoff_hz", rng), "order": self.order}

    def response(
        self, params: list[dict[str, Any]], n_fft: int, sample_rate: int, device: torch.device
    ) -> torch.Tensor:
        cut = tensor_of(params, "cutoff_hz", device, torch.float64)
        return butterworth_magnitude(n_fft, sample_rate, cut, self.order, self.name)

    def guard(self, sample_rate: int) -> int:
        return butterworth_tail(min(self.min_cutoff_hz, sample_rate / 2.5), self.order, sample_rate)
