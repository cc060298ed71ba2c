"""Pretrain -> finetune: the pretrained run's weights, exported in the form a training recipe can start from.

The training recipe has no "start from this run" key, but it does load local pretrained weights: CNN14
loads a trunk file (``model.pretrained``), SSL models a transformers folder (``model.encoder.pretrained``).
So the pretrained run's selected weights are exported once into ``RUN/export/`` and the fine-tuning recipe
points there. The trunk / encoder carries over; the head (hidden layer and outputs) starts fresh, which is
what fine-tuning on a new corpus does when its label view may differ. TC-GRU trains on a frozen encoder's
cached embeddings, so there is nothing to carry over that the recipe can take: it is refused.

The export's digest is written into the fine-tuning recipe's description, so the fine-tuning run's
settings (and its ``RUN.json``) change whenever the pretrained weights do, and a stale fine-tuned run is
never reused.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch

from sercorpus.core.atomic import write_bytes, write_text
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.runners.runfolder import file_sha256, load_run
from sercorpus.train.recipe import CNN14ModelSpec, Recipe, SSLModelSpec

EXPORT = "export"


def _current(folder: Path, sha: str) -> bool:
    stamp = folder / "source.json"
    try:
        return bool(json.loads(stamp.read_text(encoding="utf-8")).get("checkpoint_sha256") == sha)
    except (OSError, ValueError):
        return False


def export_init(pretrained_run: Path, recipe: Recipe) -> tuple[list[str], str]:
    """(recipe overrides that start from ``pretrained_run``, the source checkpoint's sha256)."""
    best = pretrained_run / "best.pt"
    if not best.is_file():
        raise EvaluationError(f"{pretrained_run}: the pretraining run has no best.pt; it has not finished")
    sha = file_sha256(best)
    folder = pretrained_run / EXPORT
    model_spec = recipe.model
    if isinstance(model_spec, CNN14ModelSpec):
        target = folder / "cnn14_trunk.pth"
        overrides = [f"model.pretrained={target.resolve()}"]
    elif isinstance(model_spec, SSLModelSpec):
        target = folder / "encoder"
        overrides = [
            f"model.encoder.pretrained={target.resolve()}",
            "model.encoder.config=null",
            "model.encoder.keep_layers=null",  # the export already has the pretrained run's layers
        ]
    else:
        raise EvaluationError(
            f"pretrain -> finetune needs a cnn14 or ssl recipe; {recipe.model.family} trains on a frozen "
            "encoder's cached embeddings and has no trainable trunk to carry over"
        )
    if not _current(folder, sha):
        run = load_run(pretrained_run, device="cpu")
        if isinstance(model_spec, CNN14ModelSpec):
            buf = io.BytesIO()
            torch.save({"model": run.model.state_dict()}, buf)
            write_bytes(target, buf.getvalue())
        else:
            run.model.encoder.save_pretrained(str(target), safe_serialization=True)  # type: ignore[union-attr,operator]
        write_text(
            folder / "source.json",
            json.dumps({"checkpoint": str(best.resolve()), "checkpoint_sha256": sha}, indent=2) + "\n",
        )
    return overrides, sha
