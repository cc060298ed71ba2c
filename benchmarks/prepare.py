#!/usr/bin/env python3
"""Time ``prepare("msp-podcast", ...)`` on a generated 100,000-utterance MSP-Podcast-layout corpus.

    python benchmarks/prepare.py [--n 100000] [--workers 5] [--workdir DIR] [--no-peer]

Generates (not timed) ``Labels/labels_consensus.csv`` (v1.12 header), ``Labels/labels_detailed.csv``
(``FileName,EmoDetail``, ~5 workers per file) and one tiny but valid 16 kHz mono PCM16 WAV per utterance, then
times the full prepare (labels + header probe of every file + validation + Parquet manifest) and prints
utterances/second. The peer comparison is what toolkits typically do: ``pandas.read_csv`` of the consensus
file and ``soundfile.info`` per file (no per-worker votes, no validation, no manifest), so it does less work.
The files were just written, so both runs read from a warm page cache; the numbers measure CPU cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CODES = "NHSAUFDCOX"
WORDS = {
    "N": "Neutral",
    "H": "Happy",
    "S": "Sad",
    "A": "Angry",
    "U": "Surprise",
    "F": "Fear",
    "D": "Disgust",
    "C": "Contempt",
    "O": "Other-bored",
    "X": "Neutral",
}
SPLITS = ("Train", "Development", "Test1", "Test2")


def tiny_wav(frames: int, rate: int = 16000) -> bytes:
    """A valid 44-byte-header PCM16 mono WAV of ``frames`` low-level noise samples."""
    data = (np.random.default_rng(frames).integers(-64, 64, frames, dtype=np.int16)).tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(data),
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        rate,
        rate * 2,
        2,
        16,
        b"data",
        len(data),
    )
    return header + data


def generate(root: Path, n: int, workers: int) -> None:
    rng = np.random.default_rng(0)
    audio = root / "Audios"
    audio.mkdir(parents=True, exist_ok=True)
    (root / "Labels").mkdir(exist_ok=True)
    blobs = [tiny_wav(f) for f in (160, 240, 320, 400)]
    codes = rng.integers(0, len(CODES), n)
    consensus = ["FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set"]
    detailed = ["FileName,EmoDetail"]
    for i in range(n):
        name = f"MSP-PODCAST_{i // 500:04d}_{i % 500:04d}.wav"
        (audio / name).write_bytes(blobs[i % 4])
        code = CODES[codes[i]]
        speaker, gender = (
            ("Unknown", "Unknown") if i % 50 == 0 else (str(i // 400), ("Female", "Male")[i % 2])
        )
        consensus.append(f"{name},{code},4.2,3.8,4.4,{speaker},{gender},{SPLITS[i % 4]}")
        for w in range(workers):
            secondary = "Neutral,Concerned; " if w % 2 else ""
            detailed.append(
                f'{name},"WORKER{(i * 7 + w) % 99991:08d}; {WORDS[code]}; {secondary}A:4.0; V:4.0; D:5.0;"'
            )
    (root / "Labels" / "labels_consensus.csv").write_text("\n".join(consensus) + "\n")
    (root / "Labels" / "labels_detailed.csv").write_text("\n".join(detailed) + "\n")


def time_prepare(root: Path, out: Path) -> tuple[float, int, dict]:
    from sercorpus.corpora.prepare import prepare

    start = time.perf_counter()
    records, report = prepare("msp-podcast", root, out)
    return time.perf_counter() - start, len(records), report.to_dict()["skipped_by_reason"]


def time_peer(root: Path) -> tuple[float, int]:
    """The usual peer loop: pandas for the labels, soundfile.info for every file's duration."""
    import pandas as pd
    import soundfile as sf

    start = time.perf_counter()
    df = pd.read_csv(root / "Labels" / "labels_consensus.csv", na_values=["Unknown"], dtype={"SpkrID": str})
    durations = [sf.info(str(root / "Audios" / name)).duration for name in df["FileName"]]
    return time.perf_counter() - start, len(durations)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=5, help="worker ratings per utterance")
    parser.add_argument(
        "--workdir", type=Path, help="generate here and keep it (default: a temp dir, removed)"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the pandas + soundfile.info comparison")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sercorpus-bench-"))
    root = work / f"msp-{args.n}"
    try:
        if not (root / "Labels" / "labels_consensus.csv").is_file():
            start = time.perf_counter()
            generate(root, args.n, args.workers)
            print(
                f"generated {args.n} utterances x {args.workers} workers in {time.perf_counter() - start:.1f} s "
                f"under {root}"
            )
        seconds, written, skipped = time_prepare(root, work / "msp.parquet")
        size = (work / "msp.parquet").stat().st_size / 1e6
        print(
            f"sercorpus prepare msp-podcast: {written} utterances in {seconds:.2f} s = "
            f"{written / seconds:,.0f} utterances/s (Parquet {size:.1f} MB; skipped {skipped or 'none'}; "
            f"{os.cpu_count()} CPUs)"
        )
        if not args.no_peer:
            peer_s, peer_n = time_peer(root)
            print(
                f"peer (pandas.read_csv + soundfile.info per file, no votes/validation/manifest): {peer_n} in "
                f"{peer_s:.2f} s = {peer_n / peer_s:,.0f} utterances/s"
            )
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
