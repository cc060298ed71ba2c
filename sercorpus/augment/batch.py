"""The padded-batch contract every op shares: a zero-padded ``(B, ..., T)`` tensor plus per-example lengths.

``lens`` mirrors ``lengths`` on the CPU so ops can size outputs and draw parameters without a device->host
sync per op; :meth:`Batch.select` and :meth:`Batch.merge` move rows in and out of sub-batches (an op runs
on the rows it applies to).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from sercorpus.augment.padding import zero_tail_


@dataclass
class Batch:
    """A zero-padded batch ``x`` of shape (B, ..., T) with per-example valid lengths along the last axis."""

    x: torch.Tensor
    lengths: torch.Tensor
    sample_rate: int
    lens: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.lengths.dtype != torch.int64:
            self.lengths = self.lengths.to(torch.int64)
        if self.lengths.device != self.x.device:
            self.lengths = self.lengths.to(self.x.device)
        if not self.lens:
            self.lens = [int(v) for v in self.lengths.tolist()]
        if len(self.lens) != self.x.shape[0]:
            raise ValueError(f"batch has {self.x.shape[0]} rows but {len(self.lens)} lengths")
        if self.lens and max(self.lens) > self.x.shape[-1]:
            raise ValueError(f"a length ({max(self.lens)}) exceeds the padded size T={self.x.shape[-1]}")

    @classmethod
    def from_lens(cls, x: torch.Tensor, lens: Sequence[int], sample_rate: int) -> Batch:
        lens = [int(v) for v in lens]
        lengths = torch.tensor(lens, dtype=torch.int64).to(x.device, non_blocking=True)
        return cls(x, lengths, sample_rate, lens)

    @property
    def size(self) -> int:
        return int(self.x.shape[0])

    def with_x(self, x: torch.Tensor) -> Batch:
        """The same rows and lengths with new samples (same shape)."""
        return Batch(x, self.lengths, self.sample_rate, self.lens)

    def select(self, rows: Sequence[int]) -> Batch:
        """Rows ``rows`` as a new batch, trimmed to their own longest length."""
        if len(rows) == self.size and list(rows) == list(range(self.size)):
            return self
        lens = [self.lens[i] for i in rows]
        index = torch.tensor(list(rows), dtype=torch.int64).to(self.x.device, non_blocking=True)
        x = self.x.index_select(0, index)[..., : max(lens, default=0)]
        return Batch.from_lens(x.contiguous(), lens, self.sample_rate)

    def merge(self, rows: Sequence[int], sub: Batch) -> Batch:
        """This batch with rows ``rows`` replaced by ``sub`` (which may be longer: T grows as needed)."""
        if len(rows) == self.size and list(rows) == list(range(self.size)):
            return sub
        lens = list(self.lens)
        for i, n in zip(rows, sub.lens, strict=True):
            lens[i] = n
        T = max(max(lens, default=0), 1)
        out = self.x.new_zeros((*self.x.shape[:-1], T))
        keep = min(T, self.x.shape[-1])
        out[..., :keep] = self.x[..., :keep]
        index = torch.tensor(list(rows), dtype=torch.int64).to(self.x.device, non_blocking=True)
        out[index] = 0
        out[index, ..., : sub.x.shape[-1]] = sub.x
        return Batch.from_lens(out, lens, self.sample_rate)


def entry_batch(
    x: torch.Tensor, lengths: torch.Tensor | Sequence[int], sample_rate: int, ids: Sequence[str] | None = None
) -> Batch:
    """A caller's padded batch as a :class:`Batch` whose padding is guaranteed zero (a copy; the caller's
    tensor is never modified). Every op relies on that invariant, e.g. to sum powers without masks.
    NaN/inf samples in the valid region are an error naming the examples: they would spread through every
    FFT-based op and come out as a whole utterance of NaN."""
    if not isinstance(lengths, torch.Tensor):
        lengths = torch.tensor(list(lengths), dtype=torch.int64)
    if x.dim() < 2:
        raise ValueError(f"expected a padded batch (B, ..., T), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"expected floating-point audio, got {x.dtype}")
    batch = Batch(x, lengths, sample_rate)
    if min(batch.lens, default=0) < 0:
        raise ValueError("lengths must be >= 0")
    clean = zero_tail_(x.clone(), batch.lens, batch.lengths)
    finite = torch.isfinite(clean).reshape(clean.shape[0], -1).all(dim=1)
    if not bool(finite.all()):
        rows = [int(i) for i in torch.nonzero(~finite).flatten()]
        names = [ids[i] if ids is not None else f"row {i}" for i in rows]
        raise ValueError(
            f"non-finite samples (NaN or inf) in the input audio of {', '.join(map(str, names))}"
        )
    return Batch(clean, batch.lengths, sample_rate, batch.lens)
