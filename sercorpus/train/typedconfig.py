"""Build nested dataclasses from plain YAML data, checking every key and type, with errors that name the
dotted key (``optim.lr: expected a number, got 'fast'``).

Why not pydantic or OmegaConf: neither is a dependency, and the recipe schema needs only dataclasses,
``Literal``, optionals, lists, string-keyed dicts and one tagged union (the model family)."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from sercorpus.train.errors import RecipeError

#: name of the field that picks the member of a union of dataclasses (``model.family``)
TAG = "family"


def build(cls: type, data: Any, key: str) -> Any:
    """An instance of dataclass ``cls`` from mapping ``data``; ``key`` is its dotted place in the recipe."""
    return _convert(cls, data, key)


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Union or origin is types.UnionType:
        return _union(get_args(tp), value, key)
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices or isinstance(value, bool) != any(isinstance(c, bool) for c in choices):
            raise RecipeError(key, f"must be one of {list(choices)}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise RecipeError(key, f"expected a list, got {_kind(value)} {value!r}")
        (item,) = get_args(tp) or (Any,)
        return [_convert(item, v, f"{key}.{i}") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise RecipeError(key, f"expected a mapping, got {_kind(value)} {value!r}")
        _, item = get_args(tp) or (str, Any)
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise RecipeError(f"{key}.{k}", "mapping keys must be strings")
            out[k] = _convert(item, v, f"{key}.{k}")
        return out
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass(tp, value, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise RecipeError(key, f"expected true or false, got {_kind(value)} {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecipeError(key, f"expected an integer, got {_kind(value)} {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RecipeError(key, f"expected a number, got {_kind(value)} {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise RecipeError(key, f"expected a string, got {_kind(value)} {value!r}")
        return value
    raise TypeError(f"{key}: unsupported schema type {tp!r}")  # a bug in the schema, not in the recipe


def _union(members: tuple[Any, ...], value: Any, key: str) -> Any:
    if value is None:
        if type(None) in members:
            return None
        raise RecipeError(key, "is required (got null)")
    options = [m for m in members if m is not type(None)]
    tagged = [m for m in options if dataclasses.is_dataclass(m)]
    if len(tagged) > 1:
        return _tagged(tagged, value, key)
    errors = []
    for member in options:
        try:
            return _convert(member, value, key)
        except RecipeError as exc:
            errors.append(exc.reason)
    raise RecipeError(key, " or ".join(dict.fromkeys(errors)))


def _tagged(members: list[Any], value: Any, key: str) -> Any:
    if not isinstance(value, dict):
        raise RecipeError(key, f"expected a mapping, got {_kind(value)} {value!r}")
    by_tag = {get_args(typing.get_type_hints(m)[TAG])[0]: m for m in members}
    tag = value.get(TAG)
    if tag not in by_tag:
        raise RecipeError(f"{key}.{TAG}", f"must be one of {sorted(by_tag)}, got {tag!r}")
    return _dataclass(by_tag[tag], value, key)


def _dataclass(cls: type, value: Any, key: str) -> Any:
    if not isinstance(value, dict):
        raise RecipeError(key, f"expected a mapping, got {_kind(value)} {value!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in value if k not in fields]
    if unknown:
        where = f"{key}.{unknown[0]}" if key else str(unknown[0])
        raise RecipeError(where, f"unknown key; {_known(key)} are: {', '.join(sorted(fields))}")
    kwargs = {}
    for name, f in fields.items():
        sub = f"{key}.{name}" if key else name
        if name in value:
            kwargs[name] = _convert(hints[name], value[name], sub)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise RecipeError(sub, "is required")
    return cls(**kwargs)


def _known(key: str) -> str:
    return f"the keys of {key}" if key else "the top-level keys"


def _kind(value: Any) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
    }.get(type(value), type(value).__name__)
