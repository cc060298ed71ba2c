"""Corpus registry: one module per corpus (a :class:`~sercorpus.corpora.options.Loader` that reads a root and
yields records, with its options declared as a typed dataclass) and its miniature writer in ``synth/``.
Imports are lazy so ``sercorpus --help`` stays fast and optional extras stay optional. A corpus added here is
covered by ``tests/corpora/test_corpus_contract.py`` with no edit of the suite."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sercorpus.corpora.options import Loader


@dataclass(frozen=True)
class CorpusEntry:
    name: str
    loader: str  # "module:name" of a corpora.options.Loader: (root, report, options) -> Iterator[Utterance]
    writer: str  # "module:function" -> (out_dir, seed=..., **options) -> Path  (miniature corpus)
    description: str

    def load_function(self) -> Loader[Any]:
        """The corpus's :class:`~sercorpus.corpora.options.Loader` (it carries the options declaration)."""
        return _resolve(self.loader)

    def writer_function(self) -> Callable[..., Any]:
        return _resolve(self.writer)


def _resolve(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


CORPORA: dict[str, CorpusEntry] = {
    entry.name: entry
    for entry in (
        CorpusEntry(
            "esc50",
            "sercorpus.corpora.esc50:load_esc50",
            "sercorpus.synth.esc50:write_esc50",
            "ESC-50 environmental sounds (noise bank for augmentation; no emotion labels)",
        ),
        CorpusEntry(
            "msp-podcast",
            "sercorpus.corpora.msp_podcast:load_msp_podcast",
            "sercorpus.synth.msp_podcast:write_msp_podcast",
            "MSP-Podcast v1.6-v1.12 and 2.0: consensus, per-worker votes, V/A/D 1-7",
        ),
        CorpusEntry(
            "mosi",
            "sercorpus.corpora.mosi:load_mosi",
            "sercorpus.synth.mosi:write_mosi",
            "CMU-MOSI opinion segments: Raw CSV and/or SDK .csd, sentiment -3..3, standard folds",
        ),
        CorpusEntry(
            "iemocap",
            "sercorpus.corpora.iemocap:load_iemocap",
            "sercorpus.synth.iemocap:write_iemocap",
            "IEMOCAP full release: acted dyadic sessions, evaluator votes, V/A/D 1-5",
        ),
        CorpusEntry(
            "crema-d",
            "sercorpus.corpora.crema_d:load_crema_d",
            "sercorpus.synth.crema_d:write_crema_d",
            "CREMA-D: acted sentences, crowd-sourced voice-only votes",
        ),
        CorpusEntry(
            "calls",
            "sercorpus.corpora.calls:load_calls",
            "sercorpus.synth.calls:write_calls",
            "private call recordings + segment table (SRT/VTT/aeneas timings), pseudonymised ids",
        ),
        CorpusEntry(
            "csv",
            "sercorpus.corpora.generic:load_csv",
            "sercorpus.synth.custom:write_custom_csv",
            "any corpus described by a table and a YAML spec (sercorpus.yaml in the root)",
        ),
        CorpusEntry(
            "folder",
            "sercorpus.corpora.generic:load_folder",
            "sercorpus.synth.custom:write_custom_folder",
            "any folder of audio files whose names carry the labels, described by a YAML spec",
        ),
    )
}


def get_corpus(name: str) -> CorpusEntry:
    try:
        return CORPORA[name]
    except KeyError:
        raise ValueError(f"unknown corpus {name!r}; known corpora: {sorted(CORPORA)}") from None
