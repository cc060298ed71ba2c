"""Predict a test set with a loaded run: the per-utterance predictions table (``sercorpus.evaluate.predictions``).

The model's forward pass is the trainer's own (:func:`sercorpus.train.evaluation.predict`: eval mode, no
gradients, the run's precision); this module turns its rows into the table: softmax probabilities in the
run's class order, the view-projected label (null where the record has no in-view consensus), the soft
label where the record has votes, and truth and prediction for each dimension the model outputs.

``transform`` (robustness) rewrites each batch's audio before the model sees it, e.g. an augmentation
applied in memory with a fixed seed; its output must keep the batch's ids and sample rate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from sercorpus.core.schema import DIMENSIONS
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.predictions import Predictions, make_predictions
from sercorpus.evaluate.runners.evalsource import EvalSet
from sercorpus.evaluate.runners.runfolder import LoadedRun
from sercorpus.selection.views import get_view
from sercorpus.shards.batch import IGNORE_INDEX, Batch
from sercorpus.train.evaluation import predict

#: (audio [B, T], lengths [B], ids) -> (audio, lengths)
AudioTransform = Callable[[torch.Tensor, torch.Tensor, list[str]], tuple[torch.Tensor, torch.Tensor]]


def check_servable(run: LoadedRun, evalset: EvalSet) -> None:
    """Refuse a test set that gives the run's outputs nothing to be scored against (one-line error)."""
    view = get_view(run.view)
    labelled = sum(view.map_category(u.label) is not None for u in evalset.records) if run.classes else 0
    dims = {d: sum(getattr(u, d) is not None for u in evalset.records) for d in run.dims}
    if labelled or any(dims.values()):
        return
    wants = []
    if run.classes:
        wants.append(f"a label in view {run.view!r} ({', '.join(run.classes)})")
    if run.dims:
        wants.append(f"a value of {', '.join(run.dims)}")
    have = sorted({str(u.label) for u in evalset.records})[:8]
    raise EvaluationError(
        f"{evalset.spec.path}: none of its {len(evalset.records)} records has {' or '.join(wants)} "
        f"(labels present: {', '.join(have)}); the data cannot be scored for this model"
    )


class _Batches:
    """The iterable the trainer's ``predict`` walks; remembers each row's split."""

    def __init__(self, evalset: EvalSet, batch_size: int, view: str, transform: AudioTransform | None):
        self.evalset, self.batch_size, self.view, self.transform = evalset, batch_size, view, transform
        self.splits: dict[str, str | None] = {}
        self.genders: dict[str, str | None] = {}

    def __iter__(self) -> Iterator[Batch]:
        for batch, splits in self.evalset.batches(self.batch_size, self.view):
            self.splits.update(zip(batch.ids, splits, strict=True))
            self.genders.update(zip(batch.ids, batch.genders, strict=True))
            if self.transform is not None:
                audio, lengths = self.transform(batch.audio, batch.lengths, list(batch.ids))
                batch = dataclasses.replace(batch, audio=audio.float(), lengths=lengths.long())
            yield batch


def _probabilities(logits: list[list[float]]) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    if not np.isfinite(z).all():
        r = int(np.flatnonzero(~np.isfinite(z).all(axis=1))[0])
        raise EvaluationError(f"the model produced non-finite logits for row {r}; its weights are broken")
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p.astype(np.float32)


def predict_set(
    run: LoadedRun,
    evalset: EvalSet,
    batch_size: int = 16,
    transform: AudioTransform | None = None,
    top_k: int | None = None,
) -> Predictions:
    """Every decodable utterance of ``evalset`` through ``run``'s model, as a validated table."""
    check_servable(run, evalset)
    batches = _Batches(evalset, batch_size, run.view, transform)
    rows = predict(run.model, batches, run.device, run.precision)  # type: ignore[arg-type]
    if not rows:
        skipped = (
            f"; {len(evalset.skipped)} failed to decode, e.g. {evalset.skipped[0]}" if evalset.skipped else ""
        )
        raise EvaluationError(f"{evalset.spec.path}: the test set {evalset.name!r} is empty{skipped}")
    classes = run.classes
    kwargs: dict[str, Any] = {}
    if classes:
        kwargs["probabilities"] = _probabilities([r["logits"] for r in rows])
        kwargs["classes"] = classes
        kwargs["label"] = [classes[r["label"]] if r["label"] != IGNORE_INDEX else None for r in rows]
        if any(r["soft_mask"] for r in rows):
            kwargs["soft_label"] = [r["soft"] if r["soft_mask"] else None for r in rows]
        kwargs["top_k"] = top_k
    if run.dims:
        dims: dict[str, tuple[list[float | None], list[float | None]]] = {}
        for k, name in enumerate(run.dims):
            j = DIMENSIONS.index(name)
            truth = [r["dims"][j] if r["dims_mask"][j] else None for r in rows]
            dims[name] = (truth, [float(r["pred_dims"][k]) for r in rows])
        kwargs["dimensions"] = dims
    ids = [r["id"] for r in rows]
    return make_predictions(
        ids,
        [r["corpus"] for r in rows],
        speaker=[r["speaker"] for r in rows],
        gender=[batches.genders[i] for i in ids],
        split=[batches.splits[i] for i in ids],
        label_view=run.view,
        **kwargs,
    )
