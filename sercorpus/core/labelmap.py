"""Corpus label maps: a corpus's native codes and words -> unified categories, and its native scale.

Every corpus reaches the unified vocabulary through one of the tables in ``manifests/labelmaps``; this
module reads them (shipped or user-written) with errors that name the file."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.schema import VOCABULARY


# ----------------------------------------------------------------------------------------- label maps
@dataclass(frozen=True)
class LabelMap:
    """A corpus's native label codes/words -> unified categories, and its native dimensional scale."""

    corpus: str
    codes: Mapping[str, str | None]  # consensus codes (``neu``, ``N``, ...); None = no agreement
    words: Mapping[str, str | None]  # rater words (``Neutral``, ``Angry``, ...)
    scale: tuple[float, float] | None  # native dimensional scale (lo, hi)
    raw: Mapping[str, Any]

    def code(self, code: str) -> str | None:
        """Unified category for a consensus code; KeyError (caller reports file/line) when unknown."""
        return self.codes[code]

    def normalise(self, value: float | None) -> float | None:
        """Native dimensional value -> [0, 1] on this corpus's scale."""
        if value is None:
            return None
        if self.scale is None:
            raise ValueError(f"{self.corpus}: label map declares no dimensional scale")
        lo, hi = self.scale
        return (float(value) - lo) / (hi - lo)


def manifests_dir() -> Path:
    """The ``manifests/`` folder: shipped inside the wheel, or at the repository root in a checkout."""
    packaged = resources.files("sercorpus") / "_manifests"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "manifests"


def read_label_map(path: Path) -> LabelMap:
    """A label-map YAML file (``codes``/``words`` maps to unified categories, optional ``scale: [lo, hi]``);
    every problem is a CorpusFormatError naming the file. Shipped maps and users' own maps go through here."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise CorpusFormatError(path, "label map not found") from None
    except yaml.YAMLError as exc:
        raise CorpusFormatError(path, f"invalid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CorpusFormatError(path, "label map must be a YAML mapping with 'codes' and/or 'words'")
    for section in ("codes", "words"):
        for native, unified in (raw.get(section) or {}).items():
            if unified is not None and unified not in VOCABULARY:
                raise CorpusFormatError(
                    path, f"{section}.{native} maps to {unified!r}, not in the unified vocabulary"
                )
    scale = raw.get("scale")
    try:
        lo_hi = None if scale is None else (float(scale[0]), float(scale[1]))
    except (TypeError, ValueError, IndexError, KeyError):
        raise CorpusFormatError(path, f"scale must be two numbers [lo, hi], got {scale!r}") from None
    if lo_hi is not None and not lo_hi[0] < lo_hi[1]:
        raise CorpusFormatError(path, f"scale needs lo < hi, got {scale!r}")
    return LabelMap(
        corpus=raw.get("corpus", path.stem),
        codes={str(k): v for k, v in (raw.get("codes") or {}).items()},
        words={str(k): v for k, v in (raw.get("words") or {}).items()},
        scale=lo_hi,
        raw=raw,
    )


@functools.cache
def load_label_map(corpus: str) -> LabelMap:
    """The shipped label map of a built-in corpus (``manifests/labelmaps/<corpus>.yaml``)."""
    return read_label_map(manifests_dir() / "labelmaps" / f"{corpus}.yaml")
