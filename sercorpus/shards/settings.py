"""Everything that decides the bytes of a shard dataset, in one record (``RUN.json`` stores it).

What is *not* recorded cannot change the output: ``--workers``, ``--batch-size``, ``--executor``, the part being
written and (up to
the engine's documented float tolerance) ``--device``. A rerun with other settings is refused by
:func:`sercorpus.core.runinfo.claim_output_dir`, naming each difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

LONG_POLICIES = ("crop", "split")
FORMAT_VERSION = 1
#: a guess of FLAC's size relative to 16/24-bit PCM for speech, used only to cut shards near --shard-mb
FLAC_RATIO = 0.6


@dataclass(frozen=True)
class ShardSettings:
    """Output-defining options of ``sercorpus shard`` (see docs/shards.md for each)."""

    sample_rate: int = 16000
    copies: int = 1  # augmented copies per selected training utterance (only with an augmentation config)
    rate: float = 1.0  # share of training utterances that get augmented copies (0/0.2/0.5/0.7/1 protocol)
    keep_clean: bool = False  # also write copy 0 (unaugmented) of augmented utterances
    seed: int = 0
    target_lufs: float | None = None
    max_duration: float | None = None
    long: str = "crop"
    shard_mb: float = 256.0
    rows_per_group: int = 64
    batch_size: int = 32  # engine batch: never changes a byte on CPU (per-example engine), so not recorded
    format: str = "parquet"
    view: str | None = None
    train_splits: tuple[str, ...] = ("train", "none")  # "none" = records without a split
    transcripts: bool = True
    bits: int = 16
    augment: Mapping[str, Any] | None = field(default=None, compare=False)  # from run.resolve_augment

    def __post_init__(self) -> None:
        if self.sample_rate < 1000:
            raise ValueError(f"--sample-rate {self.sample_rate} is too low (>= 1000 Hz)")
        if self.copies < 1:
            raise ValueError(f"--copies {self.copies} must be >= 1")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"--rate {self.rate} must be in [0, 1]")
        if self.max_duration is not None and self.max_duration <= 0:
            raise ValueError(f"--max-duration {self.max_duration} must be > 0 seconds")
        if self.long not in LONG_POLICIES:
            raise ValueError(f"--long {self.long!r} must be one of {list(LONG_POLICIES)}")
        if self.shard_mb <= 0:
            raise ValueError(f"--shard-mb {self.shard_mb} must be > 0")
        if self.rows_per_group < 1 or self.batch_size < 1:
            raise ValueError("rows per group and batch size must be >= 1")
        if self.format not in ("parquet", "webdataset"):
            raise ValueError(f"--format {self.format!r} must be parquet or webdataset")
        if self.bits not in (16, 24):
            raise ValueError(f"--bits {self.bits} must be 16 or 24")
        if self.target_lufs is not None and not -70.0 <= self.target_lufs <= 0.0:
            raise ValueError(f"--target-lufs {self.target_lufs} must be in [-70, 0] LUFS")

    @property
    def augmenting(self) -> bool:
        return self.augment is not None

    @property
    def subtype(self) -> str:
        return f"PCM_{self.bits}"

    def shard_bytes(self) -> float:
        return self.shard_mb * 1e6

    def estimated_bytes(self, seconds: float) -> float:
        return seconds * self.sample_rate * self.bits / 8 * FLAC_RATIO

    def record(self) -> dict[str, Any]:
        """The JSON-able settings written to RUN.json and the index (copies/rate/keep_clean only when augmenting)."""
        out = asdict(self)
        out["train_splits"] = list(self.train_splits)
        if self.augment is not None:  # content and resources; not where the YAML file lives
            out["augment"] = {"config": self.augment["config"], "resources": self.augment["resources"]}
        out.pop("batch_size")  # the engine computes every example on its own: the batch changes no byte
        if self.augment is None:
            for key in ("copies", "rate", "keep_clean"):
                out.pop(key)
        out["format_version"] = FORMAT_VERSION
        return out
