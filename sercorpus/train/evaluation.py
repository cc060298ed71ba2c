"""Evaluation inside training: predict a section on every rank, gather the rows, keep each id once (never
pad, never count a repeat), and score dev/test with the in-loop metrics.

The loss reported for a section is computed on all its rows at once, so it does not depend on how the rows
were batched or split over ranks (CCC in particular is a set statistic)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch import nn

from sercorpus.core.atomic import write_text
from sercorpus.train.devmetrics import ccc, mean_ccc, uar
from sercorpus.train.distributed import DistInfo, dedupe_by_id, gather_objects
from sercorpus.train.losses.multitask import MultiTaskLoss
from sercorpus.train.precision import autocast
from sercorpus.train.sources import BatchSource, model_inputs


@torch.no_grad()
def predict(
    model: nn.Module, source: BatchSource, device: torch.device, precision: str
) -> list[dict[str, Any]]:
    """This rank's rows: id, corpus, speaker, targets and model outputs as plain lists."""
    was_training = model.training
    model.eval()
    rows: list[dict[str, Any]] = []
    try:
        for batch in source:
            b = batch.to(device)
            x, lengths = model_inputs(b)
            with autocast(precision, device):
                out = model(x, lengths)
            logits = out["logits"].float().cpu().numpy() if "logits" in out else None
            dims = out["dims"].float().cpu().numpy() if "dims" in out else None
            for i, ident in enumerate(batch.ids):
                rows.append(
                    {
                        "id": ident,
                        "corpus": batch.corpora[i],
                        "speaker": batch.speakers[i],
                        "label": int(batch.labels[i]),
                        "soft": batch.soft[i].tolist(),
                        "soft_mask": bool(batch.soft_mask[i]),
                        "dims": batch.dims[i].tolist(),
                        "dims_mask": batch.dims_mask[i].tolist(),
                        "logits": None if logits is None else logits[i].tolist(),
                        "pred_dims": None if dims is None else dims[i].tolist(),
                    }
                )
    finally:
        model.train(was_training)
    return rows


def gather_rows(info: DistInfo, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return dedupe_by_id(gather_objects(info, rows))


def score(
    rows: Sequence[dict[str, Any]], dims: Sequence[str], dim_index: Sequence[int], loss: MultiTaskLoss
) -> dict[str, float | int | None]:
    """Metrics of gathered rows: n, loss, uar (categories), ccc_<dim> and mean_ccc (dimensions)."""
    out: dict[str, float | int | None] = {"n": len(rows)}
    if not rows:
        return out
    batch = SimpleNamespace(
        labels=torch.tensor([r["label"] for r in rows], dtype=torch.int64),
        soft=torch.tensor([r["soft"] for r in rows], dtype=torch.float32),
        soft_mask=torch.tensor([r["soft_mask"] for r in rows], dtype=torch.bool),
        dims=torch.tensor([r["dims"] for r in rows], dtype=torch.float32),
        dims_mask=torch.tensor([r["dims_mask"] for r in rows], dtype=torch.bool),
    )
    outputs: dict[str, torch.Tensor] = {}
    if rows[0]["logits"] is not None:
        outputs["logits"] = torch.tensor([r["logits"] for r in rows], dtype=torch.float32)
    if rows[0]["pred_dims"] is not None:
        outputs["dims"] = torch.tensor([r["pred_dims"] for r in rows], dtype=torch.float32)
    total, _ = loss(outputs, batch)
    value = float(total)
    out["loss"] = value if np.isfinite(value) else None
    if "logits" in outputs:
        out["uar"] = uar(batch.labels.numpy(), outputs["logits"].argmax(dim=1).numpy())
    if "dims" in outputs:
        truth = batch.dims[:, list(dim_index)].numpy()
        mask = batch.dims_mask[:, list(dim_index)].numpy()
        pred = outputs["dims"].numpy()
        for k, name in enumerate(dims):
            out[f"ccc_{name}"] = ccc(truth[mask[:, k], k], pred[mask[:, k], k])
        out["mean_ccc"] = mean_ccc(truth, pred, mask)
    return out


def predictions_csv(
    rows: Sequence[dict[str, Any]], classes: Sequence[str], dims: Sequence[str], dim_index: Sequence[int]
) -> str:
    """One row per sample: truth, prediction, class probabilities, dimensional truth and prediction."""
    buf = io.StringIO()
    header = ["id", "corpus", "speaker", "label", "pred"] + [f"p_{c}" for c in classes]
    header += [f"{d}_{kind}" for d in dims for kind in ("true", "pred")]
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        line: list[Any] = [r["id"], r["corpus"], r["speaker"] or ""]
        if r["logits"] is not None:
            p = torch.softmax(torch.tensor(r["logits"]), dim=0).tolist()
            line += [classes[r["label"]] if r["label"] >= 0 else "", classes[int(np.argmax(p))]]
            line += [f"{v:.6f}" for v in p]
        else:
            line += [classes[r["label"]] if r["label"] >= 0 else "", ""] + [""] * len(classes)
        for k, j in enumerate(dim_index):
            true = f"{r['dims'][j]:.6f}" if r["dims_mask"][j] else ""
            pred = f"{r['pred_dims'][k]:.6f}" if r["pred_dims"] is not None else ""
            line += [true, pred]
        writer.writerow(line)
    return buf.getvalue()


def write_predictions(
    path: Any,
    rows: Sequence[dict[str, Any]],
    classes: Sequence[str],
    dims: Sequence[str],
    dim_index: Sequence[int],
) -> None:
    write_text(path, predictions_csv(rows, classes, dims, dim_index))
