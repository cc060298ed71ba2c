"""Class-weighted cross-entropy, hard or soft: each class's term is scaled by a weight (by default the
"balanced" weight N / (C * n_c) of the training counts), so rare classes are not drowned by the majority.

The mean is normalised by the total weight of the targets (as torch's weighted ``cross_entropy`` does), so
the loss scale does not depend on the class mix of a batch."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from sercorpus.train.losses.common import class_targets, graph_zero


def balanced_weights(counts: Sequence[float]) -> list[float]:
    """N / (C * n_c) per class (scikit-learn's "balanced"); a class with no examples gets weight 0."""
    total = float(sum(counts))
    present = [c for c in counts if c > 0]
    if not present:
        raise ValueError("class weights need at least one class with examples")
    return [total / (len(present) * c) if c > 0 else 0.0 for c in counts]


class ClassWeightedCrossEntropy(nn.Module):
    def __init__(self, weights: Sequence[float], soft: bool = False):
        super().__init__()
        self.weights: torch.Tensor
        self.register_buffer("weights", torch.tensor(list(weights), dtype=torch.float32))
        self.soft = soft

    def forward(
        self, logits: torch.Tensor, labels: torch.Tensor, soft: torch.Tensor, soft_mask: torch.Tensor
    ) -> torch.Tensor:
        target, rows = class_targets(labels, soft, soft_mask, logits.shape[-1], self.soft)
        if not bool(rows.any()):
            return graph_zero(logits)
        w = self.weights.to(logits.device)
        logp = torch.log_softmax(logits.float(), dim=-1)
        weighted = target[rows] * w
        norm = weighted.sum()
        if float(norm) <= 0:
            return graph_zero(logits)
        return -(weighted * logp[rows]).sum() / norm
