"""Recipe history and split naming shared by every selection step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


# ------------------------------------------------------------------------------------------------ meta
def with_step(meta: Mapping[str, Any] | None, step: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``meta`` with ``step`` appended to ``meta['steps']``: the recipe history of a manifest."""
    out = dict(meta or {})
    out["steps"] = [*list(out.get("steps") or []), dict(step)]
    return out


def split_key(split: str | None) -> str:
    """Split name for tables and JSON keys (records without a split show as ``(none)``)."""
    return split if split is not None else "(none)"
