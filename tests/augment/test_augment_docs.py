"""docs/augment.md and ``--list-ops`` are generated from the ops' declarations and stay in step with them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sercorpus.augment import registry
from sercorpus.augment.catalog import markdown
from sercorpus.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "augment.md"


def test_committed_doc_equals_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/augment.md is stale: run `.venv/bin/python -m sercorpus.augment.catalog docs/augment.md`"
    )


def test_list_ops_lists_every_op_and_parameter_without_other_arguments():
    result = CliRunner().invoke(app, ["augment", "--list-ops"])
    assert result.exit_code == 0, result.output
    for name, cls in registry.ops().items():
        assert f"\n{name}  (" in "\n" + result.output
        for p in cls.declared:
            assert f" {p.name} " in result.output
    assert "min_snr_db  number in [-30, 60]" in result.output
