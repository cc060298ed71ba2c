"""Augment files on disk: a manifest or a folder of wavs in, augmented wavs plus per-output JSON out.

Each output is ``<name>.aug<k>.wav`` with ``<name>.aug<k>.json`` beside it (every applied parameter, the
seeds, measured SNRs, the augmenter's spec), so a person can listen to and inspect what the engine did and
:meth:`Augmenter.replay` can recompute it. ``<name>`` is an injective escape of the utterance id
(:mod:`sercorpus.augment.naming`). Both files are written atomically and the JSON last: an output counts as
done when its JSON exists, so an interrupted run resumes where it stopped and never trusts a half-written
wav; on the CPU the resumed outputs are byte-identical to an uninterrupted run's.

The folder records what produced it (``RUN.json``: engine version, config digest and spec, seed, copies,
source, ...); a rerun with other settings is refused, naming the differences, unless ``overwrite``.
Inputs that cannot be augmented (undecodable, empty, NaN/inf) are named and counted in ``REPORT.json``;
all others are written.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sercorpus.augment.augmenter import Augmenter, load_config
from sercorpus.augment.inputs import InputItem, NonFiniteAudio, list_inputs, load_item
from sercorpus.augment.jsonsafe import write_json
from sercorpus.augment.naming import check_unique, output_stem
from sercorpus.augment.outputs import claim, flat_spec, is_done
from sercorpus.augment.padding import pad_batch, unpad
from sercorpus.augment.version import ENGINE_VERSION
from sercorpus.core.audio import AudioError, write_wav
from sercorpus.core.runinfo import settings_digest

REPORT_FILE = "REPORT.json"
OUTPUT_SUFFIXES = (".wav", ".json")  # written in this order: the JSON marks an output as done

__all__ = ["AugmentSummary", "Skip", "augment_files", "output_records", "output_stem", "provenance_nodes"]


@dataclass(frozen=True)
class Skip:
    """An input that was not augmented, and why (``reason``: undecodable, empty or non-finite)."""

    id: str
    file: str
    reason: str
    detail: str


@dataclass
class AugmentSummary:
    written: int = 0
    already_done: int = 0
    skipped: list[Skip] = field(default_factory=list)
    seconds_in: float = 0.0
    seconds_out: float = 0.0
    out_dir: Path = Path(".")
    achieved_snr_db: list[float] = field(default_factory=list)

    def skip_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(s.reason for s in self.skipped).items()))

    def __str__(self) -> str:
        skipped = ""
        if self.skipped:
            reasons = ", ".join(f"{k}: {v}" for k, v in self.skip_counts().items())
            skipped = f", {len(self.skipped)} input(s) skipped ({reasons}; see {REPORT_FILE})"
        return (
            f"{self.written} written, {self.already_done} already done{skipped}, {self.seconds_in:.1f} s in -> "
            f"{self.seconds_out:.1f} s out, in {self.out_dir}"
        )

    def report(self, digest: str) -> dict[str, Any]:
        return {
            "tool": "augment",
            "settings_digest": digest,
            "written": self.written,
            "already_done": self.already_done,
            "skipped_total": len(self.skipped),
            "skipped_by_reason": self.skip_counts(),
            "skipped": [s.__dict__ for s in self.skipped],
        }


def provenance_nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict of a provenance tree (or of a JSON written beside an output), parents before children."""
    if isinstance(node, dict):
        yield node
        children: Iterable[Any] = (v for k, v in node.items() if k != "spec")
    elif isinstance(node, list):
        children = node
    else:
        return
    for child in children:
        yield from provenance_nodes(child)


def output_records(out_dir: str | Path) -> list[dict[str, Any]]:
    """The JSON of every output in an augment folder (not RUN.json or REPORT.json), sorted by file name."""
    return [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(Path(out_dir).glob("*.aug*.json"))
    ]


def run_settings(
    aug: Augmenter,
    source: Path,
    seed: int,
    copies: int,
    subtype: str,
    device: str,
    batch_size: int,
) -> dict[str, Any]:
    """What determines an output folder's bytes (recorded in RUN.json; a rerun must match)."""
    spec = aug.spec()
    settings: dict[str, Any] = {
        "engine_version": ENGINE_VERSION,
        "config_digest": settings_digest(spec),
        "config": flat_spec(spec),
        "seed": seed,
        "copies": copies,
        "source": str(source.resolve()),
        "subtype": subtype,
        "device": torch.device(device).type,
    }
    if settings["device"] != "cpu":
        settings["batch_size"] = batch_size  # on GPUs the batch layout moves the last bits
    return settings


def _check_counts(**values: tuple[int | None, int]) -> None:
    for name, (value, low) in values.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
            raise ValueError(f"{name}={value!r} must be an integer >= {low}")


def _decode(item: InputItem, sample_rate: int) -> tuple[tuple[np.ndarray, int] | None, Skip | None]:
    """The decoded input, or why it cannot be augmented."""
    try:
        y, rate = load_item(item, sample_rate)
    except AudioError as exc:
        reason = "non-finite" if isinstance(exc, NonFiniteAudio) else "undecodable"
        return None, Skip(item.id, str(item.path), reason, str(exc))
    except (OSError, RuntimeError, ValueError) as exc:
        return None, Skip(item.id, str(item.path), "undecodable", f"{item.path}: {exc}")
    if len(y) == 0:
        return None, Skip(
            item.id, str(item.path), "empty", f"{item.path}: 0 samples in the audio of {item.id}"
        )
    return (y, rate), None


def augment_files(
    source: str | Path,
    config: str | Path | Mapping[str, Any] | Augmenter,
    out_dir: str | Path,
    copies: int = 1,
    seed: int = 0,
    noise_root: str | Path | None = None,
    rir_dir: str | Path | None = None,
    batch_size: int = 8,
    device: str = "cpu",
    subtype: str = "FLOAT",
    limit: int | None = None,
    log: Callable[[str], None] | None = None,
    workers: int = 1,
    overwrite: bool = False,
) -> AugmentSummary:
    """Apply ``config`` ``copies`` times to every input; skip outputs that are already complete.

    Audio is resampled to the config's ``sample_rate``; multi-channel files without a channel are mixed
    down. Written as 32-bit float wavs by default so gains above 0 dBFS are kept, not clipped (the JSON
    records the peak). ``noise_root``/``rir_dir`` fill the ops' declared resources; relative ones resolve
    against the working directory (paths inside a config file resolve against the config's folder).
    """
    _check_counts(copies=(copies, 1), batch_size=(batch_size, 1), workers=(workers, 1), limit=(limit, 0))
    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as exc:
        raise ValueError(f"device {device!r} is not usable here: {exc}") from None
    resources = {
        key: Path(value).resolve()
        for key, value in (("noise_root", noise_root), ("rir_dir", rir_dir))
        if value is not None
    }
    aug = config if isinstance(config, Augmenter) else load_config(config, resources)
    if aug.domain != "waveform":
        raise ValueError(
            "this config augments features (SpecAugment); apply it in the training loop, not to files"
        )
    items = list_inputs(source)[:limit]
    check_unique(item.id for item in items)
    out = Path(out_dir)
    settings = run_settings(aug, Path(source), seed, copies, subtype, device, batch_size)
    run = claim(out, "augment", settings, overwrite)
    summary = AugmentSummary(out_dir=out)
    pending = []
    for item in items:
        for k in range(copies):
            stem = output_stem(item.id, k)
            if is_done(out, stem, OUTPUT_SUFFIXES):
                summary.already_done += 1
            else:
                pending.append((item, k, stem))
    sr = aug.sample_rate
    config_name = os.fspath(config) if isinstance(config, (str, Path)) else "inline"
    cache: dict[InputItem, tuple[np.ndarray, int]] = {}
    bad: set[InputItem] = set()
    last_use = {item: i for i, (item, _, _) in enumerate(pending)}
    for start in range(0, len(pending), batch_size):
        chunk = []
        for item, k, stem in pending[start : start + batch_size]:
            if item not in cache and item not in bad:
                decoded, skip = _decode(item, sr)
                if skip is not None:
                    bad.add(item)
                    summary.skipped.append(skip)
                    if log:
                        log(f"skipped {skip.id}: {skip.detail}")
                else:
                    cache[item] = decoded  # type: ignore[assignment]
            if item not in bad:
                chunk.append((item, k, stem))
        if chunk:
            x, lengths = pad_batch([cache[item][0] for item, _, _ in chunk], device)
            with torch.inference_mode():
                result = aug(
                    x,
                    lengths,
                    ids=[i.id for i, _, _ in chunk],
                    copy=[k for _, k, _ in chunk],
                    seed=seed,
                    measure=True,
                    workers=workers,
                )
            for (item, _, stem), y, prov in zip(
                chunk, unpad(result.x, result.lengths), result.provenance, strict=True
            ):
                write_wav(out / f"{stem}.wav", y, sr, subtype=subtype)
                payload = {
                    **prov,
                    "source": str(item.path),
                    "offset": item.offset,
                    "duration": item.duration,
                    "channel": item.channel,
                    "input_sample_rate": cache[item][1],
                    "sample_rate": sr,
                    "input_seconds": len(cache[item][0]) / sr,
                    "output_seconds": len(y) / sr,
                    "peak": float(np.max(np.abs(y))) if len(y) else 0.0,
                    "config": config_name,
                    "engine_version": ENGINE_VERSION,
                }
                write_json(out / f"{stem}.json", payload)
                summary.written += 1
                summary.seconds_in += len(cache[item][0]) / sr
                summary.seconds_out += len(y) / sr
                summary.achieved_snr_db += [
                    float(d["achieved_snr_db"])
                    for d in provenance_nodes(prov)
                    if d.get("achieved_snr_db") is not None
                ]  # every measured SNR
        for item, _, _ in pending[start : start + batch_size]:  # drop decoded audio no later batch needs
            if last_use[item] < start + batch_size:
                cache.pop(item, None)
        if log:
            log(f"{min(start + batch_size, len(pending))}/{len(pending)} outputs")
    write_json(out / REPORT_FILE, summary.report(run.digest))
    return summary
