"""Augment files on disk: a manifest or a folder of wavs in, augmented wavs plus per-output JSON out.

Each output is ``<id>.aug<k>.wav`` with ``<id>.aug<k>.json`` beside it (every applied parameter, the seeds,
measured SNRs), so a person can listen to and inspect what the engine did. Both are written atomically
(temp file in the same folder, then ``os.replace``) and the JSON is written last: an output counts as done
when its JSON exists, so an interrupted run resumes where it stopped and never trusts a half-written wav.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sercorpus.augment.batch import pad_batch, unpad
from sercorpus.augment.compose import Augmenter
from sercorpus.augment.config import load_config
from sercorpus.augment.dsp import mono_at_rate
from sercorpus.core.audio import audio_files, write_wav


@dataclass(frozen=True)
class InputItem:
    id: str
    path: Path
    offset: float = 0.0
    duration: float | None = None
    channel: int | None = None


@dataclass
class AugmentSummary:
    written: int = 0
    skipped: int = 0
    seconds_in: float = 0.0
    seconds_out: float = 0.0
    out_dir: Path = Path(".")
    achieved_snr_db: list[float] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.written} written, {self.skipped} already done, {self.seconds_in:.1f} s in -> "
            f"{self.seconds_out:.1f} s out, in {self.out_dir}"
        )


def list_inputs(source: str | Path) -> list[InputItem]:
    """A manifest (.parquet/.jsonl) or a folder of wav/flac files -> items with stable ids."""
    source = Path(source)
    if source.is_dir():
        files = audio_files(source)
        if not files:
            raise FileNotFoundError(f"no .wav/.flac files under {source}")
        return [InputItem(p.relative_to(source).with_suffix("").as_posix(), p) for p in files]
    if not source.exists():
        raise FileNotFoundError(f"input not found: {source}")
    from sercorpus.core.manifest import read_manifest

    manifest = read_manifest(source)
    return [
        InputItem(u.id, manifest.audio_file(u), u.offset, u.duration, u.channel) for u in manifest.records
    ]


def output_stem(utt_id: str, copy: int) -> str:
    """File-system-safe name for (id, copy): '/' becomes '__', anything unusual '_'."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", utt_id.replace("/", "__")).strip("._") or "utt"
    return f"{safe}.aug{copy}"


def _load(item: InputItem, sample_rate: int) -> tuple[np.ndarray, int]:
    """Samples at ``sample_rate`` (mixed down when no channel is given) and the file's own rate."""
    from sercorpus.core.audio import AudioError, read_audio

    y, rate = read_audio(item.path, item.offset, item.duration, item.channel)
    if not np.isfinite(y).all():
        raise AudioError(f"{item.path}: non-finite samples (NaN or inf) in the audio of {item.id}")
    return np.asarray(mono_at_rate(y, rate, sample_rate), dtype=np.float32), rate


def _write_json(path: Path, payload: Mapping[str, Any]) -> None:
    from sercorpus.core.atomic import atomic_output

    with atomic_output(path, "w") as handle:
        json.dump(payload, handle, indent=1, sort_keys=True, default=str)
        handle.write("\n")


def provenance_nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict of a provenance tree (or of a JSON written beside an output), parents before children."""
    if isinstance(node, dict):
        yield node
        children: Iterable[Any] = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return
    for child in children:
        yield from provenance_nodes(child)


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
) -> AugmentSummary:
    """Apply ``config`` ``copies`` times to every input; skip outputs that are already complete.

    Audio is resampled to the config's ``sample_rate``; multi-channel files without a channel are mixed
    down. Written as 32-bit float wavs by default so gains above 0 dBFS are kept, not clipped (the JSON
    records the peak).
    """
    if copies < 1:
        raise ValueError(f"copies={copies} must be >= 1")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be >= 1")
    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as exc:
        raise ValueError(f"device {device!r} is not usable here: {exc}") from None
    resources = {"noise_root": noise_root, "rir_dir": rir_dir}
    aug = config if isinstance(config, Augmenter) else load_config(config, resources)
    if aug.domain != "waveform":
        raise ValueError(
            "this config augments features (SpecAugment); apply it in the training loop, not to files"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = list_inputs(source)[:limit]
    summary = AugmentSummary(out_dir=out)
    pending = []
    for item in items:
        for k in range(copies):
            stem = output_stem(item.id, k)
            if (out / f"{stem}.json").is_file() and (out / f"{stem}.wav").is_file():
                summary.skipped += 1
            else:
                pending.append((item, k, stem))
    sr = aug.sample_rate
    cache: dict[InputItem, tuple[np.ndarray, int]] = {}
    last_use = {item: i for i, (item, _, _) in enumerate(pending)}
    for start in range(0, len(pending), batch_size):
        chunk = pending[start : start + batch_size]
        for item, _, _ in chunk:
            if item not in cache:
                cache[item] = _load(item, sr)
        signals = [cache[item][0] for item, _, _ in chunk]
        x, lengths = pad_batch(signals, device)
        with torch.inference_mode():
            result = aug(
                x,
                lengths,
                ids=[i.id for i, _, _ in chunk],
                copy=[k for _, k, _ in chunk],
                seed=seed,
                measure=True,
            )
        for (item, _, stem), y, prov in zip(
            chunk, unpad(result.x, result.lengths), result.provenance, strict=True
        ):
            write_wav(out / f"{stem}.wav", y, sr, subtype=subtype)
            payload = {
                **prov,
                "source": str(item.path),
                "offset": item.offset,
                "channel": item.channel,
                "input_sample_rate": cache[item][1],
                "sample_rate": sr,
                "input_seconds": len(cache[item][0]) / sr,
                "output_seconds": len(y) / sr,
                "peak": float(np.max(np.abs(y))) if len(y) else 0.0,
                "config": str(config) if isinstance(config, (str, Path)) else "inline",
            }
            _write_json(out / f"{stem}.json", payload)
            summary.written += 1
            summary.seconds_in += len(cache[item][0]) / sr
            summary.seconds_out += len(y) / sr
            summary.achieved_snr_db += [
                float(d["achieved_snr_db"]) for d in provenance_nodes(prov) if "achieved_snr_db" in d
            ]  # every measured SNR
        for item, _, _ in chunk:  # drop decoded audio no later batch needs
            if last_use[item] < start + batch_size:
                cache.pop(item, None)
        if log:
            log(f"{min(start + batch_size, len(pending))}/{len(pending)} outputs")
    return summary
