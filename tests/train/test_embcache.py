"""The embedding store survives a torn write; an interrupted extraction resumes to the same cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sercorpus.shards.batch import Sample, collate
from sercorpus.train.embcache import EmbeddingCache
from sercorpus.train.embstore import EmbeddingStore
from sercorpus.train.models.encoder import build_encoder
from sercorpus.train.recipe import EncoderSpec

TINY = {
    "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32,
    "conv_dim": [16, 16, 16], "conv_kernel": [10, 8, 4], "conv_stride": [5, 8, 8],
    "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 4, "feat_extract_norm": "layer",
}  # fmt: skip


def test_store_drops_a_torn_append_and_maps_the_rest(tmp_path: Path) -> None:
    store = EmbeddingStore(tmp_path / "s", dim=3, dtype="float32")
    a, b = np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((4, 3), dtype=np.float32)
    store.append(["a", "b"], [a, b])
    store.append(["a"], [b])  # already stored: skipped
    with open(tmp_path / "s" / "data.bin", "ab") as handle:  # a crash after writing rows ...
        handle.write(b"\x01" * 20)
    with open(tmp_path / "s" / "index.jsonl", "a") as handle:  # ... and half an index line
        handle.write('{"id": "c", "off')
    again = EmbeddingStore(tmp_path / "s", dim=3, dtype="float32")
    assert len(again) == 2 and "c" not in again
    assert np.array_equal(again.get("a"), a) and np.array_equal(again.get("b"), b)
    assert (tmp_path / "s" / "data.bin").stat().st_size == 6 * 3 * 4


class Batches:
    """A source of contract batches from in-memory audio; ``fail_after`` simulates a crash."""

    def __init__(self, audio: dict[str, np.ndarray], fail_after: int | None = None):
        self.audio, self.fail_after = audio, fail_after

    def __iter__(self):  # noqa: ANN204
        ids = sorted(self.audio)
        for k, i in enumerate(range(0, len(ids), 2)):
            if self.fail_after is not None and k == self.fail_after:
                raise KeyboardInterrupt("killed")
            yield collate([Sample(j, self.audio[j], 16000, "x") for j in ids[i : i + 2]], "4class")


def test_interrupted_extraction_resumes_to_the_same_cache(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    audio = {
        f"x/{i}": (rng.standard_normal(int(rng.integers(4000, 12000))) * 0.1).astype(np.float32)
        for i in range(7)
    }
    spec = EncoderSpec(arch="wavlm", config=TINY)
    torch.manual_seed(0)
    encoder = build_encoder(spec).eval()
    args = (spec, 0, 16000, "float32", 3, 16)

    one = EmbeddingCache(tmp_path / "one", *args)
    assert one.extract(encoder, Batches(audio), set(audio), [0, 2], torch.device("cpu"), "fp32", spec) == 7
    two = EmbeddingCache(tmp_path / "two", *args)
    with pytest.raises(KeyboardInterrupt):
        two.extract(
            encoder, Batches(audio, fail_after=2), set(audio), [0, 2], torch.device("cpu"), "fp32", spec
        )
    two = EmbeddingCache(tmp_path / "two", *args)  # the restarted process
    assert len(two.means) == 4
    assert two.extract(encoder, Batches(audio), set(audio), [0, 2], torch.device("cpu"), "fp32", spec) == 3
    for i in audio:
        for k in (0, 2):
            assert np.allclose(one.layer(k).get(i), two.layer(k).get(i), atol=1e-6)
        assert np.allclose(one.means.get(i), two.means.get(i), atol=1e-6)
        frames = one.layer(0).get(i).shape[0]
        assert frames == int(encoder._get_feat_extract_output_lengths(torch.tensor(len(audio[i]))))
    with pytest.raises(Exception, match="made with other settings"):
        EmbeddingCache(tmp_path / "one", spec, 0, 16000, "float16", 3, 16)
