"""Pooled embedding -> one hidden layer -> a categorical output and/or dimensional outputs.

Wagner et al.'s head (mean pooling -> hidden -> output); with both tasks the hidden layer is shared, as in
Mitra et al.'s multi-task TC-GRU. Dimensional outputs are linear: the CCC loss matches their mean and
spread to the targets', so no squashing is needed."""

from __future__ import annotations

import torch
from torch import nn


class MultiTaskHead(nn.Module):
    def __init__(
        self,
        in_dim: int,
        num_classes: int,
        num_dims: int,
        hidden: int = 256,
        dropout: float = 0.1,
        activation: str = "tanh",
    ):
        super().__init__()
        if num_classes <= 0 and num_dims <= 0:
            raise ValueError("a head needs classes or dimensions to predict")
        self.hidden = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(in_dim, hidden), nn.Tanh() if activation == "tanh" else nn.ReLU()
        )
        self.drop = nn.Dropout(dropout)
        self.classes = nn.Linear(hidden, num_classes) if num_classes > 0 else None
        self.dims = nn.Linear(hidden, num_dims) if num_dims > 0 else None

    def forward(self, pooled: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.drop(self.hidden(pooled))
        out: dict[str, torch.Tensor] = {}
        if self.classes is not None:
            out["logits"] = self.classes(h)
        if self.dims is not None:
            out["dims"] = self.dims(h)
        return out
