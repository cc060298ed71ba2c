"""Tables a person reads about a set of records (counts per corpus/split/label, hours)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from rich.table import Table

from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance


def overview_table(records: Iterable[Utterance], title: str = "manifest") -> Table:
    """Rows per (corpus, split): utterances, hours, speakers, and counts per consensus label."""
    groups: dict[tuple[str, str], list[Utterance]] = defaultdict(list)
    for utt in records:
        groups[(utt.corpus, utt.split or "-")].append(utt)
    labels = sorted({u.label or "(none)" for rows in groups.values() for u in rows})
    table = Table(title=title)
    for col in ("corpus", "split", "utts", "hours", "speakers", *labels):
        table.add_column(col, justify="left" if col in ("corpus", "split") else "right")
    total: Counter[str] = Counter()
    for (corpus, split), rows in sorted(groups.items()):
        counts = Counter(u.label or "(none)" for u in rows)
        total.update(counts)
        hours = sum(u.duration for u in rows) / 3600
        speakers = len({u.speaker for u in rows if u.speaker})
        table.add_row(
            corpus,
            split,
            str(len(rows)),
            f"{hours:.3f}",
            str(speakers),
            *(str(counts[name]) for name in labels),
        )
    all_rows = [u for rows in groups.values() for u in rows]
    table.add_row(
        "[b]all[/b]",
        "",
        str(len(all_rows)),
        f"{sum(u.duration for u in all_rows) / 3600:.3f}",
        str(len({u.speaker for u in all_rows if u.speaker})),
        *(str(total[name]) for name in labels),
    )
    return table


def report_table(report: PrepareReport) -> Table:
    """Skips and notes by reason, with the first example of each, so a person sees what was left out."""
    table = Table(
        title=f"prepare {report.corpus}: read {report.read}, written {report.written}, "
        f"skipped {len(report.skipped)}, notes {len(report.notes)}"
    )
    for col in ("kind", "reason", "count", "first example"):
        table.add_column(col, justify="right" if col == "count" else "left")
    for kind, issues in (("skip", report.skipped), ("note", report.notes)):
        first: dict[str, str] = {}
        counts: Counter = Counter()
        for issue in issues:
            first.setdefault(issue.reason, f"{issue.location()}: {issue.detail}")
            counts[issue.reason] += 1
        for reason, count in sorted(counts.items()):
            table.add_row(kind, reason, str(count), first[reason])
    if not report.skipped and not report.notes:
        table.add_row("-", "nothing skipped", "0", "")
    return table
