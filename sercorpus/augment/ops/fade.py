"""Fade in/out over a fraction of each utterance's own duration (never into padding)."""

from __future__ import annotations

from typing import Any

import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.op import Op
from sercorpus.augment.params import Span, choice
from sercorpus.augment.rng import ExampleRNG


class Fade(Op):
    """Fade in over U(min_in, max_in) and out over U(min_out, max_out) of each utterance's own duration."""

    name = "fade"
    params = (
        Span("in", (0.0, 0.1), 0.0, 0.5, "the fade-in duration (fraction of the utterance)"),
        Span("out", (0.0, 0.1), 0.0, 0.5, "the fade-out duration (fraction of the utterance)"),
        choice("shape", "linear", ("linear", "cosine"), "shape of the ramps"),
    )
    positional = ("max_in", "max_out", "min_in", "min_out", "shape", "p")

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        return {"fade_in": self.draw("in", rng), "fade_out": self.draw("out", rng)}

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
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
        return batch.with_x(x * env), None
