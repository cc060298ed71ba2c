"""The recipe's data sections as concrete record sets: read each source (a manifest or a shard folder's
output manifest), assign splits where asked, keep the split and corpora named, scramble labels for control
runs, and refuse an empty result before any training starts.

Manifest sources are written back, narrowed, under ``RUN_DIR/data/`` (the exact records a run saw, which the
loader then reads); shard sources stay where they are and are narrowed by an id allow-list."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sercorpus.core.manifest import Manifest, ManifestError, read_manifest, write_manifest
from sercorpus.core.schema import Utterance
from sercorpus.selection.filters import FilterSpec, filter_records
from sercorpus.selection.scramble import scramble
from sercorpus.selection.splits import make_splits
from sercorpus.selection.steps import split_key
from sercorpus.selection.views import OutOfView, get_view, project_utterance
from sercorpus.train.errors import RecipeError
from sercorpus.train.recipe import DataSpec, SourceSpec

SHARD_INDEX = "index.json"
SHARD_MANIFEST = "manifest.parquet"


@dataclass
class SourceData:
    key: str  # recipe key, e.g. data.train.0
    kind: str  # "manifest" or "shards"
    path: Path  # the source as given
    records: list[Utterance]
    roots: dict[str, str]
    weight: float | None = None
    shard_view: str | None = None  # the view a shard folder was built for (None: any)
    materialised: Path | None = None  # the narrowed manifest under RUN_DIR/data (manifest sources)

    @property
    def ids(self) -> list[str]:
        return [u.id for u in self.records]


@dataclass
class SectionData:
    name: str  # "train", "dev", "test/<name>"
    sources: list[SourceData] = field(default_factory=list)

    @property
    def records(self) -> list[Utterance]:
        return [u for s in self.sources for u in s.records]

    @property
    def stem(self) -> str:
        return self.name.replace("/", "-")


def _read_source(src: SourceSpec, key: str, data: DataSpec) -> tuple[str, Path, Manifest, str | None]:
    path = Path(src.path).expanduser()
    if not path.exists():
        raise RecipeError(f"{key}.path", f"{path}: not found")
    try:
        if path.is_dir():
            if not (path / SHARD_INDEX).is_file() or not (path / SHARD_MANIFEST).is_file():
                raise RecipeError(
                    f"{key}.path",
                    f"{path}: a folder must be a complete shard folder ({SHARD_INDEX} + {SHARD_MANIFEST}); "
                    "run `sercorpus shard verify` on it",
                )
            index = json.loads((path / SHARD_INDEX).read_text(encoding="utf-8"))
            rate = index.get("sample_rate")
            if rate is not None and int(rate) != data.sample_rate:
                raise RecipeError(
                    "data.sample_rate",
                    f"{data.sample_rate} Hz, but the shards at {path} hold {rate} Hz audio; "
                    f"set data.sample_rate: {rate} or rebuild them with --sample-rate {data.sample_rate}",
                )
            manifest = read_manifest(path / SHARD_MANIFEST, roots=src.roots or None)
            return "shards", path, manifest, index.get("view")
        if path.suffix.lower() not in (".parquet", ".jsonl"):
            raise RecipeError(f"{key}.path", f"{path}: not a manifest (.parquet/.jsonl) or a shard folder")
        return "manifest", path, read_manifest(path, roots=src.roots or None), None
    except (ManifestError, ValueError, OSError) as exc:
        if isinstance(exc, RecipeError):
            raise
        raise RecipeError(f"{key}.path", str(exc)) from None


def load_source(src: SourceSpec, key: str, data: DataSpec) -> SourceData:
    kind, path, manifest, shard_view = _read_source(src, key, data)
    records = manifest.records
    if src.make_split is not None:
        spec = src.make_split
        if spec.strategy in ("loso", "logo") and spec.fold is None:
            raise RecipeError(
                f"{key}.make_split.fold", f"strategy {spec.strategy} needs a fold (1-based or name)"
            )
        try:
            (result,) = make_splits(
                records,
                spec.strategy,
                fold=spec.fold,
                dev_fold=spec.dev_fold,
                fractions=spec.fractions,
                seed=spec.seed,
                view=data.view,
            )
        except ValueError as exc:
            raise RecipeError(f"{key}.make_split", f"{path}: {exc}") from None
        records = result.records
    available = Counter(split_key(u.split) for u in records)
    wanted = FilterSpec(
        corpora=tuple(src.corpora),
        splits=(src.split,) if src.split is not None else (),
        min_duration=data.min_duration,
        max_duration=data.max_duration,
    )
    kept = filter_records(records, wanted)
    if not kept.records:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(kept.dropped.items())) or "the file has no records"
        have = ", ".join(f"{k} {v}" for k, v in sorted(available.items()))
        raise RecipeError(
            key,
            f"{path}: no records left (split={src.split!r}, corpora={src.corpora or 'all'}; dropped: {reasons}; "
            f"splits present: {have or 'none'})",
        )
    records = kept.records
    view = get_view(data.view)
    policy = OutOfView(data.out_of_view)
    if policy is OutOfView.EXCLUDE or data.require_label:
        dropped: Counter[str] = Counter()
        narrowed = []
        for utt in records:
            seen = project_utterance(utt, view, policy)
            if seen is None:
                dropped["votes outside the view"] += 1
            elif data.require_label and seen.label is None:
                dropped["no consensus in the view"] += 1
            else:
                narrowed.append(utt)
        if not narrowed:
            why = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
            raise RecipeError(key, f"{path}: no records left in view {view.name!r} ({why})")
        records = narrowed
    if src.scramble:
        if kind == "shards":
            raise RecipeError(
                f"{key}.scramble",
                f"{path}: labels inside shards cannot be scrambled at training time; "
                "scramble the manifest (`sercorpus scramble`) before `sercorpus shard`",
            )
        swaps = [tuple(s.split(":", 1)) for s in src.scramble]
        # projected first, so a view's merged classes move together (4class happy = happy + excited)
        projected = [project_utterance(u, view, policy) for u in records]
        records = [p for p in projected if p is not None]
        try:
            records, _ = scramble(records, swaps, src.corpora)  # type: ignore[arg-type]
        except ValueError as exc:
            raise RecipeError(f"{key}.scramble", str(exc)) from None
    return SourceData(key, kind, path, records, dict(manifest.roots), src.weight, shard_view)


def load_sections(data: DataSpec) -> dict[str, SectionData]:
    """Every section of the recipe, read and narrowed; errors name the recipe key and the file."""
    sections = {"train": data.train, "dev": data.dev, **{f"test/{k}": v for k, v in data.test.items()}}
    out: dict[str, SectionData] = {}
    for name, sources in sections.items():
        key = "data." + name.replace("/", ".")
        out[name] = SectionData(name, [load_source(s, f"{key}.{i}", data) for i, s in enumerate(sources)])
    _check_overlap(out)
    return out


def _check_overlap(sections: dict[str, SectionData]) -> None:
    train = set(u.id for u in sections["train"].records)
    train_sources = {u.id.split("#", 1)[0] for u in sections["train"].records}
    for name, section in sections.items():
        if name == "train":
            continue
        shared = [u.id for u in section.records if u.id in train or u.id.split("#", 1)[0] in train_sources]
        if shared:
            raise RecipeError(
                f"data.{name.replace('/', '.')}",
                f"{len(shared)} sample(s) are also in data.train (e.g. {shared[0]}); evaluation data must be unseen",
            )


def materialise(sections: dict[str, SectionData], folder: Path, write: bool = True) -> None:
    """Write each manifest source's narrowed records to ``folder`` (what the loader reads); ``write=False``
    only points the sources at the files (ranks other than 0, after rank 0 wrote them)."""
    for section in sections.values():
        for i, src in enumerate(section.sources):
            if src.kind != "manifest":
                continue
            out = folder / f"{section.stem}-{i}.parquet"
            src.materialised = out
            if not write:
                continue
            used = {u.corpus for u in src.records}
            roots = {c: str(Path(r).resolve()) for c, r in src.roots.items() if c in used}  # cwd-independent
            write_manifest(out, src.records, roots)
