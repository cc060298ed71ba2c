"""The op contract, parameter validation and the name registry used by YAML configs.

An op maps a :class:`~sercorpus.augment.batch.Batch` plus one seed per example to a new batch plus one
provenance dict per example. Leaf ops only implement ``sample`` (per-example parameters, drawn on the CPU
from that example's own generator) and ``apply`` (the batched transform of the rows that were selected);
the base class does the probability decision, row selection and provenance, so every op behaves alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from sercorpus.augment.batch import Batch, ExampleRNG, derive_seeds, entry_batch, example_seeds

REGISTRY: dict[str, type[Op]] = {}


def register(cls: type[Op]) -> type[Op]:
    """Class decorator: make an op constructible from YAML under ``cls.name``."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} needs a registry name")
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise TypeError(f"op name {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


# ---------------------------------------------------------------------------------------- validation
def check_range(
    op: str, name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
) -> float:
    """``value`` as float if inside the range, else ValueError naming op, parameter, value and range."""
    left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
    allowed = f"{left}{lo:g}, {hi:g}{right}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{op}: {name}={value!r} must be a number in {allowed}")
    v = float(value)
    bad = math.isnan(v) or v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi)
    if bad:
        raise ValueError(f"{op}: {name}={value!r} is outside the allowed range {allowed}")
    return v


def check_int(op: str, name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{op}: {name}={value!r} must be an integer in [{lo}, {hi}]")
    if not lo <= int(value) <= hi:
        raise ValueError(f"{op}: {name}={value!r} is outside the allowed range [{lo}, {hi}]")
    return int(value)


def check_order(op: str, lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    if lo > hi:
        raise ValueError(f"{op}: {lo_name}={lo:g} must be <= {hi_name}={hi:g}")


def check_choice(op: str, name: str, value: Any, choices: Sequence[Any]) -> Any:
    if value not in choices:
        raise ValueError(f"{op}: {name}={value!r} is not one of {list(choices)}")
    return value


def check_values(op: str, name: str, values: Any, lo: float, hi: float) -> list[float]:
    """A non-empty list of numbers, each inside [lo, hi]."""
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"{op}: {name}={values!r} must be a non-empty list of numbers in [{lo:g}, {hi:g}]")
    return [check_range(op, f"{name}[{i}]", v, lo, hi) for i, v in enumerate(values)]


class RangeOrChoice:
    """A scalar drawn uniformly from [min, max] or from a list of values (e.g. SNRs 0/10/20 dB)."""

    def __init__(
        self, op: str, name: str, lo: float, hi: float, minimum: Any, maximum: Any, values: Any = None
    ) -> None:
        self.name = name
        if values is not None:
            self.values: list[float] | None = check_values(op, f"{name}s", values, lo, hi)
            self.min = self.max = 0.0
        else:
            self.values = None
            self.min = check_range(op, f"min_{name}", minimum, lo, hi)
            self.max = check_range(op, f"max_{name}", maximum, lo, hi)
            check_order(op, f"min_{name}", self.min, f"max_{name}", self.max)

    def draw(self, rng: ExampleRNG) -> float:
        if self.values is not None:
            return float(self.values[int(rng.integers(len(self.values)))])
        return float(rng.uniform(self.min, self.max))

    def __repr__(self) -> str:
        return repr(self.values) if self.values is not None else f"U({self.min:g}, {self.max:g})"


# ----------------------------------------------------------------------------------------------- ops
class Op:
    """Base of every augmentation; subclasses set ``name`` and implement ``sample`` and ``apply``.

    ``p`` is the per-example probability of applying the op (decided from the example's own seed).
    """

    name: ClassVar[str] = ""
    domain: ClassVar[str] = "waveform"  # or "features" (B, F, frames)

    def __init__(self, p: float = 1.0) -> None:
        self.p = check_range(self.label, "p", p, 0.0, 1.0)

    @property
    def label(self) -> str:
        return self.name or type(self).__name__

    # -- to implement --------------------------------------------------------------------------------
    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        """JSON-able parameters for one example of valid length ``length``."""
        return {}

    def apply(
        self,
        batch: Batch,
        params: list[dict[str, Any]],
        measure: bool = False,
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        """Transform every row of ``batch`` with its ``params``; optionally return measured values per row."""
        raise NotImplementedError

    # -- shared machinery ----------------------------------------------------------------------------
    def decide(self, seeds: Sequence[int], batch: Batch) -> list[dict[str, Any] | None]:
        """Per example: None (skipped) or its parameters; each from that example's generator only."""
        out: list[dict[str, Any] | None] = []
        for seed, length in zip(seeds, batch.lens, strict=True):
            rng = ExampleRNG(seed)
            applied = bool(rng.random() < self.p) and length > 0  # an empty utterance stays empty
            out.append(self.sample(rng, length, batch.sample_rate) if applied else None)
        return out

    def provenance(self, decided: Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
        """One provenance dict per example from :meth:`decide`'s answer."""
        return [{"op": self.label, "applied": d is not None, **(d or {})} for d in decided]

    def forward(
        self,
        batch: Batch,
        seeds: Sequence[int],
        measure: bool = False,
    ) -> tuple[Batch, list[dict[str, Any]]]:
        if len(seeds) != batch.size:
            raise ValueError(f"{self.label}: {batch.size} rows but {len(seeds)} seeds")
        decided = self.decide(seeds, batch)
        rows = [i for i, d in enumerate(decided) if d is not None]
        prov = self.provenance(decided)
        if not rows:
            return batch, prov
        sub = batch.select(rows)
        out, measured = self.apply(sub, [decided[i] for i in rows], measure)  # type: ignore[misc]
        if measure and measured:
            for key, values in measured.items():
                for i, v in zip(rows, values, strict=True):
                    prov[i][key] = v
        return batch.merge(rows, out), prov

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
        from sercorpus.augment.compose import forward_blocked

        seeds = derive_seeds(example_seeds(seed, ids, copy), self.label)
        out, prov = forward_blocked(self, batch, seeds, measure)
        return out.x, out.lengths, prov

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in fields.items())})"


def tensor_of(
    params: list[dict[str, Any]], key: str, device: torch.device, dtype=torch.float32
) -> torch.Tensor:
    """Column ``key`` of the per-row parameter dicts as a tensor on ``device`` (one host->device copy)."""
    return torch.tensor([p[key] for p in params], dtype=dtype).to(device, non_blocking=True)


def draw_noise_seed(rng: ExampleRNG) -> int:
    """A 63-bit key for the counter-based noise of one example (stored in provenance)."""
    return int(rng.integers(0, 2**63 - 1))
