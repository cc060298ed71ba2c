"""Lazy package exports: ``from sercorpus.shards import ShardLoader`` without importing torch or pyarrow
for ``sercorpus --help``. Each heavy package maps its public names to submodules and gets its module-level
``__getattr__`` from here (PEP 562), so the rule is written once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_getattr(package: str, exports: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.<exports[name]>`` on first use and caches the value."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{exports[name]}"), name)
        namespace[name] = value
        return value

    return __getattr__
