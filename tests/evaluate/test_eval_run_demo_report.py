"""``build_demo_report``: the demo's evaluation report end to end (matrix, per-cell reports, robustness)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_eval_run_support import REPO, World, world

from sercorpus.evaluate.runners.demo_report import build_demo_report
from sercorpus.train.recipe import SourceSpec

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world(tmp_path_factory)


def test_demo_report_end_to_end(w: World, tmp_path: Path) -> None:
    conditions = tmp_path / "conditions.yaml"
    fade = REPO / "recipes" / "augment" / "esc50_robustness" / "fade_in_2pct.yaml"
    conditions.write_text(
        yaml.safe_dump(
            {
                "conditions": {
                    "fade_in": {"config": str(fade)},
                    "natural_0dB": {"config": str(fade), "needs": "noise_root"},
                }
            }
        ),
        encoding="utf-8",
    )
    tests = {
        "msp-test1": SourceSpec(path=str(w.msp), split="test1"),
        "msp-dev": SourceSpec(path=str(w.msp), split="dev"),
    }
    out = tmp_path / "report"
    report = build_demo_report(
        {"msp": w.run}, tests, out, robustness=("msp", "msp-test1"), conditions=conditions
    )
    assert report.markdown == out / "REPORT.md" and report.markdown.is_file()
    captions = [c for c, _ in report.images]
    assert captions[0] == "uar matrix" and captions[-1] == "robustness of msp on msp-test1"
    assert "msp on msp-dev: confusion matrix" in captions and "msp on msp-test1: per-speaker UAR" in captions
    for _, png in report.images:
        assert png.is_file() and png.read_bytes()[:8] == PNG
    text = report.markdown.read_text(encoding="utf-8")
    for _, png in report.images:  # every image is linked, relative to the report
        assert png.relative_to(out).as_posix() in text
    assert set(report.scores) == {("msp", "msp-test1"), ("msp", "msp-dev")}
    assert report.robustness is not None and report.robustness.conditions == ("fade_in", "natural_0dB")
    assert "Skipped: natural_0dB" in text
    # a second call reuses every cell's predictions
    again = build_demo_report({"msp": w.run}, tests, out)
    assert again.scores == report.scores
