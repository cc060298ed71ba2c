"""``sercorpus shard`` (write by default), ``shard verify`` and ``shard merge`` through typer."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from sercorpus.cli import shard_cmd


def app() -> typer.Typer:
    root = typer.Typer()

    @root.command("noop")
    def noop() -> None:  # a second command, so typer keeps "shard" as a group
        pass

    shard_cmd.register(root)
    return root


def test_write_verify_merge_and_refusals(corpora, tmp_path):
    runner = CliRunner()
    out = tmp_path / "ds"
    args = [
        "shard",
        str(corpora["calls"]),
        "-o",
        str(out),
        "--max-duration",
        "3",
        "--long",
        "split",
        "--no-progress",
    ]
    result = runner.invoke(app(), args)
    assert result.exit_code == 0, result.output
    assert "samples" in result.output and (out / "index.json").is_file()
    result = runner.invoke(app(), ["shard", "verify", str(out)])
    assert result.exit_code == 0 and "checksums match" in result.output
    result = runner.invoke(app(), [*args[:-1], "--shard-mb", "9"])
    assert result.exit_code == 1 and "shard_mb" in result.output and "--overwrite" in result.output
    parts = []
    for i in range(2):
        parts.append(tmp_path / f"p{i}")
        r = runner.invoke(
            app(), ["shard", str(corpora["calls"]), "-o", str(parts[-1]), "--part", f"{i}/2", "--no-progress"]
        )
        assert r.exit_code == 0, r.output
        assert "waiting for parts" in r.output
    r = runner.invoke(app(), ["shard", "merge", *map(str, parts), "-o", str(tmp_path / "joined")])
    assert r.exit_code == 0, r.output
    index = json.loads((tmp_path / "joined" / "index.json").read_text())
    assert index["parts"] == 2 and index["samples"] == 25
    r = runner.invoke(app(), ["shard", "merge", str(parts[0]), "-o", str(tmp_path / "half")])
    assert r.exit_code == 1 and "parts [1] of 2 are missing" in r.output
    victim = tmp_path / "joined" / index["shards"][0]["name"]
    data = victim.read_bytes()
    victim.unlink()  # merge hard-links shards: write a new file, not into the part's inode
    victim.write_bytes(data[:-10])
    r = runner.invoke(app(), ["shard", "verify", str(tmp_path / "joined")])
    assert r.exit_code == 1 and victim.name in r.output


def test_a_killed_claim_does_not_block_the_rerun(tmp_path):
    from sercorpus.shards.run import claim

    out = tmp_path / "ds"
    out.mkdir()
    (out / ".RUN.json.x1y2.tmp").write_text("{")  # what SIGKILL during the RUN.json write leaves
    info = claim(out, {"a": 1}, overwrite=False, wait_s=0.1)
    assert (out / "RUN.json").is_file() and info.settings == {"a": 1}
