"""SSL encoder fine-tuning (Wagner et al.; Kawaoto et al.): CNN feature encoder frozen, transformer layers
fine-tuned, attention-masked mean pooling of the last layer over valid frames, hidden layer, outputs."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sercorpus.train.models.encoder import encoder_inputs, frame_lengths
from sercorpus.train.models.heads import MultiTaskHead
from sercorpus.train.models.pooling import frame_mask, masked_mean


class SSLClassifier(nn.Module):
    def __init__(
        self,
        encoder: Any,
        num_classes: int,
        num_dims: int,
        head_hidden: int = 256,
        head_dropout: float = 0.1,
        head_activation: str = "tanh",
        normalize_audio: bool = True,
        attention_mask: str = "auto",
        freeze_feature_encoder: bool = True,
        freeze_encoder: bool = False,
    ):
        super().__init__()
        self.encoder: Any = encoder
        self.normalize_audio = normalize_audio
        self.attention_mask = attention_mask
        if freeze_feature_encoder:
            encoder.freeze_feature_encoder()
        if freeze_encoder:
            for p in encoder.parameters():
                p.requires_grad_(False)
        self.head = MultiTaskHead(
            encoder.config.hidden_size, num_classes, num_dims, head_hidden, head_dropout, head_activation
        )

    def pooled(self, audio: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        inputs = encoder_inputs(self.encoder, audio, lengths, self.normalize_audio, self.attention_mask)
        hidden = self.encoder(**inputs).last_hidden_state  # [B, F, D]
        frames = frame_lengths(self.encoder, lengths).clamp(1, hidden.shape[1])
        return masked_mean(hidden, frame_mask(frames, hidden.shape[1]))

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.head(self.pooled(audio, lengths))
