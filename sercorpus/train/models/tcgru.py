"""TC-GRU on frozen foundation-model layer embeddings (Mitra et al.): temporal convolution (kernel 3),
a 2-layer GRU of 256, a 256-d embedding and multi-task heads (~1.6 M parameters on 1024-d input).

The GRU runs on packed sequences, so padding never enters its state; its outputs are mean-pooled over the
valid frames before the embedding layer."""

from __future__ import annotations

import torch
from torch import nn

from sercorpus.train.models.heads import MultiTaskHead
from sercorpus.train.models.pooling import frame_mask, masked_mean


class TCGRU(nn.Module):
    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        num_dims: int,
        conv_channels: int = 256,
        conv_kernel: int = 3,
        gru_hidden: int = 256,
        gru_layers: int = 2,
        embedding: int = 256,
        dropout: float = 0.2,
        head_hidden: int = 256,
        head_dropout: float = 0.1,
        head_activation: str = "relu",
    ):
        super().__init__()
        self.norm = nn.LayerNorm(input_dim)
        self.conv = nn.Conv1d(input_dim, conv_channels, conv_kernel, padding=conv_kernel // 2)
        self.gru = nn.GRU(
            conv_channels,
            gru_hidden,
            num_layers=gru_layers,
            batch_first=True,
            dropout=dropout if gru_layers > 1 else 0.0,
        )
        self.embed = nn.Sequential(nn.Dropout(dropout), nn.Linear(gru_hidden, embedding), nn.ReLU())
        self.head = MultiTaskHead(
            embedding, num_classes, num_dims, head_hidden, head_dropout, head_activation
        )

    def forward(self, features: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.norm(features.float())
        mask = frame_mask(lengths, x.shape[1])
        x = x * mask[..., None]  # the conv must not see padding beyond the frame next to the edge
        x = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths.clamp_min(1).cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return self.head(self.embed(masked_mean(out, mask)))
