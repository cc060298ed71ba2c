"""Soft-target cross-entropy against the vote distribution (the default where votes exist).

-sum_c q_c log p_c equals KL(q || p) plus the entropy of q, a constant, so it has KL's gradient; it is
reported as cross-entropy. Rows without votes fall back to their one-hot consensus; rows with neither are
left out."""

from __future__ import annotations

import torch
from torch import nn

from sercorpus.train.losses.common import graph_zero, soft_or_hard_targets


class SoftTargetCrossEntropy(nn.Module):
    def forward(
        self, logits: torch.Tensor, labels: torch.Tensor, soft: torch.Tensor, soft_mask: torch.Tensor
    ) -> torch.Tensor:
        target, rows = soft_or_hard_targets(labels, soft, soft_mask, logits.shape[-1])
        if not bool(rows.any()):
            return graph_zero(logits)
        logp = torch.log_softmax(logits.float(), dim=-1)
        per_row = -(target * logp).sum(dim=-1)
        return per_row[rows].mean()
