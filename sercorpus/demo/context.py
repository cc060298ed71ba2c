"""What the demo stages share: the output folder, the seed, the miniature roots and prepared manifests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class DemoContext:
    out_dir: Path
    seed: int = 0
    roots: dict[str, Path] = field(default_factory=dict)  # corpus -> miniature corpus root
    manifests: dict[str, Path] = field(default_factory=dict)  # corpus -> prepared manifest
    state: dict[str, Any] = field(default_factory=dict)  # anything a later stage wants from an earlier one


Stage = Callable[[DemoContext], list[str]]
