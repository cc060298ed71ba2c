"""An output folder of per-item files that resumes safely: claimed with the settings that produce it, done
items recognised by their last-written file, and temp files of a killed run cleaned up.

Shared by writers of one-file-pair-per-item folders (augmented audio now; shards and profiles can reuse it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sercorpus.core.runinfo import RUN_FILE, RunInfo, claim_output_dir

#: temporary files of our atomic writers (``.name.tmp`` and ``.name.XXXX.tmp``), left behind by kill -9
_TEMP = re.compile(r"^\..+\.tmp$")


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and _TEMP.match(p.name)]


def claim(out_dir: Path, tool: str, settings: Mapping[str, Any], overwrite: bool = False) -> RunInfo:
    """Make ``out_dir`` this run's (see :func:`sercorpus.core.runinfo.claim_output_dir`), after removing
    the temp files an interrupted run left (also a half-written ``RUN.json``, which would otherwise make
    the folder look foreign)."""
    if out_dir.is_dir():
        for tmp in _temp_files(out_dir):
            tmp.unlink(missing_ok=True)
    return claim_output_dir(out_dir, tool, settings, overwrite)


def is_done(out_dir: Path, stem: str, suffixes: tuple[str, ...]) -> bool:
    """Whether every file of item ``stem`` exists (the writer writes the last suffix last)."""
    return all((out_dir / f"{stem}{suffix}").is_file() for suffix in suffixes)


def flat_spec(value: Any, prefix: str = "") -> dict[str, Any]:
    """A config spec as ``{"chain[0].op": "gain", "chain[0].p": 0.5, ...}``, so a refused rerun can name
    the exact parameter that differs."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in sorted(value):
            out.update(flat_spec(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, (Mapping, list)) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(flat_spec(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


__all__ = ["RUN_FILE", "claim", "flat_spec", "is_done"]
