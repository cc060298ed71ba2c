"""``sercorpus train`` / ``sercorpus saliency`` through the command module (the coordinator wires it in)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainhelp import TINY, tiny_overrides
from typer.testing import CliRunner

from sercorpus.cli.train_cmd import app

runner = CliRunner()


def _sets(mini: Path, *extra: str) -> list[str]:
    return [a for s in tiny_overrides(mini, *extra) for a in ("--set", s)]


def test_train_reports_a_finished_run_and_refuses_a_bad_key(
    mini: Path, cnn14_run: tuple[Path, dict[str, Any]]
) -> None:
    run, metrics = cnn14_run
    recipe = str(TINY / "emmanouilidou_cnn14_msp.yaml")
    done = runner.invoke(app, ["train", recipe, "-o", str(run), *_sets(mini, "trainer.checkpoint_every=5")])
    assert done.exit_code == 0, done.output
    assert f"best dev uar {metrics['best']['value']:.4f} at step {metrics['best']['step']}" in done.stdout
    assert "test/crema-d: n 5" in done.stdout
    bad = runner.invoke(
        app, ["train", recipe, "-o", str(run.parent / "bad"), *_sets(mini, "trainer.epoch=2")]
    )
    assert bad.exit_code == 1 and "error: trainer.epoch: unknown key" in bad.stderr
    assert "Traceback" not in bad.output and not (run.parent / "bad").exists()


def test_saliency_prints_and_plots_the_per_layer_score(mini: Path, tmp_path: Path) -> None:
    recipe = str(TINY / "mitra_tcgru_wavlm_msp.yaml")
    done = runner.invoke(app, ["saliency", recipe, "-o", str(tmp_path / "sal"), *_sets(mini)])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert "122 sampled training utterances" in lines[0] and "mean over embedding dimensions" in lines[0]
    rows = [ln for ln in lines if ln.strip()[:1].isdigit()]
    assert len(rows) == 4 and sum("<- chosen" in r for r in rows) == 1
    assert (tmp_path / "sal" / "saliency.png").stat().st_size > 10_000
    assert (tmp_path / "sal" / "embeddings" / "means").is_dir()
