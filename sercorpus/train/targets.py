"""Training targets of unified records through a label view, as aligned arrays (the batch contract's
``labels``/``soft``/``dims`` fields, computed from records instead of decoded samples).

Used where no audio batch is at hand: batches of cached embeddings, the checks that the data can serve the
recipe's tasks, and class counts for class weights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sercorpus.core.schema import DIMENSIONS, Utterance
from sercorpus.selection.views import LabelView, OutOfView, project_utterance

IGNORE = -100


@dataclass
class TargetTable:
    ids: list[str]
    classes: tuple[str, ...]
    labels: np.ndarray  # int64 [N], -100 where no in-view consensus
    soft: np.ndarray  # float32 [N, C]
    soft_mask: np.ndarray  # bool [N]
    dims: np.ndarray  # float32 [N, 4] in DIMENSIONS order
    dims_mask: np.ndarray  # bool [N, 4]

    def row(self, ident: str) -> int:
        return self._index[ident]

    def __post_init__(self) -> None:
        self._index = {ident: i for i, ident in enumerate(self.ids)}

    def class_counts(self) -> list[int]:
        valid = self.labels[self.labels != IGNORE]
        return [int((valid == c).sum()) for c in range(len(self.classes))]


def target_table(
    records: Sequence[Utterance], view: LabelView, out_of_view: OutOfView = OutOfView.RENORMALIZE
) -> TargetTable:
    n, c = len(records), len(view.classes)
    labels = np.full(n, IGNORE, dtype=np.int64)
    soft = np.zeros((n, c), dtype=np.float32)
    soft_mask = np.zeros(n, dtype=bool)
    dims = np.zeros((n, len(DIMENSIONS)), dtype=np.float32)
    dims_mask = np.zeros((n, len(DIMENSIONS)), dtype=bool)
    index = {name: i for i, name in enumerate(view.classes)}
    for i, utt in enumerate(records):
        for k, name in enumerate(DIMENSIONS):
            value = getattr(utt, name)
            if value is not None:
                dims[i, k], dims_mask[i, k] = value, True
        seen = project_utterance(utt, view, out_of_view)
        if seen is None:
            continue
        if seen.label is not None:
            labels[i] = index[seen.label]
        if seen.soft_label:
            for name, weight in seen.soft_label.items():
                soft[i, index[name]] = weight
            soft_mask[i] = True
    return TargetTable([u.id for u in records], view.classes, labels, soft, soft_mask, dims, dims_mask)
