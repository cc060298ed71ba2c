"""Train/dev/test splits and the speaker-leakage check that guards every one of them.

Strategies: ``official`` (the corpus's own), ``logo`` (leave one group out, e.g. IEMOCAP's five sessions),
``loso`` (leave one speaker out), ``speaker-random`` (speaker-independent, given fractions, stratified by
label as far as whole speakers allow) and ``random`` (utterance level: speakers leak, so it is flagged).
Why a leakage check on every write: a speaker in both train and test inflates SER accuracy by several
points and is the most common silent error in published splits.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sercorpus.core.schema import Utterance
from sercorpus.core.seeding import rng_for
from sercorpus.selection.steps import split_key
from sercorpus.selection.subsets import largest_remainder, speaker_unit
from sercorpus.selection.views import get_view

STRATEGIES: tuple[str, ...] = ("official", "logo", "loso", "speaker-random", "random")
FOLD_STRATEGIES: tuple[str, ...] = ("logo", "loso")


class LeakageError(ValueError):
    """Speakers shared between splits that must be speaker-disjoint."""


# ---------------------------------------------------------------------------------------------- leakage
@dataclass
class LeakageReport:
    shared: dict[tuple[str, str], list[str]]  # (split a, split b) -> speakers in both
    speakers: dict[str, int]  # split -> distinct speakers
    unknown: dict[str, int]  # split -> records without a speaker (cannot be checked)

    @property
    def ok(self) -> bool:
        return not self.shared

    def describe(self, shown: int = 8) -> str:
        if self.ok:
            text = (
                "no speaker is shared between splits ("
                + ", ".join(f"{s}: {n} speakers" for s, n in sorted(self.speakers.items()))
                + ")"
            )
        else:
            parts = []
            for (a, b), spk in sorted(self.shared.items()):
                more = f" ... (+{len(spk) - shown})" if len(spk) > shown else ""
                parts.append(f"{a} & {b}: {len(spk)} speaker(s) {', '.join(spk[:shown])}{more}")
            text = "speakers leak between splits: " + "; ".join(parts)
        if self.unknown:
            text += "; records without speaker (unchecked): " + ", ".join(
                f"{s} {n}" for s, n in sorted(self.unknown.items())
            )
        return text


def speaker_of(utt: Utterance) -> str | None:
    """The speaker (corpus-qualified by the schema, so equal codes of two corpora never meet), or None."""
    return utt.speaker or None


def check_leakage(records: Iterable[Utterance]) -> LeakageReport:
    """Speakers found in more than one split (records without a split are outside every split)."""
    by_split: dict[str, set[str]] = defaultdict(set)
    unknown: Counter[str] = Counter()
    for utt in records:
        if utt.split is None:
            continue
        spk = speaker_of(utt)
        if spk is None:
            unknown[utt.split] += 1
        else:
            by_split[utt.split].add(spk)
    shared = {
        (a, b): sorted(by_split[a] & by_split[b])
        for a, b in combinations(sorted(by_split), 2)
        if by_split[a] & by_split[b]
    }
    return LeakageReport(shared, {s: len(v) for s, v in by_split.items()}, dict(unknown))


def guard_leakage(records: Iterable[Utterance], allow_leak: bool = False, source: str = "split") -> list[str]:
    """Raise :class:`LeakageError` on a leak, or return it as a warning when ``allow_leak``."""
    report = check_leakage(records)
    warnings = []
    if report.unknown:
        warnings.append(
            f"{source}: {sum(report.unknown.values())} record(s) have no speaker; leakage "
            "for them cannot be checked"
        )
    if report.ok:
        return warnings
    if not allow_leak:
        raise LeakageError(f"{source}: {report.describe()} (allow_leak / --allow-leak accepts this)")
    return [*warnings, f"{source}: {report.describe()}"]


# ---------------------------------------------------------------------------------------------- results
@dataclass
class SplitResult:
    records: list[Utterance]
    recipe: dict[str, Any]
    name: str = "split"  # fold label, used as file stem when folds go to a directory
    warnings: list[str] = field(default_factory=list)


def _label_of(utt: Utterance, view: str | None) -> str:
    label = get_view(view).map_category(utt.label) if view else utt.label
    return label or "(none)"


# -------------------------------------------------------------------------------------------- strategies
def split_official(records: Sequence[Utterance]) -> SplitResult:
    """Keep the corpus's own splits; records without one are an error (use logo/loso/speaker-random)."""
    missing = [u.id for u in records if u.split is None]
    if missing:
        raise ValueError(
            f"{len(missing)} record(s) have no official split (e.g. {missing[0]}); "
            "use --strategy logo, loso or speaker-random"
        )
    return SplitResult(list(records), {"step": "split", "strategy": "official"}, "official")


def fold_groups(records: Sequence[Utterance], strategy: str) -> list[str]:
    """The groups to leave out in turn: sorted group names (logo) or corpus-qualified speakers (loso)."""
    keys = [_fold_key(u, strategy) for u in records]
    missing = [u.id for u, k in zip(records, keys, strict=True) if k is None]
    if missing:
        field_name = "group" if strategy == "logo" else "speaker"
        raise ValueError(
            f"{len(missing)} record(s) have no {field_name} (e.g. {missing[0]}); "
            f"--strategy {strategy} needs one on every record"
        )
    groups = sorted({k for k in keys if k is not None})
    if len(groups) < 2:
        raise ValueError(f"--strategy {strategy} needs at least 2 groups, found {groups}")
    return groups


def _fold_key(utt: Utterance, strategy: str) -> str | None:
    return utt.group if strategy == "logo" else speaker_of(utt)


def resolve_fold(fold: str | int, groups: Sequence[str]) -> str:
    """A fold given as 1-based index, full group name, or unique name ending (``Session5``)."""
    text = str(fold)
    if text.isdigit():
        k = int(text)
        if not 1 <= k <= len(groups):
            raise ValueError(
                f"fold {k} is out of range: there are {len(groups)} folds (1..{len(groups)}: "
                f"{', '.join(groups)})"
            )
        return groups[k - 1]
    if text in groups:
        return text
    ends = [g for g in groups if g.rsplit("/", 1)[-1] == text or g.endswith(text)]
    if len(ends) == 1:
        return ends[0]
    raise ValueError(
        f"fold {text!r} matches {'no' if not ends else 'several'} group(s); folds are: "
        + ", ".join(f"{i}={g}" for i, g in enumerate(groups, 1))
    )


def split_leave_out(
    records: Sequence[Utterance], strategy: str, fold: str | int, dev_fold: str | int | None = None
) -> SplitResult:
    """One fold of logo/loso: the left-out group is test, an optional second group dev, the rest train."""
    groups = fold_groups(records, strategy)
    test = resolve_fold(fold, groups)
    dev = resolve_fold(dev_fold, groups) if dev_fold is not None else None
    if dev == test:
        raise ValueError(f"dev fold and test fold are the same group ({test})")
    role = {test: "test", **({dev: "dev"} if dev else {})}
    out = [u.replace(split=role.get(_fold_key(u, strategy), "train")) for u in records]  # type: ignore[arg-type]
    index = groups.index(test) + 1
    recipe = {
        "step": "split",
        "strategy": strategy,
        "fold": index,
        "folds": len(groups),
        "test_group": test,
        "dev_group": dev,
    }
    return SplitResult(out, recipe, f"fold{index:0{len(str(len(groups)))}d}")  # fold01..fold10 sort right


def _check_fractions(fractions: Mapping[str, float]) -> dict[str, float]:
    if not fractions:
        raise ValueError("give split fractions, e.g. train=0.8,dev=0.1,test=0.1")
    bad = {k: v for k, v in fractions.items() if not (isinstance(v, (int, float)) and 0 <= v <= 1)}
    if bad:
        raise ValueError(f"fractions must be in [0, 1], got {bad}")
    names = [k for k in fractions if not k or k != k.lower()]
    if names:
        raise ValueError(f"split names must be lower-case and non-empty, got {names}")
    total = sum(fractions.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"split fractions must sum to 1, they sum to {total:.6g} ({dict(fractions)})")
    return {k: float(v) for k, v in fractions.items() if v > 0}


def split_speaker_random(
    records: Sequence[Utterance], fractions: Mapping[str, float], seed: int = 0, view: str | None = None
) -> SplitResult:
    """Speaker-independent split: whole speakers go to one split each, label mix kept close to the total.

    Greedy: speakers are placed largest first (by size tier, random within a tier so the seed matters),
    each into the split where it most reduces the squared gap between the split's per-label counts and its
    share of every label (relative to the label's size, so rare labels are spread too). Records without a
    speaker are placed one by one, as speakers of their own.
    """
    fractions = _check_fractions(fractions)
    units: dict[str, list[Utterance]] = defaultdict(list)
    for utt in records:
        units[speaker_unit(utt)].append(utt)
    totals = Counter(_label_of(u, view) for u in records)
    names = list(fractions)
    rng = rng_for(seed, "split", "speaker-random")
    keys = sorted(units)
    shuffled = [keys[i] for i in rng.permutation(len(keys))]
    ordered = sorted(shuffled, key=lambda k: -int(math.log2(len(units[k]))))
    counts: dict[str, Counter[str]] = {s: Counter() for s in names}
    assign: dict[str, str] = {}
    for key in ordered:
        unit = Counter(_label_of(u, view) for u in units[key])

        best = min(
            names, key=lambda s: (_placement_cost(counts[s], unit, fractions[s], totals), names.index(s))
        )
        assign[key] = best
        counts[best].update(unit)
    out = [u.replace(split=assign[speaker_unit(u)]) for u in records]
    achieved = {s: round(sum(counts[s].values()) / max(len(records), 1), 4) for s in names}
    warnings = [
        f"split {s!r} is empty: too few speakers for the requested fractions" for s in names if not counts[s]
    ]
    off = {s: achieved[s] for s in names if abs(achieved[s] - fractions[s]) > 0.05}
    if off and not warnings:
        warnings.append(f"whole speakers allow only fractions {achieved} (asked {fractions})")
    recipe = {
        "step": "split",
        "strategy": "speaker-random",
        "seed": seed,
        "fractions": fractions,
        "achieved": achieved,
        "view": view,
    }
    return SplitResult(out, recipe, "speaker-random", warnings)


def _placement_cost(have: Counter[str], unit: Counter[str], fraction: float, totals: Counter[str]) -> float:
    """Change in sum over labels of (count - fraction * label total)^2 / label total if ``unit`` joins."""
    cost = 0.0
    for label, n in unit.items():
        goal = fraction * totals[label]
        cost += ((have[label] + n - goal) ** 2 - (have[label] - goal) ** 2) / totals[label]
    return cost


def split_random(
    records: Sequence[Utterance], fractions: Mapping[str, float], seed: int = 0, view: str | None = None
) -> SplitResult:
    """Utterance-level split stratified by label (exact per-label apportioning); speakers leak."""
    fractions = _check_fractions(fractions)
    by_label: dict[str, list[Utterance]] = defaultdict(list)
    for utt in sorted(records, key=lambda u: u.id):
        by_label[_label_of(utt, view)].append(utt)
    assign: dict[str, str] = {}
    for label, group in sorted(by_label.items()):
        order = rng_for(seed, "split", "random", label).permutation(len(group))
        sizes = largest_remainder(len(group), fractions)
        names = [s for s, n in sizes.items() for _ in range(n)]
        for i, name in zip(order, names, strict=True):
            assign[group[i].id] = name
    out = [u.replace(split=assign[u.id]) for u in records]
    recipe = {"step": "split", "strategy": "random", "seed": seed, "fractions": fractions, "view": view}
    warning = (
        "utterance-level random split: the same speakers appear in several splits, so scores measure "
        "speaker-dependent recognition"
    )
    return SplitResult(out, recipe, "random", [warning])


def make_splits(
    records: Sequence[Utterance],
    strategy: str,
    *,
    fold: str | int | None = None,
    dev_fold: str | int | None = None,
    fractions: Mapping[str, float] | None = None,
    seed: int = 0,
    view: str | None = None,
) -> list[SplitResult]:
    """Run a strategy; logo/loso without ``fold`` give every fold. Leakage is checked by the caller."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown split strategy {strategy!r}; choose one of {list(STRATEGIES)}")
    if view is not None:
        get_view(view)
    if strategy in FOLD_STRATEGIES:
        if fractions:
            raise ValueError(f"--fractions does not apply to --strategy {strategy}")
        folds = [fold] if fold is not None else list(range(1, len(fold_groups(records, strategy)) + 1))
        return [split_leave_out(records, strategy, f, dev_fold) for f in folds]
    if fold is not None or dev_fold is not None:
        raise ValueError(f"--fold/--dev-fold apply to logo and loso, not to --strategy {strategy}")
    if strategy == "official":
        return [split_official(records)]
    fractions = fractions or {"train": 0.8, "dev": 0.1, "test": 0.1}
    if strategy == "speaker-random":
        return [split_speaker_random(records, fractions, seed, view)]
    return [split_random(records, fractions, seed, view)]


def split_counts(records: Iterable[Utterance]) -> dict[str, int]:
    counts = Counter(split_key(u.split) for u in records)
    return dict(sorted(counts.items()))
