"""The training batch: what the loader yields and the trainer consumes (see notes/BATCH_CONTRACT.md).

One decoded record is a :class:`Sample`; :func:`collate` pads samples into a :class:`Batch` and projects
their labels through a label view, so the class order, the soft targets and the "no consensus" marker
(-100, what ``torch.nn.functional.cross_entropy`` ignores) are decided here once and not in every recipe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from sercorpus.core.schema import DIMENSIONS
from sercorpus.core.votes import soft_from_votes
from sercorpus.selection.views import LabelView, get_view, project_votes

#: hard-label value where a sample has no in-view consensus (ignored by cross_entropy's default)
IGNORE_INDEX = -100


@dataclass
class Sample:
    """One decoded record: mono float32 audio plus the utterance fields training needs."""

    id: str
    audio: np.ndarray
    sample_rate: int
    corpus: str
    source_id: str | None = None
    copy: int = 0
    speaker: str | None = None
    gender: str | None = None
    split: str | None = None
    label: str | None = None
    votes: dict[str, float] = field(default_factory=dict)
    soft_label: dict[str, float] = field(default_factory=dict)
    arousal: float | None = None
    valence: float | None = None
    dominance: float | None = None
    sentiment: float | None = None
    transcript: str | None = None
    augmentation: dict[str, Any] | None = None

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass
class Batch:
    """A padded batch of samples with their targets in one label view's class order."""

    ids: list[str]
    audio: torch.Tensor  # float32 [B, T], mono, zero-padded to the longest in the batch
    lengths: torch.Tensor  # int64 [B]
    sample_rate: int
    classes: tuple[str, ...]
    labels: torch.Tensor  # int64 [B]; IGNORE_INDEX where no in-view consensus
    soft: torch.Tensor  # float32 [B, C]; rows sum to 1, zeros where none
    soft_mask: torch.Tensor  # bool [B]
    dims: torch.Tensor  # float32 [B, 4] arousal, valence, dominance, sentiment in [0, 1]; 0 where absent
    dims_mask: torch.Tensor  # bool [B, 4]
    speakers: list[str | None]
    genders: list[str | None]
    corpora: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """The same batch with every tensor on ``device`` (lists are shared, not copied)."""
        return self._map(lambda t: t.to(device, non_blocking=non_blocking))

    def _map(self, move: Callable[[torch.Tensor], torch.Tensor]) -> Batch:
        return Batch(
            self.ids,
            move(self.audio),
            move(self.lengths),
            self.sample_rate,
            self.classes,
            move(self.labels),
            move(self.soft),
            move(self.soft_mask),
            move(self.dims),
            move(self.dims_mask),
            self.speakers,
            self.genders,
            self.corpora,
        )

    def pin_memory(self) -> Batch:
        """Page-locked copies of the tensors (DataLoader's ``pin_memory=True`` calls this)."""
        return self._map(lambda t: t.pin_memory())

    def attention_mask(self) -> torch.Tensor:
        """bool [B, T]: True on valid samples."""
        T = self.audio.shape[-1]
        return torch.arange(T, device=self.lengths.device)[None, :] < self.lengths[:, None]


def soft_target(sample: Sample, view: LabelView) -> dict[str, float]:
    """The sample's soft label in ``view`` (from votes when present, else from the stored soft label)."""
    source = sample.votes or sample.soft_label
    projected = project_votes(source, view)
    return soft_from_votes(projected or {})


def collate(samples: list[Sample], view: LabelView | str) -> Batch:
    """Pad ``samples`` into a :class:`Batch` with targets projected through ``view``."""
    view = get_view(view) if isinstance(view, str) else view
    if not samples:
        raise ValueError("collate: no samples")
    rates = {s.sample_rate for s in samples}
    if len(rates) != 1:
        raise ValueError(f"collate: samples have different sample rates {sorted(rates)}; resample first")
    B, C = len(samples), len(view.classes)
    lens = [len(s.audio) for s in samples]
    audio = torch.zeros(B, max(max(lens), 1), dtype=torch.float32)
    for i, s in enumerate(samples):
        audio[i, : lens[i]] = torch.from_numpy(np.ascontiguousarray(s.audio, dtype=np.float32))
    index = {c: i for i, c in enumerate(view.classes)}
    labels = torch.full((B,), IGNORE_INDEX, dtype=torch.int64)
    soft = torch.zeros(B, C, dtype=torch.float32)
    soft_mask = torch.zeros(B, dtype=torch.bool)
    dims = torch.zeros(B, len(DIMENSIONS), dtype=torch.float32)
    dims_mask = torch.zeros(B, len(DIMENSIONS), dtype=torch.bool)
    for i, s in enumerate(samples):
        mapped = view.map_category(s.label)
        if mapped is not None:
            labels[i] = index[mapped]
        target = soft_target(s, view)
        if target:
            soft[i] = torch.tensor([target.get(c, 0.0) for c in view.classes], dtype=torch.float32)
            soft_mask[i] = True
        for j, name in enumerate(DIMENSIONS):
            value = getattr(s, name)
            if value is not None:
                dims[i, j] = float(value)
                dims_mask[i, j] = True
    return Batch(
        ids=[s.id for s in samples],
        audio=audio,
        lengths=torch.tensor(lens, dtype=torch.int64),
        sample_rate=rates.pop(),
        classes=tuple(view.classes),
        labels=labels,
        soft=soft,
        soft_mask=soft_mask,
        dims=dims,
        dims_mask=dims_mask,
        speakers=[s.speaker for s in samples],
        genders=[s.gender for s in samples],
        corpora=[s.corpus for s in samples],
    )
