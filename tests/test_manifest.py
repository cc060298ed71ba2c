"""Manifests: lossless, deterministic round trips; row-named validation errors; atomic writes."""

from __future__ import annotations

import json

import datasets
import pyarrow.parquet as pq
import pytest

from sercorpus.core.manifest import ManifestError, read_manifest, write_manifest
from sercorpus.core.schema import Annotation, Utterance


def records() -> list[Utterance]:
    return [
        Utterance(
            id="iemocap/Ses01F_impro01_M000",
            corpus="iemocap",
            audio_path="Session1/sentences/wav/a.wav",
            duration=2.25,
            sample_rate=16000,
            speaker="iemocap/Ses01_M",
            gender="male",
            group="iemocap/Session1",
            label=None,
            votes={"frustrated": 1.5, "angry": 0.5, "neutral": 1.0},
            soft_label={"frustrated": 0.5, "angry": 1 / 6, "neutral": 1 / 3},
            arousal=0.625,
            valence=0.375,
            annotations=[
                Annotation(
                    "E1",
                    categories=["frustrated", "angry"],
                    native=["Frustration", "Anger"],
                    valence=0.25,
                    arousal=0.5,
                    dominance=None,
                ),
                Annotation("F1", kind="self", categories=["neutral"], native=["Neutral"]),
            ],
            transcript='Ünïcode, "quotes" and\ttabs',
            extra={"dialog": "Ses01F_impro01", "improvised": True, "n": 3},
        ),
        Utterance(
            id="calls/c1_0003",
            corpus="calls",
            audio_path="calls/c1.wav",
            offset=12.5,
            duration=3.0,
            sample_rate=8000,
            num_channels=2,
            channel=1,
            label="neutral",
            votes={"neutral": 2.0},
            soft_label={"neutral": 1.0},
            split="test",
        ),
        Utterance(
            id="iemocap/Ses01F_impro01_F000",
            corpus="iemocap",
            audio_path="Session1/b.wav",
            duration=1.0,
            sample_rate=16000,
        ),
    ]


ROOTS = {"iemocap": "/data/IEMOCAP_full_release", "calls": "/data/calls"}


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_round_trip_is_lossless_sorted_and_byte_identical(tmp_path, suffix):
    first = write_manifest(tmp_path / f"a{suffix}", records(), ROOTS)
    second = write_manifest(tmp_path / f"b{suffix}", list(reversed(records())), ROOTS)
    assert first.read_bytes() == second.read_bytes()
    manifest = read_manifest(first)
    assert [u.id for u in manifest.records] == sorted(u.id for u in records())
    assert sorted(manifest.records, key=lambda u: u.id) == sorted(records(), key=lambda u: u.id)
    assert manifest.roots == ROOTS
    call = next(u for u in manifest.records if u.corpus == "calls")
    assert manifest.audio_file(call).as_posix() == "/data/calls/calls/c1.wav"


def test_parquet_and_jsonl_hold_the_same_records(tmp_path):
    a = read_manifest(write_manifest(tmp_path / "m.parquet", records(), ROOTS)).records
    b = read_manifest(write_manifest(tmp_path / "m.jsonl", records(), ROOTS)).records
    assert a == b


def test_parquet_carries_schema_version_and_loads_with_datasets(tmp_path):
    path = write_manifest(tmp_path / "m.parquet", records(), ROOTS)
    meta = json.loads(pq.read_schema(path).metadata[b"sercorpus"])
    assert meta["schema_version"] == "1.0" and meta["roots"] == ROOTS
    ds = datasets.load_dataset("parquet", data_files=str(path), split="train")
    assert ds.num_rows == 3
    row = ds[0]
    assert row["id"] == "calls/c1_0003" and row["soft_label"]["neutral"] == 1.0 and row["channel"] == 1


def test_roots_override_for_a_moved_corpus(tmp_path):
    path = write_manifest(tmp_path / "m.jsonl", records(), ROOTS)
    manifest = read_manifest(path, roots={"iemocap": "/mnt/new"})
    utt = next(u for u in manifest.records if u.corpus == "iemocap")
    assert str(manifest.audio_file(utt)).startswith("/mnt/new/")


def test_write_rejects_invalid_rows_naming_row_and_field(tmp_path):
    bad = records()
    bad[1] = bad[1].replace(soft_label={"neutral": 0.9})
    bad.append(bad[0].replace())  # duplicate id
    with pytest.raises(ManifestError) as err:
        write_manifest(tmp_path / "m.parquet", bad, ROOTS)
    text = str(err.value)
    assert "(calls/c1_0003): soft_label: must sum to 1" in text
    assert "id: duplicate of row" in text
    assert not (tmp_path / "m.parquet").exists()


def test_write_requires_a_root_per_corpus(tmp_path):
    with pytest.raises(ValueError, match=r"no root given for corpora \['calls'\]"):
        write_manifest(tmp_path / "m.jsonl", records(), {"iemocap": "/x"})


def test_unknown_extension_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="chosen by extension"):
        write_manifest(tmp_path / "m.csv", records(), ROOTS)


def test_read_reports_line_of_corrupt_jsonl(tmp_path):
    path = write_manifest(tmp_path / "m.jsonl", records(), ROOTS)
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:-5]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ManifestError, match="line 3: invalid JSON"):
        read_manifest(path)


def test_read_validates_rows(tmp_path):
    path = write_manifest(tmp_path / "m.jsonl", records(), ROOTS)
    lines = path.read_text().splitlines()
    row = json.loads(lines[1])
    row["arousal"] = 7.0
    lines[1] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ManifestError, match=r"line 2 \(calls/c1_0003\): arousal: must be in \[0, 1\]"):
        read_manifest(path)
    assert len(read_manifest(path, validate=False).records) == 3


def test_non_manifest_parquet_is_rejected(tmp_path):
    import pyarrow as pa

    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1]}), path)
    with pytest.raises(ManifestError, match="no sercorpus metadata"):
        read_manifest(path)


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    import sercorpus.core.manifest as mod

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mod.pq, "write_table", boom)
    with pytest.raises(KeyboardInterrupt):
        write_manifest(tmp_path / "m.parquet", records(), ROOTS)
    assert list(tmp_path.iterdir()) == []
