"""Record filters: view projection, consensus, agreement and duration filters.

They take and return plain record lists (plus a recipe dict), so the CLI, the demo and training compose
them the same way and every output manifest can say in its meta what was done to it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sercorpus.core.schema import Utterance
from sercorpus.core.votes import agreement
from sercorpus.selection.steps import split_key
from sercorpus.selection.views import OutOfView, get_view, project_utterance


# ---------------------------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class FilterSpec:
    """What to keep. Applied in field order: selection, view projection, consensus, agreement, duration."""

    corpora: tuple[str, ...] = ()
    splits: tuple[str, ...] = ()
    view: str | None = None
    out_of_view: OutOfView = OutOfView.RENORMALIZE
    drop_null: bool = False
    min_agreement: float | None = None
    min_duration: float | None = None
    max_duration: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_of_view", OutOfView(self.out_of_view))  # accept "exclude" too
        if self.view is not None:
            get_view(self.view)  # unknown view: clear error before any work
        if self.min_agreement is not None and not 0.0 <= self.min_agreement <= 1.0:
            raise ValueError(f"minimum agreement must be in [0, 1], got {self.min_agreement}")
        lo, hi = self.min_duration, self.max_duration
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"duration range is empty: min {lo} s > max {hi} s")

    def is_identity(self) -> bool:
        return self == FilterSpec()

    def recipe(self, source: str, dropped: Mapping[str, int]) -> dict[str, Any]:
        """The ``meta['steps']`` entry of one run: these settings, the input and what was dropped, by reason."""
        return {
            "step": "filter",
            "corpora": list(self.corpora),
            "splits": list(self.splits),
            "view": self.view,
            "out_of_view": self.out_of_view.value,
            "drop_null": self.drop_null,
            "min_agreement": self.min_agreement,
            "min_duration": self.min_duration,
            "max_duration": self.max_duration,
            "source": source,
            "dropped": dict(sorted(dropped.items())),
        }


@dataclass
class FilterResult:
    records: list[Utterance]
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> count


def filter_records(records: Iterable[Utterance], spec: FilterSpec) -> FilterResult:
    """Keep the records ``spec`` asks for; ``dropped`` counts the rest by reason (so nothing vanishes silently).

    Agreement is measured on the votes as they stand after projection (with a view, agreement over the
    view's classes, e.g. happy+excited count as one); a record without votes fails any minimum agreement.
    """
    kept: list[Utterance] = []
    dropped: Counter[str] = Counter()
    for utt in records:
        if spec.corpora and utt.corpus not in spec.corpora:
            dropped["corpus"] += 1
            continue
        if spec.splits and split_key(utt.split) not in spec.splits:
            dropped["split"] += 1
            continue
        if spec.view is not None:
            projected = project_utterance(utt, spec.view, spec.out_of_view)
            if projected is None:
                dropped["votes-outside-view"] += 1
                continue
            utt = projected
        if spec.drop_null and utt.label is None:
            dropped["no-consensus"] += 1
            continue
        if spec.min_agreement is not None:
            value = agreement(utt.votes) if utt.votes else None
            if value is None or value < spec.min_agreement - 1e-12:
                dropped["low-agreement"] += 1
                continue
        if spec.min_duration is not None and utt.duration < spec.min_duration:
            dropped["too-short"] += 1
            continue
        if spec.max_duration is not None and utt.duration > spec.max_duration:
            dropped["too-long"] += 1
            continue
        kept.append(utt)
    return FilterResult(kept, dropped)
