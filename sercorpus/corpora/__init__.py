"""Corpus registry: one module per corpus (a function that reads a root and yields records) and its
miniature writer. Imports are lazy so ``sercorpus --help`` stays fast and optional extras stay optional."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CorpusEntry:
    name: str
    loader: str  # "module:function" -> (root, report, **options) -> Iterator[Utterance]
    writer: str  # "module:function" -> (out_dir, seed=..., **options) -> Path  (miniature corpus)
    description: str

    def load_function(self) -> Callable[..., Any]:
        return _resolve(self.loader)

    def writer_function(self) -> Callable[..., Any]:
        return _resolve(self.writer)


def _resolve(spec: str) -> Callable[..., Any]:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


CORPORA: dict[str, CorpusEntry] = {
    entry.name: entry
    for entry in (
        CorpusEntry("esc50", "sercorpus.corpora.esc50:load_esc50", "sercorpus.synth.esc50:write_esc50",
                    "ESC-50 environmental sounds (noise bank for augmentation; no emotion labels)"),
    )
}


def get_corpus(name: str) -> CorpusEntry:
    try:
        return CORPORA[name]
    except KeyError:
        raise ValueError(f"unknown corpus {name!r}; known corpora: {sorted(CORPORA)}") from None
