"""The write plan: which samples exist, which part and which shard each lands in, all decided up front.

Everything here is a function of the input records and the settings only (never of worker count, timing or
engine block layout), which is what makes reruns, resumes and multi-machine parts agree byte for byte:

- part membership: a stable hash of the *source* id (``--part i/n``), so every copy and segment of an
  utterance lands in the same part and the same shard (one decode serves all its copies);
- samples: one per (segment, copy); ``--rate`` picks the augmented training utterances by a stable hash of
  (seed, id), so the 20 % set is the same 20 % on every run and machine;
- shards: the part's samples in id order, cut at source-utterance boundaries once the estimated FLAC size
  passes ``--shard-mb``.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sercorpus.core.manifest import Manifest, ManifestError, read_manifest
from sercorpus.core.runinfo import canonical_json
from sercorpus.core.schema import Utterance
from sercorpus.core.seeding import stable_seed
from sercorpus.selection.views import get_view, project_utterance
from sercorpus.shards.layout import Part, shard_name
from sercorpus.shards.settings import ShardSettings

_UNIT = float(2**63)


@dataclass(frozen=True, slots=True)
class Item:
    """One output sample: a segment of a source utterance, and a copy index (0 = clean)."""

    id: str  # "<source id>#aug<k>" (or "<source id>#seg<j>#aug<k>" for split long recordings)
    record: int  # index into the plan's records
    segment: int | None
    offset: float
    duration: float
    copy: int
    augment: bool

    @property
    def base_id(self) -> str:
        """The id the augmentation seeds derive from (segments of one recording get their own)."""
        return self.id.rsplit("#aug", 1)[0]

    @property
    def source_key(self) -> tuple[int, int | None]:
        return (self.record, self.segment)


@dataclass(frozen=True)
class ShardPlan:
    part: Part
    position: int
    name: str
    items: tuple[Item, ...]
    digest: str  # of the item list and the settings: a finished shard is reused only when it matches

    @property
    def planned_seconds(self) -> float:
        return sum(i.duration for i in self.items)


@dataclass
class WritePlan:
    records: list[Utterance]
    roots: dict[str, str]
    settings: ShardSettings
    input_digest: str

    def part_shards(self, part: Part) -> list[ShardPlan]:
        return cut_shards(part, part_items(self.records, self.settings, part), self.settings)


# ------------------------------------------------------------------------------------------ inputs
def load_inputs(
    manifests: Sequence[str | os.PathLike[str]],
    roots: dict[str, str] | None = None,
    view: str | None = None,
) -> tuple[list[Utterance], dict[str, str]]:
    """Records of every manifest (sorted by id; duplicates across manifests refused) and their roots.

    A corpus root that does not exist is an error naming the root, the manifest and the ``--root`` fix.
    """
    if not manifests:
        raise ValueError("no input manifest given")
    records: dict[str, Utterance] = {}
    all_roots: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in manifests:
        manifest: Manifest = read_manifest(path, roots)
        for corpus in manifest.corpora():
            root = manifest.roots.get(corpus)
            if root is None or not Path(root).is_dir():
                raise ManifestError(
                    str(path),
                    [
                        f"corpus root for {corpus!r} not found: {root!r} (moved?); pass the new location "
                        f"with --root {corpus}=DIR"
                    ],
                )
            if corpus in all_roots and all_roots[corpus] != root:
                raise ManifestError(
                    str(path),
                    [f"corpus {corpus!r} has root {root} here but {all_roots[corpus]} in {origin[corpus]}"],
                )
            all_roots[corpus], origin[corpus] = root, str(path)
        for utt in manifest.records:
            if utt.id in records:
                raise ManifestError(str(path), [f"id {utt.id} is also in an earlier manifest"])
            records[utt.id] = utt
    ordered = [records[k] for k in sorted(records)]
    if view is not None:
        lens = get_view(view)
        ordered = [project_utterance(u, lens) or u for u in ordered]  # RENORMALIZE never excludes
    return ordered, all_roots


def input_digest(records: Iterable[Utterance]) -> str:
    """Digest of what the plan reads from the inputs, so another input set cannot resume into a folder."""
    h = hashlib.sha256()
    for u in records:
        h.update(
            canonical_json([u.id, u.audio_path, u.offset, u.duration, u.channel, u.split, u.label]).encode()
        )
    return h.hexdigest()[:16]


# ------------------------------------------------------------------------------------------- items
def part_of(source_id: str, count: int) -> int:
    return stable_seed("shard-part", source_id) % count


def augmented(utt: Utterance, settings: ShardSettings) -> bool:
    """Whether this utterance gets augmented copies: a training split, picked at ``--rate``."""
    if not settings.augmenting:
        return False
    split = utt.split if utt.split is not None else "none"
    if split not in settings.train_splits:
        return False
    return stable_seed("shard-rate", settings.seed, utt.id) / _UNIT < settings.rate


def segments(utt: Utterance, settings: ShardSettings) -> list[tuple[int | None, float, float]]:
    """(segment index or None, offset, duration) pieces of one record under ``--max-duration``/``--long``.

    ``split`` cuts into ceil(d / max) equal pieces (no sliver at the end); ``crop`` keeps the first max s.
    """
    cap = settings.max_duration
    if cap is None or utt.duration <= cap:
        return [(None, utt.offset, utt.duration)]
    if settings.long == "crop":
        return [(None, utt.offset, cap)]
    n = math.ceil(utt.duration / cap - 1e-9)
    piece = utt.duration / n
    return [(j, utt.offset + j * piece, piece) for j in range(n)]


def items_of(index: int, utt: Utterance, settings: ShardSettings) -> list[Item]:
    aug = augmented(utt, settings)
    copies = ([0] if settings.keep_clean else []) + list(range(1, settings.copies + 1)) if aug else [0]
    out = []
    for seg, offset, duration in segments(utt, settings):
        base = utt.id if seg is None else f"{utt.id}#seg{seg}"
        out += [Item(f"{base}#aug{k}", index, seg, offset, duration, k, k > 0) for k in copies]
    return out


def part_items(records: Sequence[Utterance], settings: ShardSettings, part: Part) -> list[Item]:
    out: list[Item] = []
    for i, utt in enumerate(records):
        if part.count == 1 or part_of(utt.id, part.count) == part.index:
            out += items_of(i, utt, settings)
    return out


def cut_shards(part: Part, items: Sequence[Item], settings: ShardSettings) -> list[ShardPlan]:
    """Consecutive runs of items whose estimated size stays under ``--shard-mb`` (at least one source)."""
    shards: list[list[Item]] = []
    budget = settings.shard_bytes()
    size = 0.0
    for j, item in enumerate(items):
        starts_source = j == 0 or items[j - 1].record != item.record
        if starts_source and shards and size >= budget:
            shards.append([])
            size = 0.0
        if not shards:
            shards.append([])
        shards[-1].append(item)
        size += settings.estimated_bytes(item.duration)
    settings_key = canonical_json(settings.record())
    plans = []
    for k, chunk in enumerate(shards):
        h = hashlib.sha256(settings_key.encode())
        for it in chunk:
            h.update(f"{it.id}\x1f{it.offset!r}\x1f{it.duration!r}\n".encode())
        plans.append(ShardPlan(part, k, shard_name(part, k, settings.format), tuple(chunk), h.hexdigest()))
    return plans


def build_plan(
    manifests: Sequence[str | os.PathLike[str]],
    settings: ShardSettings,
    roots: Mapping[str, str] | None = None,
) -> WritePlan:
    records, all_roots = load_inputs(manifests, dict(roots or {}), settings.view)
    return WritePlan(records, all_roots, settings, input_digest(records))
