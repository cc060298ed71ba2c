"""Issue 10, item 5: every output file was mode 0600 (``mkstemp`` temp files renamed without a chmod), so a
shared corpus folder was unreadable to colleagues. Atomic writes now honour the umask, like ``open()``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from sercorpus.core.atomic import atomic_output, write_text
from sercorpus.core.audio import write_wav
from sercorpus.corpora.prepare import prepare, report_path_for
from sercorpus.synth.esc50 import write_esc50


@pytest.fixture(params=[0o022, 0o002, 0o077], ids=["umask022", "umask002", "umask077"])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_writers_create_files_with_0666_minus_the_umask(tmp_path, umask):
    expected = 0o666 & ~umask
    write_text(tmp_path / "a.txt", "text\n")
    with atomic_output(tmp_path / "b.bin") as handle:
        handle.write(b"bytes")
    with atomic_output(tmp_path / "c.txt", "w") as handle:
        handle.write("text")
    write_wav(tmp_path / "d.wav", np.zeros(160, dtype=np.float32), 16000)
    write_wav(tmp_path / "e.wav", np.zeros(160, dtype=np.float32), 16000, subtype="FLOAT")
    for name in ("a.txt", "b.bin", "c.txt", "d.wav", "e.wav"):
        assert mode(tmp_path / name) == expected, f"{name}: {oct(mode(tmp_path / name))} != {oct(expected)}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin", "c.txt", "d.wav", "e.wav"]


def test_a_stale_temp_file_does_not_lend_its_mode(tmp_path, umask):
    (tmp_path / ".x.wav.tmp").write_bytes(b"left by a killed run")
    os.chmod(tmp_path / ".x.wav.tmp", 0o600)
    write_wav(tmp_path / "x.wav", np.zeros(16, dtype=np.float32), 16000)
    assert mode(tmp_path / "x.wav") == 0o666 & ~umask


def test_a_prepared_corpus_is_readable_by_the_group(tmp_path):
    old = os.umask(0o002)
    try:
        root = write_esc50(tmp_path / "esc")
        out = tmp_path / "shared" / "esc50.parquet"
        prepare("esc50", root, out)
    finally:
        os.umask(old)
    for path in (
        out,
        report_path_for(out),
        root / "meta" / "esc50.csv",
        next((root / "audio").glob("*.wav")),
    ):
        assert mode(path) == 0o664, f"{path}: {oct(mode(path))}"
