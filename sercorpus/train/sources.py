"""What the trainer iterates: any source of contract batches (the shard loader, or cached embeddings) with
epoch seeding and exact mid-epoch resume, and the request the trainer hands a loader factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sercorpus.selection.views import LabelView
from sercorpus.train.data import SectionData
from sercorpus.train.recipe import AugmentSpec


class BatchSource(Protocol):
    def __iter__(self) -> Iterator[Any]: ...

    def set_epoch(self, epoch: int) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class LoaderRequest:
    """One section's loader, for one rank. Batch sizes are per rank (the recipe's global size / world)."""

    section: SectionData
    view: LabelView
    out_of_view: str
    role: Literal["train", "eval"]
    batch_size: int
    max_batch_seconds: float | None
    sample_rate: int
    seed: int
    rank: int
    world_size: int
    num_workers: int
    shuffle_buffer: int
    class_balanced: bool
    augment: AugmentSpec | None
    device: Any = None  # where on-the-fly augmentation runs (the training device)


LoaderFactory = Callable[[LoaderRequest], BatchSource]


def model_inputs(batch: Any) -> tuple[Any, Any]:
    """(input tensor, lengths): audio for audio batches, frames for embedding batches."""
    features = getattr(batch, "features", None)
    return (batch.audio if features is None else features), batch.lengths


def batch_seconds(batch: Any) -> float:
    seconds = getattr(batch, "seconds", None)
    if seconds is not None:
        return float(seconds)
    return float(batch.lengths.sum()) / float(batch.sample_rate)
