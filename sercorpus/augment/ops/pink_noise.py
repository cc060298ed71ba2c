"""Fresh band-limited 1/f noise at a per-example SNR."""

from __future__ import annotations

from typing import Any

from sercorpus.augment.batch import Batch
from sercorpus.augment.noise_synth import colored_noise
from sercorpus.augment.params import number
from sercorpus.augment.rng import ExampleRNG, draw_noise_seed
from sercorpus.augment.snr import REFERENCE, SnrOp, snr_span


class PinkNoise(SnrOp):
    """Add fresh band-limited 1/f^exponent noise (pink by default) at a per-example SNR.

    ``exponent`` is the exponent of the power spectral density (1 = pink, -3.01 dB/octave; 0 white; 2
    brown); the noise occupies [f_low, f_high] and is never tiled.
    """

    name = "pink_noise"
    params = (
        snr_span((10.0, 30.0)),
        number("exponent", 1.0, -2.0, 2.0, "PSD exponent: 1 pink, 0 white, 2 brown"),
        number("f_low", 20.0, 0.0, 20000.0, "lowest noise frequency (Hz)"),
        number("f_high", None, 1.0, 96000.0, "highest noise frequency (Hz); null: Nyquist", optional=True),
        *REFERENCE,
    )

    def validate(self) -> None:
        if self.f_high is not None and self.f_high <= self.f_low:
            raise ValueError(f"{self.name}: f_high={self.f_high:g} must be above f_low={self.f_low:g}")

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        if self.f_low >= sample_rate / 2:
            raise ValueError(
                f"{self.name}: f_low={self.f_low:g} must be below Nyquist ({sample_rate / 2:g} Hz)"
            )
        return {
            "snr_db": self.draw("snr_db", rng),
            "noise_seed": draw_noise_seed(rng),
            "exponent": self.exponent,
            "f_low": self.f_low,
            "reference": self.reference,
        }

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        f_high = min(self.f_high or batch.sample_rate / 2, batch.sample_rate / 2)
        noise = colored_noise(
            [p["noise_seed"] for p in params],
            batch.x.shape[-1],
            batch.sample_rate,
            self.exponent,
            self.f_low,
            f_high,
            batch.x.device,
        )
        return self.mix(batch, noise, params, measure)
