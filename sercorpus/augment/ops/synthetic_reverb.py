"""Convolution with synthetic room impulse responses: a direct path and an exponentially decaying noise tail."""

from __future__ import annotations

import math
from typing import Any

import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.convolution import ConvolutionReverb
from sercorpus.augment.counter_rng import counter_normal
from sercorpus.augment.op import tensor_of
from sercorpus.augment.padding import zero_tail_
from sercorpus.augment.params import Span
from sercorpus.augment.rng import ExampleRNG, draw_noise_seed


class SyntheticReverb(ConvolutionReverb):
    """Convolve with a synthetic RIR: a unit direct path, then Gaussian noise decaying 60 dB in T60.

    T60 ~ U(min_t60, max_t60) s; the tail is scaled so the direct-to-reverberant energy ratio (direct
    sample vs everything after it) is DRR ~ U(min_drr_db, max_drr_db). The noise is keyed by the example's
    noise seed, so the RIR is reproducible on any device.
    """

    name = "synthetic_reverb"
    params = (
        Span("t60", (0.2, 0.7), 0.05, 5.0, "the reverberation time T60 (s)"),
        Span("drr_db", (0.0, 10.0), -30.0, 40.0, "the direct-to-reverberant ratio (dB)"),
    )

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        return {
            "t60_s": self.draw("t60", rng),
            "drr_db": self.draw("drr_db", rng),
            "noise_seed": draw_noise_seed(rng),
        }

    @staticmethod
    def make_rirs(params: list[dict[str, Any]], sample_rate: int, device: torch.device) -> torch.Tensor:
        """(B, L) synthetic impulse responses for the given parameters (direct path at index 0)."""
        t60 = tensor_of(params, "t60_s", device)
        drr = tensor_of(params, "drr_db", device)
        lens = [int(math.ceil(p["t60_s"] * sample_rate)) + 1 for p in params]
        L = max(lens)
        t = torch.arange(L, device=device, dtype=torch.float32)[None, :] / sample_rate
        tail = counter_normal([p["noise_seed"] for p in params], L, stream=3, device=device)
        tail = tail * torch.exp(-6.907755 * t / t60[:, None])
        tail[:, 0] = 0.0
        tail = zero_tail_(tail, lens)
        energy = (tail * tail).sum(-1).clamp(min=1e-30)
        tail = tail * torch.sqrt(10.0 ** (-drr / 10.0) / energy)[:, None]
        tail[:, 0] = 1.0
        return tail

    def impulse_responses(self, batch: Batch, params: list[dict[str, Any]]) -> tuple[torch.Tensor, int]:
        return self.make_rirs(params, batch.sample_rate, batch.x.device), 0
