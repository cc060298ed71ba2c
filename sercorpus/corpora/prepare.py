"""Run one corpus loader over a root and write manifest + report: the ``sercorpus prepare`` command."""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.manifest import check_output_path, write_manifest
from sercorpus.core.privacy import public_options
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance
from sercorpus.corpora import get_corpus
from sercorpus.corpora.decodecheck import check_decoding


def report_path_for(out: Path) -> Path:
    return out.with_name(out.name + ".report.json")


def collect(
    records: Iterable[Utterance], report: PrepareReport, source: Path, progress: bool = False
) -> list[Utterance]:
    """Materialise loader output; a repeated id is a counted skip (the first occurrence wins)."""
    kept: dict[str, Utterance] = {}
    if progress:
        from rich.progress import track

        records = track(records, description=f"reading {report.corpus}", transient=True)
    for utt in records:
        if utt.id in kept:
            report.skip(
                "duplicate-id", source, f"id {utt.id} emitted twice; keeping the first", record=utt.id
            )
            continue
        kept[utt.id] = utt
    return list(kept.values())


def _gc_paused(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Pause the cyclic garbage collector for a bulk run, then resume it.

    Preparing allocates millions of long-lived objects with no reference cycles (records, annotations, Arrow
    rows); the collector's repeated full passes over them cost ~30% of prepare time on 100k MSP-Podcast
    records (benchmarks/prepare.py). Reference counting still frees everything as usual.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


@_gc_paused
def prepare(
    corpus: str,
    root: str | os.PathLike[str],
    out: str | os.PathLike[str],
    strict: bool = False,
    options: dict[str, Any] | None = None,
    progress: bool = False,
    check_audio: bool = False,
    workers: int | None = None,
) -> tuple[list[Utterance], PrepareReport]:
    """Load ``corpus`` from ``root`` and write ``out`` (+ ``out.report.json``). Empty results are an error.

    ``check_audio`` decodes every record's audio (``workers`` threads) and skips, counted and named, those
    that are undecodable, empty or hold NaN/inf samples (:mod:`sercorpus.corpora.decodecheck`).
    """
    entry = get_corpus(corpus)
    root, out = Path(root).resolve(), check_output_path(out)
    report_out = report_path_for(out)
    if report_out.is_dir():
        raise ValueError(f"{report_out}: is a directory, so the prepare report cannot be written there")
    if not root.exists():
        raise CorpusFormatError(root, "corpus root does not exist")
    if not root.is_dir():
        raise CorpusFormatError(root, "corpus root is not a directory")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    loader = entry.load_function()
    given = loader.options.coerce(options or {}, corpus)  # unknown or mistyped: refused before any reading
    report = PrepareReport(corpus, strict=strict)
    records = collect(loader(root, report, loader.options(**given)), report, root, progress)
    if check_audio and records:
        records = check_decoding(records, root, report, workers, progress)
    if not records:
        raise CorpusFormatError(
            root, f"no {corpus} utterances found ({len(report.skipped)} skipped); is this the corpus root?"
        )
    report.written = len(records)
    for utt in records:
        report.counts[f"label:{utt.label}"] += 1
        report.counts[f"split:{utt.split}"] += 1
    roots = {c: root for c in {u.corpus for u in records}}  # custom corpora carry their spec's name
    write_manifest(
        out, records, roots=roots, meta={"prepared_from": corpus, "options": public_options(given)}
    )
    report.write_json(report_out)
    return records, report
