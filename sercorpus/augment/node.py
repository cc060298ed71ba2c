"""What every node of an op tree (a leaf op, a chain, a one-of) has in common: a probability, a domain,
``forward`` over a batch with one seed per example, a JSON spec, and a call on plain tensors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch

from sercorpus.augment.batch import Batch, entry_batch
from sercorpus.augment.execution import run_examples
from sercorpus.augment.rng import derive_seeds, example_seeds

Records = Sequence[Mapping[str, Any]] | None


class Node:
    """Base of leaf ops and compositions.

    ``forward(batch, seeds, measure, records)`` returns the new batch and one provenance dict per example.
    With ``records`` (one provenance dict per example, as an earlier forward returned it) every decision is
    read from the records instead of drawn from the seeds: that is how an output is replayed.
    """

    name: ClassVar[str] = ""
    domain: str = "waveform"  # or "features" (B, F, frames)
    p: float = 1.0
    #: "filter" or "convolution" for leaf ops that can share FFTs with neighbours in a chain
    fft_role: ClassVar[str | None] = None

    @property
    def label(self) -> str:
        return self.name or type(self).__name__

    def forward(
        self, batch: Batch, seeds: Sequence[int], measure: bool = False, records: Records = None
    ) -> tuple[Batch, list[dict[str, Any]]]:
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        """The node as a JSON-able config mapping (what ``build_op`` turns back into this node)."""
        raise NotImplementedError

    def __call__(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor | Sequence[int],
        sample_rate: int,
        ids: Sequence[str] | None = None,
        seed: int = 0,
        copy: int | Sequence[int] = 0,
        measure: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, list[dict[str, Any]]]:
        """Apply to a padded batch; parameters derive from (seed, ids[i], copy), so pass real ids.

        Without ``ids`` the row index is used, which makes the result depend on batch order.
        """
        batch = entry_batch(x, lengths, sample_rate, ids)
        ids = [str(i) for i in range(batch.size)] if ids is None else list(ids)
        seeds = derive_seeds(example_seeds(seed, ids, copy), self.label)
        out, prov = run_examples(self, batch, seeds, measure)
        return out.x, out.lengths, prov


def check_records(label: str, records: Records, size: int) -> None:
    if records is not None and len(records) != size:
        raise ValueError(f"{label}: {size} rows but {len(records)} provenance records")
