"""Reading a corpus's small text files robustly (BOM, CRLF, Latin-1 fallback) with file-named errors."""

from __future__ import annotations

from pathlib import Path

from sercorpus.core.errors import CorpusFormatError


def read_text_lines(path: Path) -> list[str]:
    """Lines without their end-of-line (LF or CRLF), decoded as UTF-8 (BOM tolerated), with a clear error."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CorpusFormatError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise CorpusFormatError(
            path, f"not UTF-8 text (byte {exc.start}); is this a macOS '._' file?"
        ) from None
    return text.splitlines()
