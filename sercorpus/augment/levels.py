"""Level ops: gain, fade in/out (up to a fraction of the utterance) and the gradual per-second fade.

All are one elementwise multiply by an envelope built from each row's own length, so fades start and end
at the real edges of the utterance, never in padding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sercorpus.augment.base import Op, check_choice, check_order, check_range, register, tensor_of
from sercorpus.augment.batch import Batch, ExampleRNG


@register
class Gain(Op):
    """Multiply by 10^(g/20), g ~ U(min_gain_db, max_gain_db)."""

    name = "gain"

    def __init__(self, min_gain_db: float = -6.0, max_gain_db: float = 6.0, p: float = 1.0) -> None:
        super().__init__(p)
        self.min_gain_db = check_range(self.name, "min_gain_db", min_gain_db, -60.0, 40.0)
        self.max_gain_db = check_range(self.name, "max_gain_db", max_gain_db, -60.0, 40.0)
        check_order(self.name, "min_gain_db", self.min_gain_db, "max_gain_db", self.max_gain_db)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        return {"gain_db": float(rng.uniform(self.min_gain_db, self.max_gain_db))}

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        g = 10.0 ** (tensor_of(params, "gain_db", batch.x.device) / 20.0)
        return Batch(batch.x * g[:, None], batch.lengths, batch.sample_rate, batch.lens), None


@register
class Fade(Op):
    """Fade in over U(0, max_in) and out over U(0, max_out) of each utterance's own duration."""

    name = "fade"

    def __init__(
        self,
        max_in: float = 0.1,
        max_out: float = 0.1,
        min_in: float = 0.0,
        min_out: float = 0.0,
        shape: str = "linear",
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.min_in = check_range(self.name, "min_in", min_in, 0.0, 0.5)
        self.max_in = check_range(self.name, "max_in", max_in, 0.0, 0.5)
        self.min_out = check_range(self.name, "min_out", min_out, 0.0, 0.5)
        self.max_out = check_range(self.name, "max_out", max_out, 0.0, 0.5)
        check_order(self.name, "min_in", self.min_in, "max_in", self.max_in)
        check_order(self.name, "min_out", self.min_out, "max_out", self.max_out)
        self.shape = check_choice(self.name, "shape", shape, ("linear", "cosine"))

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        return {
            "fade_in": float(rng.uniform(self.min_in, self.max_in)),
            "fade_out": float(rng.uniform(self.min_out, self.max_out)),
        }

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        x = batch.x
        # ramps in samples: gain (t + 0.5) / n_in rising at the start, (L - t - 0.5) / n_out falling at the end
        n_in = [round(p["fade_in"] * n) for p, n in zip(params, batch.lens, strict=True)]
        n_out = [round(p["fade_out"] * n) for p, n in zip(params, batch.lens, strict=True)]
        inv_in = torch.tensor([1.0 / n if n else 1e9 for n in n_in], dtype=torch.float32).to(x.device)[
            :, None
        ]
        inv_out = torch.tensor([1.0 / n if n else 1e9 for n in n_out], dtype=torch.float32).to(x.device)[
            :, None
        ]
        ends = torch.tensor([n - 0.5 for n in batch.lens], dtype=torch.float32).to(x.device)[:, None]
        t = torch.arange(x.shape[-1], device=x.device, dtype=torch.float32)[None, :]
        env = torch.minimum((t + 0.5) * inv_in, (ends - t) * inv_out).clamp_(0.0, 1.0)
        if self.shape == "cosine":
            env = 0.5 - 0.5 * torch.cos(torch.pi * env)
        return Batch(x * env, batch.lengths, batch.sample_rate, batch.lens), None


@register
class GradualFade(Op):
    """The robustness-test fade: loudness changes by ``rate`` (2 %) of the original level per second.

    ``direction="out"``: gain 1 at the start, falling by ``rate`` each second; ``"in"``: the mirror image,
    reaching full level at the last sample; ``"random"`` picks one per example. ``curve="linear"`` gives
    max(0, 1 - rate*t); ``"exponential"`` gives (1 - rate)^t (2 % of the current level per second).
    """

    name = "gradual_fade"

    def __init__(
        self, rate: float = 0.02, direction: str = "out", curve: str = "linear", p: float = 1.0
    ) -> None:
        super().__init__(p)
        self.rate = check_range(self.name, "rate", rate, 0.0, 1.0, lo_open=True, hi_open=True)
        self.direction = check_choice(self.name, "direction", direction, ("in", "out", "random"))
        self.curve = check_choice(self.name, "curve", curve, ("linear", "exponential"))

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        direction = self.direction if self.direction != "random" else ("in", "out")[int(rng.integers(2))]
        return {"direction": direction, "rate_per_s": self.rate, "curve": self.curve}

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        x, lengths = batch.x, batch.lengths
        t = torch.arange(x.shape[-1], device=x.device, dtype=torch.float32)[None, :]
        fade_in = torch.tensor([p["direction"] == "in" for p in params]).to(x.device)[:, None]
        seconds = torch.where(fade_in, (lengths[:, None] - 1).to(torch.float32) - t, t) / batch.sample_rate
        if self.curve == "linear":
            env = (1.0 - self.rate * seconds).clamp(min=0.0)
        else:
            env = torch.exp(seconds.clamp(min=0.0) * float(np.log1p(-self.rate)))
        return Batch(x * env, lengths, batch.sample_rate, batch.lens), None  # padding of x is already 0
