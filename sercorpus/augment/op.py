"""The leaf-op contract: declared parameters, per-example decisions and the batched transform.

A leaf op declares ``name`` and ``params`` (see :mod:`sercorpus.augment.params`) and implements ``sample``
(one example's parameters, drawn on the CPU from that example's own generator) and ``apply`` (the batched
transform of the rows that were selected). Defining the class registers it. The base class builds the
constructor from the declarations, validates, decides per example whether the op applies, selects rows,
records provenance and replays recorded decisions, so every op behaves alike.

Ops that can share FFTs with their neighbours in a chain declare ``fft_role``: ``"filter"`` (a per-example
magnitude on the rfft grid: ``response`` and ``guard``) or ``"convolution"`` (one impulse response per
example: ``impulse_responses``); see :mod:`sercorpus.augment.fftshare`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.node import Node, Records, check_records
from sercorpus.augment.params import Declaration, Param, Span, check_order, flatten, number
from sercorpus.augment.rng import ExampleRNG

#: registry name -> op class, filled by ``Op.__init_subclass__``; read it through :func:`ops`
REGISTRY: dict[str, type[Op]] = {}


def register(cls: type[Op]) -> type[Op]:
    """Record ``cls`` under ``cls.name`` (called by the subclass hook; a reloaded module replaces itself)."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} needs a registry name")
    old = REGISTRY.get(cls.name)
    if old is not None and old is not cls:
        same = (old.__module__, old.__qualname__) == (cls.__module__, cls.__qualname__)
        if not same:
            raise TypeError(
                f"op name {cls.name!r} registered twice: {old.__module__}.{old.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}"
            )
    REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Forget an op (tests that register throwaway ops clean up with this)."""
    REGISTRY.pop(name, None)


P = number("p", 1.0, 0.0, 1.0, "probability that the op applies to an example (decided per example)")

#: keys of a leaf provenance record that are not the op's sampled parameters
RECORD_KEYS = ("op", "applied")


class _Omit:
    """A measured value that is not recorded for that row (e.g. no ``*_reason`` where a value exists)."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()


class Op(Node):
    """Base of every leaf augmentation; subclasses set ``name`` and ``params`` and implement ``sample`` and
    ``apply``. ``p`` (declared here for every op) is the per-example probability of applying the op."""

    params: ClassVar[tuple[Declaration, ...]] = ()
    #: constructor order of positional arguments when it differs from the declaration order
    positional: ClassVar[tuple[str, ...] | None] = None
    declared: ClassVar[tuple[Param, ...]] = (P,)
    spans: ClassVar[dict[str, Span]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.declared, cls.spans = flatten((*cls.params, P))
        if cls.__dict__.get("name"):
            register(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = [p.name for p in self.declared]
        order = list(self.positional) if self.positional is not None else names
        if len(args) > len(order):
            raise TypeError(f"{self.label}: takes at most {len(order)} positional arguments, got {len(args)}")
        given = dict(zip(order, args, strict=False))
        for key, value in kwargs.items():
            if key in given:
                raise TypeError(f"{self.label}: got multiple values for parameter {key!r}")
            given[key] = value
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise TypeError(f"{self.label}: unknown parameter(s) {unknown}; allowed: {names}")
        values: dict[str, Any] = {}
        for param in self.declared:
            values[param.name] = param.check(self.label, given.get(param.name, param.default))
        for span in self.spans.values():
            lo, hi = span.names
            check_order(self.label, lo, values[lo], hi, values[hi])
        self._values = values
        for key, value in values.items():
            setattr(self, key, value)
        self.validate()

    if TYPE_CHECKING:  # declared parameters are attributes; their types come from the declarations

        def __getattr__(self, name: str) -> Any: ...

    # -- to implement --------------------------------------------------------------------------------
    def validate(self) -> None:
        """Checks that involve several parameters (and derived state); raise ValueError naming the op."""

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

    # -- declarations at work ------------------------------------------------------------------------
    def draw(self, stem: str, rng: ExampleRNG) -> float:
        """One example's value of the declared span ``stem`` (``min_<stem>``/``max_<stem>``)."""
        return self.spans[stem].draw(self._values, rng)

    def settings(self) -> dict[str, Any]:
        """The validated value of every declared parameter."""
        return dict(self._values)

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.name}
        for param in self.declared:
            value = self._values[param.name]
            if not param.yaml:
                if value is not None:
                    out[param.name] = f"<{type(value).__name__} given in Python>"
                continue
            if param.is_path and value is not None:
                value = (
                    [str(Path(v).resolve()) for v in value]
                    if isinstance(value, list)
                    else str(Path(value).resolve())
                )
            out[param.name] = value
        return out

    # -- shared machinery ----------------------------------------------------------------------------
    def decide(
        self, seeds: Sequence[int], batch: Batch, records: Records = None
    ) -> list[dict[str, Any] | None]:
        """Per example: None (skipped) or its parameters; each from that example's generator only, or
        from its provenance record when replaying."""
        if records is not None:
            check_records(self.label, records, batch.size)
            return [self.recorded(r) for r in records]
        out: list[dict[str, Any] | None] = []
        for seed, length in zip(seeds, batch.lens, strict=True):
            rng = ExampleRNG(seed)
            applied = bool(rng.random() < self.p) and length > 0  # an empty utterance stays empty
            out.append(self.sample(rng, length, batch.sample_rate) if applied else None)
        return out

    def recorded(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        """The parameters a provenance record holds (None where the op did not apply)."""
        if record.get("op") != self.label:
            raise ValueError(
                f"replay: the provenance has op {record.get('op')!r} where the config has {self.label!r}"
            )
        if not record.get("applied"):
            return None
        return {k: v for k, v in record.items() if k not in RECORD_KEYS}

    def provenance(self, decided: Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
        """One provenance dict per example from :meth:`decide`'s answer."""
        return [{"op": self.label, "applied": d is not None, **(d or {})} for d in decided]

    def forward(
        self,
        batch: Batch,
        seeds: Sequence[int],
        measure: bool = False,
        records: Records = None,
    ) -> tuple[Batch, list[dict[str, Any]]]:
        if len(seeds) != batch.size:
            raise ValueError(f"{self.label}: {batch.size} rows but {len(seeds)} seeds")
        decided = self.decide(seeds, batch, records)
        rows = [i for i, d in enumerate(decided) if d is not None]
        prov = self.provenance(decided)
        if not rows:
            return batch, prov
        sub = batch.select(rows)
        out, measured = self.apply(sub, [decided[i] for i in rows], measure)  # type: ignore[misc]
        if measure and measured:
            for key, values in measured.items():
                for i, v in zip(rows, values, strict=True):
                    if v is not OMIT:
                        prov[i][key] = v
        return batch.merge(rows, out), prov

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{type(self).__name__}({fields})"


def tensor_of(
    params: list[dict[str, Any]], key: str, device: torch.device, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Column ``key`` of the per-row parameter dicts as a tensor on ``device`` (one host->device copy)."""
    return torch.tensor([p[key] for p in params], dtype=dtype).to(device, non_blocking=True)


def existing_dir(op: str, value: str | os.PathLike[str] | None, what: str) -> None:
    """FileNotFoundError naming the op when a folder parameter does not exist."""
    if value is not None and not Path(value).is_dir():
        raise FileNotFoundError(f"{op}: {what} not found: {value}")
