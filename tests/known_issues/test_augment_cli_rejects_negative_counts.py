"""Issue 10 item 10: ``--limit -1`` silently dropped the last input. Counts now reject out-of-range values
(typer ``min=``) before anything runs."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from sercorpus.augment.files import augment_files
from sercorpus.cli import app


@pytest.mark.parametrize(
    "option,value", [("--limit", "-1"), ("--copies", "0"), ("--batch-size", "0"), ("--workers", "0")]
)
def test_out_of_range_counts_are_rejected(tmp_path, option, value):
    (tmp_path / "in").mkdir()
    sf.write(tmp_path / "in" / "a.wav", np.zeros(1600, np.float32) + 0.1, 16000)
    (tmp_path / "c.yaml").write_text("chain:\n  - {op: gain}\n")
    result = CliRunner().invoke(
        app,
        [
            "augment",
            str(tmp_path / "in"),
            "-c",
            str(tmp_path / "c.yaml"),
            "-o",
            str(tmp_path / "o"),
            option,
            value,
        ],
    )
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output and "greater than or equal to" in result.output
    assert not (tmp_path / "o").exists()


def test_library_rejects_them_too(tmp_path):
    with pytest.raises(ValueError, match=r"limit=-1 must be an integer >= 0"):
        augment_files(tmp_path, {"chain": [{"op": "gain"}]}, tmp_path / "o", limit=-1)
