"""Small DSP kernels in plain torch (any device): FFT sizes, Butterworth magnitude, windowed-sinc resampling;
plus the mel scale and the one-off numpy resampling used when decoding files and banks.

Only torch is needed on the hot path: torchaudio's I/O no longer works without TorchCodec and its effects
module is gone, so the engine owns the few kernels it uses.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
import torch


def hz_to_mel(f):
    """HTK mel of ``f`` Hz (a number or a numpy array)."""
    return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)


def mel_to_hz(m):
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
