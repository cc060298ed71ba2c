"""Tiny, dependency-free Markdown/CSV formatting shared by every report (deterministic output)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

NULL = "—"


def fmt(value: float | int | None, digits: int = 4, signed: bool = False) -> str:
    """A number for Markdown: ``None`` -> an em dash, floats to ``digits`` decimals."""
    if value is None:
        return NULL
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def cell(value: Any) -> str:
    """A CSV cell: ``None`` -> empty, floats in full (repr) precision."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(_escape(str(h)) for h in header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_escape(str(c)) for c in row) + " |")
    return "\n".join(lines) + "\n"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(c) for c in row])
    return buf.getvalue()
