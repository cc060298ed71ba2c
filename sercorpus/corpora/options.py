"""The loader contract: each corpus declares its options once, as a frozen dataclass, and is read through one
:class:`Loader` that validates them.

Why a declaration and not the loader's signature: ``prepare``, ``--opt`` and the docs all need the names,
types, defaults and help of the options. Read from one dataclass, an unknown or mistyped option is refused
up front with the list of valid ones, and ``--opt`` text becomes the declared type (``include_self=true`` a
bool, ``version=1.10`` the text ``"1.10"``, never the float 1.1) instead of being guessed as YAML.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_NULL = ("null", "~")


def option(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    """One declared option: its default, a one-line help text and, for text options, the allowed values."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices})


@dataclasses.dataclass(frozen=True)
class OptionInfo:
    """What a user needs to know about one option (for messages, ``--help``-style listings and docs)."""

    name: str
    type: str  # readable, e.g. "bool" or "str | None"
    default: Any
    help: str
    choices: tuple[str, ...] | None = None

    def describe(self) -> str:
        allowed = f"; one of {', '.join(self.choices)}" if self.choices else ""
        return f"{self.name} ({self.type}, default {self.default!r}{allowed})"


class LoaderOptions:
    """Base of every corpus's options dataclass (subclasses are ``@dataclass(frozen=True)``)."""

    @classmethod
    def describe(cls) -> list[OptionInfo]:
        hints = typing.get_type_hints(cls)
        return [
            OptionInfo(
                f.name,
                type_name(hints[f.name]),
                f.default,
                str(f.metadata.get("help", "")),
                f.metadata.get("choices"),
            )
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        ]

    @classmethod
    def listing(cls) -> str:
        infos = cls.describe()
        return "; ".join(i.describe() for i in infos) if infos else "none"

    @classmethod
    def coerce(cls, values: Mapping[str, Any], corpus: str = "this") -> dict[str, Any]:
        """Given option values checked and converted to their declared types (``--opt`` text included)."""
        infos = {i.name: i for i in cls.describe()}
        unknown = sorted(set(values) - set(infos))
        if unknown:
            raise ValueError(
                f"{corpus} loader does not take option(s) {unknown}; valid options: {cls.listing()}"
            )
        hints = typing.get_type_hints(cls)
        out: dict[str, Any] = {}
        for name, value in values.items():
            info = infos[name]
            try:
                converted = convert(value, hints[name])
            except ValueError:
                raise ValueError(
                    f"{corpus} option {name} expects {info.type}, got {value!r}; "
                    f"valid options: {cls.listing()}"
                ) from None
            if info.choices and converted is not None and converted not in info.choices:
                raise ValueError(
                    f"{corpus} option {name} must be one of {list(info.choices)}, got {name}={converted!r}"
                )
            out[name] = converted
        return out

    @classmethod
    def build(cls: type[OptionsT], values: Mapping[str, Any], corpus: str = "this") -> OptionsT:
        return cls(**cls.coerce(values, corpus))


OptionsT = TypeVar("OptionsT", bound=LoaderOptions)


def type_name(hint: Any) -> str:
    """``str | None`` style name of a type hint."""
    members = _members(hint)
    if len(members) > 1:
        return " | ".join(type_name(m) for m in members)
    if hint is type(None):
        return "None"
    origin = typing.get_origin(hint)
    if origin is not None:
        args = ", ".join(type_name(a) for a in typing.get_args(hint))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    return getattr(hint, "__name__", str(hint))


def _members(hint: Any) -> tuple[Any, ...]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


def convert(value: Any, hint: Any) -> Any:
    """``value`` as the declared type: values already of a member type pass; text is parsed for the others.

    Raises ValueError when neither works. Text matches a ``str`` member as is, except ``null``/``~`` for an
    optional option, which mean None (as in YAML).
    """
    members = _members(hint)
    if value is None:
        if type(None) in members:
            return None
        raise ValueError("None not allowed")
    if isinstance(value, str) and type(None) in members and value.strip().lower() in _NULL:
        return None
    for member in members:
        ok, converted = _as_member(value, member)
        if ok:
            return converted
    if isinstance(value, str):
        for member in members:
            ok, converted = _parse_text(value.strip(), member)
            if ok:
                return converted
    raise ValueError(f"{value!r} is not {type_name(hint)}")


def _as_member(value: Any, member: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(member) or member
    if member is bool:
        return isinstance(value, bool), value
    if member is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if member is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if member in (str, bytes):
        return isinstance(value, member), value
    if origin is list:
        (item,) = typing.get_args(member) or (Any,)
        if not isinstance(value, (list, tuple)):
            return False, value
        items = [_as_member(v, item) if item is not Any else (True, v) for v in value]
        return all(ok for ok, _ in items), [v for _, v in items]
    if origin in (dict, Mapping):
        return isinstance(value, Mapping), value
    return False, value


def _parse_text(text: str, member: Any) -> tuple[bool, Any]:
    low = text.lower()
    if member is bool:
        if low in _TRUE or low in _FALSE:
            return True, low in _TRUE
        return False, None
    try:
        if member is int:
            return True, int(text)
        if member is float:
            number = float(text)
            return math.isfinite(number), number
        if typing.get_origin(member) is list:
            parts = [p for p in text.strip("[]").split(",") if p.strip()]
            (item,) = typing.get_args(member) or (str,)
            parsed = [_parse_text(p.strip(), item) for p in parts]
            return bool(parts) and all(ok for ok, _ in parsed), [v for _, v in parsed]
    except ValueError:
        return False, None
    return False, None


RawLoader = Callable[[Path, PrepareReport, OptionsT], Iterator[Utterance]]


class Loader(Generic[OptionsT]):
    """A corpus reader with its declared options: ``loader(root, report, options=None, **values)``.

    ``values`` (keyword options, as library callers and tests pass them) and ``options`` (a ready options
    object, as ``prepare`` passes it) are mutually exclusive; both are validated before anything is read.
    """

    def __init__(self, corpus: str, options: type[OptionsT], read: RawLoader[OptionsT]):
        self.corpus, self.options, self.read = corpus, options, read
        functools.update_wrapper(self, read)

    def resolve(self, options: OptionsT | None = None, values: Mapping[str, Any] | None = None) -> OptionsT:
        if options is not None and values:
            raise ValueError(f"{self.corpus}: pass an options object or keyword options, not both")
        if options is not None:
            if not isinstance(options, self.options):
                raise TypeError(f"{self.corpus} loader takes {self.options.__name__}, got {type(options)}")
            return options
        return self.options.build(values or {}, self.corpus)

    def __call__(
        self,
        root: str | Path,
        report: PrepareReport | None = None,
        options: OptionsT | None = None,
        **values: Any,
    ) -> Iterator[Utterance]:
        resolved = self.resolve(options, values)
        return self.read(Path(root), report or PrepareReport(self.corpus), resolved)


def loader(corpus: str, options: type[OptionsT]) -> Callable[[RawLoader[OptionsT]], Loader[OptionsT]]:
    """Decorator: ``@loader("iemocap", IemocapOptions)`` over ``read(root, report, options)``."""

    def wrap(read: RawLoader[OptionsT]) -> Loader[OptionsT]:
        return Loader(corpus, options, read)

    return wrap


@dataclasses.dataclass(frozen=True)
class NoOptions(LoaderOptions):
    """For corpora without options (ESC-50)."""
