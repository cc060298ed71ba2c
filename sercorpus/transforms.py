"""Record-level filters and transforms: view projection, consensus/agreement/duration filters, merge,
label scrambling.

Each function takes and returns plain record lists (plus a small recipe dict), so the CLI, the demo and
training code compose them the same way, and every output manifest can say in its meta what was done to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sercorpus.labels import OutOfView, agreement, get_view, project_utterance
from sercorpus.manifest import Manifest, ManifestError
from sercorpus.schema import VOCABULARY, Utterance


# ------------------------------------------------------------------------------------------------ meta
def with_step(meta: Mapping[str, Any] | None, step: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``meta`` with ``step`` appended to ``meta['steps']``: the recipe history of a manifest."""
    out = dict(meta or {})
    out["steps"] = [*list(out.get("steps") or []), dict(step)]
    return out


def split_key(split: str | None) -> str:
    """Split name for tables and JSON keys (records without a split show as ``(none)``)."""
    return split if split is not None else "(none)"


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


# ------------------------------------------------------------------------------------------------ merge
def merge_manifests(manifests: Sequence[Manifest], names: Sequence[str] | None = None) -> Manifest:
    """One manifest from several: roots merged (one root per corpus); a repeated id or a corpus with two roots
    is a :class:`ManifestError` listing every such problem.

    Why strict: a silently deduplicated id would hide that the same utterance entered twice (e.g. a fold
    and the full corpus), which inflates test sets.
    """
    names = list(names) if names is not None else [f"manifest{i}" for i in range(len(manifests))]
    roots: dict[str, str] = {}
    owner: dict[str, str] = {}
    problems: list[str] = []
    records: list[Utterance] = []
    for name, manifest in zip(names, manifests, strict=True):
        for corpus in manifest.corpora():
            root = manifest.roots.get(corpus)
            if root is None:
                problems.append(f"{name}: no root recorded for corpus {corpus!r}")
            elif corpus in roots and roots[corpus] != root:
                problems.append(f"corpus {corpus!r} has two roots: {roots[corpus]} and {root} ({name})")
            else:
                roots[corpus] = root
        for utt in manifest.records:
            if utt.id in owner:
                problems.append(f"id {utt.id} is in both {owner[utt.id]} and {name}")
                continue
            owner[utt.id] = name
            records.append(utt)
    if problems:
        raise ManifestError("cannot merge", problems)
    meta = {"merged": {name: m.meta for name, m in zip(names, manifests, strict=True)}}
    return Manifest(records=records, roots=roots, meta=with_step(meta, {"step": "merge", "sources": names}))


# --------------------------------------------------------------------------------------------- scramble
def swap_permutation(swaps: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Category permutation from transpositions applied left to right (identity entries left out)."""
    perm = {c: c for c in VOCABULARY}
    for a, b in swaps:
        for cat in (a, b):
            if cat not in VOCABULARY:
                raise ValueError(f"cannot swap {cat!r}: not in the unified vocabulary {list(VOCABULARY)}")
        if a == b:
            raise ValueError(f"swap {a}:{b} swaps a category with itself")
        # compose: first the earlier swaps, then this one
        perm = {c: (b if t == a else a if t == b else t) for c, t in perm.items()}
    return {c: t for c, t in perm.items() if c != t}


def scramble_utterance(utt: Utterance, perm: Mapping[str, str]) -> Utterance:
    """Relabel one record under ``perm``: label, votes, soft label and raters' categories move together.

    The permutation accumulated so far is kept in ``extra['scrambled']`` (original -> current category), so
    a scrambled manifest says so, and scrambling back with the inverse removes the mark.
    """
    def move(cat: str) -> str:
        return perm.get(cat, cat)

    before = dict(utt.extra.get("scrambled") or {})
    total = {c: move(before.get(c, c)) for c in VOCABULARY}
    total = {c: t for c, t in total.items() if c != t}
    extra = {k: v for k, v in utt.extra.items() if k != "scrambled"}
    if total:
        extra["scrambled"] = total
    votes = {move(c): w for c, w in utt.votes.items()}
    return utt.replace(
        label=None if utt.label is None else move(utt.label),
        votes=votes,
        soft_label={move(c): w for c, w in utt.soft_label.items()},
        annotations=[
            replace(a, categories=[move(c) for c in a.categories], secondary=[move(c) for c in a.secondary])
            for a in utt.annotations
        ],
        extra=extra,
    )


def scramble(
    records: Iterable[Utterance], swaps: Sequence[tuple[str, str]], corpora: Sequence[str] = ()
) -> tuple[list[Utterance], dict[str, Any]]:
    """Scramble the labels of ``corpora`` (all when empty) by ``swaps``; returns records and the recipe.

    Used for generalisation studies: a model trained on a corpus whose neutral/sad labels were swapped
    that still scores on the other corpora's *unswapped* labels is recognising corpus identity, not emotion.
    """
    if not swaps:
        raise ValueError("give at least one swap (e.g. neutral:sad)")
    perm = swap_permutation(swaps)
    out: list[Utterance] = []
    changed = 0
    for utt in records:
        if corpora and utt.corpus not in corpora:
            out.append(utt)
            continue
        new = scramble_utterance(utt, perm)
        changed += new != utt
        out.append(new)
    recipe = {"step": "scramble", "swaps": [f"{a}:{b}" for a, b in swaps], "permutation": perm,
              "corpora": list(corpora), "changed": changed}
    return out, recipe
