"""Band-limited 1/f^exponent noise, synthesised in the frequency domain chunk by chunk.

Pink noise is *power* spectral density proportional to 1/f^exponent (exponent 1 = pink, -3.01 dB/octave),
from ``f_low`` to ``f_high`` (default Nyquist). It is synthesised as random spectra shaped by
f^(-exponent/2) (the amplitude exponent is half the PSD exponent; the torch-audiomentations "pink" that
measures -5.5 dB/octave got this wrong). Spectra are drawn for fixed-size chunks keyed by (noise seed,
chunk index) and joined with power-complementary crossfades, so the noise is fresh everywhere (never tiled)
and an example's noise does not depend on the padded length of its batch.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch

from sercorpus.augment import fft
from sercorpus.augment.counter_rng import counter_bytes


@functools.lru_cache(maxsize=32)
def _pink_shape(
    chunk: int,
    sample_rate: int,
    exponent: float,
    f_low: float,
    f_high: float,
    device_str: str,
) -> torch.Tensor:
    f = torch.arange(chunk // 2 + 1, dtype=torch.float64) * (sample_rate / chunk)
    amp = torch.where(
        (f >= f_low) & (f <= f_high), f.clamp(min=1e-9) ** (-exponent / 2.0), torch.zeros_like(f)
    )
    return amp.to(torch.float32).to(device_str)


@functools.lru_cache(maxsize=16)
def _chunk_window(n: int, taper: int, device_str: str) -> torch.Tensor:
    """Flat window with sin/cos tapers of ``taper`` samples: overlapping tapers are power-complementary."""
    ramp = torch.sin(0.5 * math.pi * (torch.arange(taper, dtype=torch.float64) + 0.5) / taper)
    w = torch.ones(n, dtype=torch.float64)
    w[:taper] = ramp
    w[n - taper :] = ramp.flip(0)
    return w.to(torch.float32).to(device_str)


def colored_noise(
    keys: Sequence[int],
    T: int,
    sample_rate: int,
    exponent: float = 1.0,
    f_low: float = 20.0,
    f_high: float | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """(B, T) noise with PSD ~ 1/f^exponent on [f_low, f_high]; row i depends only on keys[i] (not on T).

    Chunks of ~1 s (a power of two) get independent random spectra; consecutive chunks
    overlap by 1/8 with sin/cos tapers whose squares sum to one, so the variance is constant across joins
    and the expected spectrum is the target 1/f shape (smoothed by a ~2 Hz window, negligible above f_low).
    """
    chunk = 1 << max(8, round(math.log2(sample_rate)))
    taper = chunk // 8
    hop = chunk - taper
    n_chunks = -(-(T + taper) // hop)
    bins = chunk // 2 + 1
    f_high = sample_rate / 2 if f_high is None else f_high
    B = len(keys)
    # one 32-bit hash -> its four bytes -> real and imaginary parts of two bins, each uniform on 256 levels
    # with zero mean and unit variance. A noise sample is a weighted sum over thousands of bins, so it is
    # Gaussian (CLT: |excess kurtosis| < 0.03 measured); the expected PSD is exactly amp**2, the target.
    pairs = -(-n_chunks * bins // 2)
    quads = counter_bytes(keys, pairs, stream=1, device=device)
    coef = torch.view_as_complex(quads.to(torch.float32).sub_(127.5).view(B, 2 * pairs, 2))
    amp = _pink_shape(chunk, sample_rate, float(exponent), float(f_low), float(f_high), str(device))
    spec = coef[:, : n_chunks * bins].view(B, n_chunks, bins) * (amp * (math.sqrt(12.0) / 256.0))
    frames = fft.irfft(spec, n=chunk, dim=-1).mul_(_chunk_window(chunk, taper, str(device)))
    # chunk c covers [c*hop - taper, c*hop + hop): its body lands on block c, its head on block c-1's end
    body = frames[:, :, taper:].contiguous()
    body[:, :-1, hop - taper :] += frames[:, 1:, :taper]
    return body.view(B, -1)[:, :T]
