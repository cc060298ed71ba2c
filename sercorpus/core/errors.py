"""Errors that users see as one line: each names the file (and line) it is about."""

from __future__ import annotations

import os


class CorpusFormatError(ValueError):
    """A corpus file does not follow its documented format; names the file and, where known, the line."""

    def __init__(self, file: str | os.PathLike[str], message: str, line: int | None = None):
        self.file = str(file)
        self.line = line
        self.reason = message
        where = f"{self.file}:{line}" if line is not None else self.file
        super().__init__(f"{where}: {message}")
