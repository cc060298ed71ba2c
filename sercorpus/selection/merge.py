"""Merging manifests of several corpora into one, keeping each corpus's root."""

from __future__ import annotations

from collections.abc import Sequence

from sercorpus.core.manifest import Manifest, ManifestError
from sercorpus.core.schema import Utterance
from sercorpus.selection.steps import with_step


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
