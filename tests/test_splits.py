"""Splits: every speaker-independent strategy really is, the leakage check catches a planted leak, random
splits are flagged, and bad requests fail clearly."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from factories import iemocap_like, population, utt, write
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.manifest import read_manifest
from sercorpus.selection.splits import (
    LeakageError,
    check_leakage,
    fold_groups,
    guard_leakage,
    make_splits,
    resolve_fold,
    split_leave_out,
    split_random,
    split_speaker_random,
)

runner = CliRunner()


def speakers_by_split(records) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for u in records:
        out[u.split].add(u.speaker)
    return out


def assert_speaker_disjoint(records) -> None:
    by_split = speakers_by_split(records)
    names = sorted(by_split)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not by_split[a] & by_split[b], (a, b, by_split[a] & by_split[b])
    assert check_leakage(records).ok


def test_logo_session5_and_all_folds():
    records = iemocap_like()
    assert fold_groups(records, "logo") == [f"iemocap/Session{i}" for i in range(1, 6)]
    fold = split_leave_out(records, "logo", "Session5")
    test = [u for u in fold.records if u.split == "test"]
    assert {u.group for u in test} == {"iemocap/Session5"} and len(test) == 32
    assert {u.split for u in fold.records} == {"train", "test"}
    assert fold.name == "fold5" and fold.recipe["test_group"] == "iemocap/Session5"
    assert_speaker_disjoint(fold.records)
    folds = make_splits(records, "logo")
    assert [f.name for f in folds] == [f"fold{i}" for i in range(1, 6)]
    for f in folds:
        assert_speaker_disjoint(f.records)
        assert guard_leakage(f.records) == []
    with_dev = split_leave_out(records, "logo", 5, dev_fold="Session4")
    assert Counter(u.split for u in with_dev.records) == {"train": 96, "dev": 32, "test": 32}
    assert_speaker_disjoint(with_dev.records)


def test_resolve_fold_errors():
    groups = ["iemocap/Session1", "iemocap/Session2"]
    assert resolve_fold("2", groups) == "iemocap/Session2"
    with pytest.raises(ValueError, match="fold 3 is out of range: there are 2 folds"):
        resolve_fold(3, groups)
    with pytest.raises(ValueError, match="matches no group"):
        resolve_fold("Session9", groups)


def test_loso_leaves_one_speaker_out():
    records = iemocap_like()
    folds = make_splits(records, "loso")
    assert len(folds) == 10
    for f in folds:
        assert len(speakers_by_split(f.records)["test"]) == 1
        assert_speaker_disjoint(f.records)


def test_logo_needs_groups():
    records = [utt("a", group=None, split=None), utt("b", group="g", split=None)]
    with pytest.raises(ValueError, match="1 record\\(s\\) have no group"):
        make_splits(records, "logo")


def test_speaker_random_is_disjoint_stratified_and_seeded():
    records = population({None: {"neutral": 900, "happy": 600, "sad": 300, "angry": 200}}, speakers=50)
    fractions = {"train": 0.8, "dev": 0.1, "test": 0.1}
    result = split_speaker_random(records, fractions, seed=0)
    assert_speaker_disjoint(result.records)
    sizes = Counter(u.split for u in result.records)
    for name, frac in fractions.items():
        assert abs(sizes[name] / len(records) - frac) < 0.03, sizes
    overall = Counter(u.label for u in records)
    for name in fractions:
        part = Counter(u.label for u in result.records if u.split == name)
        for label, n in overall.items():
            assert abs(part[label] / sizes[name] - n / len(records)) < 0.06, (name, label)
    again = split_speaker_random(records, fractions, seed=0)
    assert [u.split for u in again.records] == [u.split for u in result.records]
    other = split_speaker_random(records, fractions, seed=1)
    assert [u.split for u in other.records] != [u.split for u in result.records]
    assert_speaker_disjoint(other.records)


def test_speaker_random_warns_when_speakers_too_few():
    records = [utt(f"x{i}", speaker=f"s{i % 2}", split=None) for i in range(10)]
    result = split_speaker_random(records, {"train": 0.8, "dev": 0.1, "test": 0.1})
    assert any("is empty" in w for w in result.warnings)
    assert_speaker_disjoint(result.records)


def test_random_split_is_exact_per_label_and_flagged_as_leaking():
    records = population({None: {"neutral": 100, "sad": 50}}, speakers=5)
    result = split_random(records, {"train": 0.8, "test": 0.2}, seed=3)
    assert Counter((u.split, u.label) for u in result.records) == {
        ("train", "neutral"): 80,
        ("test", "neutral"): 20,
        ("train", "sad"): 40,
        ("test", "sad"): 10,
    }
    assert "speakers appear in several splits" in result.warnings[0]
    with pytest.raises(LeakageError, match="--allow-leak"):
        guard_leakage(result.records)
    assert any("leak" in w for w in guard_leakage(result.records, allow_leak=True))


def test_leakage_check_catches_a_planted_leak():
    records = population({None: {"neutral": 200, "sad": 200}}, speakers=20)
    clean = split_speaker_random(records, {"train": 0.8, "test": 0.2}, seed=0).records
    assert check_leakage(clean).ok
    victim = next(u for u in clean if u.split == "train")
    planted = [u.replace(split="test") if u.id == victim.id else u for u in clean]
    report = check_leakage(planted)
    assert not report.ok
    assert report.shared == {("test", "train"): [victim.speaker]}
    with pytest.raises(LeakageError, match=f"test & train: 1 speaker\\(s\\) {victim.speaker}"):
        guard_leakage(planted)


def test_same_speaker_code_in_two_corpora_is_not_a_leak():
    records = [
        utt("a", "crema-d", speaker="1001", split="train"),
        utt("b", "mosi", speaker="1001", split="test"),
    ]
    assert check_leakage(records).ok


def test_bad_requests_fail_clearly():
    records = iemocap_like()
    with pytest.raises(ValueError, match="must sum to 1, they sum to 0.9"):
        make_splits(records, "speaker-random", fractions={"train": 0.8, "test": 0.1})
    with pytest.raises(ValueError, match="unknown split strategy 'kfold'"):
        make_splits(records, "kfold")
    with pytest.raises(ValueError, match="have no official split"):
        make_splits(records, "official")
    with pytest.raises(ValueError, match="unknown label view"):
        make_splits(records, "random", view="7class")


def test_cli_split_fold_folder_and_check_leakage(tmp_path):
    inp = write(tmp_path, "iemocap.parquet", iemocap_like())
    out = tmp_path / "fold5.jsonl"
    result = runner.invoke(
        app, ["split", str(inp), "-o", str(out), "--strategy", "logo", "--fold", "Session5"]
    )
    assert result.exit_code == 0, result.output
    assert "test 32" in result.output and "iemocap/Session5" in result.output
    manifest = read_manifest(out)
    assert manifest.meta["steps"][-1]["test_group"] == "iemocap/Session5"
    assert_speaker_disjoint(manifest.records)

    folder = tmp_path / "folds"
    result = runner.invoke(app, ["split", str(inp), "-o", str(folder), "--strategy", "logo"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [f"fold{i}.parquet" for i in range(1, 6)]

    result = runner.invoke(app, ["split", str(inp), "-o", str(tmp_path / "x.parquet"), "--strategy", "logo"])
    assert result.exit_code == 1 and "pass --fold K" in result.output

    leaky = tmp_path / "random.parquet"
    result = runner.invoke(app, ["split", str(inp), "-o", str(leaky), "--strategy", "random"])
    assert result.exit_code == 1 and "speakers leak between splits" in result.output and not leaky.exists()
    result = runner.invoke(
        app,
        [
            "split",
            str(inp),
            "-o",
            str(leaky),
            "--strategy",
            "random",
            "--allow-leak",
            "--fractions",
            "train=0.75,test=0.25",
        ],
    )
    assert result.exit_code == 0 and "warning" in result.output

    result = runner.invoke(app, ["check-leakage", str(out)])
    assert result.exit_code == 0 and "ok" in result.output
    result = runner.invoke(app, ["check-leakage", str(out), str(leaky)])
    assert result.exit_code == 1 and "LEAK" in result.output

    result = runner.invoke(
        app,
        [
            "split",
            str(inp),
            "-o",
            str(tmp_path / "y.parquet"),
            "--strategy",
            "speaker-random",
            "--fractions",
            "train=0.8,test=0.3",
        ],
    )
    assert result.exit_code == 1 and "must sum to 1" in result.output
