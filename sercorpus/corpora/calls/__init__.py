"""Private call-centre recordings: long (often 8 kHz, often dual-channel) calls plus a segment table.

The column contract, option list and privacy design are documented in ``docs/CALLS.md``. In short:
one table row = one utterance (call id, start/end or a cue of an aeneas/SRT/WebVTT timing file, speaker role,
annotator labels or vote counts, optional transcript and dimensional ratings). Each row becomes a record with
``offset``/``duration`` into the long recording (nothing is cut), the speaker's ``channel`` on dual-channel
recordings, votes -> soft label, and pseudonymised call/speaker/rater ids. Annotator agreement goes into the
report. Problems that cost one row are counted skips naming ``table:line``; problems that make the table
untrustworthy (bad header, unparsable timing file) are errors.

Modules, in the order a run uses them: ``settings`` (options), ``table`` (finding and reading the segment
table), ``rows`` (one row -> a validated Row), ``recordings`` (the audio behind the rows), ``placement``
(timing, channel, overlaps), ``records`` (schema records), ``summary`` (report notes and agreement).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sercorpus.core.privacy import Pseudonymiser, resolve_key, searchable_ids, transcript_policy
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance
from sercorpus.corpora.calls.records import build_records
from sercorpus.corpora.calls.rows import parse_rows
from sercorpus.corpora.calls.settings import CORPUS, CallsOptions, Context, settings_for
from sercorpus.corpora.calls.summary import note_privacy, summarise
from sercorpus.corpora.calls.table import find_table
from sercorpus.corpora.options import loader

__all__ = ["CORPUS", "CallsOptions", "load_calls"]


@loader(CORPUS, CallsOptions)
def load_calls(root: Path, report: PrepareReport, options: CallsOptions) -> Iterator[Utterance]:
    """Yield one record per valid segment-table row; options and column contract in ``docs/CALLS.md``."""
    settings = settings_for(root, options)
    table_path = find_table(root, options.table)
    rows = parse_rows(table_path, report, settings)
    if options.link_dir is not None and not options.pseudonymise:
        raise ValueError("link_dir writes pseudonymised links: it needs pseudonymise=true")
    pseudo = Pseudonymiser(resolve_key(options.key, options.key_env, root) if options.pseudonymise else None)
    raw_ids = searchable_ids([r.call for r in rows] + [r.speaker for r in rows if r.speaker])
    texts = transcript_policy(
        options.no_transcripts,
        options.redact,
        root,
        raw_ids if pseudo.active else (),
        options.redact_classes,
        options.redact_min_digits,
    )
    ctx = Context(pseudo, texts, settings)
    note_privacy(ctx, report, table_path)
    records = build_records(root, table_path, rows, ctx, report)
    summarise(records, ctx, report, table_path)
    yield from records
