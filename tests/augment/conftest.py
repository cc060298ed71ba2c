"""Fixtures for the augmentation tests: speech-like signals, padded batches, noise banks and RIR folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from augment_signals import speechlike, write_esc50_mini, write_rir_folder


@pytest.fixture(scope="session")
def speech_factory():
    return speechlike


@pytest.fixture(scope="session")
def signals() -> list[np.ndarray]:
    """Mixed lengths, so batches carry real padding."""
    return [speechlike(s, seed=i) for i, s in enumerate((1.0, 2.2, 0.6, 1.7, 1.3))]


@pytest.fixture(scope="session")
def esc50_real(shared_data) -> Path:
    return shared_data / "ESC-50"


@pytest.fixture(scope="session")
def esc50_mini(tmp_path_factory) -> Path:
    return write_esc50_mini(tmp_path_factory.mktemp("esc50"))


@pytest.fixture(scope="session")
def rir_folder(tmp_path_factory) -> tuple[Path, float]:
    """One synthetic RIR of known T60, stored as 44.1 kHz stereo PCM_24 (rate and channels the op must handle)."""
    return write_rir_folder(tmp_path_factory.mktemp("rirs"))


@pytest.fixture(scope="session")
def resources(esc50_mini, rir_folder) -> dict[str, Path]:
    """What ops may declare as resources (the CLI's --noise-root and --rir-dir), for the contract tests."""
    return {"noise_root": esc50_mini, "rir_dir": rir_folder[0]}
