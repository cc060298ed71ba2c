"""Miniature ESC-50 in the v2.0.0 layout: ``audio/{fold}-{src}-{take}-{target}.wav`` + ``meta/esc50.csv``.

Clips are 44.1 kHz mono PCM16 of exactly 220,500 samples, like the real corpus, with category-typed texture
(steady noise beds, impulsive clicks, tonal hums, bursts) so group-wise background mixing has audible
differences. ``legacy_header=True`` writes the 2016 header variant.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import signal

from sercorpus.core.atomic import atomic_output
from sercorpus.core.audio import write_wav
from sercorpus.core.seeding import rng_for

SAMPLE_RATE = 44100
NUM_SAMPLES = 220_500

# category -> (target, texture); two per major group that SER robustness work uses, plus one animal
CATEGORIES: dict[str, tuple[int, str]] = {
    "dog": (0, "bursts"),
    "rain": (10, "bed"),
    "wind": (16, "gusts"),
    "sea_waves": (11, "gusts"),
    "coughing": (24, "bursts"),
    "laughing": (26, "bursts"),
    "footsteps": (25, "clicks"),
    "keyboard_typing": (32, "clicks"),
    "vacuum_cleaner": (36, "hum"),
    "clock_tick": (38, "clicks"),
    "siren": (42, "hum"),
}
_HEADER = "filename,fold,target,category,esc10,src_file,take"
_LEGACY_HEADER = "filename,fold,category,category_name,esc10,src_file,take"
_ESC10 = {
    "dog",
    "rooster",
    "rain",
    "sea_waves",
    "crackling_fire",
    "crying_baby",
    "sneezing",
    "clock_tick",
    "helicopter",
    "chainsaw",
}


def texture(rng: np.random.Generator, kind: str, n: int = NUM_SAMPLES, sr: int = SAMPLE_RATE) -> np.ndarray:
    t = np.arange(n) / sr
    white = rng.standard_normal(n)
    if kind == "bed":
        y = signal.sosfilt(signal.butter(2, [800, 8000], btype="bandpass", fs=sr, output="sos"), white)
    elif kind == "gusts":
        lp = signal.sosfilt(signal.butter(2, 500, fs=sr, output="sos"), white)
        y = lp * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t) ** 2)
    elif kind == "clicks":
        y = np.zeros(n)
        hits = rng.choice(n - 400, size=int(rng.uniform(8, 25)), replace=False)
        decay = np.exp(-np.arange(400) / 40.0)
        for h in hits:
            y[h : h + 400] += rng.standard_normal(400) * decay
    elif kind == "hum":
        f = rng.uniform(90, 600)
        y = sum(
            np.sin(2 * np.pi * f * k * t * (1 + 0.02 * np.sin(2 * np.pi * 0.5 * t))) / k for k in range(1, 6)
        )
        y = y + 0.3 * white
    elif kind == "bursts":
        y = np.zeros(n)
        for _ in range(int(rng.uniform(2, 6))):
            start, length = int(rng.uniform(0, n - sr // 2)), int(rng.uniform(0.1, 0.4) * sr)
            seg = signal.sosfilt(
                signal.butter(2, [300, 3000], btype="bandpass", fs=sr, output="sos"),
                rng.standard_normal(length),
            )
            y[start : start + length] += seg * np.hanning(length)
    else:
        raise ValueError(f"unknown texture {kind!r}")
    y = y / (np.max(np.abs(y)) + 1e-12) * rng.uniform(0.3, 0.8)
    return y.astype(np.float32)


def write_esc50(
    out: str | Path, seed: int = 0, clips_per_category: int = 2, legacy_header: bool = False
) -> Path:
    """Write the miniature corpus under ``out`` and return its root."""
    root = Path(out)
    rows = []
    for category, (target, kind) in CATEGORIES.items():
        for k in range(clips_per_category):
            rng = rng_for(seed, "esc50", category, k)
            fold, src, take = 1 + (target + k) % 5, str(100000 + target * 1000 + k), "A"
            name = f"{fold}-{src}-{take}-{target}.wav"
            write_wav(root / "audio" / name, texture(rng, kind), SAMPLE_RATE)
            esc10 = "True" if category in _ESC10 else "False"
            rows.append(f"{name},{fold},{target},{category},{esc10},{src},{take}")
    meta = root / "meta" / "esc50.csv"
    with atomic_output(meta, "w") as handle:
        handle.write((_LEGACY_HEADER if legacy_header else _HEADER) + "\n" + "\n".join(sorted(rows)) + "\n")
    return root
