"""Condition matching on the miniature corpora: it closes a clear part of the distance, reproducibly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = (
    pytest.mark.slow
)  # writes two miniature corpora and runs four searches (~40-90 s on 2 busy cores)


@pytest.fixture(scope="module")
def profiles(tmp_path_factory, model_available) -> tuple[Path, Path]:
    from sercorpus.corpora import get_corpus
    from sercorpus.corpora.prepare import prepare
    from sercorpus.profile.runner import profile_manifest

    base = tmp_path_factory.mktemp("mini")
    out = []
    for corpus, limit in (("msp-podcast", 36), ("iemocap", 36)):
        root = get_corpus(corpus).writer_function()(base / corpus, seed=0)
        manifest = base / f"{corpus}.parquet"
        prepare(corpus, root, manifest)
        profile = base / f"{corpus}.profile.parquet"
        profile_manifest(manifest, profile, limit=limit)
        out.append(profile)
    return out[0], out[1]


def test_matching_reduces_the_distance_and_is_byte_reproducible(profiles, tmp_path):
    from sercorpus.augment import load_config
    from sercorpus.profile.match import match_profiles

    msp, iemocap = profiles
    first = match_profiles(msp, iemocap, tmp_path / "a.yaml", budget_s=5, seed=3, subsample=12)
    assert first.objective_after < 0.7 * first.objective_before
    improved = [
        f
        for f in first.features
        if first.before[f] is not None and first.after[f] is not None and first.after[f] < first.before[f]
    ]
    # the miniature IEMOCAP is noisier and louder than the miniature MSP-Podcast (silero finds speech in few
    # synthetic-voice clips, so the learned SNR/T60/C50 are mostly null there; WADA and loudness are not)
    assert "wada_snr_db" in improved and "loudness_lufs" in improved
    second = match_profiles(msp, iemocap, tmp_path / "b.yaml", budget_s=5, seed=3, subsample=12)
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()
    config = yaml.safe_load((tmp_path / "a.yaml").read_text())
    load_config(config)  # what `sercorpus augment` consumes
    assert config["rate"] > 0 and any(
        op.get("op") in ("pink_noise", "synthetic_reverb") or "one_of" in op for op in config["chain"]
    )
    for key in ("markdown", "json", "png"):
        assert Path(first.outputs[key]).is_file()
    assert second.evaluations == first.evaluations


def test_a_cleaner_target_is_said_plainly(profiles, tmp_path):
    from sercorpus.profile.match import match_profiles

    msp, iemocap = profiles
    result = match_profiles(iemocap, msp, tmp_path / "back.yaml", budget_s=2, seed=0, subsample=8)
    text = " ".join(result.cleaner)
    assert "cleaner than the source" in text and "remove noise" in text
    assert "NOTE: The target is cleaner" in (tmp_path / "back.yaml").read_text()
