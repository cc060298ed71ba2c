"""Background sounds (ESC-50 or any wav folder) mixed at a per-example SNR."""

from __future__ import annotations

from typing import Any

import torch

from sercorpus.augment import padding
from sercorpus.augment.batch import Batch
from sercorpus.augment.noise_bank import NoiseBank, cached_bank
from sercorpus.augment.op import existing_dir, tensor_of
from sercorpus.augment.padding import wrap_index
from sercorpus.augment.params import Param, names, path
from sercorpus.augment.rng import ExampleRNG
from sercorpus.augment.snr import REFERENCE, SnrOp, snr_span
from sercorpus.corpora.esc50 import MAJOR_GROUPS


class BackgroundNoise(SnrOp):
    """Mix a background sound at a per-example SNR: a random clip of the bank at a random offset, looped.

    Sources: ``root`` (an ESC-50 root in its native layout, filtered by ``groups`` among the ESC-50 major
    groups ``animals``, ``natural`` (soundscapes & water), ``human`` (non-speech), ``domestic``
    (interior), ``urban``, and/or by ``categories``), or ``folder`` (any wav/flac files), or a ready
    :class:`NoiseBank` (Python only). SNRs: ``snrs_db: [0, 10, 20]`` picks one per example; or a uniform
    range. The bank is resampled to the batch's rate on first use.
    """

    name = "background_noise"
    params = (
        path(
            "root",
            "ESC-50 root (native layout); the CLI's --noise-root fills it",
            resource="noise_root",
            alternatives=("folder", "bank"),
        ),
        path("folder", "folder of wav/flac noise files (instead of root)"),
        Param("bank", "object", None, "a ready NoiseBank (Python only)", optional=True, yaml=False),
        names("groups", "ESC-50 major groups to draw from (all if null)", MAJOR_GROUPS),
        names("categories", "ESC-50 categories to draw from (all if null)"),
        snr_span((0.0, 20.0)),
        *REFERENCE,
    )

    def validate(self) -> None:
        sources = [s for s in (self.root, self.folder, self.bank) if s is not None]
        if len(sources) != 1:
            raise ValueError(
                f"{self.name}: give exactly one of root (ESC-50), folder (wav files) or bank "
                f"(got {len(sources)}); from the CLI use --noise-root"
            )
        if self.bank is not None and not isinstance(self.bank, NoiseBank):
            raise ValueError(
                f"{self.name}: bank={self.bank!r} must be a NoiseBank built in Python; "
                "configs and replays name a root or folder instead"
            )
        if (self.groups or self.categories) and self.root is None:
            raise ValueError(f"{self.name}: groups/categories select ESC-50 clips and need root=")
        existing_dir(self.name, self.root, "ESC-50 root")
        existing_dir(self.name, self.folder, "noise folder")

    def bank_at(self, sample_rate: int) -> NoiseBank:
        bank = self.bank
        if bank is not None and bank.sample_rate == sample_rate:
            return bank
        if bank is not None:
            raise ValueError(f"{self.name}: bank is at {bank.sample_rate} Hz, batch at {sample_rate} Hz")
        if self.root is not None:
            return cached_bank("esc50", self.root, sample_rate, self.groups, self.categories)
        return cached_bank("folder", self.folder, sample_rate)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        bank = self.bank_at(sample_rate)
        k = int(rng.integers(bank.size))
        offset = int(rng.integers(bank.lens[k]))
        return {
            "snr_db": self.draw("snr_db", rng),
            "clip_index": k,
            **bank.meta[k],
            "offset_s": offset / sample_rate,
            "offset": offset,
            "reference": self.reference,
        }

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        bank = self.bank_at(batch.sample_rate)
        data, lens = bank.on(batch.x.device)
        T = batch.x.shape[-1]
        if padding.uses_host_paths(
            batch.x.device
        ):  # copies of clip slices: cost proportional to valid samples
            noise = batch.x.new_zeros(batch.x.shape)
            for row, (prm, n) in enumerate(zip(params, batch.lens, strict=True)):
                k, pos, done = prm["clip_index"], prm["offset"], 0
                period = bank.lens[k]
                while done < n:
                    take = min(period - pos, n - done)
                    noise[row, done : done + take] = data[k, pos : pos + take]
                    done, pos = done + take, 0
        else:  # one gather of (offset + t) mod clip length
            k_t = tensor_of(params, "clip_index", batch.x.device, torch.int64)
            offset = tensor_of(params, "offset", batch.x.device, torch.int64)
            pos_t = wrap_index(offset, lens[k_t], T, max(bank.lens))
            noise = torch.take(data, pos_t + (k_t * data.shape[1])[:, None])
        return self.mix(batch, noise, params, measure)
