"""How a node runs over a batch on each device, and why an example's bytes never depend on its batch.

On the CPU every example runs through the tree on its own, trimmed to its own length and with torch
single-threaded: FFT, STFT and resampling sizes then come from that example's length alone, and no
reduction or FFT is split differently because of other rows, padding or the machine's thread count.
(Measured on torch 2.14 with MKL: a batched rfft differs from per-row rffts in the last bits, a row sum
differs with the padding and the thread count, so "group rows of similar length" is not enough for
bytes.) Examples may run on several threads (``workers``); each is computed the same way, so the bytes
are identical for any worker count, batch size, order, or after resuming an interrupted run.

On other devices (CUDA) the batch runs as one padded batch for throughput: parameters and provenance are
the same as on the CPU; audio agrees within float tolerance (docs/augment.md states it).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import torch

from sercorpus.augment.batch import Batch


class Forward(Protocol):
    def forward(
        self,
        batch: Batch,
        seeds: Sequence[int],
        measure: bool = False,
        records: Sequence[Mapping[str, Any]] | None = None,
    ) -> tuple[Batch, list[dict[str, Any]]]: ...


_THREADS_LOCK = threading.Lock()
_THREADS_USERS = 0
_THREADS_SAVED = 1


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """torch intra-op threads set to 1 while CPU examples run (restored afterwards, also when nested)."""
    global _THREADS_USERS, _THREADS_SAVED
    with _THREADS_LOCK:
        if _THREADS_USERS == 0:
            _THREADS_SAVED = torch.get_num_threads()
            if _THREADS_SAVED != 1:
                torch.set_num_threads(1)
        _THREADS_USERS += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_USERS -= 1
            if _THREADS_USERS == 0 and _THREADS_SAVED != 1:
                torch.set_num_threads(_THREADS_SAVED)


def row(batch: Batch, i: int) -> Batch:
    """Example ``i`` alone, trimmed to its own length, in fresh memory."""
    n = batch.lens[i]
    return Batch.from_lens(batch.x[i : i + 1, ..., :n].clone(), [n], batch.sample_rate)


def run_examples(
    node: Forward,
    batch: Batch,
    seeds: Sequence[int],
    measure: bool = False,
    records: Sequence[Mapping[str, Any]] | None = None,
    workers: int = 1,
) -> tuple[Batch, list[dict[str, Any]]]:
    """``node.forward`` for every example: one at a time on the CPU (see the module docstring), the whole
    batch elsewhere. Returns the merged batch (zero-padded to the longest output) and the provenance."""
    if batch.x.device.type != "cpu":
        return node.forward(batch, seeds, measure, records)
    inference = torch.is_inference_mode_enabled()

    def one(i: int) -> tuple[Batch, dict[str, Any]]:
        with torch.inference_mode(inference):
            rec = None if records is None else [records[i]]
            out, prov = node.forward(row(batch, i), [seeds[i]], measure, rec)
            return out, prov[0]

    with single_threaded():
        if workers > 1 and batch.size > 1:
            with ThreadPoolExecutor(min(workers, batch.size)) as pool:
                results = list(pool.map(one, range(batch.size)))
        else:
            results = [one(i) for i in range(batch.size)]
    lens = [out.lens[0] for out, _ in results]
    x = batch.x.new_zeros((batch.size, *batch.x.shape[1:-1], max(max(lens, default=0), 1)))
    for i, (out, _) in enumerate(results):
        x[i, ..., : lens[i]] = out.x[0, ..., : lens[i]]
    return Batch.from_lens(x, lens, batch.sample_rate), [p for _, p in results]
