"""Convolution with measured room impulse responses drawn per example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.convolution import ConvolutionReverb
from sercorpus.augment.op import tensor_of
from sercorpus.augment.params import Param, number, path
from sercorpus.augment.rir_bank import RIRBank, cached_rir_bank
from sercorpus.augment.rng import ExampleRNG
from sercorpus.core.audio import audio_files


class RIRReverb(ConvolutionReverb):
    """Convolve with a measured RIR drawn per example from ``rir_dir`` (or ``paths``), any rate/channels.

    ``channel``: ``"first"``, ``"mix"`` (mean of channels) or a channel index. ``max_seconds`` truncates
    long RIRs (with a 10 ms fade) to bound the FFT size. The output is aligned on the direct path and
    energy-matched to the input.
    """

    name = "rir_reverb"
    params = (
        path(
            "rir_dir",
            "folder of wav/flac impulse responses; the CLI's --rir-dir fills it",
            resource="rir_dir",
            alternatives=("paths",),
        ),
        path("paths", "impulse-response files (instead of rir_dir)", many=True),
        Param(
            "channel",
            "integer_or_choice",
            "first",
            "channel of multi-channel RIRs: first, mix (mean) or an index",
            lo=0,
            hi=1024,
            choices=("first", "mix"),
        ),
        number(
            "max_seconds",
            None,
            0.01,
            30.0,
            "truncate longer RIRs (with a 10 ms fade); null: keep",
            optional=True,
        ),
    )

    def validate(self) -> None:
        if (self.rir_dir is None) == (self.paths is None):
            raise ValueError(f"{self.name}: give exactly one of rir_dir or paths (from the CLI: --rir-dir)")
        if self.rir_dir is not None:
            if not Path(self.rir_dir).is_dir():
                raise FileNotFoundError(f"{self.name}: RIR folder not found: {self.rir_dir}")
            files = [str(p) for p in audio_files(self.rir_dir)]
            if not files:
                raise FileNotFoundError(f"{self.name}: no .wav/.flac impulse responses under {self.rir_dir}")
        else:
            files = list(self.paths)
        self._files = files

    def bank_at(self, sample_rate: int) -> RIRBank:
        return cached_rir_bank(self._files, sample_rate, self.channel, self.max_seconds)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        bank = self.bank_at(sample_rate)
        k = int(rng.integers(len(bank.lens)))
        return {"rir_index": k, "rir": bank.names[k]}

    def impulse_responses(self, batch: Batch, params: list[dict[str, Any]]) -> tuple[torch.Tensor, int]:
        bank = self.bank_at(batch.sample_rate)
        for p in params:
            if bank.names[p["rir_index"]] != p["rir"]:
                raise ValueError(
                    f"{self.name}: RIR {p['rir_index']} is {bank.names[p['rir_index']]!r}, the provenance "
                    f"says {p['rir']!r}: the RIR folder changed"
                )
        index = tensor_of(params, "rir_index", batch.x.device, torch.int64)
        rirs = bank.on(batch.x.device).index_select(0, index)[
            :, : max(bank.lens[p["rir_index"]] for p in params)
        ]
        return rirs, bank.lead
