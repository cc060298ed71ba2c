"""Atomic file output: a temporary sibling renamed into place only when the write succeeded, so an
interrupted run never leaves a file that looks complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_output(path: Path, mode: str = "wb") -> Iterator[Any]:
    """Open a temporary sibling of ``path`` and move it into place only when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": "\n"})) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike[str], text: str, crlf: bool = False) -> None:
    """Write UTF-8 text atomically; ``crlf`` turns every line end into CRLF (as some corpora ship them)."""
    with atomic_output(Path(path)) as handle:
        handle.write((text.replace("\n", "\r\n") if crlf else text).encode("utf-8"))
