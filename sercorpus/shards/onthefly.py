"""On-the-fly augmentation of loader batches (on the batch's device, e.g. the GPU), new draws every epoch.

A row is augmented with probability ``rate`` decided by a stable hash of (seed, epoch, id, occurrence), and
its parameters derive from (seed, epoch) and the same (id, occurrence) through the engine's own per-example
seeding: the same epoch gives the same augmentation after a resume, whatever the batch it lands in; the
next epoch gives new ones; a sample seen twice in an epoch (mixing, balancing) gets two different draws.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch

from sercorpus.core.seeding import stable_seed
from sercorpus.shards.batch import Batch

_UNIT = float(2**63)


class OnTheFlyAugment:
    """``augment(batch, epoch, occurrences) -> batch``; pass it to ``ShardLoader(augment=...)``."""

    def __init__(
        self,
        config: str | os.PathLike[str] | Mapping[str, Any] | Any,
        rate: float = 1.0,
        seed: int = 0,
        resources: Mapping[str, Any] | None = None,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate={rate} must be in [0, 1]")
        from sercorpus.augment import Augmenter, load_config

        self.augmenter = config if isinstance(config, Augmenter) else load_config(config, resources)
        if self.augmenter.domain != "waveform":
            raise ValueError(
                "on-the-fly augmentation here is for waveforms; SpecAugment belongs after the features"
            )
        self.rate = float(rate)
        self.seed = int(seed)

    def chosen(self, ids: Sequence[str], epoch: int, occurrences: Sequence[int]) -> list[int]:
        return [
            i
            for i, (utt, occ) in enumerate(zip(ids, occurrences, strict=True))
            if stable_seed("on-the-fly", self.seed, epoch, utt, occ) / _UNIT < self.rate
        ]

    def __call__(self, batch: Batch, epoch: int, occurrences: Sequence[int]) -> Batch:
        rows = self.chosen(batch.ids, epoch, occurrences)
        if not rows:
            return batch
        index = torch.tensor(rows, dtype=torch.int64, device=batch.audio.device)
        lengths = batch.lengths.index_select(0, index)
        x = batch.audio.index_select(0, index)[:, : int(lengths.max())]
        with torch.no_grad():
            out = self.augmenter(
                x,
                lengths,
                ids=[batch.ids[i] for i in rows],
                copy=[int(occurrences[i]) for i in rows],
                seed=stable_seed("on-the-fly-epoch", self.seed, epoch),
                sample_rate=batch.sample_rate,
            )
        new_lengths = batch.lengths.clone()
        new_lengths[index] = out.lengths.to(new_lengths.device)
        T = int(new_lengths.max())
        audio = batch.audio.new_zeros((batch.audio.shape[0], T))
        keep = min(T, batch.audio.shape[1])
        audio[:, :keep] = batch.audio[:, :keep]
        audio[index] = 0
        y = out.x[:, :T]
        audio[index, : y.shape[-1]] = y.to(audio.dtype)
        return replace(batch, audio=audio, lengths=new_lengths)
