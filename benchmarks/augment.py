#!/usr/bin/env python3
"""Throughput of the sercorpus augmentation engine against audiomentations and torch-audiomentations.

One process, the same synthetic speech-like utterances (2-8 s, 16 kHz; ``make_utterances`` of
``../shared/bench/peers.py``), the same chains, CPU on one thread; then a GPU section when CUDA is present.
The peers are driven by peers.py's own functions (the runs behind ``../shared/augmentation-notes.md``), so
their numbers are measured exactly as there; sercorpus gets the same op sets and parameter ranges:

  full chain (audiomentations' nine transforms): time stretch 0.9-1.2 -> shift +-10 % -> RIR (files) ->
      9th-order Butterworth HP 50-300 Hz -> LP 3-7.5 kHz -> background noise 0-20 dB -> pink 10-30 dB ->
      fade <= 10 % -> gain +-6 dB
  torch-audiomentations op set (its seven): the above without time stretch and fade

Throughput = seconds of real (unpadded) input audio per wall second ("x RT"); every transform at p=1;
batches of --batch in dataset order (padding is charged to the batched engines). Each timing is the best
of --reps passes over all utterances, after a warm-up.

Usage: python benchmarks/augment.py [--n N] [--quick] [--batch 16] [--gpu-batch 128] [--reps 3] [--json PATH]
       [--gpu-only] [--no-peers]

The GPU section also measures the tolerance docs/augment.md states: max |CPU - GPU| per sample on the full
chain, and max |difference| between two batch layouts on the GPU (the CPU is byte-identical by design).
Targets (issue 6): CPU full chain >= 3x audiomentations; GPU >= 20x torch-audiomentations on its op set and
>= 50,000x realtime for the full chain.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy/torch are imported: the CPU comparison is single-threaded

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".." / "shared" / "bench" / "peers.py"
sys.path.insert(0, str(ROOT))

SR = 16000


def load_peers():
    if not PEERS.is_file():
        raise SystemExit(f"{PEERS} not found: the benchmark drives the peers exactly as peers.py does")
    spec = importlib.util.spec_from_file_location("peers", PEERS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def sercorpus_chains(peers, with_features: bool = False):
    from sercorpus.augment import (
        Augmenter,
        BackgroundNoise,
        Chain,
        Fade,
        Gain,
        HighPass,
        LowPass,
        PinkNoise,
        RIRReverb,
        SegmentSpeedup,
        TimeShift,
        TimeStretch,
    )

    def ops(stretch: bool, fade: bool, segment: bool = False):
        chain = []
        if stretch:
            chain.append(TimeStretch(0.9, 1.2))
        if segment:
            chain.append(SegmentSpeedup(0.1, 0.2, 1.25))
        chain += [
            TimeShift(-0.1, 0.1, rollover=False),
            RIRReverb(rir_dir=peers.RIR_DIR),
            HighPass(50, 300, order=9),
            LowPass(3000, 7500, order=9),
            BackgroundNoise(folder=peers.NOISE_DIR, min_snr_db=0, max_snr_db=20),
            PinkNoise(10, 30),
        ]
        if fade:
            chain.append(Fade(0.1, 0.1))
        chain.append(Gain(-6, 6))
        return Augmenter(Chain(chain), rate=1.0, sample_rate=SR)

    chains = {"full": ops(True, True), "ta_set": ops(False, False)}
    if with_features:
        chains["literature"] = ops(True, True, segment=True)
    return chains


def run_sercorpus(aug, batches, ids, device, features: bool = False):
    import torch

    from sercorpus.augment import LogMel, SpecAugment

    logmel = LogMel(SR) if features else None
    spec = SpecAugment(2, 27, 2, 0.05) if features else None
    with torch.inference_mode():
        for (x, lengths), names in zip(batches, ids, strict=True):
            out = aug(x, lengths, ids=names, seed=0)
            if features:
                feats, frames = logmel(out.x, out.lengths)
                spec(feats, frames, SR, ids=names)
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def best_of(fn, reps: int) -> float:
    fn()  # warm-up (caches, banks, kernels)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def ta_gpu_chain(peers):
    """torch-audiomentations built exactly as peers.bench_torch_audiomentations does, for CUDA tensors."""
    peers.install_torchaudio_io_shim()
    import torch_audiomentations as TA

    kw = dict(p=1.0, mode="per_example", sample_rate=SR, output_type="dict")
    return TA.Compose(
        [
            TA.Shift(min_shift=-0.1, max_shift=0.1, rollover=False, **kw),
            TA.ApplyImpulseResponse(ir_paths=peers.RIR_DIR, compensate_for_propagation_delay=True, **kw),
            TA.HighPassFilter(min_cutoff_freq=50, max_cutoff_freq=300, **kw),
            TA.LowPassFilter(min_cutoff_freq=3000, max_cutoff_freq=7500, **kw),
            TA.AddBackgroundNoise(background_paths=peers.NOISE_DIR, min_snr_in_db=0, max_snr_in_db=20, **kw),
            TA.AddColoredNoise(min_snr_in_db=10, max_snr_in_db=30, min_f_decay=1.0, max_f_decay=1.0, **kw),
            TA.Gain(min_gain_in_db=-6, max_gain_in_db=6, **kw),
        ],
        p=1.0,
        output_type="dict",
    )


def gpu_tolerance(aug, utts, ids, n: int = 24) -> dict[str, float]:
    """Max |CPU - GPU| and max |GPU batch layout A - layout B| per sample over ``n`` utterances."""
    import torch

    from sercorpus.augment import pad_batch, unpad

    sub, names = utts[:n], ids[:n]

    def run(order, device, batch):
        out = {}
        for i in range(0, len(order), batch):
            rows = order[i : i + batch]
            x, lengths = pad_batch([sub[r] for r in rows], device)
            with torch.inference_mode():
                res = aug(x, lengths, ids=[names[r] for r in rows], seed=5)
            for r, y in zip(rows, unpad(res.x, res.lengths), strict=True):
                out[r] = y
        return out

    cpu = run(list(range(len(sub))), "cpu", 8)
    gpu_a = run(list(range(len(sub))), "cuda", 24)
    gpu_b = run(list(reversed(range(len(sub)))), "cuda", 5)

    def worst(a, b):
        return max(float(abs(a[r] - b[r]).max()) if len(a[r]) == len(b[r]) else float("inf") for r in a)

    return {"max_abs_cpu_vs_gpu": worst(cpu, gpu_a), "max_abs_gpu_layouts": worst(gpu_a, gpu_b)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="utterances (default 200, as peers.py)")
    ap.add_argument("--quick", action="store_true", help="40 utterances, 1 timed pass")
    ap.add_argument("--batch", type=int, default=16, help="CPU batch size (peers.py uses 16)")
    ap.add_argument("--gpu-batch", type=int, default=128, help="GPU batch size (both engines)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-peers", action="store_true", help="time sercorpus only")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    ap.add_argument("--gpu-only", action="store_true", help="skip the CPU section (benchmarks/gpu.sh)")
    args = ap.parse_args()
    if args.quick:
        args.n, args.reps = min(args.n, 40), 1

    import numpy as np
    import torch

    torch.set_num_threads(1)
    peers = load_peers()
    peers.write_aux_files()
    utts = peers.make_utterances(args.n)
    audio_s = float(sum(len(u) for u in utts) / SR)
    ids_all = [f"utt{i:05d}" for i in range(len(utts))]
    print(
        f"{len(utts)} utterances, {audio_s:.1f} s of audio, 16 kHz; torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU thread; batches of {args.batch} in dataset order; best of {args.reps}"
    )
    results: dict[str, float] = {}
    tolerance: dict[str, float] = {}

    def rtf(seconds: float) -> float:
        return audio_s / seconds

    # ------------------------------------------------------------------ CPU
    chains = sercorpus_chains(peers, with_features=True)
    if not args.gpu_only:
        batches = peers.make_batches(utts, args.batch)
        ids = [ids_all[i : i + args.batch] for i in range(0, len(utts), args.batch)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not args.no_peers:
                results["cpu/audiomentations full"] = rtf(
                    best_of(lambda: peers.bench_audiomentations(utts, False, 0), args.reps)
                )
                results["cpu/torch-audiomentations ta_set"] = rtf(
                    best_of(lambda: peers.bench_torch_audiomentations(utts, args.batch, False), args.reps)
                )
            for name in ("full", "ta_set"):
                results[f"cpu/sercorpus {name}"] = rtf(
                    best_of(lambda name=name: run_sercorpus(chains[name], batches, ids, "cpu"), args.reps)
                )
            results["cpu/sercorpus literature+features"] = rtf(
                best_of(
                    lambda: run_sercorpus(chains["literature"], batches, ids, "cpu", features=True), args.reps
                )
            )

    # ------------------------------------------------------------------ GPU
    if torch.cuda.is_available():
        dev = "cuda"
        gb = [(x.to(dev), n.to(dev)) for x, n in peers.make_batches(utts, args.gpu_batch)]
        gids = [ids_all[i : i + args.gpu_batch] for i in range(0, len(utts), args.gpu_batch)]
        for name in ("full", "ta_set"):
            results[f"gpu/sercorpus {name}"] = rtf(
                best_of(lambda name=name: run_sercorpus(chains[name], gb, gids, dev), args.reps)
            )
        if not args.no_peers:
            ta = ta_gpu_chain(peers)
            gbc = [x[:, None, :] for x, _ in gb]

            def run_ta():
                with torch.inference_mode(), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    for x in gbc:
                        ta(x, sample_rate=SR)
                torch.cuda.synchronize()

            try:
                results["gpu/torch-audiomentations ta_set"] = rtf(best_of(run_ta, args.reps))
            except Exception as exc:  # a peer failing on this machine must not hide our numbers
                print(f"torch-audiomentations on CUDA failed: {exc!r}")
        tolerance.update(gpu_tolerance(chains["full"], utts, ids_all))
        for key, value in tolerance.items():
            print(f"tolerance {key}: {value:.3g}")

    # ------------------------------------------------------------------ report
    print("\n| device | engine | op set | x realtime |")
    print("|---|---|---|---|")
    for key, value in results.items():
        device, rest = key.split("/", 1)
        engine, opset = rest.rsplit(" ", 1)
        print(f"| {device} | {engine} | {opset} | {value:,.0f}x |")
    print()
    checks = []
    if "cpu/audiomentations full" in results:
        ratio = results["cpu/sercorpus full"] / results["cpu/audiomentations full"]
        checks.append(("CPU full chain vs audiomentations", ratio, 3.0, "x"))
        ratio_ta = results["cpu/sercorpus ta_set"] / results["cpu/torch-audiomentations ta_set"]
        checks.append(("CPU torch-audiomentations op set vs torch-audiomentations", ratio_ta, None, "x"))
    if "gpu/torch-audiomentations ta_set" in results:
        checks.append(
            (
                "GPU op set vs torch-audiomentations",
                results["gpu/sercorpus ta_set"] / results["gpu/torch-audiomentations ta_set"],
                20.0,
                "x",
            )
        )
    if "gpu/sercorpus full" in results:
        checks.append(("GPU full chain realtime factor", results["gpu/sercorpus full"], 50000.0, "x RT"))
    for label, value, target, unit in checks:
        verdict = (
            ""
            if target is None
            else (" (target >= {:g}: {})".format(target, "met" if value >= target else "NOT met"))
        )
        print(f"{label}: {value:,.2f}{unit}{verdict}")
    if not torch.cuda.is_available():
        print("GPU: CUDA not available; GPU section skipped")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "audio_s": audio_s,
                    "n": len(utts),
                    "results": results,
                    "tolerance": tolerance,
                    "numpy": np.__version__,
                    "torch": torch.__version__,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
