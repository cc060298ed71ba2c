#!/usr/bin/env python3
"""Shard writing and loading throughput: sercorpus against lhotse Shar and HF ``datasets``, one run, one input.

Input: the MSP-Podcast miniature at ``--n`` rows (16 kHz mono wavs, 1-3 s utterances), prepared into a
manifest. Every number is seconds of audio per wall second ("x realtime") of ONE process on ONE thread
(so "per core" / "per worker"); each is the best of ``--reps`` runs.

Write:
  sercorpus clean       ``write_shards`` without augmentation (decode, FLAC, Parquet, index, manifest)
  sercorpus augmented   the same with one augmented copy per utterance (chain below), output audio counted
  lhotse Shar           ``CutSet.to_shar(fields={"recording": "flac"})`` of the same wavs
  HF datasets           ``Dataset.from_generator`` + ``to_parquet`` writing the same rows (our decoder and
                        FLAC encoder and, for "augmented", the same engine calls): the cost of datasets'
                        Arrow cache on top of the same work
Load (one epoch, batches of ~--max-seconds padded seconds, no workers):
  sercorpus ShardLoader   our shards -> Batch (FLAC decode, duration buckets, collate with labels)
  lhotse Shar reader      ``CutSet.from_shar`` + DynamicBucketingSampler(max_duration) + collate_audio
  HF streaming            ``load_dataset("parquet", streaming=True)`` on our shards + soundfile + padding
  soundfile wavs          the original wavs read with soundfile, shuffled, padded into batches

``--device cuda`` adds the GPU write path (augmented shards with the engine on the GPU, ``--gpu-batch``).
Usage: python benchmarks/shards.py [--n 300] [--reps 2] [--max-seconds 120] [--device cuda] [--json PATH]
Goal (issue 12): ahead of lhotse and datasets on both writing and loading.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy/torch are imported: every number is one core

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHAIN = {
    "sample_rate": 16000,
    "chain": [
        {"op": "synthetic_reverb", "p": 0.5, "min_t60": 0.2, "max_t60": 0.8},
        {"op": "highpass", "p": 0.25, "min_cutoff_hz": 50, "max_cutoff_hz": 300, "order": 9},
        {"op": "lowpass", "p": 0.25, "min_cutoff_hz": 3000, "max_cutoff_hz": 7500, "order": 9},
        {"op": "pink_noise", "p": 0.5, "min_snr_db": 10, "max_snr_db": 30},
        {"op": "time_shift", "p": 0.5, "min_shift": -0.1, "max_shift": 0.1},
        {"op": "fade", "p": 0.5, "max_in": 0.1, "max_out": 0.1},
        {"op": "gain", "p": 0.5, "min_gain_db": -6, "max_gain_db": 6},
    ],
}


def _interleaved(tasks: list[tuple[str, Callable[[], float]]], reps: int) -> dict[str, list[float]]:
    """Wall times of every task, repetitions interleaved; each ``fn`` returns the seconds to charge."""
    out: dict[str, list[float]] = {name: [] for name, _ in tasks}
    for _ in range(reps):
        for name, fn in tasks:
            out[name].append(fn())
    return out


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


# ----------------------------------------------------------------------------------------------- input
def make_input(work: Path, n: int):
    from sercorpus.core.manifest import read_manifest
    from sercorpus.corpora.prepare import prepare
    from sercorpus.synth.msp_podcast import write_msp_podcast

    manifest = work / f"msp-{n}.parquet"
    if not manifest.is_file():
        prepare("msp-podcast", write_msp_podcast(work / f"msp-{n}", seed=0, n=n), manifest)
    return manifest, read_manifest(manifest)


# ----------------------------------------------------------------------------------------------- write
def write_sercorpus(manifest: Path, out: Path, augment: bool, device: str = "cpu", batch: int = 32) -> float:
    from sercorpus.shards import ShardSettings, write_shards

    settings = ShardSettings(copies=1, shard_mb=64, batch_size=batch)
    fresh(out)
    return timed(
        lambda: write_shards([manifest], out, settings, augment=CHAIN if augment else None, device=device)
    )


def write_lhotse(records, audio_file, out: Path) -> float:
    from lhotse import CutSet, Recording, RecordingSet

    def run() -> None:
        recs = [Recording.from_file(str(audio_file(u)), recording_id=u.id.replace("/", "_")) for u in records]
        cuts = CutSet.from_manifests(recordings=RecordingSet.from_recordings(recs))
        fresh(out).mkdir(parents=True)
        cuts.to_shar(out, fields={"recording": "flac"}, shard_size=1000)

    return timed(run)


def write_hf(records, audio_file, out: Path, augment: bool) -> float:
    """HF datasets writing the same rows: same decoder, FLAC encoder and engine calls, via its Arrow cache."""
    import datasets

    from sercorpus.shards import columns
    from sercorpus.shards.decode import decode_segment
    from sercorpus.shards.flac import encode_flac

    aug = None
    if augment:
        from sercorpus.augment import load_config

        aug = load_config(CHAIN)

    def rows():
        import torch

        from sercorpus.augment import pad_batch, unpad

        for start in range(0, len(records), 32):
            chunk = records[start : start + 32]
            audio = [
                decode_segment(audio_file(u), u.offset, u.duration, u.channel, 16000).audio for u in chunk
            ]
            if aug is not None:
                x, lengths = pad_batch(audio)
                with torch.inference_mode():
                    res = aug(x, lengths, ids=[u.id for u in chunk], copy=1, seed=0)
                audio = unpad(res.x, res.lengths)
            for u, y in zip(chunk, audio, strict=True):
                data, scale = encode_flac(y, 16000)
                yield {
                    "id": f"{u.id}#aug{int(augment)}",
                    **columns.label_columns(u, True),
                    "audio": data,
                    "scale": scale,
                    "num_samples": len(y),
                }

    def run() -> None:
        cache = fresh(out / "cache")
        ds = datasets.Dataset.from_generator(rows, cache_dir=str(cache))
        ds.to_parquet(str(out / "data.parquet"))

    datasets.disable_progress_bars()
    return timed(run)


def gpu_check(manifest: Path, work: Path, cpu_out: Path, device: str, batch: int) -> None:
    """GPU shards: a rerun on the GPU is byte-identical; against the CPU shards the audio agrees to within the
    engine's float tolerance (compared at the CPU run's batch size, so only the device differs)."""
    import numpy as np
    import pyarrow.parquet as pq

    from sercorpus.shards.flac import decode_flac

    def rows(folder: Path) -> dict[str, tuple[bytes, float]]:
        out = {}
        for path in sorted((folder / "shards").glob("*.parquet")):
            for r in pq.read_table(path, columns=["id", "audio", "scale"]).to_pylist():
                out[r["id"]] = (r["audio"], r["scale"])
        return out

    a, b = work / "gpu-a", work / "gpu-b"
    write_sercorpus(manifest, a, True, device, 32)
    write_sercorpus(manifest, b, True, device, 32)
    same = (a / "index.json").read_bytes() == (b / "index.json").read_bytes()
    gpu, cpu = rows(a), rows(cpu_out)
    diffs = [
        float(np.max(np.abs(decode_flac(*gpu[k])[0] - decode_flac(*cpu[k])[0])))
        for k in cpu
        if k in gpu and len(decode_flac(*gpu[k])[0]) == len(decode_flac(*cpu[k])[0])
    ]
    equal_bytes = sum(gpu[k][0] == cpu[k][0] for k in cpu if k in gpu)
    print(
        f"  gpu check: rerun on {device} byte-identical: {same}; vs CPU: {equal_bytes}/{len(cpu)} samples "
        f"byte-equal, max |diff| {max(diffs, default=0):.2e} over {len(diffs)} (16-bit step 3.05e-05)"
    )


# ------------------------------------------------------------------------------------------------ load
def load_sercorpus(shards: Path, max_seconds: float) -> tuple[float, float, float]:
    from sercorpus.shards import ShardLoader

    loader = ShardLoader(shards, view="4class", max_seconds=max_seconds, seed=0)
    len(loader)  # metadata + plan, charged below anyway
    seconds = batches = 0
    t0 = time.perf_counter()
    for batch in ShardLoader(shards, view="4class", max_seconds=max_seconds, seed=0):
        seconds += int(batch.lengths.sum()) / batch.sample_rate
        batches += 1
    return time.perf_counter() - t0, seconds, seconds / max(batches, 1)


def load_lhotse(shar: Path, max_seconds: float) -> tuple[float, float]:
    from lhotse import CutSet
    from lhotse.dataset import DynamicBucketingSampler
    from lhotse.dataset.collation import collate_audio

    seconds = 0.0
    t0 = time.perf_counter()
    sampler = DynamicBucketingSampler(
        CutSet.from_shar(in_dir=shar), max_duration=max_seconds, shuffle=True, seed=0
    )
    for cuts in sampler:
        _, lengths = collate_audio(cuts)
        seconds += int(lengths.sum()) / 16000
    return time.perf_counter() - t0, seconds


def _pad(signals):
    import numpy as np
    import torch

    lens = [len(s) for s in signals]
    x = torch.zeros(len(signals), max(lens))
    for i, s in enumerate(signals):
        x[i, : lens[i]] = torch.from_numpy(np.asarray(s, dtype=np.float32))
    return x, torch.tensor(lens)


def load_hf(files: list[str], batch: int) -> tuple[float, float]:
    import datasets

    from sercorpus.shards.flac import decode_flac

    seconds, pending = 0.0, []
    t0 = time.perf_counter()
    stream = datasets.load_dataset("parquet", data_files=files, split="train", streaming=True)
    for row in stream.shuffle(seed=0, buffer_size=1000):
        y, rate = decode_flac(row["audio"], row["scale"])
        pending.append(y)
        if len(pending) == batch:
            _, lengths = _pad(pending)
            seconds += int(lengths.sum()) / rate
            pending = []
    if pending:
        seconds += int(_pad(pending)[1].sum()) / 16000
    return time.perf_counter() - t0, seconds


def load_wavs(records, audio_file, batch: int) -> tuple[float, float]:
    import random

    import soundfile as sf

    order = list(records)
    random.Random(0).shuffle(order)
    seconds = 0.0
    t0 = time.perf_counter()
    for start in range(0, len(order), batch):
        signals = [sf.read(str(audio_file(u)), dtype="float32")[0] for u in order[start : start + batch]]
        seconds += int(_pad(signals)[1].sum()) / 16000
    return time.perf_counter() - t0, seconds


# ------------------------------------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=300, help="MSP miniature rows (about 1.1 records per row)")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--device", default="cpu", help="cuda adds the GPU write path")
    parser.add_argument("--gpu-batch", type=int, default=64)
    parser.add_argument("--work", type=Path, default=None, help="folder for the input and outputs (temp)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(1)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-shards-"))
    work.mkdir(parents=True, exist_ok=True)
    manifest, m = make_input(work, args.n)
    records = m.records
    audio_s = sum(u.duration for u in records)
    print(
        f"input: {len(records)} utterances, {audio_s / 60:.1f} min of 16 kHz mono audio; 1 process, 1 thread"
    )

    results: list[tuple[str, str, float]] = []

    def record(task: str, tool: str, seconds_audio: float, wall: float) -> None:
        results.append((task, tool, seconds_audio / wall))
        print(f"  {task:10s} {tool:28s} {seconds_audio / wall:9.1f} x realtime", flush=True)

    ours, aug_out = work / "ours-clean", work / "ours-aug"
    writers: list[tuple[str, str, Callable[[], float]]] = [
        ("write", "sercorpus clean", lambda: write_sercorpus(manifest, ours, False)),
        ("write", "lhotse Shar (flac)", lambda: write_lhotse(records, m.audio_file, work / "shar")),
        ("write", "HF datasets clean", lambda: write_hf(records, m.audio_file, work / "hf", False)),
        ("write aug", "sercorpus augmented", lambda: write_sercorpus(manifest, aug_out, True)),
        ("write aug", "HF datasets augmented", lambda: write_hf(records, m.audio_file, work / "hf", True)),
    ]
    gpu = args.device.startswith("cuda") and torch.cuda.is_available()
    if gpu:
        gpu_out = work / "ours-gpu"
        write_sercorpus(manifest, gpu_out, True, args.device, args.gpu_batch)  # warm-up (CUDA init, kernels)
        writers.append(
            (
                "write aug",
                f"sercorpus augmented ({args.device})",
                lambda: write_sercorpus(manifest, gpu_out, True, args.device, args.gpu_batch),
            )
        )
    # repetitions interleaved (A B C A B C ...), best of each: a busy machine slows all tools alike
    walls = {tool: min(w) for tool, w in _interleaved([(t, f) for _, t, f in writers], args.reps).items()}
    for task, tool, _ in writers:
        record(task, tool, audio_s, walls[tool])
    if gpu:
        gpu_check(manifest, work, aug_out, args.device, args.gpu_batch)

    mean_len = audio_s / len(records)
    loaders: list[tuple[str, Callable[[], tuple[float, float]]]] = [
        ("sercorpus ShardLoader", lambda: load_sercorpus(ours, args.max_seconds)[:2]),
        ("lhotse Shar + bucketing", lambda: load_lhotse(work / "shar", args.max_seconds)),
    ]
    batch = max(1, int(round(load_sercorpus(ours, args.max_seconds)[2] / mean_len)))  # the same batch sizes
    files = sorted(str(p) for p in (ours / "shards").glob("*.parquet"))
    loaders += [
        ("HF datasets streaming", lambda: load_hf(files, batch)),
        ("soundfile wavs", lambda: load_wavs(records, m.audio_file, batch)),
    ]
    runs: dict[str, list[tuple[float, float]]] = {tool: [] for tool, _ in loaders}
    for _ in range(args.reps):
        for tool, fn in loaders:
            runs[tool].append(fn())
    for tool, _ in loaders:
        wall, secs = min(runs[tool])
        record("load", tool, secs, wall)

    print()
    print("| task | tool | x realtime (1 core) | sercorpus / tool |")
    print("|---|---|---:|---:|")
    mine = {t: x for t, tool, x in results if tool.startswith("sercorpus") and "cuda" not in tool}
    for task, tool, x in results:
        ratio = mine.get(task, x) / x
        print(f"| {task} | {tool} | {x:,.0f} | {'' if tool.startswith('sercorpus') else f'{ratio:.2f}x'} |")
    if args.json:
        args.json.write_text(
            json.dumps([{"task": t, "tool": k, "x_realtime": x} for t, k, x in results], indent=1)
        )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
