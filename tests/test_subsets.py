"""Subsets: exact MSP*-style count matching, stratified/balanced/distribution modes, per-speaker cap,
determinism, and clear errors when a request cannot be met."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from factories import population, utt, write
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.manifest import read_manifest
from sercorpus.selection.subsets import SubsetError, cell_counts, largest_remainder, select_cells, subset

# The MSP* construction from the cross-corpus literature: IEMOCAP's 4-class train/test sizes.
REF_SPEC = {
    "train": {"angry": 893, "happy": 1337, "neutral": 867, "sad": 1373},
    "test": {"angry": 210, "happy": 299, "neutral": 335, "sad": 217},
}


def _reference() -> list:
    # a third of happy is "excited" in the reference: the 4class view merges them before counting
    records = population({s: dict(c) for s, c in REF_SPEC.items()}, corpus="iemocap", speakers=8, prefix="r")
    happy = (i for i, r in enumerate(records) if r.label == "happy")
    for k, i in enumerate(happy):
        if k % 3 == 0:
            records[i] = records[i].replace(
                label="excited", votes={"excited": 3.0}, soft_label={"excited": 1.0}
            )
    return records + population({"train": {"frustrated": 50}}, corpus="iemocap", speakers=8, prefix="rf")


@pytest.fixture(scope="module")
def msp():
    spec = {
        "train": {"angry": 1200, "happy": 1500, "neutral": 1400, "sad": 1500, "surprised": 100},
        "dev": {"angry": 100, "happy": 100, "neutral": 100, "sad": 100},
        "test1": {"angry": 300, "happy": 350, "neutral": 400, "sad": 300, "contempt": 20},
    }
    return population(spec, speakers=60)


def test_largest_remainder_sums_exactly():
    assert largest_remainder(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    alloc = largest_remainder(4470, {"angry": 0.2, "happy": 0.3, "neutral": 0.19, "sad": 0.31})
    assert sum(alloc.values()) == 4470
    assert largest_remainder(0, {"a": 1}) == {"a": 0}


def test_match_reproduces_msp_star_numbers(msp):
    result = subset(msp, "4class", reference=_reference(), split_map={"test": "test1"}, seed=7)
    for split, ref in (("train", REF_SPEC["train"]), ("test1", REF_SPEC["test"])):
        assert result.selected[split] == {c: ref[c] for c in ("neutral", "happy", "sad", "angry")}
    counts = cell_counts(result.records, "4class")
    assert counts["train"] == {"neutral": 867, "happy": 1337, "sad": 1373, "angry": 893}
    assert counts["test1"] == {"neutral": 335, "happy": 299, "sad": 217, "angry": 210}
    assert sum(counts["train"].values()) == 4470 and sum(counts["test1"].values()) == 1061
    assert len(result.records) == 4470 + 1061
    # nothing moves across splits, no dev (the reference has none), nothing outside the view
    original = {u.id: u for u in msp}
    assert all(original[u.id] == u for u in result.records)
    assert {u.split for u in result.records} == {"train", "test1"}
    assert result.recipe["targets"]["test1"]["sad"] == 217 and not result.shortfalls


def test_same_seed_same_ids_other_seed_other_ids(msp):
    ref = _reference()
    a = subset(msp, "4class", reference=ref, split_map={"test": "test1"}, seed=1)
    shuffled = list(msp)
    random.Random(0).shuffle(shuffled)
    b = subset(shuffled, "4class", reference=ref, split_map={"test": "test1"}, seed=1)
    c = subset(msp, "4class", reference=ref, split_map={"test": "test1"}, seed=2)
    ids = lambda r: sorted(u.id for u in r.records)  # noqa: E731
    assert ids(a) == ids(b)
    assert ids(a) != ids(c)
    assert a.selected == c.selected


def test_short_classes_are_a_clear_error(msp):
    small = [u for u in msp if not (u.split == "test1" and u.label == "sad")][:]
    small += [u for u in msp if u.split == "test1" and u.label == "sad"][:150]
    with pytest.raises(SubsetError) as err:
        subset(small, "4class", reference=_reference(), split_map={"test": "test1"})
    message = str(err.value)
    assert "split test1, class sad: needed 217, available 150" in message
    assert "--allow-short" in message
    result = subset(small, "4class", reference=_reference(), split_map={"test": "test1"}, allow_short=True)
    assert result.selected["test1"]["sad"] == 150
    assert result.shortfalls[0].needed == 217 and result.recipe["short"]


def test_split_map_can_drop_a_reference_split(msp):
    result = subset(msp, "4class", reference=_reference(), split_map={"test": "test1", "train": ""})
    assert set(result.selected) == {"test1"} and {u.split for u in result.records} == {"test1"}


def test_missing_split_hints_at_split_map(msp):
    with pytest.raises(SubsetError, match=r"split\(s\) \['test'\].*--split-map REF=IN"):
        subset(msp, "4class", reference=_reference())


def test_per_speaker_cap_is_honoured_and_still_exact():
    records = population({"train": {"neutral": 300, "happy": 300, "sad": 200, "angry": 200}}, speakers=40)
    result = subset(records, "4class", size=400, max_per_speaker=12, seed=3)
    per_speaker = Counter(u.speaker for u in result.records)
    assert max(per_speaker.values()) <= 12
    assert len(result.records) == 400


def test_cap_repair_reaches_the_exact_counts_greedy_can_miss():
    # A can give 2 angry or 2 happy (cap 2), B only happy: exact only if A gives the angry ones.
    pool = [(f"a{i}", "angry", "A") for i in range(2)] + [(f"h{i}", "happy", "A") for i in range(2)]
    pool += [(f"b{i}", "happy", "B") for i in range(2)]
    for seed in range(30):
        chosen = select_cells(pool, {"angry": 2, "happy": 2}, cap=2, seed_parts=(seed,))
        kinds = Counter(i[0] for i in chosen)
        assert kinds == {"a": 2, "b": 2}, (seed, chosen)


def test_cap_makes_target_unreachable_reports_reachable():
    records = [utt(f"x{i}", label="angry", speaker="one") for i in range(10)]
    records += [utt(f"y{i}", label="sad", speaker=f"s{i}") for i in range(10)]
    with pytest.raises(
        SubsetError, match=r"class angry: needed 5, available 10 \(3 reachable with at most 3"
    ):
        subset(records, "4class", distribution={"angry": 0.5, "sad": 0.5}, size=10, max_per_speaker=3)


def test_size_stratified_keeps_distribution(msp):
    result = subset(msp, "4class", size=1000, seed=0)
    assert len(result.records) == 1000
    before = cell_counts(msp, "4class")
    total = sum(sum(c.values()) for c in before.values())
    for split, counts in result.selected.items():
        for cls, n in counts.items():
            assert abs(n - 1000 * before[split][cls] / total) < 1
    with pytest.raises(SubsetError, match="more than"):
        subset(msp, "4class", size=10**6)


def test_balanced_largest_and_sized(msp):
    result = subset(msp, "4class", balanced=True)
    assert result.selected["train"] == {c: 1200 for c in ("neutral", "happy", "sad", "angry")}
    assert result.selected["test1"] == {c: 300 for c in ("neutral", "happy", "sad", "angry")}
    sized = subset(msp, "4class", balanced=True, size=400)
    assert sum(sum(c.values()) for c in sized.selected.values()) == 400
    for counts in sized.selected.values():
        assert max(counts.values()) - min(counts.values()) <= 1


def test_balanced_with_cap_finds_largest_feasible():
    records = [utt(f"a{i}", label="angry", speaker=f"a{i % 2}") for i in range(20)]
    records += [utt(f"s{i}", label="sad", speaker=f"s{i}") for i in range(20)]
    records += [utt(f"n{i}", label="neutral", speaker=f"n{i}") for i in range(20)]
    records += [utt(f"h{i}", label="happy", speaker=f"h{i}") for i in range(20)]
    result = subset(records, "4class", balanced=True, max_per_speaker=4)
    assert result.selected["train"] == {c: 8 for c in ("neutral", "happy", "sad", "angry")}


def test_distribution_exact_and_errors(msp):
    result = subset(
        msp, "4class", distribution={"neutral": 0.4, "happy": 0.2, "sad": 0.2, "angry": 0.2}, size=1000
    )
    total = Counter(cls for counts in result.selected.values() for cls, n in counts.items() for _ in range(n))
    assert sum(total.values()) == 1000
    largest = subset(msp, "4class", distribution={"neutral": 0.5, "sad": 0.5})
    assert largest.selected["train"] == {"neutral": 1400, "sad": 1400}
    with pytest.raises(SubsetError, match=r"\['calm'\] are not in view '4class'"):
        subset(msp, "4class", distribution={"calm": 0.5, "sad": 0.5})
    with pytest.raises(SubsetError, match="must sum to 1, they sum to 0.9"):
        subset(msp, "4class", distribution={"neutral": 0.5, "sad": 0.4})


def test_mode_and_view_errors(msp):
    with pytest.raises(ValueError, match="unknown label view 'five'"):
        subset(msp, "five", size=10)
    with pytest.raises(SubsetError, match="choose one of"):
        subset(msp, "4class", balanced=True, distribution={"sad": 1.0})
    with pytest.raises(SubsetError, match="nothing to do"):
        subset(msp, "4class")
    with pytest.raises(SubsetError, match="--size cannot be combined with --match"):
        subset(msp, "4class", reference=_reference(), size=10)
    with pytest.raises(SubsetError, match="split map names reference split"):
        subset(msp, "4class", reference=_reference(), split_map={"valid": "dev"})


def test_cli_subset_match_writes_recipe_and_is_reproducible(tmp_path):
    msp = population(
        {
            "train": {"neutral": 30, "happy": 30, "sad": 30, "angry": 30},
            "test1": {"neutral": 20, "happy": 20, "sad": 20, "angry": 20},
        },
        speakers=10,
    )
    ref = population(
        {
            "train": {"neutral": 10, "happy": 12, "sad": 8, "angry": 5},
            "test": {"neutral": 4, "happy": 3, "sad": 2, "angry": 1},
        },
        corpus="iemocap",
        prefix="r",
    )
    inp, refp = write(tmp_path, "msp.parquet", msp), write(tmp_path, "ref.jsonl", ref)
    runner = CliRunner()
    outs = []
    for name in ("a.parquet", "b.parquet"):
        out = tmp_path / name
        result = runner.invoke(
            app,
            [
                "subset",
                str(inp),
                "-o",
                str(out),
                "--match",
                str(refp),
                "--split-map",
                "train=train,test=test1",
                "--view",
                "4class",
                "--seed",
                "5",
                "--max-per-speaker",
                "6",
            ],
        )
        assert result.exit_code == 0, result.output
        outs.append(out)
    assert outs[0].read_bytes() == outs[1].read_bytes()
    manifest = read_manifest(outs[0])
    assert len(manifest.records) == 35 + 10
    step = manifest.meta["steps"][-1]
    assert step["mode"] == "match" and step["split_map"] == {"train": "train", "test": "test1"}
    assert step["selected"]["test1"] == {"neutral": 4, "happy": 3, "sad": 2, "angry": 1}
    assert "wrote 45 utterances" in result.output

    bad = runner.invoke(
        app, ["subset", str(inp), "-o", str(tmp_path / "c.parquet"), "--distribution", "neutral=0.5,calm=0.5"]
    )
    assert bad.exit_code == 1 and "not in view '4class'" in bad.output and "Traceback" not in bad.output
    short = runner.invoke(app, ["subset", str(inp), "-o", str(tmp_path / "d.parquet"), "--size", "100000"])
    assert short.exit_code == 1 and "more than the 200 records" in short.output
    only = runner.invoke(
        app,
        [
            "subset",
            str(inp),
            "-o",
            str(tmp_path / "e.jsonl"),
            "--balanced",
            "--split",
            "test1",
            "--project",
            "--seed",
            "2",
        ],
    )
    assert only.exit_code == 0, only.output
    written = read_manifest(tmp_path / "e.jsonl")
    assert len(written.records) == 80 and {u.split for u in written.records} == {"test1"}
    assert written.records[0].extra["view"] == "4class"
    assert [s["step"] for s in written.meta["steps"]] == ["filter", "subset"]
