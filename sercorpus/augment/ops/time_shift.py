"""Time shift inside the valid region, with or without wrap-around."""

from __future__ import annotations

from typing import Any

import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.op import Op
from sercorpus.augment.padding import wrap_index, zero_tail_
from sercorpus.augment.params import Span, check_number, choice, flag
from sercorpus.augment.rng import ExampleRNG


class TimeShift(Op):
    """Shift the content by U(min_shift, max_shift) of the utterance (or seconds), length unchanged.

    Positive shifts delay. Without ``rollover`` vacated samples become silence and content pushed past
    the end is dropped; with it, content wraps around inside the valid region (never into padding).
    """

    name = "time_shift"
    params = (
        Span(
            "shift",
            (-0.1, 0.1),
            -60.0,
            60.0,
            "the shift (a fraction of the utterance in [-1, 1], or seconds); positive delays",
        ),
        choice("unit", "fraction", ("fraction", "seconds"), "unit of the shift range"),
        flag("rollover", False, "wrap content around inside the valid region instead of dropping it"),
    )

    def validate(self) -> None:
        if self.unit == "fraction":
            for key in ("min_shift", "max_shift"):
                check_number(self.name, key, getattr(self, key), -1.0, 1.0)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        value = self.draw("shift", rng)
        samples = value * length if self.unit == "fraction" else value * sample_rate
        return {"shift_samples": int(round(samples)), "shift_s": round(samples) / sample_rate}

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        x, lengths = batch.x, batch.lengths
        T = x.shape[-1]
        shifts = [p["shift_samples"] for p in params]
        if self.rollover:  # src = (t - shift) mod L inside the valid region
            offset = torch.tensor(
                [(-s) % max(n, 1) for s, n in zip(shifts, batch.lens, strict=True)], dtype=torch.int64
            ).to(x.device)
            y = torch.gather(x, 1, wrap_index(offset, lengths.clamp(min=1), T, max(batch.lens)))
        else:  # read from a copy padded with `m` zeros on both sides: out-of-range reads give silence
            m = min(max(abs(s) for s in shifts), T)
            padded = torch.nn.functional.pad(x, (m, m))
            start = torch.tensor([m - max(-m, min(m, s)) for s in shifts], dtype=torch.int64).to(x.device)
            y = torch.gather(padded, 1, start[:, None] + torch.arange(T, device=x.device)[None, :])
        return batch.with_x(zero_tail_(y, batch.lens, lengths)), None
