"""Subsets with exact per-class counts: MSP*-style matching, stratified size, balanced, explicit distribution.

The unit of work is a *cell* (split, class in a label view). A mode turns into target counts per cell, and
a seeded selection fills every cell inside its own split, so an utterance never changes split and the
speaker-independence of the given splits survives. An optional per-speaker cap keeps a few prolific
speakers from dominating; the selection is still exact whenever the cap allows the targets at all.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sercorpus.core.schema import Utterance
from sercorpus.core.seeding import rng_for
from sercorpus.selection.steps import split_key
from sercorpus.selection.views import LabelView, get_view

Targets = dict[str | None, dict[str, int]]  # split -> class -> count


class SubsetError(ValueError):
    """The request cannot be met (short classes, bad mode combination, unknown class)."""


@dataclass(frozen=True)
class Shortfall:
    split: str | None
    label: str
    needed: int
    available: int  # records of this class in this split of IN
    reachable: int  # what the selection reached (below ``available`` when the per-speaker cap binds)

    def describe(self, cap: int | None = None) -> str:
        text = f"split {split_key(self.split)}, class {self.label}: needed {self.needed}, available {self.available}"
        if cap is not None and self.reachable < min(self.needed, self.available):
            text += f" ({self.reachable} reachable with at most {cap} per speaker)"
        return text


@dataclass
class SubsetResult:
    records: list[Utterance]
    targets: Targets
    selected: Targets
    shortfalls: list[Shortfall] = field(default_factory=list)
    recipe: dict[str, Any] = field(default_factory=dict)


# -------------------------------------------------------------------------------------------- counting
def view_class(utt: Utterance, view: LabelView) -> str | None:
    """The record's class in ``view`` (consensus label mapped, e.g. excited -> happy); None = not in view."""
    return view.map_category(utt.label)


def cell_counts(records: Iterable[Utterance], view: LabelView | str) -> Targets:
    """Per split, per view class: how many records (records outside the view are not counted)."""
    view = get_view(view) if isinstance(view, str) else view
    counts: dict[str | None, Counter[str]] = defaultdict(Counter)
    for utt in records:
        cls = view_class(utt, view)
        if cls is not None:
            counts[utt.split][cls] += 1
    return {s: {c: counts[s][c] for c in view.classes if counts[s][c]} for s in _sorted_splits(counts)}


def _sorted_splits(splits: Iterable[str | None]) -> list[str | None]:
    return sorted(splits, key=lambda s: (s is None, s or ""))


def largest_remainder(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Apportion ``total`` to keys by ``weights`` (Hamilton's method): integers summing exactly to ``total``.

    Ties in the remainders go to the earlier key, so the result is deterministic.
    """
    if total < 0:
        raise ValueError(f"cannot apportion a negative total ({total})")
    mass = float(sum(weights.values()))
    if total == 0 or mass <= 0:
        return {k: 0 for k in weights}
    quotas = {k: total * w / mass for k, w in weights.items()}
    out = {k: int(q) for k, q in quotas.items()}
    order = sorted(enumerate(weights), key=lambda item: (-(quotas[item[1]] - out[item[1]]), item[0]))
    for _, key in order[: total - sum(out.values())]:
        out[key] += 1
    return out


# ---------------------------------------------------------------------------------------------- targets
def match_targets(
    reference: Iterable[Utterance], view: LabelView | str, split_map: Mapping[str, str] | None = None
) -> Targets:
    """REF's per-class counts, keyed by IN's split names (``split_map`` maps REF split -> IN split;
    an empty value drops that REF split; unmapped splits keep their name)."""
    split_map = dict(split_map or {})
    ref_counts = cell_counts(reference, view)
    unknown = sorted(set(split_map) - {split_key(s) for s in ref_counts})
    if unknown:
        raise SubsetError(
            f"split map names reference split(s) {unknown} that the reference does not have "
            f"(it has {[split_key(s) for s in ref_counts]})"
        )
    targets: Targets = {}
    source: dict[str | None, str | None] = {}
    for ref_split, counts in ref_counts.items():
        key = split_key(ref_split)
        name = split_map[key] if key in split_map else ref_split
        if name == "":
            continue
        if name in targets:
            raise SubsetError(
                f"reference splits {split_key(source[name])} and {key} both map to split "
                f"{split_key(name)}; map each to its own split"
            )
        targets[name] = dict(counts)
        source[name] = ref_split
    if not targets:
        raise SubsetError("the reference has no records inside the view: nothing to match")
    return targets


def stratified_targets(available: Targets, size: int) -> Targets:
    """``size`` records spread over (split, class) cells in IN's own proportions (sums exactly to ``size``)."""
    total = sum(n for counts in available.values() for n in counts.values())
    if size <= 0:
        raise SubsetError(f"--size must be positive, got {size}")
    if size > total:
        raise SubsetError(f"--size {size} is more than the {total} records inside the view")
    cells = {(s, c): n for s, counts in available.items() for c, n in counts.items()}
    keyed = {f"{i}": n for i, n in enumerate(cells.values())}
    alloc = largest_remainder(size, keyed)
    targets: Targets = defaultdict(dict)
    for (s, c), n in zip(cells, alloc.values(), strict=True):
        if n:
            targets[s][c] = n
    return dict(targets)


def proportion_targets(
    available: Targets, proportions: Mapping[str, float], size: int | None, view: LabelView
) -> Targets | None:
    """Targets for ``proportions`` of classes. With ``size``: that many in all, spread over splits as IN's
    splits are sized. Without: None (the largest feasible size per split is searched for at selection)."""
    check_distribution(proportions, view)
    if size is None:
        return None
    if size <= 0:
        raise SubsetError(f"--size must be positive, got {size}")
    split_sizes = largest_remainder(size, {split_key(s): sum(c.values()) for s, c in available.items()})
    targets: Targets = {}
    for s in available:
        alloc = largest_remainder(split_sizes[split_key(s)], dict(proportions))
        targets[s] = {c: n for c, n in alloc.items() if n}
    return targets


def check_distribution(proportions: Mapping[str, float], view: LabelView) -> None:
    unknown = [c for c in proportions if c not in view.classes]
    if unknown:
        raise SubsetError(
            f"class(es) {unknown} are not in view {view.name!r}; its classes are {list(view.classes)}"
        )
    bad = {c: p for c, p in proportions.items() if not p >= 0}
    if bad:
        raise SubsetError(f"proportions must be >= 0, got {bad}")
    total = sum(proportions.values())
    if abs(total - 1.0) > 1e-6:
        raise SubsetError(f"class proportions must sum to 1, they sum to {total:.6g}")


# -------------------------------------------------------------------------------------------- selection
Item = tuple[str, str, str]  # (id, class, speaker key)


def speaker_unit(utt: Utterance) -> str:
    """The speaker, or for a record without one a unit of its own (it cannot be capped or grouped)."""
    return utt.speaker or f"\x00{utt.id}"


def select_cells(
    pool: Sequence[Item], targets: Mapping[str, int], cap: int | None, seed_parts: tuple
) -> list[str]:
    """Ids filling ``targets`` (class -> count) from ``pool`` as far as possible, at most ``cap`` per speaker.

    A seeded random greedy pass picks most of them; if the cap leaves a class short, augmenting paths
    (a speaker at the cap gives up one utterance of another class, which someone else then fills) reach
    the maximum possible: this is max-flow on speakers x classes, started from a random assignment so the
    result is still a random sample. No library does that warm start, hence the small BFS.
    """
    order = rng_for(*seed_parts).permutation(len(pool))
    ranked = [pool[i] for i in order]
    got: Counter[str] = Counter()
    if cap is None:
        chosen = []
        for uid, cls, _ in ranked:
            if got[cls] < targets.get(cls, 0):
                got[cls] += 1
                chosen.append(uid)
        return chosen
    avail: dict[str, Counter[str]] = defaultdict(Counter)  # speaker -> class -> records
    for _, cls, spk in ranked:
        avail[spk][cls] += 1
    take: dict[str, Counter[str]] = defaultdict(Counter)  # speaker -> class -> selected
    load: Counter[str] = Counter()
    for _, cls, spk in ranked:
        if got[cls] < targets.get(cls, 0) and load[spk] < cap:
            take[spk][cls] += 1
            load[spk] += 1
            got[cls] += 1
    speakers_of: dict[str, list[str]] = defaultdict(list)
    for spk in sorted(avail):
        for cls in avail[spk]:
            speakers_of[cls].append(spk)
    for cls in sorted(targets):
        while got[cls] < targets[cls] and _augment(cls, avail, take, load, speakers_of, cap):
            got[cls] += 1
    used: Counter[tuple[str, str]] = Counter()
    chosen = []
    for uid, cls, spk in ranked:  # the first take[spk][cls] of each speaker's class, in random order
        if used[(spk, cls)] < take[spk][cls]:
            used[(spk, cls)] += 1
            chosen.append(uid)
    return chosen


def _augment(
    start: str,
    avail: Mapping[str, Counter[str]],
    take: dict[str, Counter[str]],
    load: Counter[str],
    speakers_of: Mapping[str, list[str]],
    cap: int,
) -> bool:
    """One more record of class ``start`` via a shortest augmenting path; False when none exists."""
    parent_spk: dict[str, str] = {}  # speaker -> class it takes one more of
    parent_cls: dict[str, str | None] = {start: None}  # class -> speaker that gives one of it up
    queue = deque([start])
    while queue:
        cls = queue.popleft()
        for spk in speakers_of.get(cls, ()):
            if spk in parent_spk or take[spk][cls] >= avail[spk][cls]:
                continue
            parent_spk[spk] = cls
            if load[spk] < cap:
                _apply_path(spk, parent_spk, parent_cls, take, load)
                return True
            for other, n in take[spk].items():
                if n > 0 and other not in parent_cls:
                    parent_cls[other] = spk
                    queue.append(other)
    return False


def _apply_path(
    end: str,
    parent_spk: Mapping[str, str],
    parent_cls: Mapping[str, str | None],
    take: dict[str, Counter[str]],
    load: Counter[str],
) -> None:
    load[end] += 1
    spk: str | None = end
    while spk is not None:
        cls = parent_spk[spk]
        take[spk][cls] += 1
        giver = parent_cls[cls]
        if giver is not None:
            take[giver][cls] -= 1
        spk = giver


# ---------------------------------------------------------------------------------------------- driver
def subset(
    records: Sequence[Utterance],
    view: str = "4class",
    *,
    reference: Sequence[Utterance] | None = None,
    split_map: Mapping[str, str] | None = None,
    size: int | None = None,
    balanced: bool = False,
    distribution: Mapping[str, float] | None = None,
    max_per_speaker: int | None = None,
    seed: int = 0,
    allow_short: bool = False,
) -> SubsetResult:
    """Select a subset of ``records`` (see the module doc). Exactly one mode: ``reference`` (match),
    ``size`` alone (stratified), ``balanced`` or ``distribution`` (each optionally with ``size``).

    Records keep their split; records outside the view or in splits without targets are left out.
    Raises :class:`SubsetError` listing every short cell unless ``allow_short``.
    """
    lview = get_view(view)
    modes = [
        name
        for name, on in (
            ("match", reference is not None),
            ("balanced", balanced),
            ("distribution", distribution is not None),
        )
        if on
    ]
    if len(modes) > 1:
        raise SubsetError(f"choose one of --match, --balanced, --distribution (got {', '.join(modes)})")
    if not modes and size is None:
        raise SubsetError("nothing to do: give --match REF, --size N, --balanced or --distribution")
    if modes == ["match"] and size is not None:
        raise SubsetError("--size cannot be combined with --match (the reference fixes the size)")
    if max_per_speaker is not None and max_per_speaker < 1:
        raise SubsetError(f"--max-per-speaker must be >= 1, got {max_per_speaker}")
    mode = modes[0] if modes else "stratified"

    pools: dict[str | None, list[Item]] = defaultdict(list)
    for utt in sorted(records, key=lambda u: u.id):
        cls = view_class(utt, lview)
        if cls is not None:
            pools[utt.split].append((utt.id, cls, speaker_unit(utt)))
    available = cell_counts(records, lview)

    searched: dict[str | None, Callable[[int], dict[str, int]]] = {}
    if mode == "match":
        targets = match_targets(reference or [], lview, split_map)
    elif mode == "stratified":
        targets = stratified_targets(available, size or 0)
    else:
        props = {c: 1 / len(lview.classes) for c in lview.classes} if balanced else dict(distribution or {})
        fixed = proportion_targets(available, props, size, lview)
        if fixed is not None:
            targets = fixed
        else:
            targets = {}
            for s in available:
                searched[s] = _proportion_maker(props, balanced, tuple(lview.classes))

    missing = [split_key(s) for s in targets if s not in pools]
    if mode == "match" and missing and not allow_short:
        raise SubsetError(
            f"the input has no {lview.name} records in split(s) {missing} that the reference asks "
            f"for; it has {[split_key(s) for s in _sorted_splits(pools)]} (map reference splits to "
            f"input splits with split_map / --split-map REF=IN, e.g. test=test1)"
        )
    selected_ids: set[str] = set()
    selected: Targets = {}
    shortfalls: list[Shortfall] = []
    for s in _sorted_splits(set(targets) | set(searched)):
        pool = pools.get(s, [])
        seed_parts = (seed, "subset", split_key(s))
        if s in searched:
            targets[s] = _largest_feasible(pool, searched[s], max_per_speaker, seed_parts)
        chosen = select_cells(pool, targets[s], max_per_speaker, seed_parts)
        by_id = {uid: cls for uid, cls, _ in pool}
        got = Counter(by_id[uid] for uid in chosen)
        selected[s] = {c: got[c] for c in lview.classes if got[c]}
        selected_ids.update(chosen)
        for cls, need in targets[s].items():
            if got[cls] < need:
                shortfalls.append(Shortfall(s, cls, need, available.get(s, {}).get(cls, 0), got[cls]))
    if shortfalls and not allow_short:
        lines = "\n  ".join(sh.describe(max_per_speaker) for sh in shortfalls)
        raise SubsetError(
            f"cannot fill {len(shortfalls)} class/split cell(s) (allow_short / --allow-short "
            f"takes what there is):\n  {lines}"
        )
    if not selected_ids:
        raise SubsetError(
            f"the subset is empty: no records of view {lview.name!r} classes could be selected "
            f"(available: { {split_key(k): v for k, v in available.items()} })"
        )
    out = [u for u in records if u.id in selected_ids]
    recipe = {
        "step": "subset",
        "mode": mode,
        "view": lview.name,
        "seed": seed,
        "size": size,
        "distribution": dict(distribution) if distribution is not None else None,
        "split_map": dict(split_map or {}),
        "max_per_speaker": max_per_speaker,
        "allow_short": allow_short,
        "targets": {split_key(s): t for s, t in targets.items()},
        "selected": {split_key(s): t for s, t in selected.items()},
        "short": [sh.describe(max_per_speaker) for sh in shortfalls],
    }
    return SubsetResult(out, targets, selected, shortfalls, recipe)


def _proportion_maker(
    props: Mapping[str, float], balanced: bool, classes: tuple[str, ...]
) -> Callable[[int], dict[str, int]]:
    """n -> class targets: n per class when balanced, else n in all split by the proportions."""
    if balanced:
        return lambda n: {c: n for c in classes}
    return lambda n: {c: k for c, k in largest_remainder(n, dict(props)).items() if k}


def _largest_feasible(
    pool: Sequence[Item], make: Callable[[int], dict[str, int]], cap: int | None, seed_parts: tuple
) -> dict[str, int]:
    """Targets ``make(n)`` for the largest n the pool (and the cap) can fill exactly (binary search)."""
    counts = Counter(cls for _, cls, _ in pool)

    def feasible(n: int) -> bool:
        want = make(n)
        if any(counts[c] < k for c, k in want.items()):
            return False
        if cap is None:
            return True
        got = Counter(cls for uid, cls, _ in _items(pool, select_cells(pool, want, cap, seed_parts)))
        return all(got[c] >= k for c, k in want.items())

    lo, hi = 0, len(pool)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if feasible(mid):
            lo = mid
        else:
            hi = mid - 1
    return {c: k for c, k in make(lo).items() if k}


def _items(pool: Sequence[Item], ids: Iterable[str]) -> list[Item]:
    wanted = set(ids)
    return [item for item in pool if item[0] in wanted]
