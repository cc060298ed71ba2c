"""Parameter declarations: each op states its parameters once, and everything else is derived from that.

A :class:`Param` (or a :class:`Span`, a ``min_X``/``max_X`` pair drawn per example) carries the name, type,
range or choices, default and a one-line doc. From the declarations come the constructor (keyword and
positional arguments, defaults), validation with messages naming op, parameter, value and allowed range,
per-example drawing (:meth:`Span.draw`), the op's JSON spec (provenance and replay), the resources a
config may leave to the command line (``--noise-root``), ``sercorpus augment --list-ops`` and
``docs/augment.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sercorpus.augment.rng import ExampleRNG

NUMBER = (int, float, np.integer, np.floating)


# ------------------------------------------------------------------------------------------- checks
def interval(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> str:
    return f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def check_number(
    op: str, name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
) -> float:
    """``value`` as float if inside the range, else ValueError naming op, parameter, value and range."""
    allowed = interval(lo, hi, lo_open, hi_open)
    if isinstance(value, bool) or not isinstance(value, NUMBER):
        raise ValueError(f"{op}: {name}={value!r} must be a number in {allowed}")
    v = float(value)
    bad = math.isnan(v) or v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi)
    if bad:
        raise ValueError(f"{op}: {name}={value!r} is outside the allowed range {allowed}")
    return v


def check_integer(op: str, name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{op}: {name}={value!r} must be an integer in [{lo}, {hi}]")
    if not lo <= int(value) <= hi:
        raise ValueError(f"{op}: {name}={value!r} is outside the allowed range [{lo}, {hi}]")
    return int(value)


def check_order(op: str, lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    if lo > hi:
        raise ValueError(f"{op}: {lo_name}={lo:g} must be <= {hi_name}={hi:g}")


def check_choice(op: str, name: str, value: Any, choices: Sequence[Any]) -> Any:
    if isinstance(value, bool) or value not in choices:
        raise ValueError(f"{op}: {name}={value!r} is not one of {list(choices)}")
    return value


def check_values(op: str, name: str, values: Any, lo: float, hi: float) -> list[float]:
    """A non-empty list of numbers, each inside [lo, hi] (a single number is a list of one)."""
    if isinstance(values, NUMBER) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"{op}: {name}={values!r} must be a non-empty list of numbers in [{lo:g}, {hi:g}]")
    return [check_number(op, f"{name}[{i}]", v, lo, hi) for i, v in enumerate(values)]


# ------------------------------------------------------------------------------------- declarations
#: parameter kinds and how they read in listings
KINDS = {
    "number": "number",
    "integer": "integer",
    "choice": "choice",
    "flag": "true/false",
    "numbers": "list of numbers",
    "path": "path",
    "paths": "list of paths",
    "names": "list of names",
    "number_or_choice": "number or choice",
    "integer_or_choice": "integer or choice",
    "object": "Python object",
}


@dataclass(frozen=True)
class Param:
    """One constructor parameter of an op: what it is, what it may be, what it defaults to, what it does.

    ``optional``: None is allowed (the doc says what None means). ``resource``: a key the caller may supply
    outside the config (``noise_root``, ``rir_dir``: the CLI's ``--noise-root``/``--rir-dir``); it fills this
    parameter only when neither it nor any of ``alternatives`` is given. ``yaml=False`` marks Python-only
    parameters (a ready noise bank) that configs cannot set.
    """

    name: str
    kind: str
    default: Any
    doc: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[Any, ...] = ()
    optional: bool = False
    resource: str | None = None
    alternatives: tuple[str, ...] = ()
    yaml: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TypeError(f"parameter {self.name}: unknown kind {self.kind!r}")

    @property
    def is_path(self) -> bool:
        return self.kind in ("path", "paths")

    def check(self, op: str, value: Any) -> Any:
        """The validated (and normalised) value, or ValueError naming op, parameter, value and range."""
        if value is None:
            if self.optional:
                return None
            raise ValueError(f"{op}: {self.name} is required ({self.allowed()})")
        kind, lo, hi = self.kind, self.lo, self.hi
        if kind == "number":
            return check_number(op, self.name, value, lo, hi, lo_open=self.lo_open, hi_open=self.hi_open)  # type: ignore[arg-type]
        if kind == "integer":
            return check_integer(op, self.name, value, int(lo), int(hi))  # type: ignore[arg-type]
        if kind == "choice":
            return check_choice(op, self.name, value, self.choices)
        if kind == "flag":
            if not isinstance(value, bool):
                raise ValueError(f"{op}: {self.name}={value!r} must be true or false")
            return value
        if kind == "numbers":
            return check_values(op, self.name, value, lo, hi)  # type: ignore[arg-type]
        if kind == "path":
            if not isinstance(value, (str, os.PathLike)):
                raise ValueError(f"{op}: {self.name}={value!r} must be a path")
            return os.fspath(value)
        if kind == "paths":
            if isinstance(value, (str, os.PathLike)) or not isinstance(value, (list, tuple)):
                raise ValueError(f"{op}: {self.name}={value!r} must be a list of paths")
            for i, v in enumerate(value):
                if not isinstance(v, (str, os.PathLike)):
                    raise ValueError(f"{op}: {self.name}[{i}]={v!r} must be a path")
            return [os.fspath(v) for v in value]
        if kind == "names":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, (list, tuple)) or not all(isinstance(v, str) for v in names):
                raise ValueError(f"{op}: {self.name}={value!r} must be a name or a list of names")
            for v in names:
                if self.choices:
                    check_choice(op, self.name, v, self.choices)
            return list(names)
        if kind in ("number_or_choice", "integer_or_choice"):
            if isinstance(value, str):
                return check_choice(op, self.name, value, self.choices)
            if kind == "integer_or_choice":
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                    raise ValueError(f"{op}: {self.name}={value!r} must be {self.allowed()}")
                return check_integer(op, self.name, value, int(lo), int(hi))  # type: ignore[arg-type]
            if isinstance(value, bool) or not isinstance(value, NUMBER):
                raise ValueError(f"{op}: {self.name}={value!r} must be {self.allowed()}")
            return check_number(op, self.name, value, lo, hi)  # type: ignore[arg-type]
        return value  # object: checked by the op

    def allowed(self) -> str:
        """The allowed values in words (``number in [0, 1]``, ``one of 'a', 'b'``)."""
        kind = self.kind
        rng = "" if self.lo is None else f" in {interval(self.lo, self.hi, self.lo_open, self.hi_open)}"  # type: ignore[arg-type]
        choices = ", ".join(repr(c) for c in self.choices)
        if kind in ("number", "integer", "numbers"):
            text = f"{KINDS[kind]}{rng}"
        elif kind == "choice":
            text = f"one of {choices}"
        elif kind == "names" and self.choices:
            text = f"list of names from {choices}"
        elif kind in ("number_or_choice", "integer_or_choice"):
            text = f"{KINDS[kind].split(' or ')[0]}{rng} or one of {choices}"
        else:
            text = KINDS[kind]
        return f"{text}, or null" if self.optional else text


@dataclass(frozen=True)
class Span:
    """A per-example random value: parameters ``min_<stem>`` and ``max_<stem>`` (uniform between them on
    ``scale_param``'s scale), optionally overridden by ``values``, a list parameter of values to pick from.

    ``draw`` is how an op turns the declaration into a value for one example.
    """

    stem: str
    default: tuple[float, float]
    lo: float
    hi: float
    doc: str
    lo_open: bool = False
    hi_open: bool = False
    scale_param: str | None = None
    values: str | None = None

    @property
    def names(self) -> tuple[str, str]:
        return f"min_{self.stem}", f"max_{self.stem}"

    def params(self) -> tuple[Param, ...]:
        lo_name, hi_name = self.names
        common = dict(lo=self.lo, hi=self.hi, lo_open=self.lo_open, hi_open=self.hi_open)
        out = [
            Param(lo_name, "number", self.default[0], f"lower end of {self.doc}", **common),  # type: ignore[arg-type]
            Param(hi_name, "number", self.default[1], f"upper end of {self.doc}", **common),  # type: ignore[arg-type]
        ]
        if self.values:
            out.append(
                Param(
                    self.values,
                    "numbers",
                    None,
                    f"values of {self.doc} to pick from per example (instead of the range)",
                    lo=self.lo,
                    hi=self.hi,
                    optional=True,
                )
            )
        return tuple(out)

    def draw(self, values: dict[str, Any], rng: ExampleRNG) -> float:
        """One example's value from the op's validated parameter ``values``."""
        if self.values and values.get(self.values) is not None:
            choices = values[self.values]
            return float(choices[int(rng.integers(len(choices)))])
        lo, hi = (values[n] for n in self.names)
        scale = values[self.scale_param] if self.scale_param else "linear"
        if scale == "linear":
            return float(rng.uniform(lo, hi))
        if scale == "log":
            return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        if scale == "mel":
            from sercorpus.augment.dsp import hz_to_mel, mel_to_hz

            return float(mel_to_hz(rng.uniform(hz_to_mel(lo), hz_to_mel(hi))))
        raise ValueError(f"unknown scale {scale!r}")


Declaration = Param | Span


def number(
    name: str,
    default: float | None,
    lo: float,
    hi: float,
    doc: str,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    optional: bool = False,
) -> Param:
    return Param(name, "number", default, doc, lo, hi, lo_open, hi_open, optional=optional)


def integer(name: str, default: int | None, lo: int, hi: int, doc: str, *, optional: bool = False) -> Param:
    return Param(name, "integer", default, doc, lo, hi, optional=optional)


def choice(name: str, default: Any, choices: Sequence[Any], doc: str) -> Param:
    return Param(name, "choice", default, doc, choices=tuple(choices))


def flag(name: str, default: bool, doc: str) -> Param:
    return Param(name, "flag", default, doc)


def path(
    name: str, doc: str, *, resource: str | None = None, alternatives: Sequence[str] = (), many: bool = False
) -> Param:
    return Param(
        name,
        "paths" if many else "path",
        None,
        doc,
        optional=True,
        resource=resource,
        alternatives=tuple(alternatives),
    )


def names(name: str, doc: str, choices: Sequence[str] = ()) -> Param:
    return Param(name, "names", None, doc, choices=tuple(choices), optional=True)


def flatten(declarations: Sequence[Declaration]) -> tuple[tuple[Param, ...], dict[str, Span]]:
    """Every parameter in declaration order (spans expanded) and the spans by stem; names must be unique."""
    params: list[Param] = []
    spans: dict[str, Span] = {}
    for d in declarations:
        if isinstance(d, Span):
            spans[d.stem] = d
            params.extend(d.params())
        else:
            params.append(d)
    seen: set[str] = set()
    for p in params:
        if p.name in seen:
            raise TypeError(f"parameter {p.name!r} declared twice")
        seen.add(p.name)
    return tuple(params), spans
