"""Issue 10, item 15: MSP-Podcast label files whose ``Split_Set`` is ``NA`` (the WHiSER release has only such
rows) produced a split named ``na``. A missing-value marker is now a null split, noted once in the report."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from sercorpus.corpora.prepare import prepare
from sercorpus.synth.msp_podcast import write_msp_podcast


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_msp_podcast(tmp_path_factory.mktemp("msp") / "root", n=30)


def set_split(root: Path, value: str, every: int = 1) -> int:
    """Rewrite ``Split_Set`` of every ``every``-th consensus row; returns how many rows changed."""
    path = root / "Labels" / "labels_consensus.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    col = rows[0].index("Split_Set")
    changed = 0
    for i, row in enumerate(rows[1:]):
        if row and i % every == 0:
            row[col] = value
            changed += 1
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return changed


def test_whiser_style_na_rows_get_a_null_split_noted_once(mini, tmp_path):
    root = Path(shutil.copytree(mini, tmp_path / "root"))
    (root / "Partitions.txt").unlink()  # WHiSER ships no partitions file
    changed = set_split(root, "NA")
    records, report = prepare("msp-podcast", root, tmp_path / "m.jsonl")
    assert records and all(u.split is None for u in records)
    assert all(u.extra["split_set"] == "NA" for u in records)  # the native value is kept as written
    notes = [n for n in report.notes if n.reason == "missing-split"]
    assert len(notes) == 1 and f"{changed} file(s) have Split_Set 'NA'" in notes[0].detail
    assert not [n for n in report.notes if n.reason == "unknown-split"]
    assert "split:na" not in report.counts and report.counts["split:None"] == len(records)


def test_partitions_still_fill_a_missing_consensus_split(mini, tmp_path):
    root = Path(shutil.copytree(mini, tmp_path / "root"))
    set_split(root, "N/A", every=3)
    original, _ = prepare("msp-podcast", mini, tmp_path / "orig.jsonl")
    records, report = prepare("msp-podcast", root, tmp_path / "m.jsonl")
    assert {u.id: u.split for u in records} == {u.id: u.split for u in original}
    assert not [n for n in report.notes if n.reason in ("missing-split", "unknown-split")]


def test_an_unknown_split_name_is_still_kept_and_noted(mini, tmp_path):
    root = Path(shutil.copytree(mini, tmp_path / "root"))
    set_split(root, "Holdout", every=5)
    records, report = prepare("msp-podcast", root, tmp_path / "m.jsonl")
    assert "holdout" in {u.split for u in records}
    assert any(n.reason == "unknown-split" for n in report.notes)
