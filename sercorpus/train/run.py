"""``sercorpus train`` and ``sercorpus saliency`` as library calls: recipe -> checks -> run folder -> model,
sources, trainer -> metrics. Every check that can fail on user input runs before the run folder is claimed.

Run folder: ``RUN.json`` (the resolved recipe; a rerun with the same recipe resumes, another is refused
naming each difference), ``recipe.yaml``, ``labels.json`` (view, class order, dimensions), ``data/`` (the
narrowed manifests trained on), ``checkpoints/``, ``best/`` and ``best.pt``, ``logs/`` (train.csv,
eval.csv, events.jsonl, tensorboard/), ``predictions/``, ``metrics.json``, ``timing.json``; TC-GRU adds
``embeddings/`` (unless ``model.cache_dir`` points elsewhere) and ``saliency.json``/``saliency.png``.

Randomness: model initialisation and training draw from torch's RNG inside ``torch.random.fork_rng``,
seeded from the recipe seed (and the rank), so the caller's global RNG is left as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from sercorpus.core.atomic import write_text
from sercorpus.core.runinfo import claim_output_dir
from sercorpus.core.seeding import stable_seed
from sercorpus.train import distributed as D
from sercorpus.train.data import SectionData, load_sections, materialise
from sercorpus.train.errors import RecipeError
from sercorpus.train.features import prepare_features, run_saliency
from sercorpus.train.losses.build import build_loss, categorical_name
from sercorpus.train.models.build import build_audio_model, build_tcgru, may_leave_parameters_unused
from sercorpus.train.precision import resolve_precision
from sercorpus.train.recipe import DIMENSION_NAMES, Recipe, TCGRUModelSpec, load_recipe, to_yaml
from sercorpus.train.saliency import SaliencyResult
from sercorpus.train.sources import BatchSource, LoaderFactory, LoaderRequest
from sercorpus.train.trainer import Trainer
from sercorpus.train.validate import DataSummary, check_data, check_files, resolve_view

TOOL = "sercorpus.train"


@dataclass
class Prepared:
    recipe: Recipe
    info: D.DistInfo
    sections: dict[str, SectionData]
    summary: DataSummary
    precision: str


def prepare(recipe: Recipe, info: D.DistInfo) -> Prepared:
    """Every check on files and data, before anything is written."""
    view = resolve_view(recipe)
    check_files(recipe)
    world = info.world_size
    if recipe.data.batch_size % world:
        raise RecipeError(
            "data.batch_size",
            f"{recipe.data.batch_size} is the global batch and must divide evenly over {world} processes",
        )
    sections = load_sections(recipe.data)
    summary = check_data(recipe, sections, view)
    try:
        precision = resolve_precision(recipe.trainer.precision, info.device)
    except ValueError as exc:
        raise RecipeError("trainer.precision", str(exc)) from None
    return Prepared(recipe, info, sections, summary, precision)


def default_loaders() -> LoaderFactory:
    from sercorpus.train.loaders import shard_loader

    return shard_loader


def _request(p: Prepared, section: SectionData, role: str) -> LoaderRequest:
    d, info = p.recipe.data, p.info
    size = d.batch_size if role == "train" else (d.eval_batch_size or d.batch_size)
    seconds = None if d.max_batch_seconds is None else d.max_batch_seconds / info.world_size
    return LoaderRequest(
        section=section,
        view=p.summary.view,
        out_of_view=d.out_of_view,
        role=role,  # type: ignore[arg-type]
        batch_size=max(1, size // info.world_size),
        max_batch_seconds=seconds,
        sample_rate=d.sample_rate,
        seed=p.recipe.seed,
        rank=info.rank,
        world_size=info.world_size,
        num_workers=d.num_workers,
        shuffle_buffer=d.shuffle_buffer,
        class_balanced=d.class_balanced and role == "train",
        augment=d.augment if role == "train" and d.augment.rate > 0 else None,
        device=info.device,
    )


def _labels_json(p: Prepared) -> str:
    view = p.summary.view
    info = {
        "view": view.name,
        "classes": list(view.classes),
        "mapping": dict(sorted(view.mapping.items())),
        "out_of_view": p.recipe.data.out_of_view,
        "categories": p.recipe.tasks.categories,
        "dims": p.recipe.dims,
        "categorical_loss": categorical_name(p.recipe, p.summary.has_votes)
        if p.recipe.tasks.categories
        else None,
        "train_class_counts": dict(zip(view.classes, p.summary.class_counts, strict=True)),
    }
    return json.dumps(info, indent=2) + "\n"


def _fork_devices(info: D.DistInfo) -> list[int]:
    return [info.device.index or 0] if info.device.type == "cuda" else []


def train(
    recipe_path: str | Path | Recipe,
    out_dir: str | Path,
    overrides: list[str] | None = None,
    log: Callable[[str], None] = lambda line: None,
    loaders: LoaderFactory | None = None,
    on_step: Callable[[int], None] | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train (or resume, or return the finished result of) the recipe in ``out_dir``; returns metrics.json."""
    recipe = recipe_path if isinstance(recipe_path, Recipe) else load_recipe(recipe_path, overrides)
    out = Path(out_dir)
    info = D.init_distributed(recipe.trainer.device)
    try:
        p = prepare(recipe, info)
        if info.is_main:
            claim_output_dir(out, TOOL, recipe.to_dict(), overwrite=overwrite)
        D.barrier(info)
        done = out / "metrics.json"
        if done.is_file():
            log(f"{out}: already finished; metrics.json kept (choose another -o to train again)")
            return json.loads(done.read_text(encoding="utf-8"))
        if info.is_main:
            materialise(p.sections, out / "data")
            write_text(out / "recipe.yaml", to_yaml(recipe))
            write_text(out / "labels.json", _labels_json(p))
        D.barrier(info)
        if not info.is_main:
            materialise(p.sections, out / "data", write=False)
        return _train(p, out, log, loaders or default_loaders(), on_step)
    finally:
        D.shutdown(info)


def _train(
    p: Prepared,
    out: Path,
    log: Callable[[str], None],
    loaders: LoaderFactory,
    on_step: Callable[[int], None] | None,
) -> dict[str, Any]:
    recipe, info = p.recipe, p.info
    classes = p.summary.view.classes
    n_classes = len(classes) if recipe.tasks.categories else 0
    dim_index = [DIMENSION_NAMES.index(d) for d in recipe.dims]
    with torch.random.fork_rng(devices=_fork_devices(info)):
        torch.manual_seed(stable_seed(recipe.seed, "init"))
        train_source: BatchSource
        evals: dict[str, BatchSource]
        model: torch.nn.Module
        if isinstance(recipe.model, TCGRUModelSpec):
            feats = prepare_features(recipe, info, p.sections, p.summary, out, loaders, p.precision, log)
            torch.manual_seed(stable_seed(recipe.seed, "init", "tcgru"))
            model = build_tcgru(recipe.model, feats.input_dim, n_classes, len(dim_index))
            train_source, evals = feats.train, {k: v for k, v in feats.evals.items()}
        else:
            model = build_audio_model(recipe, n_classes, len(dim_index))
            train_source = loaders(_request(p, p.sections["train"], "train"))
            evals = {
                name: loaders(_request(p, s, "eval")) for name, s in p.sections.items() if name != "train"
            }
        loss = build_loss(recipe, p.summary.class_counts, p.summary.has_votes, dim_index)
        unused = recipe.trainer.find_unused_parameters
        find_unused = may_leave_parameters_unused(recipe) if unused == "auto" else unused == "on"
        torch.manual_seed(stable_seed(recipe.seed, "train", info.rank))
        trainer = Trainer(
            recipe,
            out,
            info,
            model,
            loss,
            train_source,
            evals,
            classes,
            dim_index,
            p.precision,
            find_unused,
            log,
            on_step,
        )
        trainer.resume()
        return trainer.fit()


def saliency_report(
    recipe_path: str | Path,
    out_dir: str | Path,
    overrides: list[str] | None = None,
    log: Callable[[str], None] = lambda line: None,
    loaders: LoaderFactory | None = None,
) -> SaliencyResult:
    """Per-layer cross-correlation saliency for a TC-GRU recipe: ``out_dir/saliency.{json,png}``."""
    recipe = load_recipe(recipe_path, overrides)
    if not isinstance(recipe.model, TCGRUModelSpec):
        raise RecipeError("model.family", "saliency needs a tcgru recipe (a frozen encoder's layers)")
    info = D.DistInfo(device=D.pick_device(recipe.trainer.device))
    p = prepare(recipe, info)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    materialise(p.sections, out / "data")
    with torch.random.fork_rng(devices=_fork_devices(info)):
        torch.manual_seed(stable_seed(recipe.seed, "init"))
        return run_saliency(
            recipe, info, p.sections, p.summary, out, loaders or default_loaders(), p.precision, log
        )
