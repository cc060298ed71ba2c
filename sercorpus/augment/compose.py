"""Composition: a chain with per-op probabilities and one-of choices.

Seeds flow down the tree: the example seed (from seed, utterance id, copy) -> one seed per chain position
or one-of branch -> the op's generator. Every decision an example meets is therefore a function of that
example alone, whatever else is in its batch. Nothing here knows a concrete op: FFT sharing goes by the
roles ops declare (:mod:`sercorpus.augment.fftshare`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sercorpus.augment.batch import Batch
from sercorpus.augment.fftshare import apply_shared, shareable_run
from sercorpus.augment.node import Node, Records, check_records
from sercorpus.augment.op import Op
from sercorpus.augment.params import check_number
from sercorpus.augment.rng import ExampleRNG, derive_seed, derive_seeds


def _domain_of(ops: Sequence[Node], label: str) -> str:
    domains = {op.domain for op in ops}
    if len(domains) > 1:
        raise ValueError(
            f"{label}: cannot mix waveform and feature ops in one composition ({sorted(domains)})"
        )
    return domains.pop() if domains else "waveform"


def children_of(records: Records, rows: Sequence[int], key: str, k: int | None = None) -> Records:
    """The child records of ``rows`` (``record[key]``, or ``record[key][k]``) when replaying."""
    if records is None:
        return None
    return [records[i][key] if k is None else records[i][key][k] for i in rows]


class Chain(Node):
    """Apply ``ops`` in order (each with its own ``p``); the whole chain applies with probability ``p``.

    With ``fuse_filters``, a convolution op directly followed by spectral filters, and adjacent spectral
    filters, share FFTs (same parameters and provenance as running them one by one; see
    :mod:`sercorpus.augment.fftshare` for the audio difference at the very end of a reverb tail).
    """

    name = "chain"

    def __init__(self, ops: Sequence[Node], p: float = 1.0, fuse_filters: bool = True) -> None:
        self.p = check_number("chain", "p", p, 0.0, 1.0)
        self.ops = list(ops)
        for op in self.ops:
            if not isinstance(op, Node):
                raise ValueError(f"chain: {op!r} is not an op")
        self.domain = _domain_of(self.ops, "chain")
        if not isinstance(fuse_filters, bool):
            raise ValueError(f"chain: fuse_filters={fuse_filters!r} must be true or false")
        self.fuse_filters = fuse_filters

    def spec(self) -> dict[str, Any]:
        return {"chain": [op.spec() for op in self.ops], "p": self.p, "fuse_filters": self.fuse_filters}

    def _run(self, j: int) -> list[int]:
        """Indices from j that share FFTs (just [j] without ``fuse_filters``)."""
        return shareable_run(self.ops, j) if self.fuse_filters else [j]

    def forward(
        self, batch: Batch, seeds: Sequence[int], measure: bool = False, records: Records = None
    ) -> tuple[Batch, list[dict[str, Any]]]:
        check_records(self.label, records, batch.size)
        if records is not None:
            applied = [bool(r["applied"]) for r in records]
        else:
            applied = [bool(ExampleRNG(derive_seed(s, "p")).random() < self.p) for s in seeds]
        rows = [i for i, a in enumerate(applied) if a]
        prov: list[dict[str, Any]] = [{"op": self.label, "applied": a, "ops": []} for a in applied]
        if not rows:
            return batch, prov
        sub = batch.select(rows)
        sub_seeds = [seeds[i] for i in rows]
        j = 0
        while j < len(self.ops):
            run = self._run(j)
            if len(run) > 1:
                leaves = [self.ops[k] for k in run]  # only leaf ops declare an FFT role
                assert all(isinstance(op, Op) for op in leaves)
                decided = [
                    op.decide(derive_seeds(sub_seeds, k), sub, children_of(records, rows, "ops", k))  # type: ignore[attr-defined]
                    for op, k in zip(leaves, run, strict=True)
                ]
                sub = apply_shared(leaves, decided, sub)  # type: ignore[arg-type]
                run_prov = [op.provenance(d) for op, d in zip(leaves, decided, strict=True)]  # type: ignore[attr-defined]
            else:
                child = children_of(records, rows, "ops", j)
                sub, op_prov = self.ops[j].forward(sub, derive_seeds(sub_seeds, j), measure, child)
                run_prov = [op_prov]
            for op_prov in run_prov:
                for r, p in zip(rows, op_prov, strict=True):
                    prov[r]["ops"].append(p)
            j += len(run)
        return batch.merge(rows, sub), prov

    def __repr__(self) -> str:
        return f"Chain(p={self.p}, ops={self.ops!r})"


class OneOf(Node):
    """Apply exactly one of ``ops`` per example (chosen with ``weights``), with probability ``p``."""

    name = "one_of"

    def __init__(self, ops: Sequence[Node], weights: Sequence[float] | None = None, p: float = 1.0) -> None:
        self.p = check_number("one_of", "p", p, 0.0, 1.0)
        self.ops = list(ops)
        if not self.ops:
            raise ValueError("one_of: needs at least one op")
        self.domain = _domain_of(self.ops, "one_of")
        if weights is None:
            weights = [1.0] * len(self.ops)
        if not isinstance(weights, (list, tuple)):
            raise ValueError(f"one_of: weights={weights!r} must be a list of numbers")
        if len(weights) != len(self.ops):
            raise ValueError(f"one_of: {len(weights)} weights for {len(self.ops)} ops")
        w = [check_number("one_of", f"weights[{i}]", v, 0.0, 1e9) for i, v in enumerate(weights)]
        if sum(w) <= 0:
            raise ValueError("one_of: weights must not all be 0")
        self.raw_weights = w
        self.weights = [v / sum(w) for v in w]

    def spec(self) -> dict[str, Any]:
        return {"one_of": [op.spec() for op in self.ops], "weights": self.raw_weights, "p": self.p}

    def forward(
        self, batch: Batch, seeds: Sequence[int], measure: bool = False, records: Records = None
    ) -> tuple[Batch, list[dict[str, Any]]]:
        check_records(self.label, records, batch.size)
        choice: list[int | None] = []
        if records is not None:
            choice = [int(r["choice"]) if r["applied"] else None for r in records]
        else:
            for s in seeds:
                rng = ExampleRNG(derive_seed(s, "one_of"))
                applied = rng.random() < self.p
                pick = rng.choice(len(self.ops), p=self.weights)
                choice.append(pick if applied else None)
        prov: list[dict[str, Any]] = [{"op": self.label, "applied": c is not None} for c in choice]
        for k, op in enumerate(self.ops):
            rows = [i for i, c in enumerate(choice) if c == k]
            if not rows:
                continue
            child = children_of(records, rows, "chosen")
            sub, sub_prov = op.forward(
                batch.select(rows), derive_seeds([seeds[i] for i in rows], k), measure, child
            )
            batch = batch.merge(rows, sub)
            for r, p in zip(rows, sub_prov, strict=True):
                prov[r].update({"choice": k, "chosen": p})
        return batch, prov

    def __repr__(self) -> str:
        return f"OneOf(p={self.p}, weights={self.weights}, ops={self.ops!r})"
