"""Local model paths only: nothing is downloaded at run time, so a hub name is refused with a message saying
how to fetch it once, and a folder that is not a checkpoint is named as such."""

from __future__ import annotations

import re
from pathlib import Path

from sercorpus.train.errors import RecipeError

_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
WEIGHT_FILES = (
    "model.safetensors",
    "pytorch_model.bin",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)


def missing_path_error(key: str, value: str, what: str) -> RecipeError:
    if _HUB_NAME.match(value) and not value.startswith("."):
        return RecipeError(
            key,
            f"{value!r} does not exist locally and looks like a Hugging Face hub name; nothing is downloaded "
            f"at run time: fetch it once (e.g. `huggingface-cli download {value} --local-dir models/"
            f"{value.split('/')[-1]}`) and give that folder",
        )
    return RecipeError(key, f"{value}: {what} not found")


def transformers_checkpoint(value: str, key: str) -> Path:
    """A folder holding ``config.json`` and model weights, or a RecipeError naming ``key`` and the file."""
    path = Path(value).expanduser()
    if not path.exists():
        raise missing_path_error(key, value, "checkpoint folder")
    if not path.is_dir():
        raise RecipeError(
            key, f"{path}: a transformers checkpoint is a folder (config.json + weights), got a file"
        )
    if not (path / "config.json").is_file():
        raise RecipeError(key, f"{path}: not a transformers checkpoint (no config.json)")
    if not any((path / name).is_file() for name in WEIGHT_FILES):
        raise RecipeError(
            key, f"{path}: not a transformers checkpoint (no weights: one of {', '.join(WEIGHT_FILES)})"
        )
    return path


def torch_checkpoint_file(value: str, key: str) -> Path:
    path = Path(value).expanduser()
    if not path.exists():
        raise missing_path_error(key, value, "checkpoint file")
    if not path.is_file():
        raise RecipeError(key, f"{path}: expected a .pth checkpoint file, got a folder")
    return path
