"""Shard writer: round trip, segments and channels, the --rate protocol, loudness, provenance, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from scipy.signal import resample_poly
from shardhelp import AUG, REF_SETTINGS, index_of, rows_by_id

from sercorpus.core.manifest import ManifestError, read_manifest, write_manifest
from sercorpus.shards.flac import decode_flac
from sercorpus.shards.index import verify
from sercorpus.shards.run import write_shards
from sercorpus.shards.settings import ShardSettings

PCM16 = 2.0**-15


def expected_audio(root: Path, utt, offset: float, duration: float) -> np.ndarray:
    """Independent oracle: soundfile span read, channel pick or mean, scipy polyphase to 16 kHz."""
    path = str(root / utt.audio_path)
    rate = int(sf.info(path).samplerate)
    y, _ = sf.read(
        path,
        start=int(round(offset * rate)),
        frames=int(round(duration * rate)),
        dtype="float32",
        always_2d=True,
    )
    y = y[:, utt.channel] if utt.channel is not None else y.mean(axis=1)
    g = np.gcd(rate, 16000)
    return y if rate == 16000 else resample_poly(y, 16000 // g, rate // g)


def test_round_trip_ids_labels_audio(corpora, reference):
    rows = rows_by_id(reference)
    sources = {
        **{u.id: (u, m) for m in [read_manifest(corpora["msp"])] for u in m.records},
        **{u.id: (u, m) for m in [read_manifest(corpora["calls"])] for u in m.records},
    }
    expected_ids = set()
    for sid, (u, _) in sources.items():
        segs = [None] if u.duration <= 3.0 else list(range(int(np.ceil(u.duration / 3.0 - 1e-9))))
        copies = [0, 1, 2] if u.split == "train" else [0]
        for j in segs:
            base = sid if j is None else f"{sid}#seg{j}"
            expected_ids |= {f"{base}#aug{k}" for k in copies}
    assert set(rows) == expected_ids
    checked = 0
    for row in rows.values():
        u, m = sources[row["source_id"]]
        assert (row["label"], row["split"], row["speaker"], row["corpus"]) == (
            u.label,
            u.split,
            u.speaker,
            u.corpus,
        )
        assert row["arousal"] == u.arousal and row["transcript"] == u.transcript
        assert {k: v for k, v in (row["soft_label"] or {}).items() if v} == pytest.approx(u.soft_label)
        if row["copy"] == 0:
            y, rate = decode_flac(row["audio"], row["scale"])
            want = expected_audio(Path(m.roots[u.corpus]), u, row["source_offset"], row["source_duration"])
            assert rate == 16000 and len(y) == len(want) == row["num_samples"]
            assert np.max(np.abs(y - want)) <= PCM16 * 1.01  # FLAC 16-bit precision
            checked += 1
    assert checked > 50


def test_channel_pick_and_segments(corpora, reference):
    rows = rows_by_id(reference)
    calls = read_manifest(corpora["calls"])
    dual = [u for u in calls.records if u.channel == 1 and u.duration > 3.0][0]
    pieces = sorted((r for r in rows.values() if r["source_id"] == dual.id), key=lambda r: r["segment"])
    assert len(pieces) == 2 and all(r["source_channel"] == 1 for r in pieces)
    assert pieces[1]["source_offset"] == pytest.approx(dual.offset + dual.duration / 2)  # equal halves
    y, _ = decode_flac(pieces[0]["audio"])
    root = Path(calls.roots["calls"])
    other = expected_audio(
        root, dual.replace(channel=0), pieces[0]["source_offset"], pieces[0]["source_duration"]
    )
    mine = expected_audio(root, dual, pieces[0]["source_offset"], pieces[0]["source_duration"])
    assert np.max(np.abs(y - mine)) <= PCM16 * 1.01 < np.max(np.abs(y - other))
    assert pieces[0]["source_sample_rate"] == 8000


def test_mix_down_when_no_channel(tmp_path):
    from sercorpus.shards.decode import decode_segment

    left, right = np.full(1600, 0.2, np.float32), np.full(1600, -0.1, np.float32)
    sf.write(tmp_path / "st.wav", np.stack([left, right], 1), 16000, subtype="FLOAT")
    got = decode_segment(tmp_path / "st.wav", 0.0, None, None, 16000).audio
    assert np.allclose(got, 0.05, atol=1e-6)


def test_provenance_replays_and_output_manifest(corpora, reference):
    rows = rows_by_id(reference)
    aug = [r for r in rows.values() if r["copy"] > 0]
    assert aug and all(json.loads(r["augmentation"])["copy"] == r["copy"] for r in aug)
    assert all(r["augmentation"] is None for r in rows.values() if r["copy"] == 0)
    first = json.loads(aug[0]["augmentation"])
    assert first["seed"] == 0 and first["id"] == aug[0]["id"].rsplit("#aug", 1)[0]
    from sercorpus.augment import Augmenter

    if hasattr(Augmenter, "replay"):
        msp = read_manifest(corpora["msp"])
        u = next(x for x in msp.records if x.id == aug[0]["source_id"])
        source = expected_audio(Path(msp.roots[u.corpus]), u, u.offset, u.duration).astype(np.float32)
        again = Augmenter.replay(first, audio=source)
        y, _ = decode_flac(aug[0]["audio"], aug[0]["scale"])
        assert np.max(np.abs(again - y)) <= PCM16 * max(1.0, aug[0]["scale"]) * 1.01
    manifest = read_manifest(reference / "manifest.parquet")
    assert {u.id for u in manifest.records} == set(rows)
    rec = next(u for u in manifest.records if u.id == aug[0]["id"])
    assert rec.extra["copy"] == aug[0]["copy"] and rec.extra["source_id"] == aug[0]["source_id"]
    assert pq.read_table(reference / rec.audio_path).column("id")[rec.extra["shard_row"]].as_py() == rec.id
    report = json.loads((reference / "report.json").read_text())
    assert report["samples"] == len(rows) and report["skipped_total"] == 0


def test_rate_selects_a_stable_share_of_training_utterances(corpora, tmp_path):
    from sercorpus.shards.plan import augmented, load_inputs

    records, _ = load_inputs([corpora["msp"]])
    train = [u for u in records if u.split == "train"]
    for rate in (0.0, 0.2, 0.5, 1.0):
        s = ShardSettings(rate=rate, augment={"config": AUG, "resources": {}, "source": AUG})
        picked = [u.id for u in train if augmented(u, s)]
        assert abs(len(picked) - rate * len(train)) <= max(3, 0.25 * len(train) * rate)
        assert not any(augmented(u, s) for u in records if u.split != "train")
    half = ShardSettings(rate=0.5, augment={"config": AUG, "resources": {}, "source": AUG})
    again = ShardSettings(rate=0.5, augment={"config": AUG, "resources": {}, "source": AUG})
    assert [augmented(u, half) for u in train] == [augmented(u, again) for u in train]


def test_loudness_normalisation_hits_the_target(corpora, tmp_path):
    import pyloudnorm

    out = tmp_path / "lufs"
    write_shards([corpora["msp"]], out, ShardSettings(target_lufs=-23.0))
    table = pq.read_table(next((out / "shards").glob("*.parquet"))).to_pylist()
    meter = pyloudnorm.Meter(16000)
    measured = []
    for row in table[:8]:
        y, _ = decode_flac(row["audio"], row["scale"])
        note = json.loads(row["loudness"])
        if note["lufs"] is None:
            assert note["reason"]
            continue
        measured.append(meter.integrated_loudness(y.astype(np.float64)))
    assert measured and np.allclose(measured, -23.0, atol=0.1)


def test_bad_audio_is_a_counted_named_skip(corpora, tmp_path):
    msp = read_manifest(corpora["msp"])
    root = tmp_path / "root"
    recs = []
    for k, u in enumerate(msp.records[:6]):
        path = root / u.audio_path
        path.parent.mkdir(parents=True, exist_ok=True)
        y, sr = sf.read(str(Path(msp.roots[u.corpus]) / u.audio_path), dtype="float32")
        if k == 1:
            y[100] = np.nan
            sf.write(path, y, sr, subtype="FLOAT")
        elif k == 2:
            path.write_bytes(b"RIFF....WAVEjunk")
        else:
            sf.write(path, y, sr)
        recs.append(u)
    recs.append(msp.records[6].replace(audio_path="Audios/missing.wav"))
    manifest = write_manifest(tmp_path / "bad.parquet", recs, roots={"msp-podcast": root})
    summary = write_shards([manifest], tmp_path / "out", ShardSettings())
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["skipped_by_reason"] == {"missing-audio": 1, "non-finite-audio": 1, "undecodable-audio": 1}
    assert {Path(s["file"]).name for s in report["skipped"]} >= {"missing.wav", Path(recs[1].audio_path).name}
    assert summary.index["samples"] == 4 and verify(tmp_path / "out").ok


def test_moved_root_names_the_root_and_the_fix(corpora, tmp_path):
    msp = read_manifest(corpora["msp"])
    moved = write_manifest(tmp_path / "m.parquet", msp.records[:3], roots={"msp-podcast": tmp_path / "gone"})
    with pytest.raises(ManifestError, match=r"gone.*--root msp-podcast=DIR"):
        write_shards([moved], tmp_path / "out", ShardSettings())
    summary = write_shards(
        [moved], tmp_path / "out2", ShardSettings(), roots={"msp-podcast": msp.roots["msp-podcast"]}
    )
    assert summary.index["samples"] == 3


def test_other_settings_refused_same_settings_resume(corpora, clean_msp, tmp_path):
    from sercorpus.core.runinfo import SettingsMismatch

    with pytest.raises(SettingsMismatch, match="shard_mb"):
        write_shards([corpora["msp"]], clean_msp, ShardSettings(shard_mb=0.2, rows_per_group=8))
    again = write_shards([corpora["msp"]], clean_msp, ShardSettings(shard_mb=0.1, rows_per_group=8))
    assert again.shards_written == 0 and again.shards_reused == len(index_of(clean_msp)["shards"]) > 3


def test_webdataset_tar_output(corpora, tmp_path):
    out = tmp_path / "wds"
    write_shards([corpora["calls"]], out, ShardSettings(format="webdataset", max_duration=3.0, shard_mb=0.2))
    assert verify(out).ok
    index = index_of(out)
    tars = [out / e["name"] for e in index["shards"]]
    assert all(t.suffix == ".tar" for t in tars) and len(tars) > 1
    import tarfile

    with tarfile.open(tars[0]) as tar:
        members = tar.getmembers()
        assert {m.mtime for m in members} == {0}
        first = json.loads(tar.extractfile(members[1]).read())
        audio = tar.extractfile(members[0]).read()
    assert members[0].name.endswith(".flac") and first["id"].startswith("calls/")
    assert len(decode_flac(audio)[0]) == first["num_samples"]
    wds = pytest.importorskip("webdataset")
    samples = list(wds.WebDataset([str(t) for t in tars], shardshuffle=False))
    assert len(samples) == index["samples"] and {"flac", "json"} <= set(samples[0])


def test_verify_catches_a_corrupted_shard(clean_msp, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(clean_msp, copy)
    assert verify(copy).ok
    victim = copy / index_of(copy)["shards"][2]["name"]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    found = verify(copy)
    assert not found.ok and victim.name in found.problems[0] and "checksum" in found.problems[0]
    (copy / index_of(copy)["shards"][3]["name"]).unlink()
    assert any("missing" in p for p in verify(copy).problems)


def test_disk_full_keeps_finished_shards_and_a_rerun_completes(corpora, clean_msp, tmp_path, monkeypatch):
    from sercorpus.shards import sinks

    calls = {"n": 0}
    real = sinks.ParquetSink.write

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 7:
            raise OSError(28, "No space left on device")
        return real(self, rows)

    monkeypatch.setattr(sinks.ParquetSink, "write", failing)
    out = tmp_path / "full"
    settings = ShardSettings(shard_mb=0.1, rows_per_group=8)
    with pytest.raises(OSError, match="No space"):
        write_shards([corpora["msp"]], out, settings)
    done = sorted(p.name for p in (out / "shards").glob("*.parquet"))
    assert done and not list((out / "shards").glob(".*.tmp")) and not (out / "index.json").exists()
    monkeypatch.setattr(sinks.ParquetSink, "write", real)
    summary = write_shards([corpora["msp"]], out, settings)
    assert summary.shards_reused == len(done)
    assert index_of(out) == index_of(clean_msp)


def test_reference_settings_are_recorded(reference):
    run = json.loads((reference / "RUN.json").read_text())
    assert run["settings"]["copies"] == REF_SETTINGS.copies and run["settings"]["augment"]["config"] == AUG
