"""One process or many (torchrun): rank/world from the environment, gloo on CPU and NCCL on GPUs, and the
collectives the trainer needs — object gathers for evaluation (deduplicated by id, never padded), an
any-rank flag for non-finite losses, barriers around rank-0 file writes."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(preference: str, local_rank: int = 0) -> torch.device:
    if preference == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if preference == "cuda":
        raise ValueError("trainer.device: cuda requested but no CUDA device is available")
    return torch.device("cpu")


def init_distributed(preference: str = "auto", timeout_minutes: int = 120) -> DistInfo:
    """Join the process group torchrun set up (WORLD_SIZE > 1), or run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(preference, local)
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        # long timeout: rank 0 alone builds embedding caches while the others wait at a barrier
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=timeout_minutes))
    return DistInfo(rank, world, local, device)


def shutdown(info: DistInfo) -> None:
    if info.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    if info.distributed:
        dist.barrier()


def gather_objects(info: DistInfo, obj: Any) -> list[Any]:
    if not info.distributed:
        return [obj]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(info: DistInfo, obj: Any) -> Any:
    if not info.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def any_rank(info: DistInfo, flag: bool) -> bool:
    """True on every rank if ``flag`` is True on any (so all stop together on a non-finite loss)."""
    if not info.distributed:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=info.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def dedupe_by_id(parts: Iterable[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rows of every rank, each id once (the first seen), sorted by id.

    A sampler that pads ranks to equal length repeats samples (pytorch#25162); counting a repeat twice would
    bias the metric, so repeats are dropped here."""
    seen: dict[str, dict[str, Any]] = {}
    for rows in parts:
        for row in rows:
            seen.setdefault(row["id"], row)
    return [seen[k] for k in sorted(seen)]


def gather_with_grad(info: DistInfo, tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Every rank's rows of each tensor, concatenated in rank order, with gradients flowing back to the
    local rows (``torch.distributed.nn`` all-gather). Ranks may hold different row counts: rows are padded
    to the largest count for the collective and the padding is cut off again.

    The trainer computes the loss on these global rows, so a batch statistic such as CCC sees the whole
    global batch, and DDP's gradient averaging then yields exactly the one-process gradient."""
    if not info.distributed:
        return list(tensors)
    from torch.distributed.nn.functional import all_gather

    count = torch.tensor([tensors[0].shape[0]], device=info.device)
    sizes = [torch.zeros_like(count) for _ in range(info.world_size)]
    dist.all_gather(sizes, count)
    counts = [int(s) for s in sizes]
    most = max(counts)
    out = []
    for t in tensors:
        flag = t.dtype == torch.bool
        x = t.to(torch.uint8) if flag else t
        if x.shape[0] < most:
            x = torch.cat([x, x.new_zeros((most - x.shape[0], *x.shape[1:]))])
        parts = all_gather(x) if x.requires_grad else _plain_gather(x, info.world_size)
        joined = torch.cat([p[:n] for p, n in zip(parts, counts, strict=True)])
        out.append(joined.bool() if flag else joined)
    return out


def _plain_gather(x: torch.Tensor, world: int) -> list[torch.Tensor]:
    parts = [torch.empty_like(x) for _ in range(world)]
    dist.all_gather(parts, x.contiguous())
    return parts
