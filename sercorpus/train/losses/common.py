"""Pieces every categorical loss shares: the target rows a batch can use and a graph-connected zero."""

from __future__ import annotations

import torch

IGNORE = -100


def graph_zero(t: torch.Tensor) -> torch.Tensor:
    """A zero that still depends on ``t``: a batch without usable targets yields a gradient of zeros
    (rather than none), which keeps DDP's gradient reduction in step across ranks."""
    return t.float().sum() * 0.0


def one_hot_rows(labels: torch.Tensor, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One-hot float targets for labels, and the mask of rows that have one (label != -100)."""
    valid = labels != IGNORE
    safe = torch.where(valid, labels, torch.zeros_like(labels))
    return torch.nn.functional.one_hot(safe, num_classes).float(), valid


def soft_or_hard_targets(
    labels: torch.Tensor, soft: torch.Tensor, soft_mask: torch.Tensor, num_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Vote distributions where a row has one, else the one-hot consensus; mask of rows with either."""
    hard, has_hard = one_hot_rows(labels, num_classes)
    target = torch.where(soft_mask[:, None], soft.float(), hard)
    return target, soft_mask | has_hard


def class_targets(
    labels: torch.Tensor, soft: torch.Tensor, soft_mask: torch.Tensor, num_classes: int, use_soft: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """The targets a loss trains on: vote distributions (falling back to one-hot) when ``use_soft``, else
    one-hot consensus labels; with the mask of rows that have a target."""
    if use_soft:
        return soft_or_hard_targets(labels, soft, soft_mask, num_classes)
    return one_hot_rows(labels, num_classes)
