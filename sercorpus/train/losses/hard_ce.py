"""Hard-label cross-entropy on the consensus class (rows without an in-view consensus are ignored)."""

from __future__ import annotations

import torch
from torch import nn

from sercorpus.train.losses.common import IGNORE, graph_zero


class HardCrossEntropy(nn.Module):
    def forward(
        self, logits: torch.Tensor, labels: torch.Tensor, soft: torch.Tensor, soft_mask: torch.Tensor
    ) -> torch.Tensor:
        if not bool((labels != IGNORE).any()):
            return graph_zero(logits)
        return nn.functional.cross_entropy(logits.float(), labels, ignore_index=IGNORE)
