"""Issue 10 item 1: augmented audio depended on the batch (FFT and resampling sizes followed the batch's
padding), so ``--batch-size 5`` and ``--batch-size 8`` gave different bytes. Now every example is computed
from its own length alone: the bytes are the same for any batch size, order or worker count on CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from sercorpus.cli import app

CONFIG = """\
sample_rate: 16000
chain:
  - {op: time_stretch, p: 0.7}
  - {op: synthetic_reverb, p: 0.7, min_t60: 0.2, max_t60: 0.5}
  - {op: highpass, p: 0.7}
  - {op: lowpass, p: 0.7}
  - {op: pink_noise, min_snr_db: 10, max_snr_db: 30}
  - {op: segment_speedup, p: 0.5}
  - {op: fade, p: 0.5}
"""


def write_inputs(folder: Path, n: int = 9) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(4)
    for i in range(n):
        t = np.arange(int((0.35 + 0.13 * i) * 16000)) / 16000
        y = 0.1 * np.sin(2 * np.pi * (120 + 25 * i) * t) + 0.01 * rng.standard_normal(len(t))
        sf.write(folder / f"u{i:02d}.wav", y.astype(np.float32), 16000, subtype="FLOAT")


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.aug*"))}


def run(tmp_path: Path, label: str, extra: list[str]) -> dict[str, bytes]:
    out = tmp_path / label
    args = ["augment", str(tmp_path / "in"), "-c", str(tmp_path / "aug.yaml"), "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--copies", "2", "--seed", "7", *extra])
    assert result.exit_code == 0, result.output
    return outputs(out)


def differing(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(name for name in a if b.get(name) != a[name])


def test_same_bytes_for_batch_sizes_1_3_8_and_two_workers(tmp_path):
    write_inputs(tmp_path / "in")
    (tmp_path / "aug.yaml").write_text(CONFIG)
    reference = run(tmp_path, "b1", ["--batch-size", "1"])
    assert len(reference) == 9 * 2 * 2
    for size in ("3", "8"):
        diff = differing(reference, run(tmp_path, f"b{size}", ["--batch-size", size]))
        assert not diff, f"--batch-size {size}: {len(diff)} files differ from --batch-size 1, e.g. {diff[:3]}"
    diff = differing(reference, run(tmp_path, "w2", ["--batch-size", "8", "--workers", "2"]))
    assert not diff, f"--workers 2: {len(diff)} files differ, e.g. {diff[:3]}"
