"""The streaming loader: shards (or manifests) in, :class:`~sercorpus.shards.batch.Batch` es out, on one GPU
or many, with exact mid-epoch resume.

- The epoch plan (:mod:`sercorpus.shards.epoch`) is computed from metadata in every process identically;
  rank ``r`` of ``W`` plays consumers ``r*streams ... r*streams + streams - 1``, round-robin. Every rank gets
  the same number of batches, so DDP never waits on a rank that ran dry.
- Dataloader workers each play a fixed subset of the rank's streams (``num_workers`` must divide
  ``streams``); torch's DataLoader takes their batches round-robin, which restores the rank's plan order.
- State is (epoch, batches yielded): ``load_state_dict`` continues at that batch without replaying the
  epoch (each stream skips whole windows; only the current window is read again).
- Optional on-the-fly augmentation runs in the main process after the batch is on ``device`` (GPU), with
  per-epoch seeds (see :class:`~sercorpus.shards.onthefly.OnTheFlyAugment`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import torch

from sercorpus.selection.views import LabelView, get_view
from sercorpus.shards.batch import Batch, Sample, collate
from sercorpus.shards.epoch import EpochPlan, PlanConfig, PooledMeta, Window, plan_epoch
from sercorpus.shards.sources import Source, as_source

STATE_VERSION = 1


def _dist_rank_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def pool_metadata(sources: Sequence[Source], view: LabelView) -> PooledMeta:
    index = {c: i for i, c in enumerate(view.classes)}
    src, unit, row, secs, klass, unit_source, unit_local, sizes = [], [], [], [], [], [], [], []
    offset = 0
    for s, source in enumerate(sources):
        meta = source.metadata()
        n = len(meta)
        sizes.append(n)
        src.append(np.full(n, s, dtype=np.int64))
        unit.append(meta.unit + offset)
        row.append(meta.row)
        secs.append(meta.seconds)
        mapped = (view.map_category(lab) for lab in meta.labels)
        klass.append(np.array([index[m] if m is not None else -1 for m in mapped], dtype=np.int64))
        unit_source.append(np.full(meta.units, s, dtype=np.int64))
        unit_local.append(np.arange(meta.units, dtype=np.int64))
        offset += meta.units
    cat = np.concatenate
    return PooledMeta(
        cat(src), cat(unit), cat(row), cat(secs), cat(klass), cat(unit_source), cat(unit_local), tuple(sizes)
    )


def source_key(source: Source) -> str:
    """A source's identity for resume checks: its sample count and a digest of its ids (not its path, so a
    dataset copied elsewhere resumes; another dataset at the same path does not)."""
    ids = source.metadata().ids
    return f"{len(ids)}:{hashlib.sha256(chr(10).join(ids).encode()).hexdigest()[:16]}"


class _Streams(torch.utils.data.IterableDataset):
    """What each dataloader worker (or the main process) runs: its streams of one epoch, round-robin."""

    def __init__(self, loader: ShardLoader, epoch: int, position: int) -> None:
        self.loader = loader
        self.epoch = epoch
        self.position = position

    def __iter__(self) -> Iterator[tuple[Batch, list[int]]]:
        info = torch.utils.data.get_worker_info()
        if info is None:
            role, workers = 0, 1
        else:  # DataLoader asks worker 0 first: it plays the role owning the resume position
            workers = info.num_workers
            role = (info.id + self.position) % workers
        loader = self.loader
        plan = loader.plan(self.epoch)
        S = loader.config.streams
        mine = [j for j in range(S) if j % workers == role]
        m = len(mine)
        # this role's k-th batch is the rank's batch k * workers + role
        k0 = max(0, -(-(self.position - role) // workers))
        total = plan.length * m
        iters = []
        for local, j in enumerate(mine):
            first_k = k0 + ((local - k0) % m)  # the first k >= k0 that falls on this stream
            iters.append(loader.stream(plan, loader.rank * S + j, first_k // m, self.epoch))
        for k in range(k0, total):
            yield next(iters[k % m])


def _identity(x: Any) -> Any:
    return x


class ShardLoader:
    """Iterate batches of shard datasets and/or manifests under one label view (see module docstring).

    ``sources``: a shard folder/URL, a manifest path, a :class:`ShardSource`/:class:`ManifestSource`, or a
    list of them; ``weights`` mixes them (e.g. ``[1, 1]`` for 50/50 whatever their sizes). ``max_seconds``
    caps the padded audio per batch (B x longest), ``batch_size`` the samples per batch.
    """

    def __init__(
        self,
        sources: Any,
        view: LabelView | str = "4class",
        *,
        weights: Sequence[float] | None = None,
        max_seconds: float | None = 120.0,
        batch_size: int | None = None,
        shuffle_buffer: int = 1000,
        seed: int = 0,
        shuffle: bool = True,
        balance: bool = False,
        epoch_size: int | None = None,
        even: str = "pad",
        rank: int | None = None,
        world_size: int | None = None,
        num_workers: int = 0,
        streams: int | None = None,
        augment: Any = None,
        device: torch.device | str | None = None,
        pin_memory: bool = False,
        prefetch_factor: int = 2,
    ) -> None:
        items = sources if isinstance(sources, (list, tuple)) else [sources]
        self.sources: list[Source] = [as_source(s) for s in items]
        self.view = get_view(view) if isinstance(view, str) else view
        default_rank, default_world = _dist_rank_world()
        self.rank = default_rank if rank is None else int(rank)
        world = default_world if world_size is None else int(world_size)
        if not 0 <= self.rank < world:
            raise ValueError(f"rank {self.rank} is outside world size {world}")
        self.num_workers = int(num_workers)
        streams = streams if streams is not None else max(1, self.num_workers)
        if self.num_workers and streams % self.num_workers:
            raise ValueError(
                f"num_workers={num_workers} must divide streams={streams} (the plan's unit of order)"
            )
        self.config = PlanConfig(
            seed=int(seed),
            world_size=world,
            streams=int(streams),
            shuffle_buffer=int(shuffle_buffer),
            max_seconds=max_seconds,
            batch_size=batch_size,
            weights=tuple(float(w) for w in weights) if weights is not None else None,
            epoch_size=epoch_size,
            balance=bool(balance),
            even=even,
            shuffle=bool(shuffle),
        )
        self.augment = augment
        self.device = device
        self.pin_memory = pin_memory
        self.prefetch_factor = prefetch_factor
        self.epoch = 0
        self.position = 0
        self._meta: PooledMeta | None = None
        self._plans: dict[int, EpochPlan] = {}

    # ------------------------------------------------------------------------------------ planning
    @property
    def meta(self) -> PooledMeta:
        if self._meta is None:
            self._meta = pool_metadata(self.sources, self.view)
        return self._meta

    def plan(self, epoch: int) -> EpochPlan:
        if epoch not in self._plans:
            self._plans = {epoch: plan_epoch(self.meta, self.config, epoch)}  # keep one epoch only
        return self._plans[epoch]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["augment"] = None  # runs in the main process only
        return state

    def __len__(self) -> int:
        """Batches per rank per epoch (the same on every rank)."""
        return self.plan(self.epoch).rank_length(self.config.streams)

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:
            self.epoch, self.position = int(epoch), 0

    # ------------------------------------------------------------------------------------- reading
    def stream(
        self, plan: EpochPlan, consumer: int, start: int, epoch: int
    ) -> Iterator[tuple[Batch, list[int]]]:
        """Batches ``start ...`` of one consumer: window by window, each window's units read once."""
        for window in plan.streams[consumer]:
            end = window.start + len(window.batches)
            if end <= start:
                continue
            first = max(0, start - window.start)
            yield from self._window(plan, window, first)

    def _window(self, plan: EpochPlan, window: Window, first: int) -> Iterator[tuple[Batch, list[int]]]:
        meta = self.meta
        wanted = np.concatenate(window.batches[first:]) if window.batches[first:] else np.zeros(0, np.int64)
        samples = plan.sample[wanted]
        raw: dict[int, Any] = {}
        for u in np.unique(meta.unit[samples]):
            s = int(meta.unit_source[u])
            in_unit = samples[meta.unit[samples] == u]
            rows = meta.row[in_unit]
            got = self.sources[s].read(int(meta.unit_local[u]), rows.tolist())
            for g, r in zip(in_unit.tolist(), rows.tolist(), strict=True):
                raw[g] = got[r]
        for batch in window.batches[first:]:
            picked: list[Sample] = []
            occurrences: list[int] = []
            for o in batch.tolist():
                g = int(plan.sample[o])
                sample = self.sources[int(meta.source[g])].decode(raw[g])
                if sample is not None:
                    picked.append(sample)
                    occurrences.append(int(plan.occurrence[o]))
            if not picked:
                raise ValueError(
                    f"every sample of a batch failed to decode (ids {[self._id(int(plan.sample[o])) for o in batch]})"
                )
            yield collate(picked, self.view), occurrences

    def _id(self, g: int) -> str:
        s = int(self.meta.source[g])
        offset = sum(self.meta.sizes[:s])
        return self.sources[s].metadata().ids[g - offset]

    def __iter__(self) -> Iterator[Batch]:
        epoch, start = self.epoch, self.position
        dataset = _Streams(self, epoch, start)
        if self.num_workers == 0:
            produced: Iterator[tuple[Batch, list[int]]] = iter(dataset)
        else:
            produced = iter(
                torch.utils.data.DataLoader(
                    dataset,
                    batch_size=None,
                    num_workers=self.num_workers,
                    collate_fn=_identity,
                    pin_memory=self.pin_memory,
                    prefetch_factor=self.prefetch_factor,
                )
            )
        for batch, occurrences in produced:
            if self.device is not None:
                batch = batch.to(self.device, non_blocking=self.pin_memory)
            if self.augment is not None:
                batch = self.augment(batch, epoch, occurrences)
            self.position += 1
            yield batch
        if self.epoch == epoch and self.position >= len(self):  # a finished epoch: the next one starts clean
            self.epoch, self.position = epoch + 1, 0

    # --------------------------------------------------------------------------------------- state
    def fingerprint(self) -> dict[str, Any]:
        """What must match for a saved position to mean the same batches (not rank, not num_workers)."""
        return {
            **{k: v for k, v in asdict(self.config).items()},
            "weights": list(self.config.weights) if self.config.weights is not None else None,
            "view": self.view.name,
            "sources": [source_key(s) for s in self.sources],
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "epoch": self.epoch,
            "position": self.position,
            "plan": self.fingerprint(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"loader state version {state.get('version')} is not {STATE_VERSION}")
        mine = self.fingerprint()
        theirs = state.get("plan") or {}
        diff = [f"{k}: {theirs.get(k)!r} -> {mine[k]!r}" for k in sorted(mine) if theirs.get(k) != mine[k]]
        if diff:
            raise ValueError(
                "the saved loader state belongs to another plan, so its position would mean other batches: "
                + "; ".join(diff)
            )
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
