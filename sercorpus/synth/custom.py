"""Miniature bring-your-own corpora for the generic loaders, each with the shipped example spec.

- :func:`write_custom_csv`: an nkululeko-style CSV database (``labels.csv`` + ``wav/``) described by
  ``manifests/custom_example.yaml``, copied to ``sercorpus.yaml`` in the root.
- :func:`write_custom_folder`: EmoDB-style file names (``wav/03a01Fa.wav``) described by
  ``manifests/custom_folder_example.yaml``.

The specs are copied, not rewritten, so the shipped examples are exactly what the tests and the demo run.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sercorpus.core.atomic import atomic_output
from sercorpus.core.audio import write_wav
from sercorpus.core.labelmap import manifests_dir
from sercorpus.core.seeding import rng_for, stable_seed
from sercorpus.synth.voice import make_speaker, synth_utterance

SAMPLE_RATE = 16000
SPEC_NAME = "sercorpus.yaml"

# native word -> (voiced emotion, arousal, valence) on the example's 1-5 scale
CSV_LABELS = {
    "anger": ("angry", 5, 1),
    "happiness": ("happy", 4, 5),
    "neutral": ("neutral", 3, 3),
    "sadness": ("sad", 2, 2),
    "fear": ("fearful", 4, 1),
    "boredom": ("neutral", 1, 3),
}
CSV_SPEAKERS = {
    "sp01": ("f", "training"),
    "sp02": ("m", "training"),
    "sp03": ("f", "validation"),
    "sp04": ("m", "testing"),
}
CSV_TEXTS = ("The meeting moved to Thursday.", "I left the keys on the table.", "We need more paper.")

# EmoDB letters -> voiced emotion
FOLDER_LABELS = {
    "W": "angry",
    "L": "neutral",
    "E": "disgusted",
    "A": "fearful",
    "F": "happy",
    "T": "sad",
    "N": "neutral",
}
FOLDER_SPEAKERS = {"03": "male", "08": "female", "09": "female", "10": "male"}


def _copy_spec(example: str, root: Path) -> None:
    with atomic_output(root / SPEC_NAME, "wb") as handle:
        handle.write((manifests_dir() / example).read_bytes())


def _clip(seed: int, corpus: str, name: str, emotion: str, speaker: str, gender: str, condition: str):
    rng = rng_for(seed, corpus, name)
    voice = make_speaker(speaker, gender, seed=stable_seed(seed, corpus))
    return synth_utterance(rng, emotion, voice, round(rng.uniform(1.2, 2.2), 2), SAMPLE_RATE, condition)


def write_custom_csv(out: str | Path, seed: int = 0) -> Path:
    """24 clips (4 speakers x 6 labels) with a CSV table, like an nkululeko database; returns the root."""
    root = Path(out)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "speaker", "sex", "emotion", "set", "text", "act", "val"])
    for speaker, (sex, split) in CSV_SPEAKERS.items():
        for k, (native, (emotion, act, val)) in enumerate(CSV_LABELS.items()):
            name = f"{speaker}_{native}_{k:02d}.wav"
            gender = "female" if sex == "f" else "male"
            write_wav(
                root / "wav" / name,
                _clip(seed, "custom-csv", name, emotion, speaker, gender, "clean"),
                SAMPLE_RATE,
            )
            writer.writerow([name, speaker, sex, native, split, CSV_TEXTS[k % len(CSV_TEXTS)], act, val])
    with atomic_output(root / "labels.csv", "w") as handle:
        handle.write(buffer.getvalue())
    _copy_spec("custom_example.yaml", root)
    return root


def write_custom_folder(out: str | Path, seed: int = 0) -> Path:
    """28 EmoDB-style clips (4 speakers x 7 emotions, text a01, take a) in ``wav/``; returns the root."""
    root = Path(out)
    for speaker, gender in FOLDER_SPEAKERS.items():
        for letter, emotion in FOLDER_LABELS.items():
            name = f"{speaker}a01{letter}a.wav"
            write_wav(
                root / "wav" / name,
                _clip(seed, "custom-folder", name, emotion, speaker, gender, "acted"),
                SAMPLE_RATE,
            )
    _copy_spec("custom_folder_example.yaml", root)
    return root
