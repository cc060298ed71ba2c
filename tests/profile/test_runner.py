"""``profile_manifest``: rows per utterance, counted skips, resumable, refuses mixed settings, byte-stable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance
from sercorpus.profile.runner import profile_manifest
from sercorpus.profile.store import ProfileError, feature_columns


@pytest.fixture()
def manifest(tmp_path: Path, speech) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    records = []
    for k, (_, s) in enumerate(speech[:5]):
        sf.write(root / f"u{k}.wav", s.astype(np.float32), 16000, subtype="PCM_16")
        records.append(Utterance(f"mini/u{k}", "mini", f"u{k}.wav", len(s) / 16000, 16000))
    long = np.concatenate([speech[5][1], speech[6][1]])  # a "recording" profiled as two segments
    sf.write(root / "long.wav", long.astype(np.float32), 16000, subtype="PCM_16")
    cut = len(speech[5][1]) / 16000
    records.append(Utterance("mini/seg0", "mini", "long.wav", cut, 16000, offset=0.0))
    records.append(Utterance("mini/seg1", "mini", "long.wav", len(speech[6][1]) / 16000, 16000, offset=cut))
    bad = speech[7][1].astype(np.float32).copy()
    bad[10] = np.nan
    sf.write(root / "nan.wav", bad, 16000, subtype="FLOAT")
    records.append(Utterance("mini/nan", "mini", "nan.wav", len(bad) / 16000, 16000))
    (root / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    records.append(Utterance("mini/broken", "mini", "broken.wav", 1.0, 16000))
    path = tmp_path / "mini.parquet"
    write_manifest(path, records, {"mini": root})
    return path


def test_profile_rows_reasons_and_skips(manifest: Path, tmp_path: Path):
    out = tmp_path / "p.parquet"
    summary = profile_manifest(manifest, out, batch_size=3)
    assert summary.profiled == 7 and summary.skipped == 2
    table = pq.read_table(out)
    assert table.column("id").to_pylist() == sorted(
        f"mini/{i}" for i in ["u0", "u1", "u2", "u3", "u4", "seg0", "seg1"]
    )
    for col in feature_columns(table):
        values, reasons = table.column(col).to_pylist(), table.column(f"{col}_reason").to_pylist()
        assert all((v is None) != (r is None) for v, r in zip(values, reasons, strict=True)), col
    rows = {r["id"]: r for r in table.to_pylist()}
    assert rows["mini/seg1"]["offset"] > 0 and rows["mini/seg1"]["duration_s"] == pytest.approx(
        rows["mini/seg1"]["segment_duration"], abs=1e-3
    )
    report = json.loads(summary.report.read_text())
    skipped = {s["id"]: s["reason"] for s in report["skips"]}
    assert set(skipped) == {"mini/nan", "mini/broken"}
    assert "non-finite" in skipped["mini/nan"] and "unreadable" in skipped["mini/broken"]
    assert report["profiled"] == 7 and report["skipped"] == 2


def test_a_killed_run_resumes_without_recomputing(manifest: Path, tmp_path: Path, monkeypatch):
    from sercorpus.profile import runner

    reference = tmp_path / "ref.parquet"
    profile_manifest(manifest, reference, batch_size=3)
    out = tmp_path / "resumed.parquet"
    calls = {"n": 0}
    original = runner.profile_batch

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the run is killed while profiling its second batch
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "profile_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        profile_manifest(manifest, out, batch_size=3)
    assert not out.exists() and (tmp_path / "resumed.parquet.parts" / "part-000000.parquet").exists()
    done = []
    monkeypatch.setattr(
        runner, "profile_batch", lambda batch, *a, **k: done.append(batch) or original(batch, *a, **k)
    )
    summary = profile_manifest(manifest, out, batch_size=3)
    assert summary.reused_batches == 1 and len(done) == 2  # batch 0 was not profiled again
    assert out.read_bytes() == reference.read_bytes()
    again = profile_manifest(manifest, out, batch_size=3)  # a finished run: nothing recomputed
    assert again.reused_batches == -1 and again.profiled == 7


def test_other_settings_are_refused_not_mixed(manifest: Path, tmp_path: Path):
    out = tmp_path / "p.parquet"
    profile_manifest(manifest, out, batch_size=3)
    with pytest.raises(ProfileError, match="batch_size"):
        profile_manifest(manifest, out, batch_size=4)
    parts_out = tmp_path / "q.parquet"
    parts = tmp_path / "q.parquet.parts"
    parts.mkdir()
    (parts / "settings.json").write_text(json.dumps({"profile_version": 0}))
    with pytest.raises(ProfileError, match="refusing to mix"):
        profile_manifest(manifest, parts_out, batch_size=3)


def test_workers_give_the_same_bytes(manifest: Path, tmp_path: Path):
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    profile_manifest(manifest, one, batch_size=2, workers=1)
    profile_manifest(manifest, two, batch_size=2, workers=2)
    assert one.read_bytes() == two.read_bytes()


def test_bad_arguments(manifest: Path, tmp_path: Path):
    with pytest.raises(ValueError, match="parquet"):
        profile_manifest(manifest, tmp_path / "p.csv")
    with pytest.raises(FileNotFoundError):
        profile_manifest(tmp_path / "missing.parquet", tmp_path / "p.parquet")
