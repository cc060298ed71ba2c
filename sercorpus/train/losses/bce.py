"""Softmax output with binary cross-entropy (Emmanouilidou et al.'s CNN14 setup, kept for parity).

The class probabilities come from a softmax and every class is scored as an independent binary target
(one-hot consensus by default, the vote distribution with ``soft=True``); mean over rows and classes."""

from __future__ import annotations

import torch
from torch import nn

from sercorpus.train.losses.common import class_targets, graph_zero

_EPS = 1e-7


class SoftmaxBCE(nn.Module):
    def __init__(self, soft: bool = False):
        super().__init__()
        self.soft = soft

    def forward(
        self, logits: torch.Tensor, labels: torch.Tensor, soft: torch.Tensor, soft_mask: torch.Tensor
    ) -> torch.Tensor:
        target, rows = class_targets(labels, soft, soft_mask, logits.shape[-1], self.soft)
        if not bool(rows.any()):
            return graph_zero(logits)
        p = torch.softmax(logits.float(), dim=-1)[rows].clamp(_EPS, 1.0 - _EPS)
        t = target[rows]
        return -(t * torch.log(p) + (1.0 - t) * torch.log1p(-p)).mean()
