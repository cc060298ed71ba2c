"""Issue 10 item 7: two ids mapped to one output file (``crema-d/a/b`` and ``crema-d/a__b``) and the run
reported 2 written. Output names are now an injective escape of the id, so a collision cannot happen;
ids that would only collide on a case-insensitive file system are refused before anything is written."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from sercorpus.augment.files import augment_files
from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance

ALPHABET = st.sampled_from(list("ab_/.-%Z9é \\:") + ["__", "//", "%5F"])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(ALPHABET, max_size=12).map("".join), st.lists(ALPHABET, max_size=12).map("".join))
def test_distinct_ids_never_share_a_name(a, b):
    from sercorpus.augment.naming import escape_id

    if a != b:
        assert escape_id(a) != escape_id(b)
    name = escape_id(a)
    assert "/" not in name and not name.startswith(".") and "\\" not in name and " " not in name


def test_usual_ids_stay_readable_and_long_ids_stay_within_limits():
    from sercorpus.augment.naming import escape_id

    assert escape_id("msp-podcast/MSP-PODCAST_0107_0017") == "msp-podcast__MSP-PODCAST_0107_0017"
    assert escape_id("crema-d/a/b") == "crema-d__a__b"
    assert escape_id("crema-d/a__b") == "crema-d__a%5F%5Fb"
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    assert escape_id(long_a) != escape_id(long_b) and len(escape_id(long_a)) <= 200


def test_colliding_ids_get_two_files(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = []
    for i, utt in enumerate(["crema-d/a/b", "crema-d/a__b"]):
        sf.write(
            corpus / f"{i}.wav", (0.1 * np.sin(np.arange(4000) * (0.02 + 0.01 * i))).astype(np.float32), 16000
        )
        records.append(
            Utterance(
                id=utt,
                corpus="crema-d",
                audio_path=f"{i}.wav",
                duration=0.25,
                sample_rate=16000,
                num_channels=1,
            )
        )
    manifest = write_manifest(tmp_path / "m.jsonl", records, {"crema-d": corpus})
    summary = augment_files(manifest, {"chain": [{"op": "gain"}]}, tmp_path / "out")
    assert summary.written == 2
    jsons = sorted((tmp_path / "out").glob("*.aug*.json"))
    assert len(jsons) == 2 and len(list((tmp_path / "out").glob("*.aug*.wav"))) == 2
    assert sorted(json.loads(p.read_text())["id"] for p in jsons) == ["crema-d/a/b", "crema-d/a__b"]


def test_ids_differing_only_in_case_or_repeated_are_refused_up_front(tmp_path):
    from sercorpus.augment.naming import check_unique

    with pytest.raises(ValueError, match=r"'iemocap/Ses01' and 'iemocap/ses01' differ only in letter case"):
        check_unique(["iemocap/ses01", "iemocap/Ses01"])
    src = tmp_path / "in"
    src.mkdir()
    y = (0.1 * np.sin(np.arange(4000) * 0.05)).astype(np.float32)
    sf.write(src / "clip.wav", y, 16000)
    sf.write(src / "clip.flac", y, 16000)  # both have the id "clip"
    with pytest.raises(ValueError, match=r"input ids 'clip' appears twice"):
        augment_files(src, {"chain": [{"op": "gain"}]}, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "refused before anything was written"
