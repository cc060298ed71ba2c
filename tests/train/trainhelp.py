"""Helpers shared by the training tests: miniature corpora, the real-speech A/V manifest, recipe runs."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from sercorpus.core.audio import probe
from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "recipes" / "train" / "tiny"
SHARED_SPEECH = REPO.parent / "shared" / "data" / "speech"


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Tiny models on a shared 2-core box: OpenMP spin-waiting makes 2 threads ~10x slower than 1 here."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_minis(folder: Path) -> Path:
    """msp-podcast, iemocap and crema-d miniatures (+ a balanced MSP* subset) as prepared manifests."""
    from sercorpus.core.manifest import read_manifest
    from sercorpus.corpora import CORPORA
    from sercorpus.corpora.prepare import prepare
    from sercorpus.selection.subsets import subset

    for name in ("msp-podcast", "iemocap", "crema-d"):
        root = CORPORA[name].writer_function()(folder / name, seed=0)
        prepare(name, root, folder / f"{name}.parquet")
    msp = read_manifest(folder / "msp-podcast.parquet")
    star = subset(msp.records, "4class", balanced=True)
    write_manifest(folder / "msp-star.parquet", star.records, msp.roots)
    return folder


def speech_manifest(folder: Path) -> Path:
    """The 47 real clips of ../shared/data/speech with arousal/valence from [-1, 1] mapped to [0, 1];
    every 4th clip (by name) is dev. The one clip without an arousal rating keeps arousal null."""
    ratings: dict[str, dict[str, float]] = {}
    for dim in ("arousal", "valence"):
        with (SHARED_SPEECH / f"{dim}.csv").open(encoding="utf-8") as handle:
            for name, value in csv.reader(handle):
                ratings.setdefault(name, {})[dim] = (float(value) + 1.0) / 2.0
    records = []
    for i, path in enumerate(sorted(SHARED_SPEECH.glob("*.wav"))):
        info = probe(path)
        r = ratings.get(path.name, {})
        records.append(
            Utterance(
                id=f"speech/{path.stem}",
                corpus="speech",
                audio_path=path.name,
                duration=info.duration,
                sample_rate=info.sample_rate,
                split="dev" if i % 4 == 3 else "train",
                arousal=r.get("arousal"),
                valence=r.get("valence"),
            )
        )
    return write_manifest(folder / "speech.parquet", records, {"speech": str(SHARED_SPEECH)})


def tiny_overrides(mini: Path, *extra: str) -> list[str]:
    return [f"vars.data={mini}", f"vars.esc50={mini}/esc50", "trainer.progress=false", *extra]


def run_tiny(name: str, mini: Path, out: Path, *extra: str, **kwargs: Any) -> dict[str, Any]:
    from sercorpus.train.run import train

    with one_thread():
        return train(TINY / f"{name}.yaml", out, overrides=tiny_overrides(mini, *extra), **kwargs)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
