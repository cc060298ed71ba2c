"""Weighted multi-task sum: categorical loss on the logits plus dimensional loss on the A/V/D(/S) outputs.

The model predicts the dimensions listed in the recipe (``dims``); ``dim_index`` picks those columns out of
the batch's fixed [arousal, valence, dominance, sentiment] targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn


class MultiTaskLoss(nn.Module):
    def __init__(
        self,
        categorical: nn.Module | None,
        dimensional: nn.Module | None,
        dim_index: Sequence[int],
        weights: Mapping[str, float],
    ):
        super().__init__()
        if categorical is None and dimensional is None:
            raise ValueError("a multi-task loss needs a categorical or a dimensional part")
        self.categorical = categorical
        self.dimensional = dimensional
        self.dim_index = list(dim_index)
        self.w_cat = float(weights.get("categorical", 1.0))
        self.w_dim = float(weights.get("dimensional", 1.0))

    def forward(
        self, outputs: Mapping[str, torch.Tensor], batch: Any
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Total loss and its parts (as floats, for logging). ``batch`` carries the contract's target fields."""
        total: torch.Tensor | None = None
        parts: dict[str, float] = {}
        if self.categorical is not None:
            cat = self.categorical(
                outputs["logits"],
                batch.labels,
                batch.soft,
                batch.soft_mask,
            )
            parts["categorical"] = float(cat.detach())
            total = self.w_cat * cat
        if self.dimensional is not None:
            idx = self.dim_index
            dim = self.dimensional(
                outputs["dims"],
                batch.dims[:, idx],
                batch.dims_mask[:, idx],
            )
            parts["dimensional"] = float(dim.detach())
            total = self.w_dim * dim if total is None else total + self.w_dim * dim
        assert total is not None
        return total, parts
