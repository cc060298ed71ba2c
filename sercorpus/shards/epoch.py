"""The epoch plan: (seed, epoch) -> which sample occurrences, in which windows, in which batches, on which
rank and stream. Computed from metadata alone, identically in every process, before any audio is read.

Steps, each seeded by (seed, epoch, ...) only:

1. per source, the epoch's occurrences: ``weights`` set each source's share of ``epoch_size`` (a small source
   is repeated, a large one subsampled by whole units); ``balance`` draws samples with probability
   1 / (class count) instead;
2. occurrences grouped by read unit into *pieces* (at most 1/8 of a window each), shuffled, dealt
   round-robin to the world's ``world_size x streams`` consumers (split further when there are fewer pieces
   than consumers);
3. per consumer, pieces of all sources interleaved in proportion, grouped into *windows* of about
   ``shuffle_buffer`` samples: the shuffle buffer. A window's samples are shuffled, sorted by duration and
   packed into batches under ``max_seconds`` of padded audio (and ``batch_size`` samples), and the
   batches shuffled;
4. every consumer gets the same number of batches: the short ones repeat batches drawn from the whole
   epoch ("pad", the default) or all are cut to the shortest ("truncate"). So every DDP rank runs the same
   number of steps, whatever the data (the hang that peer loaders leave to the user).

A rank's batch sequence is its streams interleaved round-robin; dataloader workers each take a fixed subset
of streams, so the sequence (and the resume position) does not depend on the worker count as long as it
divides ``streams``.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: a piece holds at most shuffle_buffer / this many samples, so every window mixes several pieces (and
#: sources); row groups are smaller than that at the default sizes, so nothing is read twice
PIECES_PER_WINDOW = 8
#: occurrence numbers of padding repeats start here, so on-the-fly augmentation treats them as new draws
PAD_OCCURRENCE = 1 << 20


@dataclass(frozen=True)
class PlanConfig:
    seed: int = 0
    world_size: int = 1
    streams: int = 1
    shuffle_buffer: int = 1000
    max_seconds: float | None = 120.0
    batch_size: int | None = None
    weights: tuple[float, ...] | None = None
    epoch_size: int | None = None
    balance: bool = False
    even: str = "pad"
    shuffle: bool = True

    def __post_init__(self) -> None:
        if self.world_size < 1 or self.streams < 1:
            raise ValueError("world_size and streams must be >= 1")
        if self.max_seconds is None and self.batch_size is None:
            raise ValueError("give max_seconds (padded seconds per batch) or batch_size (samples per batch)")
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ValueError(f"max_seconds={self.max_seconds} must be > 0")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size} must be >= 1")
        if self.even not in ("pad", "truncate"):
            raise ValueError(f"even={self.even!r} must be 'pad' or 'truncate'")
        if self.weights is not None and (min(self.weights) < 0 or sum(self.weights) <= 0):
            raise ValueError(f"weights {self.weights} must be >= 0 and not all 0")

    @property
    def consumers(self) -> int:
        return self.world_size * self.streams


@dataclass
class PooledMeta:
    """All sources' metadata as one set of arrays (global sample and unit numbers)."""

    source: np.ndarray  # int64 per sample
    unit: np.ndarray  # int64 global unit per sample
    row: np.ndarray  # int64 row inside the unit
    seconds: np.ndarray  # float64
    klass: np.ndarray  # int64 class index in the view, -1 where none
    unit_source: np.ndarray  # int64 per global unit
    unit_local: np.ndarray  # int64: the unit's number inside its source
    sizes: tuple[int, ...]  # samples per source


@dataclass
class Window:
    start: int  # stream position of its first batch
    batches: list[np.ndarray]  # each an array of occurrence indices


@dataclass
class EpochPlan:
    sample: np.ndarray  # per occurrence: global sample index
    occurrence: np.ndarray  # per occurrence: its number among the sample's occurrences this epoch
    streams: list[list[Window]]  # per consumer (rank * streams + stream)
    length: int  # batches per consumer (equal for all)
    padded: int = 0  # batches added by "pad" over all consumers
    dropped: int = 0  # batches cut by "truncate"
    info: dict[str, Any] = field(default_factory=dict)

    def rank_length(self, streams: int) -> int:
        return self.length * streams


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([int(k) & 0xFFFFFFFF for k in key])


def _targets(meta: PooledMeta, cfg: PlanConfig) -> list[int]:
    sizes = list(meta.sizes)
    if cfg.weights is None:
        return sizes if cfg.epoch_size is None else _share(cfg.epoch_size, [float(s) for s in sizes])
    if len(cfg.weights) != len(sizes):
        raise ValueError(f"{len(cfg.weights)} weights for {len(sizes)} sources")
    total = cfg.epoch_size if cfg.epoch_size is not None else sum(sizes)
    for s, (w, n) in enumerate(zip(cfg.weights, sizes, strict=True)):
        if w > 0 and n == 0:
            raise ValueError(f"source {s} has weight {w} but no samples")
    return _share(total, list(cfg.weights))


def _share(total: int, weights: list[float]) -> list[int]:
    """Integer shares of ``total`` proportional to ``weights`` (largest remainders; sums to total)."""
    w = np.asarray(weights, dtype=np.float64)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    for i in np.argsort(-(exact - out), kind="stable")[: total - int(out.sum())]:
        out[i] += 1
    return [int(v) for v in out]


def _pieces_uniform(
    samples: np.ndarray, target: int, meta: PooledMeta, rng: np.random.Generator
) -> list[np.ndarray]:
    """Full passes over the source, then whole units (in a seeded order) for the remainder."""
    n = len(samples)
    if n == 0 or target == 0:
        return []
    units = meta.unit[samples]
    order = np.argsort(units, kind="stable")
    bounds = np.flatnonzero(np.diff(units[order])) + 1
    by_unit = np.split(samples[order], bounds)
    passes, rest = divmod(target, n)
    pieces = [piece for _ in range(passes) for piece in by_unit]
    if rest:
        for u in rng.permutation(len(by_unit)):
            piece = by_unit[u]
            if len(piece) >= rest:
                pieces.append(np.sort(rng.choice(piece, size=rest, replace=False)))
                break
            pieces.append(piece)
            rest -= len(piece)
    return pieces


def _pieces_balanced(
    samples: np.ndarray, target: int, meta: PooledMeta, rng: np.random.Generator
) -> list[np.ndarray]:
    """Occurrence counts with expectation proportional to 1 / (class count); repeats go to separate pieces."""
    if len(samples) == 0 or target == 0:
        return []
    klass = meta.klass[samples]
    _, inverse, counts = np.unique(klass, return_inverse=True, return_counts=True)
    p = 1.0 / counts[inverse]
    expected = target * p / p.sum()
    reps = np.floor(expected).astype(np.int64)
    reps += rng.random(len(samples)) < (expected - reps)
    pieces = []
    for k in range(int(reps.max(initial=0))):
        chosen = samples[reps > k]
        pieces += _pieces_uniform(chosen, len(chosen), meta, rng)
    return pieces


def _split_to(pieces: list[tuple[int, np.ndarray]], count: int) -> list[tuple[int, np.ndarray]]:
    """Split the largest pieces in halves until there are at least ``count`` (or all are single samples)."""
    if len(pieces) >= count:
        return pieces
    heap = [(-len(p), i, s, p) for i, (s, p) in enumerate(pieces)]
    heapq.heapify(heap)
    tie = len(heap)
    while len(heap) < count and heap and -heap[0][0] > 1:
        _, _, s, p = heapq.heappop(heap)
        half = len(p) // 2
        for part in (p[:half], p[half:]):
            heapq.heappush(heap, (-len(part), tie, s, part))
            tie += 1
    return [(s, p) for _, _, s, p in sorted(heap, key=lambda h: h[1])]


def _pack(order: np.ndarray, seconds: np.ndarray, cfg: PlanConfig) -> list[np.ndarray]:
    """Greedy batches over duration-sorted occurrences: padded seconds <= max_seconds, size <= batch_size."""
    batches, start = [], 0
    for i in range(1, len(order) + 1):
        if i == len(order):
            batches.append(order[start:i])
            break
        size = i - start + 1
        too_long = cfg.max_seconds is not None and seconds[i] * size > cfg.max_seconds
        too_many = cfg.batch_size is not None and size > cfg.batch_size
        if too_long or too_many:
            batches.append(order[start:i])
            start = i
    return [b for b in batches if len(b)]


def plan_epoch(meta: PooledMeta, cfg: PlanConfig, epoch: int) -> EpochPlan:
    C = cfg.consumers
    rng = _rng(cfg.seed, epoch, 1)
    targets = _targets(meta, cfg)
    pieces: list[tuple[int, np.ndarray]] = []
    for s, target in enumerate(targets):
        samples = np.flatnonzero(meta.source == s)
        make = _pieces_balanced if cfg.balance else _pieces_uniform
        pieces += [(s, p) for p in make(samples, target, meta, rng)]
    if not pieces:
        raise ValueError("the loader's sources hold no samples")
    cap = max(1, cfg.shuffle_buffer // PIECES_PER_WINDOW)
    pieces = [(s, p[i : i + cap]) for s, p in pieces for i in range(0, len(p), cap)]
    pieces = _split_to(pieces, C)
    dealt: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(C)]
    for s in range(len(targets)):
        mine = [p for p in pieces if p[0] == s]
        order = rng.permutation(len(mine)) if cfg.shuffle else np.arange(len(mine))
        offset = int(rng.integers(C)) if cfg.shuffle else 0
        for j, k in enumerate(order):
            dealt[(offset + j) % C].append(mine[k])
    occ_parts: list[np.ndarray] = []
    streams: list[list[Window]] = []
    count = 0
    for c in range(C):
        ordered = _interleave(dealt[c])
        windows: list[Window] = []
        buffer: list[np.ndarray] = []
        filled, position = 0, 0
        w = 0
        for k, (_, piece) in enumerate(ordered):
            buffer.append(piece)
            filled += len(piece)
            if filled >= cfg.shuffle_buffer or k == len(ordered) - 1:
                samples = np.concatenate(buffer)
                base = count
                occ_parts.append(samples)
                count += len(samples)
                wr = _rng(cfg.seed, epoch, 2, c, w)
                local = wr.permutation(len(samples)) if cfg.shuffle else np.arange(len(samples))
                secs = meta.seconds[samples[local]]
                by_length = np.argsort(secs, kind="stable")
                batches = _pack(base + local[by_length], secs[by_length], cfg)
                if cfg.shuffle:
                    batches = [batches[i] for i in wr.permutation(len(batches))]
                windows.append(Window(position, batches))
                position += len(batches)
                buffer, filled, w = [], 0, w + 1
        streams.append(windows)
    sample = np.concatenate(occ_parts) if occ_parts else np.zeros(0, dtype=np.int64)
    occurrence = _occurrence_numbers(sample)
    lengths = [sum(len(w.batches) for w in ws) for ws in streams]
    plan = EpochPlan(sample, occurrence, streams, 0)
    if cfg.even == "truncate":
        T = min(lengths)
        if T == 0:
            raise ValueError(
                f"a consumer got no batch ({C} = ranks x streams consumers for {sum(lengths)} batches); "
                "use even='pad', fewer streams or a smaller batch"
            )
        plan.dropped = sum(lengths) - T * C
        plan.streams = [_truncate(ws, T) for ws in streams]
        plan.length = T
    else:
        _pad(plan, lengths, cfg, epoch)
    plan.info = {"occurrences": int(len(sample)), "targets": targets, "lengths": lengths}
    return plan


def _interleave(pieces: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
    """Pieces of several sources in proportion: the k-th of n pieces of a source sits at (k + 0.5) / n."""
    counts: dict[int, int] = {}
    for s, _ in pieces:
        counts[s] = counts.get(s, 0) + 1
    seen: dict[int, int] = {}
    keyed = []
    for j, (s, p) in enumerate(pieces):
        k = seen.get(s, 0)
        seen[s] = k + 1
        keyed.append(((k + 0.5) / counts[s], s, j, p))
    keyed.sort(key=lambda t: (t[0], t[1], t[2]))
    return [(s, p) for _, s, _, p in keyed]


def _occurrence_numbers(sample: np.ndarray) -> np.ndarray:
    order = np.argsort(sample, kind="stable")
    sorted_s = sample[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_s)) + 1] if len(sample) else np.zeros(0, dtype=np.int64)
    run_start = np.zeros(len(sample), dtype=np.int64)
    if len(sample):
        run_start[starts] = starts
        run_start = np.maximum.accumulate(run_start)
    out = np.empty(len(sample), dtype=np.int64)
    out[order] = np.arange(len(sample)) - run_start
    return out


def _truncate(windows: list[Window], T: int) -> list[Window]:
    out = []
    for w in windows:
        if w.start >= T:
            break
        out.append(Window(w.start, w.batches[: T - w.start]))
    return out


def _pad(plan: EpochPlan, lengths: list[int], cfg: PlanConfig, epoch: int) -> None:
    T = max(lengths)
    pool = [b for ws in plan.streams for w in ws for b in w.batches]
    extra_sample, extra_occ = [], []
    next_index = len(plan.sample)
    for c, n in enumerate(lengths):
        need = T - n
        if not need:
            continue
        rng = _rng(cfg.seed, epoch, 3, c)
        picks = rng.choice(len(pool), size=need, replace=need > len(pool))
        for j, pick in enumerate(picks):
            src = pool[int(pick)]
            idx = np.arange(next_index, next_index + len(src))
            next_index += len(src)
            extra_sample.append(plan.sample[src])
            extra_occ.append(plan.occurrence[src] + PAD_OCCURRENCE)
            plan.streams[c].append(Window(n + j, [idx]))
        plan.padded += need
    if extra_sample:
        plan.sample = np.concatenate([plan.sample, *extra_sample])
        plan.occurrence = np.concatenate([plan.occurrence, *extra_occ])
    plan.length = T
