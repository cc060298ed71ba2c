"""Batches of cached layer embeddings with their targets, for models trained on frozen features (TC-GRU).

Order is a seeded permutation per epoch. Under DDP each global batch (the recipe's batch size) is dealt
row by row to the ranks, so W processes see exactly the rows one process would; training pads the last
global batch from the start of the epoch's order so every rank takes the same number of steps, evaluation
never pads (the trainer gathers and deduplicates by id)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from sercorpus.core.schema import Utterance
from sercorpus.core.seeding import rng_for
from sercorpus.train.embstore import EmbeddingStore
from sercorpus.train.targets import TargetTable


@dataclass
class FeatureBatch:
    ids: list[str]
    features: torch.Tensor  # float32 [B, F, D], zero-padded
    lengths: torch.Tensor  # int64 [B] valid frames
    labels: torch.Tensor
    soft: torch.Tensor
    soft_mask: torch.Tensor
    dims: torch.Tensor
    dims_mask: torch.Tensor
    corpora: list[str]
    speakers: list[str | None]
    seconds: float  # audio seconds behind the batch (throughput)

    def __len__(self) -> int:
        return len(self.ids)

    def to(self, device: torch.device | str) -> FeatureBatch:
        move = lambda t: t.to(device)  # noqa: E731
        return FeatureBatch(
            self.ids,
            move(self.features),
            move(self.lengths),
            move(self.labels),
            move(self.soft),
            move(self.soft_mask),
            move(self.dims),
            move(self.dims_mask),
            self.corpora,
            self.speakers,
            self.seconds,
        )


class EmbeddingSource:
    def __init__(
        self,
        store: EmbeddingStore,
        records: Sequence[Utterance],
        targets: TargetTable,
        batch_size: int,
        train: bool,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
    ):
        missing = [u.id for u in records if u.id not in store]
        if missing:
            raise ValueError(
                f"{store.folder}: {len(missing)} sample(s) have no cached embedding, e.g. {missing[0]}"
            )
        self.store = store
        self.records = sorted(records, key=lambda u: u.id)
        self.targets = targets
        self.batch_size = batch_size
        self.train = train
        self.seed = seed
        self.rank = rank
        self.world = world_size
        self.epoch = 0
        self.position = 0  # batches of this epoch already yielded

    # ------------------------------------------------------------------------------- epoch + resume
    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.position = 0

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])

    # ------------------------------------------------------------------------------------- batching
    def _global_batches(self) -> list[list[int]]:
        n = len(self.records)
        order = (
            rng_for(self.seed, "embedding-order", self.epoch).permutation(n) if self.train else np.arange(n)
        )
        size = self.batch_size * self.world
        batches = [list(order[i : i + size]) for i in range(0, n, size)]
        if self.train and self.world > 1 and batches and len(batches[-1]) % self.world:
            short = self.world - len(batches[-1]) % self.world
            batches[-1] += list(order[:short])  # every rank gets a row, so every rank steps
        return batches

    def __len__(self) -> int:
        return len(self._global_batches())

    def __iter__(self) -> Iterator[FeatureBatch]:
        batches = self._global_batches()
        while self.position < len(batches):
            rows = batches[self.position][self.rank :: self.world]
            self.position += 1
            if rows:
                yield self._collate(rows)

    def _collate(self, rows: list[int]) -> FeatureBatch:
        utts = [self.records[i] for i in rows]
        seqs = [np.asarray(self.store.get(u.id), dtype=np.float32) for u in utts]
        lengths = [s.shape[0] for s in seqs]
        feats = torch.zeros(len(seqs), max(lengths), self.store.dim)
        for b, s in enumerate(seqs):
            feats[b, : lengths[b]] = torch.from_numpy(s)
        t = [self.targets.row(u.id) for u in utts]
        tt = self.targets
        return FeatureBatch(
            ids=[u.id for u in utts],
            features=feats,
            lengths=torch.tensor(lengths, dtype=torch.int64),
            labels=torch.from_numpy(tt.labels[t]),
            soft=torch.from_numpy(tt.soft[t]),
            soft_mask=torch.from_numpy(tt.soft_mask[t]),
            dims=torch.from_numpy(tt.dims[t]),
            dims_mask=torch.from_numpy(tt.dims_mask[t]),
            corpora=[u.corpus for u in utts],
            speakers=[u.speaker for u in utts],
            seconds=float(sum(u.duration for u in utts)),
        )
