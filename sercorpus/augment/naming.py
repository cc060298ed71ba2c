"""Output file names: an injective, readable escape of the utterance id, so two ids can never share a file.

Readable for the usual ids (``msp-podcast/MSP-PODCAST_0107_0017`` -> ``msp-podcast__MSP-PODCAST_0107_0017``):
``/`` becomes ``__``; ``A-Z a-z 0-9 . -`` stay; a ``_`` stays unless it touches another ``_`` or a ``/`` in
the id (then ``%5F``); every other character is ``%XX`` per UTF-8 byte (``%`` itself is ``%25``), and a
leading ``.`` is ``%2E`` (no hidden files). Decoding reads runs of ``_``: length 1 is ``_``, length 2k is
k slashes, and no other run length is produced, so distinct ids give distinct names. Ids whose name would
exceed the file-name limit keep a readable prefix and end in ``%%`` plus the id's SHA-256 (``%%`` never
occurs otherwise). Case-insensitive file systems would still merge ids differing only in case:
:func:`check_unique` refuses those up front.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_MAX_STEM = 200  # bytes; names get ".aug<k>.json" appended and file systems allow 255


def _escape(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def escape_id(utt_id: str) -> str:
    """The injective file-name stem of ``utt_id`` (see the module docstring)."""
    if not utt_id:
        return "%"  # a lone % is produced by nothing else
    out = []
    for i, ch in enumerate(utt_id):
        if ch == "/":
            out.append("__")
        elif ch == "_":
            near = {utt_id[i - 1] if i else "", utt_id[i + 1] if i + 1 < len(utt_id) else ""}
            out.append("%5F" if near & {"_", "/"} else "_")
        elif ch == "." and i == 0:
            out.append("%2E")
        elif ch in _KEEP:
            out.append(ch)
        else:
            out.append(_escape(ch))
    stem = "".join(out)
    if len(stem.encode("utf-8")) > _MAX_STEM:
        digest = hashlib.sha256(utt_id.encode("utf-8")).hexdigest()
        stem = stem[: _MAX_STEM - 66].rstrip("%0123456789ABCDEF") + "%%" + digest
    return stem


def output_stem(utt_id: str, copy: int) -> str:
    """File-name stem of the output for (id, copy): ``<escaped id>.aug<copy>``."""
    return f"{escape_id(utt_id)}.aug{int(copy)}"


def check_unique(ids: Iterable[str]) -> None:
    """ValueError naming the ids when two are equal, or differ only in letter case (their files would
    collide on a case-insensitive file system)."""
    seen: dict[str, str] = {}
    for utt in ids:
        key = escape_id(utt).casefold()
        if key in seen:
            other = seen[key]
            what = "appears twice" if other == utt else f"and {other!r} differ only in letter case"
            raise ValueError(
                f"input ids {utt!r} {what}: their output files would collide; give every input a distinct id"
            )
        seen[key] = utt
