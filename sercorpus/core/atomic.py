"""Atomic file output: a temporary sibling renamed into place only when the write succeeded, so an
interrupted run never leaves a file that looks complete.

The temporary file is created with mode 0666 and the kernel applies the umask, exactly as for a plain
``open(path, "w")``: ``tempfile.mkstemp`` would create it 0600, and the rename would carry that mode over,
leaving a shared corpus folder unreadable to colleagues.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: what ``open()`` asks for; the umask takes away the rest
CREATE_MODE = 0o666


def create_temp_sibling(path: Path) -> tuple[Path, int]:
    """A new, exclusively created ``.<name>.<random>.tmp`` next to ``path``, open read-write (umask applied)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)  # RDWR: HDF5 reads back
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return tmp, os.open(tmp, flags, CREATE_MODE)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


@contextmanager
def atomic_output(path: Path, mode: str = "wb") -> Iterator[Any]:
    """Open a temporary sibling of ``path`` and move it into place only when the block succeeds.

    ``mode`` is a write mode: binary (``"wb"``, ``"w+b"`` for writers that read back, like HDF5) or text
    (``"w"``: UTF-8 with LF line ends).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = create_temp_sibling(path)
    try:
        handle: IO[Any]
        if "b" in mode:
            handle = os.fdopen(fd, mode)
        else:
            handle = os.fdopen(fd, mode, encoding="utf-8", newline="\n")
        with handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` atomically (parent folders created); returns the path."""
    out = Path(path)
    with atomic_output(out) as handle:
        handle.write(data)
    return out


def write_text(path: str | os.PathLike[str], text: str, crlf: bool = False) -> Path:
    """Write UTF-8 text atomically; ``crlf`` turns every line end into CRLF (as some corpora ship them)."""
    return write_bytes(path, (text.replace("\n", "\r\n") if crlf else text).encode("utf-8"))
