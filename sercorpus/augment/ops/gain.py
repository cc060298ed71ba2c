"""Gain: one multiply per example."""

from __future__ import annotations

from typing import Any

from sercorpus.augment.batch import Batch
from sercorpus.augment.op import Op, tensor_of
from sercorpus.augment.params import Span
from sercorpus.augment.rng import ExampleRNG


class Gain(Op):
    """Multiply by 10^(g/20), g ~ U(min_gain_db, max_gain_db)."""

    name = "gain"
    params = (Span("gain_db", (-6.0, 6.0), -60.0, 40.0, "the gain (dB)"),)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        return {"gain_db": self.draw("gain_db", rng)}

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        g = 10.0 ** (tensor_of(params, "gain_db", batch.x.device) / 20.0)
        return batch.with_x(batch.x * g[:, None]), None
