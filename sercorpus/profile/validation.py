"""The fixed train/test split of the real audio in ``../shared/data`` used to build and check the learned
estimators: nothing of the test side is ever seen in training.

- speech (47 clips): even-numbered clips train, odd-numbered clips test;
- ESC-50 (2 clips per category): the first clip (by file name) of each category trains, the second tests;
- Speech Commands backgrounds: the first 60 % of each recording trains, the last 40 % tests;
- coloured noise (1/f^e, e in [-0.5, 2]) from the augmentation engine's generator, different keys per side;
- rooms: simulated rooms with seed 1 train, seed 2 test; the 7 measured RIRs are test-only;
- the synthetic voice of :mod:`sercorpus.synth.voice` (clean condition) adds training speech only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sercorpus.core.seeding import rng_for
from sercorpus.profile.groundtruth import load_folder, trim_digital_silence

TRAIN_ROOM_SEED, TEST_ROOM_SEED = 1, 2


@dataclass
class Side:
    speech: list[tuple[str, np.ndarray]]
    noises: list[tuple[str, np.ndarray]]
    measured_rirs: list[tuple[str, np.ndarray]]


def default_data_root() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def colored_noises(
    seed: int, count: int, seconds: float = 8.0, rate: int = 16000
) -> list[tuple[str, np.ndarray]]:
    from sercorpus.augment import colored_noise

    out = []
    for j in range(count):
        rng = rng_for("validation-colored", seed, j)
        e = float(rng.uniform(-0.5, 2.0))
        y = colored_noise([int(rng.integers(2**62))], int(seconds * rate), rate, exponent=e).numpy()[0]
        out.append((f"colored_e{e:.2f}_{j}", y.astype(np.float64)))
    return out


def synthetic_speech(count: int, seed: int = 0, rate: int = 16000) -> list[tuple[str, np.ndarray]]:
    from sercorpus.synth.voice import PROSODY, make_speaker, synth_utterance

    out = []
    emotions = sorted(PROSODY)
    for i in range(count):
        rng = rng_for("validation-synth", seed, i)
        spk = make_speaker(f"v{i % 10}", "female" if i % 2 else "male", seed=seed)
        y = synth_utterance(
            rng, emotions[i % len(emotions)], spk, float(rng.uniform(1.5, 5.0)), rate, "clean"
        )
        out.append((f"synth{i}", y.astype(np.float64)))
    return out


def load_side(side: str, root: str | Path | None = None, rate: int = 16000) -> Side:
    """The ``"train"`` or ``"test"`` half of the shared real audio (see the module docstring)."""
    if side not in ("train", "test"):
        raise ValueError(f"side must be 'train' or 'test', not {side!r}")
    root = Path(root) if root is not None else default_data_root()
    if not (root / "speech").is_dir():
        raise FileNotFoundError(f"shared validation audio not found under {root}")
    parity = 0 if side == "train" else 1
    speech = [s for i, s in enumerate(load_folder(root / "speech", rate)) if i % 2 == parity]
    noises: list[tuple[str, np.ndarray]] = []
    meta_path = root / "ESC-50" / "meta" / "esc50.csv"
    if meta_path.is_file():
        with meta_path.open(encoding="utf-8") as handle:
            meta = sorted(csv.DictReader(handle), key=lambda r: r["filename"])
        clips = dict(load_folder(root / "ESC-50" / "audio", rate))
        seen: set[str] = set()
        for r in meta:
            first = r["category"] not in seen
            seen.add(r["category"])
            if first == (side == "train") and r["filename"] in clips:
                y = trim_digital_silence(clips[r["filename"]])
                if len(y) >= rate // 2:
                    noises.append((f"esc50/{r['category']}/{r['filename']}", y))
    if (root / "noise").is_dir():
        for name, y in load_folder(root / "noise", rate):
            cut = int(0.6 * len(y))
            noises.append((f"noise/{name}", y[:cut] if side == "train" else y[cut:]))
    noises += colored_noises(parity + 1, 20 if side == "train" else 10, rate=rate)
    rirs = load_folder(root / "rir", rate) if side == "test" and (root / "rir").is_dir() else []
    return Side(speech, noises, rirs)
