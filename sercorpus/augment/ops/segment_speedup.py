"""Speed up (or slow down) one random segment of each utterance by resampling it with its context."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.dsp import rational, resample, sinc_width
from sercorpus.augment.op import Op
from sercorpus.augment.padding import zero_tail_
from sercorpus.augment.params import Span, number
from sercorpus.augment.rng import ExampleRNG


class SegmentSpeedup(Op):
    """Speed up (resample, so pitch rises too, like tape or sox ``speed``) a random segment of U(min_fraction,
    max_fraction) of the utterance by ``factor``; the utterance gets shorter by the time saved.

    The segment is resampled with its surrounding context, so the joins are seamless. ``factor`` < 1 slows
    the segment down instead.
    """

    name = "segment_speedup"
    params = (
        Span("fraction", (0.1, 0.2), 0.0, 1.0, "the segment's share of the utterance", lo_open=True),
        number(
            "factor", 1.25, 0.5, 2.0, "speed factor of the segment (rounded to a ratio of small integers)"
        ),
    )
    _ZERO_CROSSINGS = 16

    def validate(self) -> None:
        if self.factor == 1.0:
            raise ValueError(f"{self.name}: factor=1.0 does nothing; use a value in [0.5, 2.0] other than 1")
        self.up, self.down = rational(self.factor, 32)
        # context gathered on each side of a segment: the resampler's reach, rounded up to a multiple of
        # `up` so the output grid stays aligned with the input
        width = sinc_width(self.up, self.down, self._ZERO_CROSSINGS)
        self._margin = self.up * -(-width // self.up)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        frac = self.draw("fraction", rng)
        seg = min(length, max(1, int(round(frac * length))))
        start = int(rng.integers(0, length - seg + 1))
        return {
            "start_s": start / sample_rate,
            "start": start,
            "segment": seg,
            "fraction": frac,
            "factor": self.up / self.down,
        }

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        x, sr, device = batch.x, batch.sample_rate, batch.x.device
        B, T = x.shape
        up, down, margin = self.up, self.down, self._margin  # resample from `up` to `down` samples
        starts = np.array([p["start"] for p in params], dtype=np.int64)
        segs = np.array([p["segment"] for p in params], dtype=np.int64)
        new_segs = -(-segs * down // up)
        new_lens = [int(n - s + ns) for n, s, ns in zip(batch.lens, segs, new_segs, strict=True)]
        S = int(segs.max())
        # gather each segment with `margin` samples of real context (zeros outside the valid region)
        src = torch.from_numpy(starts[:, None] - margin + np.arange(S + 2 * margin)[None, :]).to(device)
        seg_mask = (src >= 0) & (src < batch.lengths[:, None])
        inside = torch.from_numpy(np.arange(S + 2 * margin)[None, :] < (segs[:, None] + 2 * margin)).to(
            device
        )
        pieces = torch.gather(x, 1, src.clamp(0, T - 1)) * (seg_mask & inside)
        fast = resample(pieces, up, down, self._ZERO_CROSSINGS)[:, margin * down // up :]
        T_out = max(new_lens)
        t = torch.arange(T_out, device=device)[None, :]
        st = torch.from_numpy(starts).to(device)[:, None]
        ns = torch.from_numpy(new_segs).to(device)[:, None]
        sg = torch.from_numpy(segs).to(device)[:, None]
        in_seg = (t >= st) & (t < st + ns)
        x_src = torch.where(t < st, t, t - ns + sg).clamp(0, T - 1)
        f_src = (t - st).clamp(0, fast.shape[1] - 1)
        y = torch.where(in_seg, torch.gather(fast, 1, f_src), torch.gather(x, 1, x_src))
        lengths = torch.tensor(new_lens, dtype=torch.int64).to(device, non_blocking=True)
        return Batch(zero_tail_(y, new_lens, lengths), lengths, sr, new_lens), None
