"""Native label words -> unified categories for user-described corpora (``calls``, ``csv``, ``folder``).

The shipped corpora use :func:`sercorpus.labels.load_label_map` with exact codes; user data is typed by
people, so here matching ignores case and surrounding spaces, and a map can come from any YAML file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.labelmap import LabelMap, read_label_map
from sercorpus.core.schema import VOCABULARY


def _key(word: str) -> str:
    return " ".join(str(word).split()).casefold()


class LabelMatcher:
    """Case-insensitive native word -> unified category (None = the rater abstained / no agreement)."""

    def __init__(self, mapping: Mapping[Any, str | None], source: str):
        self.source = source
        self._map: dict[str, str | None] = {}
        for native, unified in mapping.items():
            if unified is not None and unified not in VOCABULARY:
                raise CorpusFormatError(
                    source,
                    f"label {native!r} maps to {unified!r}, which is not in the "
                    f"unified vocabulary {list(VOCABULARY)}",
                )
            self._map[_key(native)] = unified

    def __call__(self, native: str) -> str | None:
        """Unified category; KeyError (the caller reports file:line) for a word the map does not know."""
        return self._map[_key(native)]

    def categories(self, words: Iterable[str]) -> list[str]:
        """Unified categories of one rater's words, in order, without repeats or abstentions.

        Raises KeyError naming the first unknown word.
        """
        cats: list[str] = []
        for word in words:
            unified = self(word)
            if unified is not None and unified not in cats:
                cats.append(unified)
        return cats

    @classmethod
    def from_label_map(cls, label_map: LabelMap, source: str) -> LabelMatcher:
        return cls({**label_map.codes, **label_map.words}, source)


_MULTI_SEP = re.compile(r"[;|]")


def split_words(cell: Any) -> list[str]:
    """One rater's cell -> native words: ``;`` or ``|`` separate several labels; a JSON list works too."""
    if cell is None:
        return []
    items = cell if isinstance(cell, list) else _MULTI_SEP.split(str(cell))
    return [str(item).strip() for item in items if str(item).strip()]


def read_label_map_file(path: Path) -> tuple[LabelMatcher, tuple[float, float] | None]:
    """A user's label map in the ``manifests/labelmaps`` format, as a case-insensitive matcher + scale."""
    label_map = read_label_map(path)
    mapping = {**label_map.codes, **label_map.words}
    if not mapping:
        raise CorpusFormatError(path, "label map holds no 'words' or 'codes'")
    return LabelMatcher(mapping, str(path)), label_map.scale


def parse_scale(value: Any, source: str) -> tuple[float, float] | None:
    """``[lo, hi]`` or ``"lo,hi"`` (as ``--opt scale=1,5`` arrives) -> floats with lo < hi."""
    if value is None:
        return None
    parts = value.split(",") if isinstance(value, str) else value
    try:
        lo, hi = (float(x) for x in parts)
    except (TypeError, ValueError):
        raise CorpusFormatError(source, f"scale must be two numbers [lo, hi], got {value!r}") from None
    if not lo < hi:
        raise CorpusFormatError(source, f"scale needs lo < hi, got {value!r}")
    return lo, hi


def normalise(value: float, scale: tuple[float, float]) -> float | None:
    """Native rating -> [0, 1]; None when outside the scale (the caller reports it)."""
    lo, hi = scale
    if not lo <= value <= hi:
        return None
    return (value - lo) / (hi - lo)
