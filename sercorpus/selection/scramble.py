"""Label scrambling (a control experiment): swap categories in labels, votes and soft labels together,
recorded so the inverse restores the records exactly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sercorpus.core.schema import VOCABULARY, Utterance


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
    recipe = {
        "step": "scramble",
        "swaps": [f"{a}:{b}" for a, b in swaps],
        "permutation": perm,
        "corpora": list(corpora),
        "changed": changed,
    }
    return out, recipe
