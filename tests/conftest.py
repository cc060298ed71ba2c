"""Shared fixtures: real public data from ../shared/data (skipped with a reason where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real public test data not found at {SHARED_DATA} (present on CI; see shared/data/README.md)"
        )
    return SHARED_DATA
