"""Model families: padding handling, encoder building from configs and local checkpoints, CNN14 front ends
and PANNs checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sercorpus.train.errors import RecipeError
from sercorpus.train.models.cnn14 import CNN14, load_panns_checkpoint
from sercorpus.train.models.encoder import build_encoder, frame_lengths
from sercorpus.train.models.frontend import FRONT_ENDS
from sercorpus.train.models.pooling import frame_mask, masked_max, masked_mean
from sercorpus.train.models.ssl import SSLClassifier
from sercorpus.train.models.tcgru import TCGRU
from sercorpus.train.recipe import EncoderSpec

TINY = {
    "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2, "intermediate_size": 64,
    "conv_dim": [32, 32, 32], "conv_kernel": [10, 8, 4], "conv_stride": [5, 8, 8],
    "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 4,
    "feat_extract_norm": "layer", "do_stable_layer_norm": True,
}  # fmt: skip


def _pad(rows: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([r.shape[0] for r in rows])
    out = torch.zeros(len(rows), int(lengths.max()), *rows[0].shape[1:])
    for i, r in enumerate(rows):
        out[i, : r.shape[0]] = r
    return out, lengths


def test_masked_pooling_ignores_padding() -> None:
    x = torch.tensor([[[1.0], [3.0], [100.0]], [[-5.0], [-7.0], [-9.0]]])
    mask = frame_mask(torch.tensor([2, 3]), 3)
    assert masked_mean(x, mask).flatten().tolist() == [2.0, -7.0]
    assert masked_max(x, mask).flatten().tolist() == [3.0, -5.0]


def test_tcgru_output_does_not_depend_on_padding() -> None:
    torch.manual_seed(0)
    model = TCGRU(16, 4, 2, 24, 3, 24, 2, 24, 0.0, 24).eval()
    rows = [torch.randn(n, 16) for n in (7, 19, 12)]
    x, lengths = _pad(rows)
    together = model(x, lengths)
    for i, r in enumerate(rows):
        alone = model(r[None], torch.tensor([r.shape[0]]))
        assert torch.allclose(alone["logits"][0], together["logits"][i], atol=1e-5)
        assert torch.allclose(alone["dims"][0], together["dims"][i], atol=1e-5)


def test_layer_norm_ssl_model_is_batch_invariant_with_the_attention_mask() -> None:
    torch.manual_seed(0)
    encoder = build_encoder(EncoderSpec(arch="wav2vec2", config=TINY))
    model = SSLClassifier(encoder, 4, 1, head_hidden=16, head_dropout=0.0).eval()
    rows = [torch.randn(n) * 0.1 for n in (8000, 16000, 11200)]
    x, lengths = _pad(rows)
    with torch.no_grad():
        together = model(x, lengths)["logits"]
        alone = torch.cat([model(r[None], torch.tensor([r.shape[0]]))["logits"] for r in rows])
    assert torch.allclose(alone, together, atol=1e-4)


def test_encoder_options_frame_lengths_and_local_checkpoint_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    enc = build_encoder(EncoderSpec(arch="hubert", config=TINY, keep_layers=2))
    assert len(enc.encoder.layers) == 2 and enc.config.num_hidden_layers == 2
    assert enc.config.apply_spec_augment is False and enc.config.layerdrop == 0.0
    lengths = torch.tensor([16000, 12345, 400])
    assert frame_lengths(enc, lengths).tolist() == enc._get_feat_extract_output_lengths(lengths).tolist()
    enc.save_pretrained(tmp_path / "ckpt")
    again = build_encoder(EncoderSpec(pretrained=str(tmp_path / "ckpt")))
    assert type(again).__name__ == "HubertModel"
    for (name, a), b in zip(enc.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    with pytest.raises(RecipeError, match="model.encoder.arch.*says 'wavlm'.*'hubert'"):
        build_encoder(EncoderSpec(arch="wavlm", pretrained=str(tmp_path / "ckpt")))


def test_bad_encoder_sources_are_refused_with_the_key(tmp_path: Path) -> None:
    with pytest.raises(
        RecipeError,
        match=r"model\.encoder\.pretrained: 'facebook/wav2vec2-base'.*hub name.*nothing is downloaded",
    ):
        build_encoder(EncoderSpec(pretrained="facebook/wav2vec2-base"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecipeError, match="not a transformers checkpoint .no config.json"):
        build_encoder(EncoderSpec(pretrained=str(tmp_path / "empty")))
    with pytest.raises(RecipeError, match=r"model\.encoder\.config: not a valid wav2vec2 config"):
        build_encoder(
            EncoderSpec(arch="wav2vec2", config={**TINY, "hidden_size": 30, "num_attention_heads": 4})
        )


@pytest.mark.parametrize("name", ["16k", "32k"])
def test_cnn14_front_ends_are_the_documented_ones(name: str) -> None:
    fe = FRONT_ENDS[name]
    expected = {"16k": (16000, 512, 160, 8000.0), "32k": (32000, 1024, 320, 14000.0)}[name]
    assert (fe.sample_rate, fe.window, fe.hop, fe.fmax) == expected and fe.mels == 64 and fe.fmin == 50.0
    model = CNN14(4, 3, 16000, name, width=2).eval()
    audio = torch.randn(2, 16000) * 0.1
    out = model(audio, torch.tensor([16000, 4000]))
    assert out["logits"].shape == (2, 4) and out["dims"].shape == (2, 3)
    logmel, frames = model.logmel(audio, torch.tensor([16000, 4000]))
    assert logmel.shape[-1] == 64 and frames.tolist() == [101, 26]  # 10 ms hop at either rate


def test_panns_checkpoint_loads_and_a_mismatched_one_is_named(tmp_path: Path) -> None:
    source = CNN14(527, 0, 32000, "32k", width=2)
    state = {k: v for k, v in source.state_dict().items() if not k.startswith("head.")}
    state["logmel_extractor.melW"] = torch.zeros(513, 64)  # PANNs' 32 kHz filter bank shape
    state["fc_audioset.weight"] = torch.zeros(527, 64)
    torch.save({"model": state, "iteration": 1}, tmp_path / "Cnn14.pth")
    target = CNN14(4, 0, 16000, "32k", width=2)
    load_panns_checkpoint(target, tmp_path / "Cnn14.pth")
    assert torch.equal(target.conv_block3.conv1.weight, source.conv_block3.conv1.weight)
    with pytest.raises(RecipeError, match=r"mel filters \(513, 64\) belong to front end \['32k'\].*'16k'"):
        load_panns_checkpoint(CNN14(4, 0, 16000, "16k", width=2), tmp_path / "Cnn14.pth")
    with pytest.raises(RecipeError, match="does not fit CNN14 width 4"):
        load_panns_checkpoint(CNN14(4, 0, 16000, "32k", width=4), tmp_path / "Cnn14.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(RecipeError, match="junk.pth: not a readable PyTorch checkpoint"):
        load_panns_checkpoint(target, tmp_path / "junk.pth")
