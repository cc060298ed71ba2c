"""The op registry: op classes register themselves when defined, and ``augment/ops/`` is discovered.

Adding an op is one new file in ``sercorpus/augment/ops/``: :func:`discover` imports every module found
there (``pkgutil`` over the package path, so a folder appended to that path is searched too), and defining
an :class:`~sercorpus.augment.op.Op` subclass with a ``name`` registers it (``Op.__init_subclass__``).
Nothing else lists ops.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from sercorpus.augment.op import REGISTRY, Op, register, unregister

__all__ = ["REGISTRY", "OPS_PACKAGE", "discover", "get_op", "ops", "register", "unregister"]

OPS_PACKAGE = "sercorpus.augment.ops"


def discover() -> None:
    """Import every module of the ops package (cheap after the first call: imported modules are skipped)."""
    package = importlib.import_module(OPS_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__, prefix=f"{OPS_PACKAGE}."):
        if info.name not in sys.modules and not info.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(info.name)


def ops() -> dict[str, type[Op]]:
    """Every registered op by name (after discovery)."""
    discover()
    return REGISTRY


def get_op(name: str) -> type[Op]:
    """The op class registered as ``name``; KeyError with the known names otherwise."""
    known = ops()
    if name not in known:
        raise KeyError(f"unknown op {name!r}; known ops: {sorted(known)}")
    return known[name]
