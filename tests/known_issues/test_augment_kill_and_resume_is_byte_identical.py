"""Issue 10 item 1: a run killed and resumed differed from an uninterrupted one (110 wavs), because resumed
outputs were computed in other batches. A real ``sercorpus augment`` process is killed with SIGKILL at
several moments and resumed; the result must equal an uninterrupted run byte for byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from sercorpus.augment.files import augment_files

CONFIG = """\
sample_rate: 16000
chain:
  - {op: time_stretch, p: 0.6}
  - {op: synthetic_reverb, p: 0.6, min_t60: 0.2, max_t60: 0.4}
  - {op: lowpass, p: 0.6}
  - {op: pink_noise, min_snr_db: 10, max_snr_db: 30}
"""
N_INPUTS, COPIES = 14, 1
ROOT = Path(__file__).resolve().parents[2]
# A zygote: imports the CLI (and torch) once, then forks one real `sercorpus augment` process per request,
# so each killed run costs a fork instead of a fresh interpreter (torch, scipy and the ops are imported
# before forking; the parent runs no torch op, so forking is safe). Protocol on stdin/stdout: "run <json argv>" -> "<pid>"; "wait <pid>" -> "<status>".
ZYGOTE = """
import json, os, sys
import scipy.signal
import sercorpus.augment.files
from sercorpus.augment import registry
from sercorpus.cli import main
registry.discover()
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "run":
        pid = os.fork()
        if pid == 0:
            log = os.open(os.path.join(json.loads(arg)[-1], "log.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.dup2(log, 1); os.dup2(log, 2)
            sys.argv = ["sercorpus", *json.loads(arg)[:-1]]
            try:
                main()
            except SystemExit as exc:
                os._exit(exc.code or 0)
            os._exit(0)
        print(pid, flush=True)
    elif cmd == "wait":
        print(os.waitpid(int(arg), 0)[1], flush=True)
"""


class Zygote:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, line: str) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def write_inputs(folder: Path) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(11)
    for i in range(N_INPUTS):
        t = np.arange(int((0.5 + 0.11 * i) * 16000)) / 16000
        y = 0.1 * np.sin(2 * np.pi * (130 + 17 * i) * t) + 0.01 * rng.standard_normal(len(t))
        sf.write(folder / f"u{i:02d}.wav", y.astype(np.float32), 16000, subtype="FLOAT")


def done(folder: Path) -> int:
    return len(list(folder.glob("*.aug*.json"))) if folder.is_dir() else 0


def test_sigkill_at_several_moments_then_resume_gives_the_same_bytes(tmp_path):
    write_inputs(tmp_path / "in")
    (tmp_path / "aug.yaml").write_text(CONFIG)
    reference = tmp_path / "reference"
    augment_files(tmp_path / "in", tmp_path / "aug.yaml", reference, copies=COPIES, seed=3, batch_size=1)
    out = tmp_path / "killed"
    args = ["augment", str(tmp_path / "in"), "-c", str(tmp_path / "aug.yaml"), "-o", str(out)]
    args += ["--copies", str(COPIES), "--seed", "3", "--batch-size", "4"]
    logs = tmp_path / "logs"
    logs.mkdir()
    zygote = Zygote()
    try:
        interrupted = 0
        for threshold in (1, 5, 9):  # kill once this many outputs exist (the run may already be further)
            pid = zygote.ask("run " + json.dumps([*args, str(logs)]))
            deadline = time.monotonic() + 120
            while done(out) < threshold and time.monotonic() < deadline:
                if (out / "REPORT.json").exists():
                    break  # the run completed before the kill
                time.sleep(0.002)
            os.kill(pid, signal.SIGKILL)
            status = zygote.ask(f"wait {pid}")
            interrupted += os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        assert interrupted >= 2, "the kills came too late to interrupt the runs"
        assert done(out) < N_INPUTS * COPIES, "everything was written before the last kill"
        pid = zygote.ask("run " + json.dumps([*args, str(logs)]))
        status = zygote.ask(f"wait {pid}")
    finally:
        zygote.close()
    log = (logs / "log.txt").read_text()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, log
    assert "already done" in log
    expected = {p.name: p.read_bytes() for p in sorted(reference.glob("*.aug*"))}
    got = {p.name: p.read_bytes() for p in sorted(out.glob("*.aug*"))}
    assert len(expected) == 2 * N_INPUTS * COPIES
    assert sorted(got) == sorted(expected)
    differing = [name for name in expected if got[name] != expected[name]]
    assert not differing, f"{len(differing)} files differ from the uninterrupted run: {differing[:4]}"
    assert (out / "RUN.json").read_bytes() == (reference / "RUN.json").read_bytes()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "temp files left behind"
