"""JSON that is really JSON: no bare ``Infinity``/``NaN``. A non-finite number becomes ``null`` with a
``<key>_reason`` beside it, and the file is written atomically (so an output's JSON appears complete or not
at all)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sercorpus.core.atomic import atomic_output


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None; in a mapping, ``<key>_reason`` says why
    (unless the producer already gave a reason)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, float) and not math.isfinite(item):
                out[key] = None
                out.setdefault(f"{key}_reason", f"not a finite number ({item!r})")
            else:
                out[key] = json_safe(item)
        for key in list(out):  # a producer's own reason wins over the generic one
            if key.endswith("_reason") and key in value:
                out[key] = json_safe(value[key])
        return out
    if isinstance(value, (list, tuple)):
        return [None if isinstance(v, float) and not math.isfinite(v) else json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def dumps(payload: Any) -> str:
    return json.dumps(json_safe(payload), indent=1, sort_keys=True, allow_nan=False) + "\n"


def write_json(path: Path, payload: Any) -> None:
    """``payload`` as JSON at ``path``, atomically, never with a bare Infinity or NaN."""
    text = dumps(payload)
    with atomic_output(path, "w") as handle:
        handle.write(text)
