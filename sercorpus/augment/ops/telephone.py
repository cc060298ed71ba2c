"""Telephone channel: what call-centre audio went through, and what none of the peer libraries offers.

Band-limit to 300-3400 Hz (Butterworth magnitude, as the G.712 channel mask), resample to 8 kHz,
companding with 8-bit G.711 mu-law or A-law (the quantisation noise follows the signal level), optional
packet loss (whole 20 ms packets zeroed, no concealment), then back to the input rate. Samples are treated
as full scale +-1, as the codec does (louder input clips).
"""

from __future__ import annotations

from typing import Any

import torch

from sercorpus.augment import fft
from sercorpus.augment.batch import Batch
from sercorpus.augment.butterworth import butterworth_magnitude, butterworth_tail
from sercorpus.augment.codecs import alaw_roundtrip, mulaw_roundtrip
from sercorpus.augment.counter_rng import counter_uniform
from sercorpus.augment.dsp import next_fast_len, resample
from sercorpus.augment.op import Op
from sercorpus.augment.padding import zero_tail_
from sercorpus.augment.params import Span, choice, integer, number
from sercorpus.augment.rng import ExampleRNG, draw_noise_seed


class Telephone(Op):
    """Narrow-band telephone channel with G.711 companding and optional packet loss.

    ``codec``: ``"mulaw"``, ``"alaw"``, ``"none"`` or ``"random"`` (mu-law or A-law per example).
    ``min_packet_loss``/``max_packet_loss``: per-example loss probability range for ``packet_ms`` packets.
    """

    name = "telephone"
    params = (
        choice(
            "codec",
            "mulaw",
            ("mulaw", "alaw", "none", "random"),
            "G.711 codec (random: mu-law or A-law per example)",
        ),
        number("low_hz", 300.0, 0.0, 1000.0, "lower band edge (Hz); 0: no high-pass"),
        number("high_hz", 3400.0, 1000.0, 3900.0, "upper band edge (Hz)"),
        integer("order", 9, 1, 16, "Butterworth order of the band edges"),
        Span("packet_loss", (0.0, 0.0), 0.0, 0.5, "the probability that a packet is lost"),
        number("packet_ms", 20.0, 5.0, 100.0, "packet duration (ms)"),
    )
    CHANNEL_RATE = 8000

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        if sample_rate < self.CHANNEL_RATE:
            raise ValueError(f"{self.name}: input rate {sample_rate} Hz is below the 8 kHz channel rate")
        codec = self.codec if self.codec != "random" else ("mulaw", "alaw")[int(rng.integers(2))]
        return {
            "codec": codec,
            "low_hz": self.low_hz,
            "high_hz": self.high_hz,
            "packet_loss": self.draw("packet_loss", rng),
            "packet_ms": self.packet_ms,
            "noise_seed": draw_noise_seed(rng),
        }

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
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
            fft.irfft(fft.rfft(x, n=n) * gain, n=n)[:, :T].contiguous(), batch.lens, batch.lengths
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
