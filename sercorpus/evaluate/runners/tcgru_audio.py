"""A TC-GRU run as a model on audio: its frozen encoder and selected layer in front of the trained TC-GRU.

Training reads cached embeddings; evaluation on new data (or on augmented copies) has no cache, so the
encoder runs on the fly. The encoder is rebuilt exactly as training built it (a local checkpoint, or
random weights drawn from the recipe seed as the trainer draws them), the layer is the recipe's or the
one saliency chose (``saliency.json``), and frames are rounded to the cache dtype, as the cache stored them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sercorpus.core.seeding import stable_seed
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.train.models.build import build_tcgru
from sercorpus.train.models.encoder import build_encoder, encoder_inputs, frame_lengths
from sercorpus.train.models.pooling import frame_mask
from sercorpus.train.recipe import Recipe, TCGRUModelSpec


class TCGRUOnAudio(nn.Module):
    """(audio [B, T], lengths [B]) -> the TC-GRU's outputs; only the TC-GRU's weights are loadable."""

    def __init__(self, encoder: nn.Module, layer: int, tcgru: nn.Module, spec: TCGRUModelSpec):
        super().__init__()
        self.encoder = encoder
        self.layer = layer
        self.tcgru = tcgru
        self.spec = spec
        self.cache_dtype = torch.float16 if spec.cache_dtype == "float16" else torch.float32

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        """The checkpoint holds the TC-GRU alone (the encoder is frozen and rebuilt)."""
        return self.tcgru.load_state_dict(state_dict, strict=strict, assign=assign)

    @torch.no_grad()
    def forward(self, audio: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        enc = self.spec.encoder
        inputs = encoder_inputs(self.encoder, audio, lengths, enc.normalize_audio, enc.attention_mask)
        hidden = self.encoder(**inputs, output_hidden_states=True).hidden_states[self.layer].float()
        frames = frame_lengths(self.encoder, lengths).clamp(1, hidden.shape[1])
        hidden = hidden.to(self.cache_dtype).float() * frame_mask(frames, hidden.shape[1])[..., None]
        out: dict[str, torch.Tensor] = self.tcgru(hidden, frames)
        return out


def chosen_layer(run_dir: Path, spec: TCGRUModelSpec) -> int:
    if isinstance(spec.layer, int):
        return spec.layer
    path = run_dir / "saliency.json"
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["chosen_layer"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EvaluationError(f"{path}: the run's salient layer is unreadable ({exc})") from None


def build_tcgru_on_audio(run_dir: Path, recipe: Recipe, n_classes: int, n_dims: int) -> TCGRUOnAudio:
    spec = recipe.model
    assert isinstance(spec, TCGRUModelSpec)
    # the trainer's draw for a random-weight encoder (sercorpus.train.features); TODO(train): expose it
    torch.manual_seed(stable_seed(recipe.seed, "init", "encoder"))
    encoder = build_encoder(spec.encoder).eval()
    for p in encoder.parameters():
        p.requires_grad_(False)
    layer = chosen_layer(run_dir, spec)
    hidden_size = int(encoder.config.hidden_size)
    tcgru = build_tcgru(spec, hidden_size, n_classes, n_dims)
    return TCGRUOnAudio(encoder, layer, tcgru, spec)
