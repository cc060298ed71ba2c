"""Losses against torch's own implementations and the metric they optimise."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from sercorpus.train.devmetrics import ccc
from sercorpus.train.losses.bce import SoftmaxBCE
from sercorpus.train.losses.ccc import CCCLoss
from sercorpus.train.losses.hard_ce import HardCrossEntropy
from sercorpus.train.losses.multitask import MultiTaskLoss
from sercorpus.train.losses.soft_ce import SoftTargetCrossEntropy
from sercorpus.train.losses.weighted_ce import ClassWeightedCrossEntropy, balanced_weights

G = torch.Generator().manual_seed(0)
LOGITS = torch.randn(6, 4, generator=G)
SOFT = torch.softmax(torch.randn(6, 4, generator=G), dim=1)
LABELS = torch.tensor([0, 1, -100, 3, 2, -100])
MASK = torch.tensor([True, False, True, True, False, False])  # row 5: neither votes nor label


def test_soft_ce_uses_votes_then_one_hot_and_leaves_out_rows_with_neither() -> None:
    loss = SoftTargetCrossEntropy()(LOGITS, LABELS, SOFT, MASK)
    target = torch.where(MASK[:, None], SOFT, torch.nn.functional.one_hot(LABELS.clamp(min=0), 4).float())
    rows = torch.tensor([0, 1, 2, 3, 4])
    expected = torch.nn.functional.cross_entropy(LOGITS[rows], target[rows])  # probability targets
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)
    # KL(q || p) differs from it by q's entropy only
    logp = torch.log_softmax(LOGITS[MASK], 1)
    kl = torch.nn.functional.kl_div(logp, SOFT[MASK], reduction="batchmean")
    entropy = -(SOFT[MASK] * SOFT[MASK].log()).sum(1).mean()
    only_votes = SoftTargetCrossEntropy()(LOGITS[MASK], LABELS[MASK], SOFT[MASK], MASK[MASK])
    assert float(only_votes) == pytest.approx(float(kl + entropy), rel=1e-5)


def test_hard_and_weighted_ce_match_torch() -> None:
    assert float(HardCrossEntropy()(LOGITS, LABELS, SOFT, MASK)) == pytest.approx(
        float(torch.nn.functional.cross_entropy(LOGITS, LABELS, ignore_index=-100)), rel=1e-6
    )
    w = [0.5, 2.0, 1.0, 3.0]
    expected = torch.nn.functional.cross_entropy(LOGITS, LABELS, weight=torch.tensor(w), ignore_index=-100)
    assert float(ClassWeightedCrossEntropy(w)(LOGITS, LABELS, SOFT, MASK)) == pytest.approx(
        float(expected), rel=1e-6
    )


def test_balanced_weights_match_sklearn() -> None:
    y = np.array([0] * 10 + [1] * 30 + [2] * 5 + [3] * 55)
    counts = np.bincount(y).tolist()
    assert balanced_weights(counts) == pytest.approx(
        compute_class_weight("balanced", classes=np.arange(4), y=y)
    )
    assert balanced_weights([4, 0, 4])[1] == 0.0


def test_softmax_bce_matches_torch_bce_on_softmax() -> None:
    rows = LABELS != -100
    p = torch.softmax(LOGITS[rows], 1)
    onehot = torch.nn.functional.one_hot(LABELS[rows], 4).float()
    expected = torch.nn.functional.binary_cross_entropy(p, onehot)
    assert float(SoftmaxBCE()(LOGITS, LABELS, SOFT, MASK)) == pytest.approx(float(expected), rel=1e-5)


def test_ccc_loss_is_one_minus_mean_ccc_over_valid_rows() -> None:
    pred = torch.randn(8, 2, generator=G)
    target = torch.rand(8, 2, generator=G)
    mask = torch.ones(8, 2, dtype=torch.bool)
    mask[5:, 1] = False
    loss = CCCLoss()(pred, target, mask)
    c0 = ccc(target[:, 0].numpy(), pred[:, 0].numpy())
    c1 = ccc(target[:5, 1].numpy(), pred[:5, 1].numpy())
    assert float(loss) == pytest.approx(1 - (c0 + c1) / 2, abs=1e-5)


def test_empty_targets_give_a_zero_that_still_has_gradients() -> None:
    logits = LOGITS.clone().requires_grad_(True)
    none = torch.full((6,), -100)
    loss = SoftTargetCrossEntropy()(logits, none, SOFT, torch.zeros(6, dtype=torch.bool))
    loss.backward()
    assert loss.item() == 0.0 and logits.grad is not None and float(logits.grad.abs().sum()) == 0.0


def test_multitask_sum_weights_parts_and_picks_dimension_columns() -> None:
    dims = torch.rand(6, 4, generator=G)
    batch = SimpleNamespace(
        labels=LABELS, soft=SOFT, soft_mask=MASK, dims=dims, dims_mask=torch.ones(6, 4, dtype=torch.bool)
    )
    out = {"logits": LOGITS, "dims": torch.randn(6, 2, generator=G)}
    loss = MultiTaskLoss(HardCrossEntropy(), CCCLoss(), [0, 2], {"categorical": 0.5, "dimensional": 2.0})
    total, parts = loss(out, batch)
    ccc_part = CCCLoss()(out["dims"], dims[:, [0, 2]], torch.ones(6, 2, dtype=torch.bool))
    assert parts["dimensional"] == pytest.approx(float(ccc_part), rel=1e-6)
    assert float(total) == pytest.approx(0.5 * parts["categorical"] + 2.0 * parts["dimensional"], rel=1e-6)
