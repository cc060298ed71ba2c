"""What the additive-noise ops share: the SNR declaration (a range or a list of values, and where it is
measured) and the mix itself.

SNR is the ratio of mean powers measured on the same samples of the valid region: the whole utterance
(``reference="whole"``) or its speech-active 20 ms frames (``"active"``: frames within ``gate_db`` of the
loudest one). Padding never enters either power and never receives noise.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.mixing import mix_at_snr
from sercorpus.augment.op import OMIT, Op, tensor_of
from sercorpus.augment.params import Declaration, Span, choice, number


def snr_span(default: tuple[float, float]) -> Span:
    return Span("snr_db", default, -30.0, 60.0, "the SNR (dB) on the reference region", values="snrs_db")


SILENT_INPUT = "the input is silent on the reference region: no noise added, SNR undefined"
SILENT_NOISE = "the noise is silent on the reference region: nothing added, SNR undefined"

REFERENCE: tuple[Declaration, ...] = (
    choice(
        "reference",
        "whole",
        ("whole", "active"),
        "region the SNR is measured on: the whole utterance or its speech-active frames",
    ),
    number("gate_db", -30.0, -80.0, -1.0, "frames within this many dB of the loudest count as active"),
)


class SnrOp(Op):
    """Base of ops that add noise at a per-example SNR."""

    def mix(
        self, batch: Batch, noise: torch.Tensor, params: list[dict[str, Any]], measure: bool
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        snr = tensor_of(params, "snr_db", batch.x.device)
        y, achieved = mix_at_snr(
            batch.x,
            noise,
            batch.lengths,
            snr,
            batch.sample_rate,
            self.reference,
            self.gate_db,
            lens=batch.lens,
        )
        out = batch.with_x(y)  # noise was zeroed in padding
        if not measure:
            return out, None
        values: list[Any] = []
        reasons: list[Any] = []
        silent = (batch.x == 0).reshape(batch.size, -1).all(-1).tolist()
        for v, quiet in zip(achieved.tolist(), silent, strict=True):
            if math.isfinite(v):
                values.append(round(float(v), 3))
                reasons.append(OMIT)
            else:  # nothing was added: the SNR is undefined, not infinite (JSON has no Infinity)
                values.append(None)
                reasons.append(SILENT_INPUT if quiet else SILENT_NOISE)
        return out, {"achieved_snr_db": values, "achieved_snr_db_reason": reasons}
