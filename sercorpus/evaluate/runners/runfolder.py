"""A finished training run (or one of its checkpoints) as a model ready to predict.

``sercorpus evaluate`` accepts a run folder or a checkpoint file. A run folder uses its selected weights
(``best.pt``, which the trainer writes when it finishes; else the single file in ``best/``). A checkpoint
file (``best.pt``, ``best/step-N.pt``, ``checkpoints/step-N.pt``) names its run folder by where it lies.
The model is rebuilt from the run's resolved ``recipe.yaml`` and ``labels.json`` (class order, dimensions),
then the weights are loaded strictly, so a file from another architecture fails with its name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.train.checkpoint import load_state
from sercorpus.train.distributed import pick_device
from sercorpus.train.models.build import build_audio_model
from sercorpus.train.precision import resolve_precision
from sercorpus.train.recipe import DIMENSION_NAMES, Recipe, TCGRUModelSpec, load_recipe

RECIPE_FILE = "recipe.yaml"
LABELS_FILE = "labels.json"
BEST_FILE = "best.pt"


@dataclass
class LoadedRun:
    """A run's model on its device, with what a prediction needs to be read back."""

    run_dir: Path
    checkpoint: Path
    checkpoint_sha256: str
    recipe: Recipe
    view: str
    classes: tuple[str, ...]  # empty: the model predicts no categories
    dims: tuple[str, ...]  # the model's dimensional outputs, in output order
    model: nn.Module
    device: torch.device
    precision: str
    sample_rate: int

    @property
    def name(self) -> str:
        return self.recipe.name


def _is_run_dir(folder: Path) -> bool:
    return (folder / RECIPE_FILE).is_file() and (folder / LABELS_FILE).is_file()


def resolve_checkpoint(run_or_checkpoint: str | Path) -> tuple[Path, Path]:
    """(run folder, checkpoint file) for a run folder or a checkpoint inside one; errors are one line."""
    path = Path(run_or_checkpoint).expanduser()
    if not path.exists():
        raise EvaluationError(f"{path}: no such run folder or checkpoint file")
    if path.is_dir():
        if not _is_run_dir(path):
            raise EvaluationError(
                f"{path}: not a training run folder (no {RECIPE_FILE} + {LABELS_FILE}; made by `sercorpus train`?)"
            )
        best = path / BEST_FILE
        if best.is_file():
            return path, best
        candidates = sorted((path / "best").glob("step-*.pt"))
        if len(candidates) == 1:
            return path, candidates[0]
        latest = sorted((path / "checkpoints").glob("step-*.pt"))
        hint = f"; pass a checkpoint file explicitly (e.g. {latest[-1]})" if latest else ""
        raise EvaluationError(
            f"{path}: no selected checkpoint ({BEST_FILE} or one best/step-*.pt): the run has not finished{hint}"
        )
    for folder in (path.parent, path.parent.parent):
        if _is_run_dir(folder):
            return folder, path
    raise EvaluationError(f"{path}: a checkpoint must lie in a run folder (best.pt, best/ or checkpoints/)")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _labels(run_dir: Path) -> dict[str, Any]:
    path = run_dir / LABELS_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"{path}: unreadable ({exc})") from None
    if not isinstance(info, dict) or "view" not in info or "classes" not in info:
        raise EvaluationError(f"{path}: not a run's labels.json (needs view and classes)")
    return info


def _weights(checkpoint: Path) -> dict[str, Any]:
    try:
        blob = load_state(checkpoint)
    except Exception as exc:  # torch raises several unrelated types for a non-checkpoint
        raise EvaluationError(
            f"{checkpoint}: not a readable checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    state = blob.get("model") if isinstance(blob, dict) else None
    if not isinstance(state, dict):
        raise EvaluationError(f"{checkpoint}: holds no model weights (expected a 'model' state dict)")
    return state


def build_model(run_dir: Path, recipe: Recipe, n_classes: int, n_dims: int) -> nn.Module:
    """The run's architecture with fresh weights (the checkpoint overwrites them)."""
    if isinstance(recipe.model, TCGRUModelSpec):
        from sercorpus.evaluate.runners.tcgru_audio import build_tcgru_on_audio

        return build_tcgru_on_audio(run_dir, recipe, n_classes, n_dims)
    return build_audio_model(recipe, n_classes, n_dims)


def load_run(run_or_checkpoint: str | Path, device: str = "auto") -> LoadedRun:
    """Rebuild the run's model, load its selected (or the given) weights, and put it in eval mode."""
    run_dir, checkpoint = resolve_checkpoint(run_or_checkpoint)
    recipe = load_recipe(run_dir / RECIPE_FILE)
    info = _labels(run_dir)
    categories = bool(info.get("categories", recipe.tasks.categories))
    classes = tuple(info["classes"]) if categories else ()
    dims = tuple(info.get("dims", recipe.dims))
    unknown = [d for d in dims if d not in DIMENSION_NAMES]
    if unknown:
        raise EvaluationError(f"{run_dir / LABELS_FILE}: unknown dimensions {unknown}")
    try:
        dev = pick_device(device)
        precision = resolve_precision(recipe.trainer.precision, dev)
    except ValueError as exc:
        raise EvaluationError(f"--device {device}: {exc}") from None
    state = _weights(checkpoint)
    with torch.random.fork_rng(devices=[]):  # fresh weights are overwritten; leave the caller's RNG alone
        model = build_model(run_dir, recipe, len(classes), len(dims))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise EvaluationError(f"{checkpoint}: weights do not fit the run's recipe ({first})") from None
    model.to(dev).eval()
    return LoadedRun(
        run_dir=run_dir,
        checkpoint=checkpoint,
        checkpoint_sha256=file_sha256(checkpoint),
        recipe=recipe,
        view=str(info["view"]),
        classes=classes,
        dims=dims,
        model=model,
        device=dev,
        precision=precision,
        sample_rate=recipe.data.sample_rate,
    )
