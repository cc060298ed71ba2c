"""Model from the recipe's ``model`` section (the family picks the module)."""

from __future__ import annotations

from torch import nn

from sercorpus.train.models.cnn14 import CNN14, load_panns_checkpoint
from sercorpus.train.models.encoder import build_encoder
from sercorpus.train.models.ssl import SSLClassifier
from sercorpus.train.models.tcgru import TCGRU
from sercorpus.train.recipe import CNN14ModelSpec, Recipe, SSLModelSpec, TCGRUModelSpec


def build_audio_model(recipe: Recipe, num_classes: int, num_dims: int) -> nn.Module:
    """SSL or CNN14 model taking (audio [B, T], lengths [B]) at ``recipe.data.sample_rate``."""
    spec = recipe.model
    if isinstance(spec, SSLModelSpec):
        h = spec.head
        return SSLClassifier(
            build_encoder(spec.encoder),
            num_classes,
            num_dims,
            h.hidden,
            h.dropout,
            h.activation,
            normalize_audio=spec.encoder.normalize_audio,
            attention_mask=spec.encoder.attention_mask,
            freeze_feature_encoder=spec.freeze_feature_encoder,
            freeze_encoder=spec.freeze_encoder,
        )
    if isinstance(spec, CNN14ModelSpec):
        h = spec.head
        model = CNN14(
            num_classes,
            num_dims,
            recipe.data.sample_rate,
            spec.frontend,
            spec.width,
            spec.dropout,
            h.hidden,
            h.dropout,
            h.activation,
        )
        if spec.pretrained is not None:
            load_panns_checkpoint(model, spec.pretrained)
        if spec.freeze:
            for p in model.trunk_parameters():
                p.requires_grad_(False)
        return model
    raise TypeError(f"{type(spec).__name__} is not an audio model (TC-GRU trains on cached embeddings)")


def build_tcgru(spec: TCGRUModelSpec, input_dim: int, num_classes: int, num_dims: int) -> TCGRU:
    return TCGRU(
        input_dim,
        num_classes,
        num_dims,
        spec.conv_channels,
        spec.conv_kernel,
        spec.gru_hidden,
        spec.gru_layers,
        spec.embedding,
        spec.dropout,
        head_hidden=spec.embedding,
        head_dropout=spec.dropout,
    )


def may_leave_parameters_unused(recipe: Recipe) -> bool:
    """LayerDrop skips whole layers in a step, so DDP must look for parameters without gradients."""
    spec = recipe.model
    return isinstance(spec, SSLModelSpec) and spec.encoder.layerdrop > 0
