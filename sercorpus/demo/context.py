"""What the demo stages share (output folder, seed, miniature roots, prepared manifests) and what they return.

A stage returns a list of blocks: plain strings become bullet points, :class:`Table` a real Markdown table and
:class:`Image` an embedded PNG, so ``SUMMARY.md`` renders as a report rather than monospace lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    def rel(self, path: Path) -> str:
        """``path`` relative to the output folder, as SUMMARY.md links it."""
        return path.resolve().relative_to(self.out_dir).as_posix()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True)
class Table:
    """A table for SUMMARY.md; ``align`` holds one of ``l``/``r`` per column (numbers right-aligned)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    caption: str | None = None
    align: str | None = None

    def markdown(self) -> str:
        align = self.align or "l" * len(self.headers)
        rule = ["---:" if a == "r" else "---" for a in align]
        lines = [f"**{self.caption}**", ""] if self.caption else []
        lines.append("| " + " | ".join(_cell(h) for h in self.headers) + " |")
        lines.append("| " + " | ".join(rule) + " |")
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass(frozen=True)
class Image:
    """A PNG the stage wrote, linked relative to the output folder."""

    path: str
    alt: str

    def markdown(self) -> str:
        return f"![{self.alt}]({self.path})"


Block = str | Table | Image
Stage = Callable[[DemoContext], Sequence[Block]]


def render_blocks(blocks: Sequence[Block]) -> str:
    """Markdown for a stage's blocks: runs of strings as one bullet list, tables and images as paragraphs."""
    parts: list[str] = []
    bullets: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            bullets.append(f"- {block}")
            continue
        if bullets:
            parts.append("\n".join(bullets))
            bullets = []
        parts.append(block.markdown())
    if bullets:
        parts.append("\n".join(bullets))
    return "\n\n".join(parts)
