"""Fixtures for the training tests. Tiny models run single-threaded (see trainhelp.one_thread); the
miniature corpora and the runs several tests inspect are made once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from trainhelp import SHARED_SPEECH, make_minis, one_thread, run_tiny


@pytest.fixture(autouse=True)
def _single_thread() -> Iterator[None]:
    with one_thread():
        yield


@pytest.fixture(scope="session")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with one_thread():
        return make_minis(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def cnn14_run(mini: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The tiny CNN14 recipe trained once, uninterrupted (the family test and the resume test read it)."""
    out = tmp_path_factory.mktemp("runs") / "cnn14"
    return out, run_tiny("emmanouilidou_cnn14_msp", mini, out, "trainer.checkpoint_every=5")


@pytest.fixture(scope="session")
def tcgru_run(mini: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("runs") / "tcgru"
    return out, run_tiny("mitra_tcgru_wavlm_msp", mini, out)


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    if not SHARED_SPEECH.is_dir():
        pytest.skip(
            f"real speech clips not found at {SHARED_SPEECH} (present on CI; see shared/data/README.md)"
        )
    return SHARED_SPEECH
