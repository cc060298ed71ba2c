"""What the report says about a calls run: privacy settings, transcript handling, annotator agreement."""

from __future__ import annotations

from pathlib import Path

from sercorpus.core import agreement as agree
from sercorpus.core.privacy import MIN_KEY_CHARS
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance
from sercorpus.corpora.calls.settings import Context


def note_privacy(ctx: Context, report: PrepareReport, table: Path) -> None:
    if not ctx.pseudo.active:
        report.note(
            "pseudonymisation-off", table, "raw call, speaker and rater ids are kept (pseudonymise=false)"
        )
    elif len(ctx.pseudo.key or b"") < MIN_KEY_CHARS:
        report.note(
            "short-key",
            table,
            f"the pseudonymisation key has fewer than {MIN_KEY_CHARS} characters; a "
            "longer random key makes the pseudonyms harder to reverse by trying ids",
        )


def summarise(records: list[Utterance], ctx: Context, report: PrepareReport, table: Path) -> None:
    """Calls, transcript handling and annotator agreement into the report (numbers only, never text)."""
    report.counts["calls"] = len({u.group for u in records})
    report.counts["speakers"] = len({u.speaker for u in records if u.speaker})
    redactor = ctx.texts.redactor
    if not ctx.texts.keep:
        report.counts["transcripts:dropped"] = len(records)
    elif redactor is not None:
        report.counts["transcripts:redactions"] = redactor.replacements
        for name in redactor.classes:  # zeros too: the report shows which classes were on
            report.counts[f"transcripts:redacted:{name}"] = redactor.counts[name]
    result = annotator_agreement(records)
    if result is None:
        report.note(
            "agreement", table, "fewer than two ratings per segment: annotator agreement not computed"
        )
        return
    for name, value in result.counts().items():
        report.counts[name] = value  # type: ignore[assignment]  # kappas are floats beside the integer tallies
    report.note("agreement", table, result.describe())


def annotator_agreement(records: list[Utterance]) -> agree.Agreement | None:
    """Raters' first choices (Cohen for two raters, Fleiss for more), else whole-number vote counts (Fleiss)."""
    items = [{a.rater: a.categories[0] for a in u.annotations if a.categories} for u in records]
    if any(len(item) >= 2 for item in items):
        return agree.from_rater_labels([item for item in items if item])
    lists = [
        [cat for cat, n in u.votes.items() for _ in range(int(n))]
        for u in records
        if not u.annotations and all(float(n).is_integer() for n in u.votes.values())
    ]
    return agree.from_label_lists(lists)
