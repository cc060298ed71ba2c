"""Convolution reverb: one batched FFT convolution with a per-example impulse response.

The RIR is aligned on its direct path (the output does not lag the input) and the output is energy-matched to
the input on the valid region (lhotse's convention; NeMo's peak normalisation changes loudness). The output
keeps the input length: the tail after the last valid sample is cut, as in audiomentations'
``leave_length_unchanged``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch

from sercorpus.augment import fft
from sercorpus.augment.batch import Batch
from sercorpus.augment.dsp import next_fast_len
from sercorpus.augment.mixing import row_power
from sercorpus.augment.op import Op
from sercorpus.augment.padding import zero_tail_


def _valid_energy_from_spectrum(
    x: torch.Tensor, lens: list[int], rirs: torch.Tensor, spec: torch.Tensor, n: int, lead: int
) -> torch.Tensor:
    """Energy of (x * rir)[lead : lead + L] per row without an inverse FFT of the whole signal.

    Parseval gives the energy of the full linear convolution from its spectrum; what lies outside the
    crop (the first ``lead`` samples and the tail after the utterance end) depends only on the first
    ``lead`` and last ``len(rir) - 1`` input samples, so it comes from two short convolutions.
    """
    B, Lr = rirs.shape
    w = torch.full((spec.shape[-1],), 2.0, dtype=torch.float64, device=spec.device)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    total = ((spec.real.double() ** 2 + spec.imag.double() ** 2) * w).sum(-1) / n
    m = Lr - 1
    ends = torch.tensor([n_ - m for n_ in lens], dtype=torch.int64).to(x.device)
    pos = ends[:, None] + torch.arange(m, device=x.device)[None, :]
    last = torch.gather(x, 1, pos.clamp(min=0)) * (pos >= 0)
    small = next_fast_len(m + Lr - 1)
    rir_small = fft.rfft(rirs, n=small)
    tail = fft.irfft(fft.rfft(last, n=small) * rir_small, n=small)[:, m + lead : m + Lr - 1]
    head = fft.irfft(fft.rfft(x[:, :lead], n=small) * rir_small, n=small)[:, :lead] if lead else None
    outside = (tail.double() ** 2).sum(-1) + ((head.double() ** 2).sum(-1) if head is not None else 0.0)
    return (total - outside).clamp(min=0.0)


def convolve_matched(
    batch: Batch,
    rirs: torch.Tensor,
    lead: int = 0,
    then: Callable[[int], torch.Tensor | None] | None = None,
    guard: int = 0,
) -> Batch:
    """Linear convolution of each row with its RIR, cropped to [lead, lead + T), energy-matched on the valid
    region, padding 0.

    ``then(n)`` optionally gives per-row gains on the rfft grid of size n for filters that follow the reverb
    (``guard``: their impulse-response length); they are applied to the reverberant spectrum directly,
    which saves the filters' forward FFT, and the reverb's own energy (the energy match refers to the
    reverb alone) is then computed in the frequency domain, which saves an inverse FFT too.
    """
    x, lengths = batch.x, batch.lengths
    T = x.shape[-1]
    n = next_fast_len(T + rirs.shape[-1] - 1 + guard)
    spec = fft.rfft(x, n=n) * fft.rfft(rirs, n=n)
    p_in = row_power(x, lengths)
    if then is None:
        y = zero_tail_(fft.irfft(spec, n=n)[:, lead : lead + T].contiguous(), batch.lens, lengths)
        p_out = row_power(y, lengths)
    else:
        energy = _valid_energy_from_spectrum(x, batch.lens, rirs, spec, n, lead)
        p_out = (energy / lengths.clamp(min=1).double()).to(x.dtype)
        gains = then(n)
        shaped = spec if gains is None else spec * gains
        y = zero_tail_(fft.irfft(shaped, n=n)[:, lead : lead + T].contiguous(), batch.lens, lengths)
    gain = torch.where(p_out > 0, torch.sqrt(p_in / p_out.clamp(min=1e-30)), torch.zeros_like(p_out))
    return Batch(y * gain[:, None], lengths, batch.sample_rate, batch.lens)


class ConvolutionReverb(Op):
    """Base of ops with ``fft_role = "convolution"``: one impulse response per example; a chain fuses it with
    the spectral filters that follow it."""

    fft_role: ClassVar[str | None] = "convolution"

    def impulse_responses(self, batch: Batch, params: list[dict[str, Any]]) -> tuple[torch.Tensor, int]:
        """(rows, L) impulse responses on the batch's device and the direct-path index ``lead``."""
        raise NotImplementedError

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        rirs, lead = self.impulse_responses(batch, params)
        return convolve_matched(batch, rirs, lead), None
