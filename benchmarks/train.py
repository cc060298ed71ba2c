#!/usr/bin/env python3
"""Training throughput per model family (utterances/s and seconds of audio/s), on CPU by default.

Two measurements, in one run:
1. model step: forward + loss + backward + optimiser step on synthetic batches of fixed duration, per
   family and size (``tiny``: the tiny recipes' models; ``base``: CNN14 width 64, a wav2vec2-base-size
   encoder with random weights, TC-GRU 256 on 768-d frames), at each thread count in --threads. The peer
   measured in the same run is transformers' ``Wav2Vec2ForSequenceClassification`` (mean pooling + linear)
   with the same encoder config: the stock way to fine-tune an SSL encoder for SER. No CNN14 or TC-GRU peer
   is installed (PANNs' code is not on PyPI as a library; panns-inference downloads weights), so those rows
   have none.
2. end to end (--e2e, CPU only): the tiny recipes through ``sercorpus.train.run.train`` on the miniature
   corpora with the real shard loader, read from each run's timing.json.

    .venv/bin/python benchmarks/train.py                 # CPU, tiny + base, 1 and 2 threads, e2e
    .venv/bin/python benchmarks/train.py --device cuda --precision bf16 --sizes base --steps 20 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TINY_SSL = {
    "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
    "conv_dim": [32, 32, 32], "conv_kernel": [10, 8, 4], "conv_stride": [5, 8, 8],
    "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 4, "feat_extract_norm": "group",
}  # fmt: skip
BASE_SSL: dict = {"feat_extract_norm": "group"}  # transformers' defaults are wav2vec2-base's shape


def build(family: str, size: str, device: str):  # noqa: ANN201
    """(our model, peer model or None, input kind, input dim)."""
    import torch

    from sercorpus.train.models.cnn14 import CNN14
    from sercorpus.train.models.encoder import build_encoder
    from sercorpus.train.models.ssl import SSLClassifier
    from sercorpus.train.models.tcgru import TCGRU
    from sercorpus.train.recipe import EncoderSpec

    torch.manual_seed(0)
    if family == "cnn14":
        return CNN14(4, 0, 16000, "16k", 2 if size == "tiny" else 64), None, "audio", 0
    if family == "ssl":
        config = TINY_SSL if size == "tiny" else BASE_SSL
        ours = SSLClassifier(build_encoder(EncoderSpec(arch="wav2vec2", config=config)), 4, 0)
        from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

        peer = Wav2Vec2ForSequenceClassification(
            Wav2Vec2Config(**config, num_labels=4, layerdrop=0.0, apply_spec_augment=False)
        )
        peer.freeze_feature_encoder()
        return ours, peer, "audio", 0
    dim, width = (32, 32) if size == "tiny" else (768, 256)
    return TCGRU(dim, 4, 3, width, 3, width, 2, width, 0.2, width), None, "frames", dim


def time_steps(
    model,
    kind: str,
    dim: int,
    batch: int,
    seconds: float,
    steps: int,
    device: str,
    precision: str,
    peer: bool,
) -> dict:  # noqa: ANN001
    import torch

    from sercorpus.train.precision import autocast

    dev = torch.device(device)
    model = model.to(dev).train()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    g = torch.Generator().manual_seed(0)
    n = int(seconds * 16000)
    if kind == "audio":
        x = (torch.randn(batch, n, generator=g) * 0.1).to(dev)
        lengths = torch.full((batch,), n, device=dev)
    else:
        frames = int(seconds * 50)
        x = torch.randn(batch, frames, dim, generator=g).to(dev)
        lengths = torch.full((batch,), frames, device=dev)
    labels = torch.randint(0, 4, (batch,), generator=g).to(dev)

    def step() -> float:
        with autocast(precision, dev):
            if peer:
                logits = model(input_values=x, labels=None).logits
            else:
                out = model(x, lengths)
                logits = out["logits"]
        loss = torch.nn.functional.cross_entropy(logits.float(), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss)

    step()  # warm-up (allocations, kernels)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    losses = [step() for _ in range(steps)]
    if dev.type == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    finite = all(v == v and abs(v) != float("inf") for v in losses)
    return {
        "utt_per_s": batch * steps / wall,
        "audio_s_per_s": batch * steps * seconds / wall,
        "step_s": wall / steps,
        "loss_finite": finite,
        "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
    }


def child(args: argparse.Namespace) -> None:
    """One thread count: every family/size, ours and the peer; prints JSON lines."""
    import torch

    torch.set_num_threads(args.child_threads)
    for size in args.sizes.split(","):
        steps = args.steps if (size == "tiny" or args.device != "cpu") else max(1, args.steps // 4)
        for family in args.families.split(","):
            ours, peer, kind, dim = build(family, size, args.device)
            batch = args.batch if size == "tiny" or args.device != "cpu" else max(2, args.batch // 4)
            row = {
                "family": family,
                "size": size,
                "threads": args.child_threads,
                "batch": batch,
                "seconds": args.seconds,
            }
            row["ours"] = time_steps(
                ours, kind, dim, batch, args.seconds, steps, args.device, args.precision, False
            )
            if peer is not None:
                row["peer"] = time_steps(
                    peer, kind, dim, batch, args.seconds, steps, args.device, args.precision, True
                )
            print(json.dumps(row), flush=True)


def e2e(threads: int) -> list[dict]:
    """Tiny recipes through the real trainer and loader on the miniature corpora."""
    import torch

    sys.path.insert(0, str(REPO / "tests" / "train"))
    from trainhelp import make_minis, run_tiny

    torch.set_num_threads(threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mini = make_minis(Path(tmp) / "mini")
        for family, recipe in (
            ("cnn14", "emmanouilidou_cnn14_msp"),
            ("ssl", "kawaoto_w2v2_msp"),
            ("tcgru", "mitra_tcgru_wavlm_msp"),
        ):
            out = Path(tmp) / recipe
            metrics = run_tiny(recipe, mini, out)
            timing = json.loads((out / "timing.json").read_text())
            rows.append({"family": family, "recipe": recipe, "steps": metrics["steps"], **timing})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--sizes", default="tiny,base")
    ap.add_argument("--families", default="cnn14,ssl,tcgru")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=3.0, help="duration of every synthetic utterance")
    ap.add_argument("--e2e", action=argparse.BooleanOptionalAction, default=None, help="default: on for CPU")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--child-threads", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_threads is not None:
        child(args)
        return
    rows = []
    for n in [int(t) for t in args.threads.split(",")]:
        env = {**os.environ, "OMP_NUM_THREADS": str(n), "MKL_NUM_THREADS": str(n)}
        cmd = [sys.executable, __file__, *sys.argv[1:], "--child-threads", str(n)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        rows += [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    print(
        f"model-step training throughput on {args.device} ({args.precision}), {args.seconds:g} s utterances"
    )
    print(
        f"{'family':7} {'size':5} {'thr':>3} {'batch':>5} {'ours utt/s':>11} {'audio s/s':>10} {'peer utt/s':>11} {'ours/peer':>9}  finite"
    )
    for r in rows:
        o, p = r["ours"], r.get("peer")
        peer = (
            f"{p['utt_per_s']:11.2f} {o['utt_per_s'] / p['utt_per_s']:9.2f}" if p else f"{'-':>11} {'-':>9}"
        )
        print(
            f"{r['family']:7} {r['size']:5} {r['threads']:3d} {r['batch']:5d} {o['utt_per_s']:11.2f} {o['audio_s_per_s']:10.2f} {peer}  {o['loss_finite']}"
        )
    print("peer: transformers Wav2Vec2ForSequenceClassification, same config (ssl rows only)")
    result = {"device": args.device, "precision": args.precision, "model_step": rows}
    if args.e2e if args.e2e is not None else args.device == "cpu":
        result["end_to_end"] = e2e(int(args.threads.split(",")[0]))
        print("\nend to end (tiny recipes, real loader, miniature corpora, 1st thread count):")
        for r in result["end_to_end"]:
            print(
                f"  {r['family']:6} {r['recipe']:28} {r['utterances_per_second']:8.1f} utt/s {r['audio_seconds_per_second']:8.1f} audio-s/s ({r['steps']} steps)"
            )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
