"""Run one corpus loader over a root and write manifest + report: the ``sercorpus prepare`` command."""

from __future__ import annotations

import functools
import gc
import inspect
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.manifest import write_manifest
from sercorpus.core.privacy import public_options
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance
from sercorpus.corpora import get_corpus


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


def check_options(loader: Callable[..., object], corpus: str, options: dict[str, Any]) -> None:
    """Reject options the loader does not take, listing the ones it does (a typo must not pass silently)."""
    params = inspect.signature(loader).parameters
    accepted = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"{corpus} loader does not take option(s) {unknown}; it accepts {accepted or 'none'}"
        )


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
) -> tuple[list[Utterance], PrepareReport]:
    """Load ``corpus`` from ``root`` and write ``out`` (+ ``out.report.json``). Empty results are an error."""
    entry = get_corpus(corpus)
    root, out = Path(root).resolve(), Path(out)
    if not root.is_dir():
        raise CorpusFormatError(root, "corpus root is not a directory")
    report = PrepareReport(corpus, strict=strict)
    loader = entry.load_function()
    check_options(loader, corpus, options or {})
    records = collect(loader(root, report, **(options or {})), report, root, progress)
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
        out, records, roots=roots, meta={"prepared_from": corpus, "options": public_options(options)}
    )
    report.write_json(report_path_for(out))
    return records, report
