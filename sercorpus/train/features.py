"""Frozen-encoder features for TC-GRU: build the encoder, fill the embedding cache (rank 0; the others wait),
choose the layer by cross-correlation saliency or take the recipe's, and serve cached frames as batches."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sercorpus.core.atomic import write_text
from sercorpus.core.seeding import rng_for, stable_seed
from sercorpus.selection.views import OutOfView
from sercorpus.train import distributed as D
from sercorpus.train.data import SectionData
from sercorpus.train.embcache import EmbeddingCache, identity, known_shape
from sercorpus.train.embsource import EmbeddingSource
from sercorpus.train.errors import RecipeError
from sercorpus.train.models.encoder import build_encoder
from sercorpus.train.recipe import DIMENSION_NAMES, Recipe, TCGRUModelSpec
from sercorpus.train.saliency import SaliencyResult, plot_saliency, saliency
from sercorpus.train.sources import LoaderFactory, LoaderRequest
from sercorpus.train.targets import TargetTable, target_table
from sercorpus.train.validate import DataSummary


@dataclass
class FeatureData:
    train: EmbeddingSource
    evals: dict[str, EmbeddingSource]
    input_dim: int
    layer: int
    saliency: SaliencyResult | None


def _eval_request(recipe: Recipe, section: SectionData, summary: DataSummary) -> LoaderRequest:
    d = recipe.data
    return LoaderRequest(
        section, summary.view, d.out_of_view, "eval", d.eval_batch_size or d.batch_size, d.max_batch_seconds,
        d.sample_rate, recipe.seed, 0, 1, d.num_workers, d.shuffle_buffer, False, None, None,
    )  # fmt: skip


def saliency_sample(recipe: Recipe, train_ids: list[str]) -> list[str]:
    spec = recipe.model
    assert isinstance(spec, TCGRUModelSpec)
    ids = sorted(train_ids)
    n = min(spec.saliency.sample, len(ids))
    pick = rng_for(spec.saliency.seed, "saliency-sample").permutation(len(ids))[:n]
    return sorted(ids[i] for i in pick)


def saliency_targets(recipe: Recipe, table: TargetTable, ids: list[str]) -> dict[str, Any]:
    rows = [table.row(i) for i in ids]
    out: dict[str, Any] = {"categories": None, "cat_rows": None, "dims": None, "dim_rows": None}
    if recipe.tasks.categories:
        labels, soft, has = table.labels[rows], table.soft[rows], table.soft_mask[rows]
        onehot = np.eye(len(table.classes), dtype=np.float32)[np.clip(labels, 0, None)]
        out["categories"] = np.where(has[:, None], soft, onehot)
        out["cat_rows"] = has | (labels >= 0)
    if recipe.dims:
        idx = [DIMENSION_NAMES.index(d) for d in recipe.dims]
        out["dims"] = table.dims[rows][:, idx]
        out["dim_rows"] = table.dims_mask[rows][:, idx].all(axis=1)
    return out


def compute_saliency(
    recipe: Recipe, cache: EmbeddingCache, table: TargetTable, ids: list[str]
) -> SaliencyResult:
    t = saliency_targets(recipe, table, ids)
    names = ([f"p({c})" for c in table.classes] if t["categories"] is not None else []) + recipe.dims
    try:
        return saliency(
            cache.mean_matrix(ids), t["categories"], t["cat_rows"], t["dims"], t["dim_rows"], names
        )
    except ValueError as exc:
        raise RecipeError("model.saliency", str(exc)) from None


def write_saliency(result: SaliencyResult, folder: Path, title: str) -> None:
    write_text(folder / "saliency.json", json.dumps(result.to_dict(), indent=2) + "\n")
    plot_saliency(result, folder / "saliency.png", title)


class _Extractor:
    """The frozen encoder and its cache (the cache is opened for writing on the main rank only)."""

    def __init__(
        self,
        recipe: Recipe,
        info: D.DistInfo,
        run_dir: Path,
        summary: DataSummary,
        loaders: LoaderFactory,
        precision: str,
        log: Callable[[str], None],
    ):
        spec = recipe.model
        assert isinstance(spec, TCGRUModelSpec)
        if recipe.data.augment.rate > 0:
            raise RecipeError(
                "data.augment.rate",
                "cached embeddings cannot be augmented on the fly; train on pre-augmented shards",
            )
        self.recipe, self.spec, self.info, self.summary = recipe, spec, info, summary
        self.loaders, self.precision, self.log = loaders, precision, log
        self.folder = Path(spec.cache_dir) if spec.cache_dir else run_dir / "embeddings"
        ident = (spec.encoder, recipe.seed, recipe.data.sample_rate, spec.cache_dtype)
        self._encoder: Any = None
        shape = known_shape(self.folder, identity(*ident))
        if shape is None:
            config = self.encoder.config
            shape = (int(config.num_hidden_layers) + 1, int(config.hidden_size))
        self.layers, self.dim = shape
        if isinstance(spec.layer, int) and spec.layer >= self.layers:
            raise RecipeError(
                "model.layer",
                f"{spec.layer} is out of range: the encoder has hidden_states 0..{self.layers - 1}",
            )
        self._args = (self.folder, *ident, self.layers, self.dim)
        self.cache = EmbeddingCache(*self._args) if info.is_main else None

    @property
    def encoder(self) -> Any:
        """Built on first use: a complete cache is read without loading the encoder at all."""
        if self._encoder is None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(stable_seed(self.recipe.seed, "init", "encoder"))  # random-weight encoders
                encoder = build_encoder(self.spec.encoder)
            self._encoder = encoder.to(self.info.device).eval()
            for p in self._encoder.parameters():
                p.requires_grad_(False)
        return self._encoder

    def open(self) -> EmbeddingCache:
        if self.cache is None:
            self.cache = EmbeddingCache(*self._args)
        return self.cache

    def fill(self, section: SectionData, wanted: set[str], layers: list[int]) -> None:
        cache = self.open()
        if not cache.missing(wanted, layers, means=True):
            return
        self.log(f"embeddings: extracting {section.name} ({len(wanted)} samples) into {self.folder}")
        request = _eval_request(self.recipe, section, self.summary)
        cache.extract(
            self.encoder,
            self.loaders(request),
            wanted,
            layers,
            self.info.device,
            self.precision,
            self.spec.encoder,
        )

    def saliency(
        self, sections: dict[str, SectionData], out_dir: Path, all_layers_first: bool
    ) -> SaliencyResult:
        train_ids = [u.id for u in sections["train"].records]
        sample = saliency_sample(self.recipe, train_ids)
        if all_layers_first:
            self.fill(sections["train"], set(train_ids), list(range(self.layers)))
        else:
            self.fill(sections["train"], set(sample), [])
        result = compute_saliency(self.recipe, self.open(), self.summary.train_targets, sample)
        write_saliency(result, out_dir, f"{self.recipe.name}: cross-correlation saliency")
        scores = ", ".join(f"{k}:{v:.3f}" for k, v in enumerate(result.scores))
        self.log(f"saliency: layer {result.chosen} chosen ({scores})")
        return result


def run_saliency(
    recipe: Recipe, info: D.DistInfo, sections: dict[str, SectionData], summary: DataSummary, out_dir: Path,
    loaders: LoaderFactory, precision: str, log: Callable[[str], None],
) -> SaliencyResult:  # fmt: skip
    """Per-layer CCS scores on utterance means of the sampled training samples (single process)."""
    return _Extractor(recipe, info, out_dir, summary, loaders, precision, log).saliency(
        sections, out_dir, False
    )


def prepare_features(
    recipe: Recipe, info: D.DistInfo, sections: dict[str, SectionData], summary: DataSummary, run_dir: Path,
    loaders: LoaderFactory, precision: str, log: Callable[[str], None],
) -> FeatureData:  # fmt: skip
    ex = _Extractor(recipe, info, run_dir, summary, loaders, precision, log)
    spec = ex.spec
    result: SaliencyResult | None = None
    chosen = spec.layer if isinstance(spec.layer, int) else -1
    if info.is_main:
        every = spec.cache_layers == "all"
        if spec.layer == "salient":
            result = ex.saliency(sections, run_dir, all_layers_first=every)
            chosen = result.chosen
        wanted_layers = list(range(ex.layers)) if every else [chosen]
        for section in sections.values():
            ex.fill(section, {u.id for u in section.records}, wanted_layers)
    chosen = D.broadcast_object(info, chosen)
    D.barrier(info)
    store = ex.open().layer(chosen)
    d, world = recipe.data, info.world_size
    train = EmbeddingSource(
        store,
        sections["train"].records,
        summary.train_targets,
        d.batch_size // world,
        True,
        recipe.seed,
        info.rank,
        world,
    )
    evals = {}
    for name, section in sections.items():
        if name != "train":
            table = target_table(section.records, summary.view, OutOfView(d.out_of_view))
            size = max(1, (d.eval_batch_size or d.batch_size) // world)
            evals[name] = EmbeddingSource(
                store, section.records, table, size, False, recipe.seed, info.rank, world
            )
    return FeatureData(train, evals, ex.dim, chosen, result)
