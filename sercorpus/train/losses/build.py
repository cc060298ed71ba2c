"""The recipe's ``loss`` section as a :class:`MultiTaskLoss` (``auto``: soft targets where votes exist)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import nn

from sercorpus.train.errors import RecipeError
from sercorpus.train.losses.bce import SoftmaxBCE
from sercorpus.train.losses.ccc import CCCLoss
from sercorpus.train.losses.hard_ce import HardCrossEntropy
from sercorpus.train.losses.multitask import MultiTaskLoss
from sercorpus.train.losses.soft_ce import SoftTargetCrossEntropy
from sercorpus.train.losses.weighted_ce import ClassWeightedCrossEntropy, balanced_weights
from sercorpus.train.recipe import Recipe


def categorical_name(recipe: Recipe, has_votes: bool) -> str:
    name = recipe.loss.categorical
    return ("soft_ce" if has_votes else "hard_ce") if name == "auto" else name


def build_loss(
    recipe: Recipe, class_counts: Sequence[int], has_votes: bool, dim_index: Sequence[int]
) -> MultiTaskLoss:
    cat: nn.Module | None = None
    if recipe.tasks.categories:
        name = categorical_name(recipe, has_votes)
        if name in ("weighted_ce", "weighted_soft_ce"):
            weights = recipe.loss.class_weights
            if weights is None:
                weights = balanced_weights(class_counts)
            elif len(weights) != len(class_counts):
                raise RecipeError(
                    "loss.class_weights", f"has {len(weights)} values for {len(class_counts)} classes"
                )
            cat = ClassWeightedCrossEntropy(weights, soft=name == "weighted_soft_ce")
        else:
            makers: dict[str, Callable[[], nn.Module]] = {
                "soft_ce": SoftTargetCrossEntropy,
                "hard_ce": HardCrossEntropy,
                "softmax_bce": lambda: SoftmaxBCE(soft=False),
                "softmax_bce_soft": lambda: SoftmaxBCE(soft=True),
            }
            cat = makers[name]()
    dim = CCCLoss() if recipe.tasks.dims else None
    unknown = set(recipe.loss.weights) - {"categorical", "dimensional"}
    if unknown:
        raise RecipeError(
            f"loss.weights.{sorted(unknown)[0]}", "unknown task; use categorical and dimensional"
        )
    return MultiTaskLoss(cat, dim, dim_index, recipe.loss.weights)
