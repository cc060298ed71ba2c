"""Every shipped recipe parses; every tiny variant passes all pre-training checks on the miniature corpora
(three of them are trained end to end in test_families / test_resume / test_ddp)."""

from __future__ import annotations

from pathlib import Path

import pytest
from trainhelp import REPO, TINY, tiny_overrides

from sercorpus.train.distributed import DistInfo
from sercorpus.train.recipe import load_recipe
from sercorpus.train.run import prepare

FULL = sorted(
    p
    for p in (REPO / "recipes" / "train").glob("*/*.yaml")
    if p.parent.name != "tiny" and not p.name.startswith("_")
)


@pytest.mark.parametrize("path", FULL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_full_recipe_parses_and_has_a_tiny_variant(path: Path) -> None:
    recipe = load_recipe(path)
    assert recipe.name and recipe.data.train and recipe.data.dev
    assert (TINY / f"{path.parent.name}_{path.stem}.yaml").is_file()


@pytest.mark.parametrize("path", sorted(TINY.glob("*.yaml")), ids=lambda p: p.stem)
def test_tiny_recipe_passes_every_check_on_the_miniatures(path: Path, mini: Path) -> None:
    recipe = load_recipe(path, tiny_overrides(mini))
    prepared = prepare(recipe, DistInfo())
    assert all(section.records for section in prepared.sections.values())


def test_augmentation_rates_are_a_parameter(mini: Path) -> None:
    path = TINY / "emmanouilidou_cnn14_msp.yaml"
    for rate in (0.0, 0.2, 0.5, 0.7, 1.0):
        recipe = load_recipe(path, tiny_overrides(mini, f"data.augment.rate={rate}"))
        assert recipe.data.augment.rate == rate and recipe.data.augment.config
