"""Build a transformers SSL encoder (wav2vec 2.0, HuBERT, WavLM) from a local checkpoint or from a config
with random weights, ready for fine-tuning or for frozen feature extraction.

Choices made here for every recipe:
- SpecAugment-style masking (``apply_spec_augment``) is switched off: HF draws its masks from numpy's
  global RNG, which the trainer neither owns nor checkpoints, so resumed runs would diverge;
- LayerDrop defaults to 0 (``layerdrop``): with it, DDP needs ``find_unused_parameters``;
- ``keep_layers`` truncates to the bottom K transformer layers (Wagner et al.: 12 of 24 lose nothing for
  arousal/dominance);
- the attention mask is passed only to layer-norm feature extractors (``feat_extract_norm == "layer"``):
  group-norm base models were pre-trained without one, so for them padding changes outputs; the loader's
  duration bucketing keeps that padding small."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from sercorpus.train.errors import RecipeError
from sercorpus.train.localpaths import transformers_checkpoint
from sercorpus.train.recipe import EncoderSpec

ARCHS = ("wav2vec2", "hubert", "wavlm")


def _classes(arch: str) -> tuple[Any, Any]:
    import transformers as tf

    return {
        "wav2vec2": (tf.Wav2Vec2Config, tf.Wav2Vec2Model),
        "hubert": (tf.HubertConfig, tf.HubertModel),
        "wavlm": (tf.WavLMConfig, tf.WavLMModel),
    }[arch]


def build_encoder(spec: EncoderSpec, key: str = "model.encoder") -> Any:
    """The encoder module (a ``*Model`` without heads); errors name ``key`` and the file."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: local_files_only below already
    overrides: dict[str, Any] = {"layerdrop": spec.layerdrop, "apply_spec_augment": False}
    if spec.pretrained is not None:
        path = transformers_checkpoint(spec.pretrained, f"{key}.pretrained")
        import transformers as tf

        try:
            config = tf.AutoConfig.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise RecipeError(f"{key}.pretrained", f"{path}/config.json: unreadable ({exc})") from None
        arch = config.model_type
        if arch not in ARCHS:
            raise RecipeError(f"{key}.pretrained", f"{path}: model_type {arch!r} is not one of {list(ARCHS)}")
        if spec.arch is not None and spec.arch != arch:
            raise RecipeError(f"{key}.arch", f"says {spec.arch!r} but {path}/config.json says {arch!r}")
        config_cls, model_cls = _classes(arch)
        for name, value in overrides.items():
            setattr(config, name, value)
        try:
            model = model_cls.from_pretrained(str(path), config=config, local_files_only=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise RecipeError(f"{key}.pretrained", f"{path}: weights could not be loaded ({exc})") from None
    else:
        assert spec.arch is not None and spec.config is not None
        config_cls, model_cls = _classes(spec.arch)
        try:
            config = config_cls(**{**spec.config, **overrides})
            model = model_cls(config)
        except (TypeError, ValueError, AssertionError) as exc:
            raise RecipeError(f"{key}.config", f"not a valid {spec.arch} config: {exc}") from None
    if spec.keep_layers is not None:
        layers = model.encoder.layers
        if spec.keep_layers > len(layers):
            raise RecipeError(
                f"{key}.keep_layers", f"{spec.keep_layers} is more than the encoder's {len(layers)} layers"
            )
        model.encoder.layers = nn.ModuleList(list(layers)[: spec.keep_layers])
        model.config.num_hidden_layers = spec.keep_layers
    return model


def uses_attention_mask(encoder: Any, mode: str) -> bool:
    if mode == "always":
        return True
    if mode == "never":
        return False
    return getattr(encoder.config, "feat_extract_norm", "group") == "layer"


def frame_lengths(encoder: Any, lengths: torch.Tensor) -> torch.Tensor:
    """Valid output frames per row: each conv layer maps L to floor((L - kernel) / stride) + 1."""
    out = lengths.clone()
    for kernel, stride in zip(encoder.config.conv_kernel, encoder.config.conv_stride, strict=True):
        out = torch.div(out - kernel, stride, rounding_mode="floor") + 1
    return out.clamp_min(0)


def normalise_audio(audio: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit variance per row over its valid samples (the feature extractors' ``do_normalize``);
    padding stays zero."""
    mask = torch.arange(audio.shape[1], device=audio.device)[None, :] < lengths[:, None]
    m = mask.to(audio.dtype)
    n = m.sum(dim=1, keepdim=True).clamp_min(1.0)
    mean = (audio * m).sum(dim=1, keepdim=True) / n
    var = (((audio - mean) * m) ** 2).sum(dim=1, keepdim=True) / n
    return ((audio - mean) / torch.sqrt(var + 1e-7)) * m


def encoder_inputs(
    encoder: Any, audio: torch.Tensor, lengths: torch.Tensor, normalize: bool, mask_mode: str
) -> dict[str, Any]:
    x = normalise_audio(audio, lengths) if normalize else audio
    kwargs: dict[str, Any] = {"input_values": x}
    if uses_attention_mask(encoder, mask_mode):
        kwargs["attention_mask"] = (
            torch.arange(audio.shape[1], device=audio.device)[None, :] < lengths[:, None]
        ).long()
    return kwargs
