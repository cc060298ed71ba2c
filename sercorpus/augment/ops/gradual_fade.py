"""The robustness-test fade: loudness changing by a fixed percentage per second."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.op import Op
from sercorpus.augment.params import choice, number
from sercorpus.augment.rng import ExampleRNG


class GradualFade(Op):
    """The robustness-test fade: loudness changes by ``rate`` (2 %) of the original level per second.

    ``direction="out"``: gain 1 at the start, falling by ``rate`` each second; ``"in"``: the mirror image,
    reaching full level at the last sample; ``"random"`` picks one per example. ``curve="linear"`` gives
    max(0, 1 - rate*t); ``"exponential"`` gives (1 - rate)^t (2 % of the current level per second).
    """

    name = "gradual_fade"
    params = (
        number("rate", 0.02, 0.0, 1.0, "level change per second (fraction)", lo_open=True, hi_open=True),
        choice("direction", "out", ("in", "out", "random"), "fade out, fade in, or either per example"),
        choice("curve", "linear", ("linear", "exponential"), "linear or exponential envelope"),
    )

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        direction = self.direction if self.direction != "random" else ("in", "out")[int(rng.integers(2))]
        return {"direction": direction, "rate_per_s": self.rate, "curve": self.curve}

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        x, lengths = batch.x, batch.lengths
        t = torch.arange(x.shape[-1], device=x.device, dtype=torch.float32)[None, :]
        fade_in = torch.tensor([p["direction"] == "in" for p in params]).to(x.device)[:, None]
        seconds = torch.where(fade_in, (lengths[:, None] - 1).to(torch.float32) - t, t) / batch.sample_rate
        if self.curve == "linear":
            env = (1.0 - self.rate * seconds).clamp(min=0.0)
        else:
            env = torch.exp(seconds.clamp(min=0.0) * float(np.log1p(-self.rate)))
        return batch.with_x(x * env), None  # padding of x is already 0
