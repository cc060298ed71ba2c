"""``prepare --check-audio``: decode every record's audio once, in parallel, before the manifest is written.

The header probe every loader runs catches missing, truncated, empty and wrong-rate files in microseconds,
but not samples that are NaN or inf, nor a body libsndfile cannot decode (an unsupported WAV format tag
behind a sane header). Those used to pass ``prepare`` and then stop a decoding stage (augment) with nothing
written. Decoding costs real time (a full read of the corpus), so it is asked for, not implied.

Each problem is a counted skip naming the file and the record (``--strict`` refuses instead). Work runs on
threads (libsndfile and numpy release the GIL); results are taken in record order, so the report is the same
for any number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from sercorpus.core.audio import AudioError, read_audio
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance

#: frames a decode may come up short of the header's promise (rounding of offset/duration to frames)
FRAME_TOLERANCE = 1
MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


def decode_problem(path: Path, utt: Utterance) -> tuple[str, str] | None:
    """(skip reason, detail) when the record's span does not decode to finite samples, else None."""
    try:
        samples, rate = read_audio(path, utt.offset, utt.duration, utt.channel)
    except AudioError as exc:
        return "undecodable-audio", str(exc).split(": ", 1)[-1]
    except (OSError, RuntimeError) as exc:  # libsndfile errors that are not wrapped, seen on broken bodies
        return "undecodable-audio", f"decoding failed ({exc})"
    if samples.size == 0:
        return "empty-audio", "decodes to 0 samples"
    expected = int(round(utt.duration * rate))
    if samples.shape[0] < expected - FRAME_TOLERANCE:
        return (
            "undecodable-audio",
            f"decodes to {samples.shape[0]} of the {expected} frames its header promises",
        )
    finite = np.isfinite(samples)
    if not finite.all():
        bad = np.flatnonzero(~finite.reshape(finite.shape[0], -1).all(axis=1))
        nan = int(np.isnan(samples).sum())
        inf = int(np.isinf(samples).sum())
        return (
            "non-finite-audio",
            f"{nan} NaN and {inf} inf sample value(s) in {bad.size} of {samples.shape[0]} frames "
            f"(first at frame {int(bad[0])})",
        )
    return None


def check_decoding(
    records: list[Utterance],
    root: Path,
    report: PrepareReport,
    workers: int | None = None,
    progress: bool = False,
) -> list[Utterance]:
    """The records whose audio decodes to finite samples; every other one is a counted skip."""
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    kept: list[Utterance] = []
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        results: Iterable[tuple[str, str] | None] = pool.map(
            lambda u: decode_problem(root / u.audio_path, u), records
        )
        if progress:
            from rich.progress import track

            results = track(
                results, total=len(records), description=f"decoding {report.corpus}", transient=True
            )
        for utt, problem in zip(records, results, strict=True):
            if problem is None:
                kept.append(utt)
            else:  # raises in strict mode: the pending decodes are cancelled below
                report.skip(problem[0], root / utt.audio_path, problem[1], record=utt.id)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    report.counts["audio:decoded"] = len(records)
    return kept
