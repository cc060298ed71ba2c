"""What a loader read, mapped and skipped, and why: nothing leaves a corpus silently.

Loaders call :meth:`PrepareReport.skip` for problems that cost one record (missing wav, unknown label code on
one line) and raise :class:`CorpusFormatError` for problems that make the whole corpus untrustworthy. With
``strict=True`` every skip becomes an error, so a pipeline can insist on a clean corpus.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sercorpus.core.atomic import atomic_output
from sercorpus.core.errors import CorpusFormatError  # noqa: F401


@dataclass
class Issue:
    reason: str  # short machine-friendly category, e.g. "missing-audio"
    file: str
    line: int | None
    detail: str
    record: str | None = None  # the utterance id concerned, when known

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass
class PrepareReport:
    """Counters and itemised skips/notes of one prepare run."""

    corpus: str
    strict: bool = False
    read: int = 0  # records the loader considered
    written: int = 0  # records emitted
    skipped: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)  # kept records with something worth knowing
    counts: Counter = field(default_factory=Counter)  # free-form tallies (e.g. "label:neutral")

    def skip(
        self,
        reason: str,
        file: str | os.PathLike[str],
        detail: str,
        line: int | None = None,
        record: str | None = None,
    ) -> None:
        """Record a dropped record; raises instead when strict."""
        if self.strict:
            raise CorpusFormatError(file, f"{detail} [{reason}] (strict mode)", line)
        self.skipped.append(Issue(reason, str(file), line, detail, record))

    def note(
        self,
        reason: str,
        file: str | os.PathLike[str],
        detail: str,
        line: int | None = None,
        record: str | None = None,
    ) -> None:
        """Record something about a kept record (e.g. a known bad file that was tolerated)."""
        self.notes.append(Issue(reason, str(file), line, detail, record))

    def skip_counts(self) -> Counter:
        return Counter(issue.reason for issue in self.skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "strict": self.strict,
            "read": self.read,
            "written": self.written,
            "skipped_total": len(self.skipped),
            "skipped_by_reason": dict(sorted(self.skip_counts().items())),
            "skipped": [issue.__dict__ for issue in self.skipped],
            "notes": [issue.__dict__ for issue in self.notes],
            "counts": dict(sorted(self.counts.items())),
        }

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        with atomic_output(path, "w") as handle:
            json.dump(self.to_dict(), handle, indent=2, sort_keys=False, ensure_ascii=False)
            handle.write("\n")
        return path
