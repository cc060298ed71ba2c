"""Streaming loader: equal batches on every rank and worker, mixing, balancing, exact resume, datasets."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from shardhelp import AUG, index_of, rows_by_id

from sercorpus.shards.batch import IGNORE_INDEX, collate
from sercorpus.shards.flac import decode_flac
from sercorpus.shards.loader import ShardLoader
from sercorpus.shards.onthefly import OnTheFlyAugment
from sercorpus.shards.sources import ManifestSource, ShardSource


def epoch_ids(loader: ShardLoader) -> list[list[str]]:
    return [b.ids for b in loader]


def test_batch_contract(reference):
    batch = next(iter(ShardLoader(reference, view="4class", max_seconds=30, seed=0)))
    B = len(batch.ids)
    assert batch.audio.dtype == torch.float32 and batch.audio.shape[0] == B
    assert batch.lengths.dtype == torch.int64 and int(batch.lengths.max()) == batch.audio.shape[1]
    assert batch.classes == ("neutral", "happy", "sad", "angry") and batch.soft.shape == (B, 4)
    assert torch.allclose(batch.soft[batch.soft_mask].sum(1), torch.ones(int(batch.soft_mask.sum())))
    assert batch.dims.shape == (B, 4) and batch.dims_mask.dtype == torch.bool
    mask = batch.attention_mask()
    assert mask.shape == batch.audio.shape and (mask.sum(1) == batch.lengths).all()
    assert (batch.audio[~mask] == 0).all()
    assert batch.to("cpu").ids == batch.ids and len(batch.speakers) == len(batch.corpora) == B
    assert batch.sample_rate == 16000


def test_labels_project_through_the_view():
    from sercorpus.shards.batch import Sample

    samples = [
        Sample(
            "a", np.zeros(10, np.float32), 16000, "c", label="excited", votes={"excited": 2, "neutral": 1}
        ),
        Sample("b", np.zeros(5, np.float32), 16000, "c", label="frustrated", votes={"frustrated": 3}),
        Sample("c", np.zeros(7, np.float32), 16000, "c", label=None, arousal=0.25),
    ]
    batch = collate(samples, "4class")
    assert batch.labels.tolist() == [
        1,
        IGNORE_INDEX,
        IGNORE_INDEX,
    ]  # excited -> happy; frustrated out of view
    assert batch.soft[0].tolist() == pytest.approx([1 / 3, 2 / 3, 0, 0]) and batch.soft_mask.tolist() == [
        True,
        False,
        False,
    ]
    assert batch.dims_mask[2].tolist() == [True, False, False, False] and batch.dims[2, 0] == 0.25
    assert batch.lengths.tolist() == [10, 5, 7]


@pytest.mark.parametrize("even", ["pad", "truncate"])
def test_every_rank_and_worker_gets_the_same_number_of_batches(reference, even):
    total = index_of(reference)["samples"]
    for world in (1, 2, 3, 5):
        for streams in (1, 2, 4):
            loaders = [
                ShardLoader(
                    reference,
                    max_seconds=25,
                    shuffle_buffer=24,
                    seed=3,
                    rank=r,
                    world_size=world,
                    streams=streams,
                    even=even,
                )
                for r in range(world)
            ]
            lengths = {len(lo) for lo in loaders}
            assert len(lengths) == 1, (world, streams, lengths)
            if world == 3 and streams == 2:  # and iterate one of them
                seen = [epoch_ids(lo) for lo in loaders]
                assert {len(s) for s in seen} == lengths
                flat = [i for s in seen for b in s for i in b]
                if even == "pad":
                    assert len(set(flat)) == total  # every sample at least once
                else:
                    assert len(flat) == len(set(flat))  # nothing twice


def test_worker_count_does_not_change_the_order(reference):
    kwargs = dict(max_seconds=25, shuffle_buffer=24, seed=5, streams=4, rank=1, world_size=2)
    main = epoch_ids(ShardLoader(reference, num_workers=0, **kwargs))
    assert epoch_ids(ShardLoader(reference, num_workers=2, **kwargs)) == main
    with pytest.raises(ValueError, match="must divide"):
        ShardLoader(reference, num_workers=3, **kwargs)


def test_epochs_shuffle_differently_and_buckets_respect_the_budget(reference):
    loader = ShardLoader(reference, max_seconds=20, shuffle_buffer=40, seed=1)
    first = epoch_ids(loader)
    assert loader.epoch == 1  # a finished epoch moves on
    second = epoch_ids(loader)
    assert first != second and sorted(sum(first, [])) == sorted(sum(second, []))
    for batch in ShardLoader(reference, max_seconds=20, shuffle_buffer=40, seed=1):
        padded = len(batch.ids) * batch.audio.shape[1] / batch.sample_rate
        assert padded <= 20 or len(batch.ids) == 1


def test_mixing_weights_hold_per_epoch_and_per_window(corpora, clean_msp):
    calls = ManifestSource(corpora["calls"], max_duration=3.0)
    for weights, want in (([1, 1], 0.5), ([3, 1], 0.75)):
        loader = ShardLoader(
            [clean_msp, calls], weights=weights, epoch_size=200, max_seconds=20, shuffle_buffer=40, seed=2
        )
        plan = loader.plan(0)
        source = loader.meta.source[plan.sample]
        real = source[: plan.info["occurrences"]]  # without padding repeats
        assert abs(np.mean(real == 0) - want) < 0.01
        for windows in plan.streams:  # the ratio holds inside the shuffle windows too, not only overall
            for w in windows[:-1]:
                share = np.mean(loader.meta.source[plan.sample[np.concatenate(w.batches)]] == 0)
                assert abs(share - want) < 0.2
    counts = Counter(
        c
        for b in ShardLoader([clean_msp, calls], weights=[1, 1], epoch_size=120, max_seconds=20, seed=2)
        for c in b.corpora
    )
    assert abs(counts["msp-podcast"] / sum(counts.values()) - 0.5) < 0.1


def test_class_balanced_sampling(corpora, tmp_path):
    from sercorpus.core.manifest import read_manifest, write_manifest

    msp = read_manifest(corpora["msp"])
    kept, seen = [], Counter()
    for u in msp.records:  # an imbalanced set: all neutral, few of the others
        if u.label == "neutral" or seen[u.label] < 3:
            kept.append(u)
            seen[u.label] += 1
    path = write_manifest(tmp_path / "imbalanced.parquet", kept, roots=msp.roots)

    def class_counts(balance: bool) -> Counter:
        loader = ShardLoader(
            ManifestSource(path, unit_size=8), max_seconds=20, seed=4, balance=balance, epoch_size=400
        )
        plan = loader.plan(0)
        k = loader.meta.klass[plan.sample[: plan.info["occurrences"]]]
        return Counter(int(v) for v in k if v >= 0)

    plain, balanced = class_counts(False), class_counts(True)
    spread = lambda c: max(c.values()) / min(c.values())  # noqa: E731
    assert spread(plain) > 3 and spread(balanced) < 1.4


def test_mid_epoch_resume_is_exact_with_workers_and_augmentation(reference):
    def make(workers: int, augment: bool = True) -> ShardLoader:
        aug = OnTheFlyAugment(AUG, rate=0.5, seed=9) if augment else None
        return ShardLoader(
            reference, max_seconds=25, shuffle_buffer=30, seed=8, num_workers=workers, streams=2, augment=aug
        )

    full = make(0)  # the worker count does not change the order: the uninterrupted run uses none
    full.set_epoch(1)
    whole = [(b.ids, b.audio.clone()) for b in full]
    part = make(2)
    part.set_epoch(1)
    it = iter(part)
    head = [(b.ids, b.audio.clone()) for b in (next(it) for _ in range(5))]
    state = part.state_dict()
    assert state["epoch"] == 1 and state["position"] == 5
    del it
    resumed = make(2)
    resumed.load_state_dict(state)
    tail = [(b.ids, b.audio.clone()) for b in resumed]
    both = head + tail
    assert [i for i, _ in both] == [i for i, _ in whole]
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(both, whole, strict=True))
    plain = make(0, augment=False)
    plain.set_epoch(1)
    changed = sum(not torch.equal(a, b.audio) for (_, a), b in zip(whole, plain, strict=True))
    assert 0 < changed  # the hook did augment (about half of the rows)
    other = ShardLoader(reference, max_seconds=30, shuffle_buffer=30, seed=8, streams=2)
    with pytest.raises(ValueError, match="max_seconds"):
        other.load_state_dict(state)


def test_shards_load_through_hf_datasets_streaming(reference):
    datasets = pytest.importorskip("datasets")
    files = [str(reference / e["name"]) for e in index_of(reference)["shards"]]
    stream = datasets.load_dataset("parquet", data_files=files, split="train", streaming=True)
    rows = rows_by_id(reference)
    seen = 0
    for row in stream:
        mine = rows[row["id"]]
        assert row["label"] == mine["label"] and row["copy"] == mine["copy"]
        y, rate = decode_flac(row["audio"], row["scale"])
        assert rate == row["sample_rate"] and len(y) == row["num_samples"]
        seen += 1
    assert seen == len(rows)


def test_manifest_source_and_fsspec_urls_read_the_same_audio(corpora, clean_msp):
    from_manifest = {
        s_id: b
        for b in ShardLoader(ManifestSource(corpora["msp"]), max_seconds=30, shuffle=False)
        for s_id in b.ids
        for _ in [0]
    }
    assert len(from_manifest) == index_of(clean_msp)["samples"]
    url = ShardSource(f"file://{clean_msp}")
    for batch in ShardLoader(url, max_seconds=30, seed=0):
        for i, sample_id in enumerate(batch.ids):
            other = from_manifest[sample_id.rsplit("#aug", 1)[0]]
            j = other.ids.index(sample_id.rsplit("#aug", 1)[0])
            a = batch.audio[i, : batch.lengths[i]]
            b = other.audio[j, : other.lengths[j]]
            assert a.shape == b.shape and torch.max(torch.abs(a - b)) <= 2.0**-15 * 1.01
            assert batch.labels[i] == other.labels[j]
