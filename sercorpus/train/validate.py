"""Checks that the data can serve the recipe, run before any training: the label view exists and the shards
were built for it, the training data carries every requested task, dev can score the monitored metric, and
the model files are local checkpoints. Each failure names the recipe key and the file(s)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sercorpus.selection.views import LabelView, OutOfView, get_view
from sercorpus.train.data import SectionData
from sercorpus.train.errors import RecipeError
from sercorpus.train.localpaths import torch_checkpoint_file, transformers_checkpoint
from sercorpus.train.recipe import CNN14ModelSpec, Recipe
from sercorpus.train.targets import TargetTable, target_table


@dataclass
class DataSummary:
    view: LabelView
    train_targets: TargetTable
    class_counts: list[int]
    has_votes: bool


def resolve_view(recipe: Recipe) -> LabelView:
    try:
        return get_view(recipe.data.view)
    except ValueError as exc:
        raise RecipeError("data.view", str(exc)) from None


def check_files(recipe: Recipe) -> None:
    """Model checkpoints and the augmentation config exist locally (and are what they claim to be)."""
    aug = recipe.data.augment
    if aug.rate > 0 and aug.config is not None and not Path(aug.config).is_file():
        raise RecipeError("data.augment.config", f"{aug.config}: augmentation config not found")
    model = recipe.model
    if isinstance(model, CNN14ModelSpec):
        if model.pretrained is not None:
            from sercorpus.train.models.cnn14 import read_panns_checkpoint

            read_panns_checkpoint(torch_checkpoint_file(model.pretrained, "model.pretrained"), model.frontend)
    elif model.encoder.pretrained is not None:
        transformers_checkpoint(model.encoder.pretrained, "model.encoder.pretrained")


def _files(section: SectionData) -> str:
    return ", ".join(str(s.path) for s in section.sources)


def check_data(recipe: Recipe, sections: dict[str, SectionData], view: LabelView) -> DataSummary:
    for section in sections.values():
        for src in section.sources:
            if src.shard_view is not None and src.shard_view != view.name:
                raise RecipeError(
                    "data.view",
                    f"{view.name!r} cannot be served by {src.path} ({src.key}): its shards were built for view "
                    f"{src.shard_view!r}; rebuild them with --view {view.name} or use data.view: {src.shard_view}",
                )
    policy = OutOfView(recipe.data.out_of_view)
    train = target_table(sections["train"].records, view, policy)
    counts = train.class_counts()
    if recipe.tasks.categories:
        usable = int(((train.labels >= 0) | train.soft_mask).sum())
        if usable == 0:
            raise RecipeError(
                "data.view",
                f"view {view.name!r} ({', '.join(view.classes)}) gets no class label or in-view vote from any of "
                f"the {len(train.ids)} training records in {_files(sections['train'])}",
            )
        for name, section in sections.items():
            if name == "train":
                continue
            table = target_table(section.records, view, policy)
            if not (table.labels >= 0).any():
                raise RecipeError(
                    f"data.{name.replace('/', '.')}",
                    f"no record in {_files(section)} has a consensus label in view {view.name!r}; "
                    "UAR cannot be computed",
                )
    for k, dim in enumerate(("arousal", "valence", "dominance", "sentiment")):
        if dim not in recipe.tasks.dims:
            continue
        for name, section in sections.items():
            table = train if name == "train" else target_table(section.records, view, policy)
            have = int(table.dims_mask[:, k].sum())
            if have < 2:
                raise RecipeError(
                    "tasks.dims",
                    f"{dim}: only {have} record(s) of data.{name.replace('/', '.')} ({_files(section)}) have it "
                    "(need >= 2 for CCC)",
                )
    return DataSummary(view, train, counts, bool(train.soft_mask.any()))
