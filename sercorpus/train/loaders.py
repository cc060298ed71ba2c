"""The default loader factory: the recipe's sections through ``sercorpus.shards.ShardLoader``.

Manifest sources are read from their narrowed copies under ``RUN_DIR/data`` (``ManifestSource``); shard
folders are read in place and narrowed to the section's ids (a shard folder holds every split of its input).
Training batches are shuffled with the recipe seed and mixed by the sources' weights; evaluation batches
are not shuffled and may repeat samples to keep ranks level, which the trainer removes by id."""

from __future__ import annotations

from typing import Any

import numpy as np

from sercorpus.shards.loader import ShardLoader
from sercorpus.shards.sources import ManifestSource, ShardSource, SourceMeta
from sercorpus.train.data import SourceData
from sercorpus.train.sources import LoaderRequest


class NarrowedShards(ShardSource):
    """A shard dataset seen through an id allow-list (its split and corpora in the recipe)."""

    def __init__(self, location: str, keep: set[str]):
        super().__init__(location)
        self.keep = keep
        self._narrowed: SourceMeta | None = None

    def metadata(self) -> SourceMeta:
        if self._narrowed is None:
            full = super().metadata()
            mask = np.array([i in self.keep for i in full.ids], dtype=bool)
            self._narrowed = SourceMeta(
                [i for i, m in zip(full.ids, mask, strict=True) if m],
                [lab for lab, m in zip(full.labels, mask, strict=True) if m],
                full.seconds[mask],
                full.unit[mask],
                full.row[mask],
                full.units,
            )
        return self._narrowed


def _source(src: SourceData, request: LoaderRequest) -> Any:
    if src.kind == "shards":
        return NarrowedShards(str(src.path), set(src.ids))
    assert src.materialised is not None, "train.data.materialise runs before loaders are opened"
    return ManifestSource(src.materialised, sample_rate=request.sample_rate, name=src.key)


def shard_loader(request: LoaderRequest) -> ShardLoader:
    sources = request.section.sources
    train = request.role == "train"
    weights = [s.weight for s in sources]
    augment = None
    if train and request.augment is not None and request.augment.rate > 0:
        from sercorpus.shards.onthefly import OnTheFlyAugment

        a = request.augment
        augment = OnTheFlyAugment(
            a.config, a.rate, request.seed, {"noise_root": a.noise_root, "rir_dir": a.rir_dir}
        )
    return ShardLoader(
        [_source(s, request) for s in sources],
        request.view,
        weights=weights if train and any(w is not None for w in weights) else None,  # type: ignore[arg-type]
        max_seconds=request.max_batch_seconds,
        batch_size=request.batch_size,
        shuffle_buffer=request.shuffle_buffer,
        seed=request.seed,
        shuffle=train,
        balance=request.class_balanced,
        rank=request.rank,
        world_size=request.world_size,
        num_workers=request.num_workers,
        augment=augment,
        device=request.device if augment is not None else None,
    )
