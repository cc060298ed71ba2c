"""CCC loss for dimensional targets: 1 - mean over targets of the batch concordance correlation.

Mitra et al. write L = -(1/N) sum_i CCC_i; adding 1 changes nothing but makes 0 the perfect score.
CCC is a batch statistic (it depends on the batch's mean and variance), so it is computed per rank on the
local batch under DDP; keep the per-rank batch near the published 32. A target column with fewer than two
valid rows in the batch is left out."""

from __future__ import annotations

import torch
from torch import nn

from sercorpus.train.losses.common import graph_zero

_EPS = 1e-8


def batch_ccc(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CCC of two 1-D tensors with population moments (matches :func:`sercorpus.train.devmetrics.ccc`)."""
    mp, mt = pred.mean(), target.mean()
    vp, vt = pred.var(unbiased=False), target.var(unbiased=False)
    cov = ((pred - mp) * (target - mt)).mean()
    return 2.0 * cov / (vp + vt + (mp - mt) ** 2 + _EPS)


class CCCLoss(nn.Module):
    def forward(self, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pred, target = pred.float(), target.float()
        scores = [
            batch_ccc(pred[mask[:, k], k], target[mask[:, k], k])
            for k in range(pred.shape[1])
            if int(mask[:, k].sum()) >= 2
        ]
        if not scores:
            return graph_zero(pred)
        return 1.0 - torch.stack(scores).mean()
