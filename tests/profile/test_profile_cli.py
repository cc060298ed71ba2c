"""The typer commands: ``profile``, ``profile compare`` and ``match`` call the library and report."""

from __future__ import annotations

import numpy as np
import soundfile as sf
import typer
from typer.testing import CliRunner

from sercorpus.cli import profile_cmd
from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer in multi-command mode
        pass

    profile_cmd.register(app)
    return app


def test_profile_and_compare_commands(tmp_path, speech):
    root = tmp_path / "c"
    root.mkdir()
    recs = []
    for k, (_, s) in enumerate(speech[:3]):
        sf.write(root / f"{k}.wav", s.astype(np.float32), 16000)
        recs.append(Utterance(f"c/a{k}", "c", f"{k}.wav", len(s) / 16000, 16000))
    write_manifest(tmp_path / "m.parquet", recs, {"c": root})
    runner = CliRunner()
    app = _app()
    res = runner.invoke(app, ["profile", str(tmp_path / "m.parquet"), "-o", str(tmp_path / "a.parquet")])
    assert res.exit_code == 0, res.output
    assert "profiled" in res.output and (tmp_path / "a.report.json").is_file()
    res = runner.invoke(app, ["profile", str(tmp_path / "m.parquet"), "-o", str(tmp_path / "a.parquet")])
    assert res.exit_code == 0 and "already complete" in res.output
    import shutil

    shutil.copy(tmp_path / "a.parquet", tmp_path / "b.parquet")
    res = runner.invoke(
        app,
        [
            "profile",
            "compare",
            str(tmp_path / "a.parquet"),
            str(tmp_path / "b.parquet"),
            "--png",
            str(tmp_path / "c.png"),
            "--markdown",
            str(tmp_path / "c.md"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "c.png").is_file() and "Wasserstein" in (tmp_path / "c.md").read_text()
    res = runner.invoke(app, ["profile", str(tmp_path / "m.parquet"), "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and "parquet" in res.output
