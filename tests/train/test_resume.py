"""A run killed mid-epoch resumes to exactly the uninterrupted run's result (model, optimiser, scheduler,
RNG and loader state all restored); a finished run is not retrained; another recipe is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from trainhelp import run_tiny

from sercorpus.core.runinfo import SettingsMismatch


class Killed(Exception):
    pass


def kill_at(step: int):  # noqa: ANN201
    def hook(current: int) -> None:
        if current == step:
            raise Killed(step)

    return hook


def _files(run: Path) -> dict[str, bytes]:
    names = ["metrics.json", "logs/train.csv", "logs/eval.csv", "logs/events.jsonl", "best.pt"]
    names += sorted(str(p.relative_to(run)) for p in (run / "predictions").glob("*.csv"))
    return {n: (run / n).read_bytes() for n in names}


def test_killed_run_resumes_to_the_same_result(
    mini: Path, tmp_path: Path, cnn14_run: tuple[Path, dict[str, Any]]
) -> None:
    reference, expected = cnn14_run
    out = tmp_path / "run"
    args = ("emmanouilidou_cnn14_msp", mini, out, "trainer.checkpoint_every=5")
    with pytest.raises(Killed):
        run_tiny(*args, on_step=kill_at(8))  # mid-epoch 1, three steps after the step-5 checkpoint
    assert not (out / "metrics.json").exists()
    with pytest.raises(Killed):
        run_tiny(*args, on_step=kill_at(19))  # resumed at 5, killed in epoch 2 after the step-15 checkpoint
    metrics = run_tiny(*args)
    assert metrics == expected
    ours, theirs = _files(out), _files(reference)
    assert ours.keys() == theirs.keys()
    for name in ours:
        if name != "best.pt":  # torch.save pickles differ by memo order only; compare the weights instead
            assert ours[name] == theirs[name], name
    import torch

    a, b = (
        torch.load(out / "best.pt", weights_only=False),
        torch.load(reference / "best.pt", weights_only=False),
    )
    assert a["step"] == b["step"] and all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])


def test_finished_run_is_kept_and_another_recipe_is_refused(
    mini: Path, cnn14_run: tuple[Path, dict[str, Any]]
) -> None:
    reference, expected = cnn14_run
    timing = (reference / "timing.json").read_bytes()
    assert run_tiny("emmanouilidou_cnn14_msp", mini, reference, "trainer.checkpoint_every=5") == expected
    assert (reference / "timing.json").read_bytes() == timing  # nothing was retrained
    with pytest.raises(SettingsMismatch, match=r"optim\.lr: 0\.005 -> 0\.1"):
        run_tiny("emmanouilidou_cnn14_msp", mini, reference, "trainer.checkpoint_every=5", "optim.lr=0.1")
