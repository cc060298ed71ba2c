"""Telephone channel: what call-centre audio went through, and what none of the peer libraries offers.

Band-limit to 300-3400 Hz (Butterworth magnitude, as the G.712 channel mask), resample to 8 kHz,
companding with 8-bit G.711 mu-law or A-law (the quantisation noise follows the signal level), optional
packet loss (whole 20 ms packets zeroed, no concealment), then back to the input rate. Samples are treated
as full scale +-1, as the codec does (louder input clips).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from sercorpus.augment.base import (
    Op,
    check_choice,
    check_int,
    check_order,
    check_range,
    draw_noise_seed,
    register,
)
from sercorpus.augment.batch import Batch, ExampleRNG, counter_uniform, zero_tail_
from sercorpus.augment.dsp import butterworth_magnitude, butterworth_tail, next_fast_len, resample

_MU = 255.0
_A = 87.6


def mulaw_roundtrip(x: torch.Tensor) -> torch.Tensor:
    """Encode to 8-bit mu-law (mu = 255) and decode."""
    x = x.clamp(-1.0, 1.0)
    f = torch.sign(x) * torch.log1p(_MU * x.abs()) / math.log1p(_MU)
    q = torch.round(f * 127.0) / 127.0  # 8-bit sign-magnitude codes (G.711 has +0 and -0)
    return torch.sign(q) * torch.expm1(q.abs() * math.log1p(_MU)) / _MU


def alaw_roundtrip(x: torch.Tensor) -> torch.Tensor:
    """Encode to 8-bit A-law (A = 87.6) and decode."""
    x = x.clamp(-1.0, 1.0)
    a = x.abs()
    norm = 1.0 + math.log(_A)
    f = torch.where(a < 1.0 / _A, _A * a / norm, (1.0 + torch.log((_A * a).clamp(min=1.0))) / norm)
    q = torch.round(torch.sign(x) * f * 127.0) / 127.0
    b = q.abs()
    y = torch.where(b < 1.0 / norm, b * norm / _A, torch.exp(b * norm - 1.0) / _A)
    return torch.sign(q) * y


@register
class Telephone(Op):
    """Narrow-band telephone channel with G.711 companding and optional packet loss.

    ``codec``: ``"mulaw"``, ``"alaw"``, ``"none"`` or ``"random"`` (mu-law or A-law per example).
    ``min_packet_loss``/``max_packet_loss``: per-example loss probability range for ``packet_ms`` packets.
    """

    name = "telephone"
    CHANNEL_RATE = 8000

    def __init__(
        self,
        codec: str = "mulaw",
        low_hz: float = 300.0,
        high_hz: float = 3400.0,
        order: int = 9,
        min_packet_loss: float = 0.0,
        max_packet_loss: float = 0.0,
        packet_ms: float = 20.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.codec = check_choice(self.name, "codec", codec, ("mulaw", "alaw", "none", "random"))
        self.low_hz = check_range(self.name, "low_hz", low_hz, 0.0, 1000.0)
        self.high_hz = check_range(self.name, "high_hz", high_hz, 1000.0, 3900.0)
        self.order = check_int(self.name, "order", order, 1, 16)
        self.min_packet_loss = check_range(self.name, "min_packet_loss", min_packet_loss, 0.0, 0.5)
        self.max_packet_loss = check_range(self.name, "max_packet_loss", max_packet_loss, 0.0, 0.5)
        check_order(
            self.name, "min_packet_loss", self.min_packet_loss, "max_packet_loss", self.max_packet_loss
        )
        self.packet_ms = check_range(self.name, "packet_ms", packet_ms, 5.0, 100.0)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        if sample_rate < self.CHANNEL_RATE:
            raise ValueError(f"{self.name}: input rate {sample_rate} Hz is below the 8 kHz channel rate")
        codec = self.codec if self.codec != "random" else ("mulaw", "alaw")[int(rng.integers(2))]
        return {
            "codec": codec,
            "low_hz": self.low_hz,
            "high_hz": self.high_hz,
            "packet_loss": float(rng.uniform(self.min_packet_loss, self.max_packet_loss)),
            "packet_ms": self.packet_ms,
            "noise_seed": draw_noise_seed(rng),
        }

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        x, sr, device = batch.x, batch.sample_rate, batch.x.device
        T = x.shape[-1]
        # 1. channel band at the input rate (one FFT pair for the batch; one gain row, the same for every row)
        n = next_fast_len(T + butterworth_tail(max(self.low_hz, 50.0), self.order, sr))
        gain = butterworth_magnitude(
            n, sr, torch.tensor([self.high_hz], device=device), self.order, "lowpass"
        )
        if self.low_hz > 0:
            gain = gain * butterworth_magnitude(
                n, sr, torch.tensor([self.low_hz], device=device), self.order, "highpass"
            )
        band = zero_tail_(
            torch.fft.irfft(torch.fft.rfft(x, n=n) * gain, n=n)[:, :T].contiguous(), batch.lens, batch.lengths
        )
        # 2. to 8 kHz, codec, packet loss
        rate = self.CHANNEL_RATE
        narrow = resample(band, sr, rate)
        lens8 = [-(-n_ * rate // sr) for n_ in batch.lens]
        narrow = zero_tail_(narrow, lens8)
        codecs = [p["codec"] for p in params]
        if "mulaw" in codecs or "alaw" in codecs:
            mu = torch.tensor([c == "mulaw" for c in codecs]).to(device)[:, None]
            al = torch.tensor([c == "alaw" for c in codecs]).to(device)[:, None]
            narrow = torch.where(mu, mulaw_roundtrip(narrow), torch.where(al, alaw_roundtrip(narrow), narrow))
        if any(p["packet_loss"] > 0 for p in params):
            packet = max(1, int(round(self.packet_ms * rate / 1000)))
            n_packets = -(-narrow.shape[-1] // packet)
            u = counter_uniform([p["noise_seed"] for p in params], n_packets, stream=5, device=device)
            loss = torch.tensor([p["packet_loss"] for p in params], dtype=torch.float32).to(device)
            keep = (u >= loss[:, None]).repeat_interleave(packet, dim=1)[:, : narrow.shape[-1]]
            narrow = narrow * keep
        # 3. back to the input rate (the codecs and the loss mask kept the padding at 0; the round trip gives
        # ceil(ceil(T * 8k/sr) * sr/8k) >= T samples)
        y = resample(narrow, rate, sr)[:, :T]
        return Batch(
            zero_tail_(y.contiguous(), batch.lens, batch.lengths), batch.lengths, sr, batch.lens
        ), None
