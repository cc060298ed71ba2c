"""Fixtures for the profiling tests: real speech/noise/RIRs from ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_root() -> Path:
    if not (SHARED_DATA / "speech").is_dir():
        pytest.skip(
            f"real public test data not found at {SHARED_DATA} (present on CI; see shared/data/README.md)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def speech(data_root: Path) -> list[tuple[str, np.ndarray]]:
    """The test half of the real speech clips (odd numbers), 16 kHz."""
    from sercorpus.profile.validation import load_side

    return load_side("test", data_root).speech


@pytest.fixture(scope="session")
def test_side(data_root: Path):  # type: ignore[no-untyped-def]
    from sercorpus.profile.validation import load_side

    return load_side("test", data_root)


@pytest.fixture(scope="session")
def model_available() -> bool:
    from sercorpus.profile.learned import ModelUnavailable, load_model

    try:
        load_model()
    except ModelUnavailable as exc:
        pytest.skip(f"learned model not available: {exc}")
    return True
