"""Spectral filters: LTI ops defined by a per-example magnitude on the rfft grid, applied with one FFT pair.

A run of adjacent spectral filters in a chain shares one rfft/irfft (and may follow a convolution reverb's
FFT, see :mod:`sercorpus.augment.fftshare`). The phase is zero: emotion cues live in magnitude and timing,
not in a filter's group delay, and a recursive cascade per example is 4x slower on CPU and pathological on
GPU.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from sercorpus.augment import fft
from sercorpus.augment.batch import Batch
from sercorpus.augment.dsp import next_fast_len
from sercorpus.augment.op import Op
from sercorpus.augment.padding import zero_tail_

Stage = tuple["SpectralFilter", list[dict[str, Any] | None]]


class SpectralFilter(Op):
    """Base of ops with ``fft_role = "filter"``: ``response`` gives per-row gains, ``guard`` the zero
    padding that keeps the impulse response from wrapping into valid samples."""

    fft_role: ClassVar[str | None] = "filter"

    def response(
        self,
        params: list[dict[str, Any]],
        n_fft: int,
        sample_rate: int,
        device: torch.device,
    ) -> torch.Tensor:
        """(B, n_fft//2 + 1) real gains."""
        raise NotImplementedError

    def guard(self, sample_rate: int) -> int:
        """Zero samples to append before the FFT so the impulse response never wraps into valid samples."""
        raise NotImplementedError

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        return apply_filters(batch, [(self, list(params))]), None


def filter_gains(stages: list[Stage], n: int, sample_rate: int, device: torch.device) -> torch.Tensor | None:
    """Product of the stages' per-row gains on the rfft grid of size n (1 where a row skips a stage);
    None when no row applies any stage."""
    gain = None
    for op, params in stages:
        rows = [i for i, p in enumerate(params) if p is not None]
        if not rows:
            continue
        h = op.response([params[i] for i in rows], n, sample_rate, device)  # type: ignore[misc]
        if len(rows) < len(params):
            full = h.new_ones((len(params), h.shape[-1]))
            full[torch.tensor(rows, device=device)] = h
            h = full
        gain = h if gain is None else gain * h
    return gain


def filters_guard(stages: list[Stage], sample_rate: int) -> int:
    return max(op.guard(sample_rate) for op, _ in stages)


def apply_filters(batch: Batch, stages: list[Stage]) -> Batch:
    """Apply several spectral filters with one rfft/irfft; a None parameter row means "not applied"."""
    x, sr = batch.x, batch.sample_rate
    T = x.shape[-1]
    n = next_fast_len(T + filters_guard(stages, sr))
    gain = filter_gains(stages, n, sr, x.device)
    if gain is None:
        return batch
    y = fft.irfft(fft.rfft(x, n=n) * gain, n=n)[..., :T]
    return batch.with_x(zero_tail_(y.contiguous(), batch.lens, batch.lengths))
