"""What produced an output folder, so a rerun with other settings cannot silently mix into it.

Every long job that writes a folder (augment, shards, profiles) records its settings in ``RUN.json`` before it
writes anything. A rerun with the same settings resumes; a rerun with different settings is refused with a
message naming each differing key, unless the caller asks to overwrite. Written by hand: no library records
"what made this folder" with a readable diff (lhotse and MosaicML streaming resume silently).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sercorpus.core.atomic import write_text

RUN_FILE = "RUN.json"


class SettingsMismatch(ValueError):
    """An output folder was made with other settings; the message lists every key that differs."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace variance: the same settings give the same bytes and digest."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def settings_digest(settings: Mapping[str, Any]) -> str:
    """Short SHA-256 of the canonical settings (what a folder name or an index can carry)."""
    return hashlib.sha256(canonical_json(dict(settings)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RunInfo:
    tool: str
    settings: dict[str, Any]

    @property
    def digest(self) -> str:
        return settings_digest(self.settings)

    def to_json(self) -> str:
        return (
            json.dumps(
                {"tool": self.tool, "digest": self.digest, "settings": self.settings},
                sort_keys=True,
                indent=2,
                allow_nan=False,
            )
            + "\n"
        )


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            out.update(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Human-readable ``key: old -> new`` lines for every leaf that differs (missing shown as ``(unset)``)."""
    a, b = _flatten(dict(old)), _flatten(dict(new))
    lines = []
    for key in sorted(set(a) | set(b)):
        if a.get(key, "(unset)") != b.get(key, "(unset)"):
            lines.append(f"{key}: {a.get(key, '(unset)')!r} -> {b.get(key, '(unset)')!r}")
    return lines


def claim_output_dir(
    out_dir: Path, tool: str, settings: Mapping[str, Any], overwrite: bool = False
) -> RunInfo:
    """Make ``out_dir`` this run's: new folders get ``RUN.json``; same settings resume; others are refused.

    ``overwrite=True`` empties a folder made with other settings; a non-empty folder without ``RUN.json`` is
    always refused, so a mistyped ``-o`` never wipes unrelated data.
    """
    info = RunInfo(tool, json.loads(canonical_json(dict(settings))))
    if out_dir.exists() and not out_dir.is_dir():
        raise SettingsMismatch(f"{out_dir}: exists and is not a folder; choose another -o")
    run_file = out_dir / RUN_FILE
    if run_file.is_file():
        try:
            old = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsMismatch(
                f"{run_file}: unreadable run record ({exc}); remove the folder or use --overwrite"
            ) from None
        if old.get("tool") == tool and old.get("settings") == info.settings:
            return info
        if not overwrite:
            diff = differences(old.get("settings") or {}, info.settings)
            if old.get("tool") != tool:
                diff.insert(0, f"tool: {old.get('tool')!r} -> {tool!r}")
            raise SettingsMismatch(
                f"{out_dir}: made with other settings ({'; '.join(diff)}); "
                "rerun with the same settings to resume, choose another output folder, or pass --overwrite"
            )
        _empty(out_dir)
    elif out_dir.is_dir() and any(out_dir.iterdir()):
        # never wiped, even with --overwrite: a mistyped -o must not delete unrelated data
        raise SettingsMismatch(f"{out_dir}: not empty and holds no {RUN_FILE}; choose an empty or new folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_file, info.to_json())
    return info


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
