"""Small DSP kernels in plain torch (any device): FFT sizes and windowed-sinc resampling; plus the mel scale
and the one-off numpy resampling used when decoding files and banks.

Only torch is needed on the hot path: torchaudio's I/O no longer works without TorchCodec and its effects
module is gone, so the engine owns the few kernels it uses.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

import numpy as np
import torch


def hz_to_mel(f: Any) -> Any:
    """HTK mel of ``f`` Hz (a number or a numpy array)."""
    return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)


def mel_to_hz(m: Any) -> Any:
    return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)


def mono_at_rate(y: np.ndarray, rate: int, sample_rate: int) -> np.ndarray:
    """Decoded audio as 1-D at ``sample_rate``: a (frames, channels) array is mixed down (mean), then
    resampled with scipy's polyphase filter when the rates differ (dtype as scipy returns it)."""
    if y.ndim == 2:
        y = y.mean(axis=1)
    if rate == sample_rate:
        return y
    from scipy.signal import resample_poly

    g = math.gcd(int(rate), int(sample_rate))
    return resample_poly(y, int(sample_rate) // g, int(rate) // g)


@functools.lru_cache(maxsize=4096)
def next_fast_len(n: int) -> int:
    """Smallest 8 * 2^a 3^b 5^c >= n. Real FFTs of odd-ish sizes are ~4x slower (measured with torch's
    CPU FFT), so the factor 8 is kept even though 5-smooth odd sizes would be slightly smaller."""
    m = -(-max(int(n), 1) // 8)
    best = 1 << (m - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            q = -(-m // p35)
            p2 = 1 << (q - 1).bit_length() if q > 1 else 1
            best = min(best, p2 * p35)
            p35 *= 3
        p5 *= 5
    return 8 * best


def sinc_width(orig: int, new: int, zero_crossings: int = 16, rolloff: float = 0.95) -> int:
    """Input samples of context each side of an output sample of :func:`resample` (orig, new coprime)."""
    return math.ceil(zero_crossings * orig / (min(orig, new) * rolloff))


@functools.lru_cache(maxsize=64)
def _sinc_kernels(
    orig: int,
    new: int,
    zero_crossings: int,
    rolloff: float,
    device_str: str,
) -> tuple[torch.Tensor, int]:
    """Polyphase Hann-windowed sinc kernels (new, 1, taps) for an orig->new rational resampler."""
    base = min(orig, new) * rolloff
    width = sinc_width(orig, new, zero_crossings, rolloff)
    idx = torch.arange(-width, width + orig, dtype=torch.float64) / orig
    t = (-torch.arange(new, dtype=torch.float64) / new)[:, None] + idx[None, :]
    t = (t * base).clamp(-zero_crossings, zero_crossings)
    window = torch.cos(t * math.pi / zero_crossings / 2) ** 2
    t = t * math.pi
    kernel = torch.where(
        t == 0, torch.ones_like(t), torch.sin(t) / torch.where(t == 0, torch.ones_like(t), t)
    )
    kernel = kernel * window * (base / orig)
    return kernel.to(torch.float32)[:, None, :].to(device_str), width


def resample(
    x: torch.Tensor,
    orig: int,
    new: int,
    zero_crossings: int = 16,
    rolloff: float = 0.95,
) -> torch.Tensor:
    """Band-limited resampling of (B, T) from ``orig`` to ``new`` Hz (any integers), length ceil(T*new/orig).

    Each output sample depends only on nearby input samples (no FFT over the batch length), so the result
    for an example does not depend on how much padding its batch carries.
    """
    g = math.gcd(int(orig), int(new))
    orig, new = int(orig) // g, int(new) // g
    if orig == new:
        return x
    B, T = x.shape
    kernels, width = _sinc_kernels(orig, new, zero_crossings, rolloff, str(x.device))
    padded = torch.nn.functional.pad(x[:, None, :], (width, width + orig))
    y = torch.nn.functional.conv1d(padded, kernels, stride=orig)  # (B, new, frames)
    y = y.transpose(1, 2).reshape(B, -1)
    return y[:, : -(-new * T // orig)]


def rational(factor: float, max_denominator: int = 64) -> tuple[int, int]:
    """(up, down) with up/down ~= factor: a speed factor f means resampling from f*k to k samples."""
    frac = Fraction(factor).limit_denominator(max_denominator)
    return frac.numerator, frac.denominator
