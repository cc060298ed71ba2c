"""Shared, built-once fixtures of the ``test_eval_run_*`` tests: tiny manifests cut from the miniature corpora
(written with ``sercorpus.synth`` and read with ``prepare``), one tiny trained run, an ESC-50 noise root.

Built once per test session (module-level cache keyed by pytest's base temp folder), so each test module
pays for it only if it runs first. Kept tiny on purpose: the tests check the evaluation machinery, not
what a 2-channel CNN14 learns in two optimiser steps.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sercorpus.core.manifest import read_manifest, write_manifest
from sercorpus.core.schema import Utterance
from sercorpus.selection.views import get_view

REPO = Path(__file__).resolve().parents[2]
TINY_RECIPE = REPO / "recipes" / "evaluate" / "tiny_cnn14.yaml"
FOUR = get_view("4class")


def training_loaders() -> Callable[[Any], Any]:
    """The trainer's own loader when it is there, else the training tests' stand-in (same contract)."""
    try:
        from sercorpus.train.loaders import shard_loader  # type: ignore[import-not-found]

        return shard_loader  # type: ignore[no-any-return]
    except ImportError:
        sys.path.insert(0, str(REPO / "tests" / "train"))
        from fakeloader import fake_loader  # type: ignore[import-not-found]

        return fake_loader  # type: ignore[no-any-return]


def shortest(records: list[Utterance], n: int, per_speaker: int = 99) -> list[Utterance]:
    """The ``n`` shortest in-view records, at most ``per_speaker`` from one speaker (deterministic)."""
    out: list[Utterance] = []
    count: dict[str | None, int] = {}
    for u in sorted(records, key=lambda u: (u.duration, u.id)):
        if FOUR.map_category(u.label) is None or count.get(u.speaker, 0) >= per_speaker:
            continue
        out.append(u)
        count[u.speaker] = count.get(u.speaker, 0) + 1
        if len(out) == n:
            break
    return out


class World:
    """The shared data, each piece built on first use (a module that needs no IEMOCAP does not pay for it)."""

    def __init__(self, base: Path):
        self.base = base
        self._cache: dict[str, Any] = {}

    def _once(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def msp(self) -> Path:
        """Tiny MSP-Podcast manifest: train 8, dev 4, test1 8."""
        return self._once("msp", lambda: _tiny_msp(self.base))[0]  # type: ignore[no-any-return]

    @property
    def unlabelled(self) -> Path:
        """MSP records whose labels are all outside the 4-class view."""
        return self._once("msp", lambda: _tiny_msp(self.base))[1]  # type: ignore[no-any-return]

    @property
    def iemocap(self) -> Path:
        """Tiny IEMOCAP manifest with splits assigned by speaker: train 8, dev 4, test 6."""
        return self._once("iemocap", lambda: _tiny_iemocap(self.base))  # type: ignore[no-any-return]

    @property
    def noise_root(self) -> Path:
        """A miniature ESC-50 (one clip per category)."""
        from sercorpus.synth.esc50 import write_esc50

        return self._once(
            "esc50", lambda: Path(write_esc50(self.base / "corpora" / "esc50", clips_per_category=1))
        )  # type: ignore[no-any-return]

    @property
    def run(self) -> Path:
        """A finished tiny run trained on the tiny MSP set."""
        return self._once("run", self._train)  # type: ignore[no-any-return]

    def _train(self) -> Path:
        from sercorpus.train.run import train

        run = self.base / "runs" / "msp"
        train(TINY_RECIPE, run, overrides=tiny_recipe_overrides(self.msp), loaders=training_loaders())
        return run


_WORLDS: dict[Path, World] = {}


def _tiny_msp(base: Path) -> tuple[Path, Path]:
    from sercorpus.corpora.prepare import prepare
    from sercorpus.synth.msp_podcast import write_msp_podcast

    root = write_msp_podcast(base / "corpora" / "msp", n=40)
    full = base / "msp-full.parquet"
    prepare("msp-podcast", root, full)
    manifest = read_manifest(full)
    keep: list[Utterance] = []
    for split, n in (("train", 8), ("dev", 4), ("test1", 8)):
        keep += shortest([u for u in manifest.records if u.split == split], n, per_speaker=4)
    out = write_manifest(base / "msp.parquet", keep, manifest.roots)
    outside = [u for u in manifest.records if u.label is not None and FOUR.map_category(u.label) is None]
    unlabelled = write_manifest(base / "unlabelled.parquet", outside[:4], manifest.roots)
    return out, unlabelled


def _tiny_iemocap(base: Path) -> Path:
    from sercorpus.corpora.prepare import prepare
    from sercorpus.synth.iemocap import write_iemocap

    root = write_iemocap(base / "corpora" / "iemocap")
    full = base / "iemocap-full.parquet"
    prepare("iemocap", root, full)
    manifest = read_manifest(full)
    speakers = sorted({u.speaker for u in manifest.records if u.speaker})
    plan = {"train": (speakers[:4], 2), "dev": (speakers[4:6], 2), "test": (speakers[6:9], 2)}
    keep: list[Utterance] = []
    for split, (names, per) in plan.items():
        for spk in names:
            own = [u for u in manifest.records if u.speaker == spk]
            keep += [u.replace(split=split) for u in shortest(own, per)]
    return write_manifest(base / "iemocap.parquet", keep, manifest.roots)


def tiny_recipe_overrides(train: Path, split_train: str = "train", split_dev: str = "dev") -> list[str]:
    return [
        f"data.train=[{{path: {train}, split: {split_train}}}]",
        f"data.dev=[{{path: {train}, split: {split_dev}}}]",
        "trainer.max_steps=2",
        "data.batch_size=4",
    ]


def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    key = tmp_path_factory.getbasetemp()
    if key not in _WORLDS:
        _WORLDS[key] = World(tmp_path_factory.mktemp("eval_run_world"))
    return _WORLDS[key]


def _stub_png(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    return path


def stub_report_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every per-cell / per-condition report draws a confusion and a per-speaker PNG (looked at, and tested
    for real, in test_eval_run_evaluate); tests that write many reports stub them, which halves their time.
    Matrix heatmaps and robustness bars stay real."""
    import sercorpus.evaluate.report as report

    monkeypatch.setattr(report, "confusion_png", lambda cm, classes, path, title="": _stub_png(Path(path)))
    monkeypatch.setattr(report, "per_speaker_png", lambda per, path, **kw: _stub_png(Path(path)))
