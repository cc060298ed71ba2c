"""Atomic, umask-honouring writes for every file the evaluation package produces.

A thin layer over :func:`sercorpus.core.atomic.atomic_output` (temporary sibling, then ``os.replace``; the
file mode is 0666 minus the umask), so a reader never sees a half-written report or predictions table.
"""

from __future__ import annotations

import os
from pathlib import Path

from sercorpus.core.atomic import atomic_output


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (parent folders created); returns the path."""
    out = Path(path)
    with atomic_output(out) as handle:
        handle.write(data)
    return out


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """UTF-8 text with ``\\n`` line ends, written as :func:`write_bytes_atomic`."""
    return write_bytes_atomic(path, text.encode("utf-8"))
