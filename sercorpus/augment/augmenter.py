"""The top level of augmentation: an op tree plus the rate (fraction of utterances augmented at all), with
per-example provenance that is enough to replay an output exactly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sercorpus.augment.batch import Batch, entry_batch
from sercorpus.augment.compose import children_of
from sercorpus.augment.config import parse_config
from sercorpus.augment.execution import run_examples
from sercorpus.augment.node import Node, Records, check_records
from sercorpus.augment.params import check_number
from sercorpus.augment.rng import ExampleRNG, derive_seed, example_seeds


@dataclass
class AugmentOutput:
    x: torch.Tensor
    lengths: torch.Tensor
    provenance: list[dict[str, Any]]


class Augmenter:
    """The top level: an op tree plus the augmentation rate (fraction of utterances augmented at all).

    ``augmenter(x, lengths, ids, copy=k, seed=s)`` augments a padded batch; the provenance per example
    records its ids, seeds, whether it was augmented, every op's parameters (JSON-able) and the spec of the
    whole augmenter, enough to reproduce the output exactly: :meth:`replay`.
    """

    def __init__(self, op: Node, rate: float = 1.0, sample_rate: int = 16000) -> None:
        self.op = op
        self.rate = check_number("augmenter", "rate", rate, 0.0, 1.0)
        self.sample_rate = int(check_number("augmenter", "sample_rate", sample_rate, 1000, 384000))

    @property
    def domain(self) -> str:
        return self.op.domain

    def spec(self) -> dict[str, Any]:
        """The augmenter as a config mapping (``load_config`` accepts it; paths are absolute)."""
        tree = self.op.spec()
        return {"sample_rate": self.sample_rate, "rate": self.rate, **tree}

    def forward(
        self,
        batch: Batch,
        seeds: Sequence[int],
        measure: bool = False,
        records: Records = None,
        workers: int = 1,
    ) -> tuple[Batch, list[dict[str, Any]]]:
        check_records("augmenter", records, batch.size)
        if records is not None:
            chosen = [bool(r["augmented"]) for r in records]
        else:
            chosen = [bool(ExampleRNG(derive_seed(s, "rate")).random() < self.rate) for s in seeds]
        rows = [i for i, c in enumerate(chosen) if c]
        prov: list[dict[str, Any]] = [
            {"augmented": c, "example_seed": s} for c, s in zip(chosen, seeds, strict=True)
        ]
        if rows:
            child = children_of(records, rows, "ops")
            sub, sub_prov = run_examples(
                self.op, batch.select(rows), [seeds[i] for i in rows], measure, child, workers
            )
            batch = batch.merge(rows, sub)
            for r, p in zip(rows, sub_prov, strict=True):
                prov[r]["ops"] = p
        return batch, prov

    def __call__(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor | Sequence[int],
        ids: Sequence[str],
        copy: int | Sequence[int] = 0,
        seed: int = 0,
        measure: bool = False,
        sample_rate: int | None = None,
        workers: int = 1,
    ) -> AugmentOutput:
        """Augment a padded batch; ``workers`` CPU threads share the examples (the bytes do not change)."""
        batch = entry_batch(x, lengths, sample_rate or self.sample_rate, ids)
        copies = [copy] * batch.size if isinstance(copy, int) else list(copy)
        seeds = example_seeds(seed, list(ids), copies)
        out, prov = self.forward(batch, seeds, measure, workers=workers)
        spec = self.spec()
        for p, utt, c in zip(prov, ids, copies, strict=True):
            p.update({"id": utt, "copy": c, "seed": seed, "spec": spec})
        return AugmentOutput(out.x, out.lengths, prov)

    @classmethod
    def from_config(
        cls, config: str | Path | Mapping[str, Any], resources: Mapping[str, Any] | None = None
    ) -> Augmenter:
        """A YAML file or a parsed mapping (e.g. an :meth:`spec`) -> :class:`Augmenter`."""
        tree, rate, sample_rate = parse_config(config, resources)
        return cls(tree, rate=rate, sample_rate=sample_rate)

    @classmethod
    def replay(
        cls,
        provenance: Mapping[str, Any],
        audio: np.ndarray | torch.Tensor | None = None,
        device: str = "cpu",
    ) -> np.ndarray:
        """The output an augmenter produced, recomputed from its provenance alone (the JSON beside an output
        file, or one entry of :attr:`AugmentOutput.provenance`): the augmenter is rebuilt from the recorded
        spec and every decision and parameter is read from the record, none drawn.

        ``audio``: the input samples at the spec's rate; when omitted they are decoded from the record's
        ``source`` (as ``augment_files`` read them).
        """
        if "spec" not in provenance:
            raise ValueError("replay: the provenance has no 'spec' (written by an older engine version)")
        aug = cls.from_config(provenance["spec"])
        if audio is None:
            from sercorpus.augment.inputs import item_from_provenance, load_item

            audio, _ = load_item(item_from_provenance(provenance), aug.sample_rate)
        y = torch.as_tensor(np.asarray(audio, dtype=np.float32))[None].to(device)
        batch = entry_batch(y, [y.shape[-1]], aug.sample_rate, [str(provenance.get("id", "replay"))])
        with torch.inference_mode():
            out, _ = aug.forward(batch, [int(provenance["example_seed"])], False, [provenance])
        return out.x[0, ..., : out.lens[0]].detach().to("cpu", torch.float32).numpy().copy()

    def __repr__(self) -> str:
        return f"Augmenter(rate={self.rate}, sample_rate={self.sample_rate}, op={self.op!r})"


def load_config(
    config: str | Path | Mapping[str, Any],
    resources: Mapping[str, Any] | None = None,
) -> Augmenter:
    """A YAML file (or an already-parsed mapping, e.g. an :meth:`Augmenter.spec`) -> :class:`Augmenter`."""
    return Augmenter.from_config(config, resources)
