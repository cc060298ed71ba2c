"""Optimiser and learning-rate schedule from the recipe (Adam 1e-4 for SSL fine-tuning; SGD Nesterov 0.9 at
0.01 for CNN14 from scratch; Adam 5e-4 for TC-GRU). Schedules are LambdaLR functions of the optimiser step,
so their state is only the step count and resumes exactly."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from sercorpus.train.recipe import OptimSpec, ScheduleSpec


def build_optimizer(params: Iterable[torch.nn.Parameter], spec: OptimSpec) -> torch.optim.Optimizer:
    trainable = [p for p in params if p.requires_grad]
    if not trainable:
        raise ValueError("model: no trainable parameters (everything is frozen)")
    if spec.name == "sgd":
        return torch.optim.SGD(
            trainable,
            lr=spec.lr,
            momentum=spec.momentum,
            nesterov=spec.nesterov,
            weight_decay=spec.weight_decay,
        )
    cls = torch.optim.AdamW if spec.name == "adamw" else torch.optim.Adam
    return cls(trainable, lr=spec.lr, betas=(spec.betas[0], spec.betas[1]), weight_decay=spec.weight_decay)


def build_scheduler(
    optimizer: torch.optim.Optimizer, spec: ScheduleSpec, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    warm = spec.warmup_steps
    total = max(total_steps, 1)

    def factor(step: int) -> float:
        if warm and step < warm:
            return (step + 1) / warm
        if spec.name == "constant":
            return 1.0
        progress = min(1.0, (step - warm) / max(total - warm, 1))
        if spec.name == "linear":
            return max(0.0, 1.0 - progress)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
