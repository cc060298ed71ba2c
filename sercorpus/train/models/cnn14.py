"""CNN14 (the PANNs architecture, Kong et al. 2020) on log-mel, written here from the paper's description.

Six blocks of two 3x3 conv + batch-norm + ReLU layers, 2x2 average pooling after the first five, dropout
0.2 after each; mean over mel bins, max + mean over time, dropout, a 2048-unit ReLU layer (the embedding),
then our head. ``width`` scales the channels (64 -> 2048 at 64; tests use 4). Parameter names follow the
PANNs checkpoints (``bn0``, ``conv_block1.conv1`` ..., ``fc1``), so a user-supplied ``Cnn14*.pth`` loads
directly; its mel filter shape is checked against the recipe's front end.

Padding: padded frames of the log-mel are set to the utterance's own per-bin mean before the input batch
norm (so they do not drag its statistics toward the -100 dB floor), and the time pooling only sees frames
that came from valid audio. Clips shorter than 32 frames are padded up to 32 (five halvings)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from sercorpus.train.errors import RecipeError
from sercorpus.train.models.frontend import FRONT_ENDS, LogMel
from sercorpus.train.models.heads import MultiTaskHead
from sercorpus.train.models.pooling import frame_mask, masked_max, masked_mean

MIN_FRAMES = 32


class ConvBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor, pool: bool) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return nn.functional.avg_pool2d(x, 2) if pool else x


class CNN14(nn.Module):
    """[B, T] audio + lengths -> {"logits", "dims"}; ``embed`` gives the fc1 embedding."""

    def __init__(
        self,
        num_classes: int,
        num_dims: int,
        input_rate: int,
        frontend: str = "16k",
        width: int = 64,
        dropout: float = 0.2,
        head_hidden: int = 256,
        head_dropout: float = 0.1,
        head_activation: str = "relu",
    ):
        super().__init__()
        fe = FRONT_ENDS[frontend]
        self.logmel = LogMel(fe, input_rate)
        self.bn0 = nn.BatchNorm2d(fe.mels)
        chans = [1] + [width * 2**i for i in range(6)]
        for i in range(6):
            self.add_module(f"conv_block{i + 1}", ConvBlock(chans[i], chans[i + 1]))
        self.dropout = dropout
        self.fc1 = nn.Linear(chans[-1], chans[-1])
        self.embedding_dim = chans[-1]
        self.head = MultiTaskHead(
            chans[-1], num_classes, num_dims, head_hidden, head_dropout, head_activation
        )

    def blocks(self) -> list[ConvBlock]:
        return [getattr(self, f"conv_block{i + 1}") for i in range(6)]

    def embed(self, audio: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x, frames = self.logmel(audio, lengths)  # [B, F, M]
        mask = frame_mask(frames, x.shape[1])
        fill = masked_mean(x, mask)[:, None, :]
        x = torch.where(mask[..., None], x, fill)
        if x.shape[1] < MIN_FRAMES:
            x = torch.cat([x, fill.expand(-1, MIN_FRAMES - x.shape[1], -1)], dim=1)
        x = self.bn0(x.transpose(1, 2)[..., None]).squeeze(-1).transpose(1, 2)  # norm per mel bin
        x = x[:, None]  # [B, 1, F, M]
        for i, block in enumerate(self.blocks()):
            x = block(x, pool=i < 5)
            if i < 5:
                frames = torch.div(frames, 2, rounding_mode="floor").clamp_min(1)
            x = nn.functional.dropout(x, self.dropout, self.training)
        x = x.mean(dim=3).transpose(1, 2)  # [B, F', C]
        mask = frame_mask(frames.clamp(max=x.shape[1]), x.shape[1])
        x = masked_max(x, mask) + masked_mean(x, mask)
        x = nn.functional.dropout(x, 0.5, self.training)
        return torch.relu(self.fc1(x))

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.head(self.embed(audio, lengths))

    def trunk_parameters(self) -> list[nn.Parameter]:
        params = list(self.bn0.parameters()) + list(self.fc1.parameters())
        for block in self.blocks():
            params += list(block.parameters())
        return params


_PANNS_PREFIXES = ("bn0.", "conv_block", "fc1.")


def read_panns_checkpoint(
    path: str | Path, frontend: str, key: str = "model.pretrained"
) -> dict[str, torch.Tensor]:
    """The state dict of a PANNs CNN14 ``.pth``, checked to be one and made for ``frontend``.

    Run before training (memory-mapped, so a large file is not read whole); every problem is a RecipeError
    naming the file: not a checkpoint, not CNN14, or a mel filter bank made for the other front end."""
    path = Path(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # torch raises several unrelated types for a non-checkpoint
        raise RecipeError(
            key, f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    state = blob.get("model", blob) if isinstance(blob, dict) else None
    if not isinstance(state, dict) or not any(str(k).startswith("conv_block1.") for k in state):
        raise RecipeError(key, f"{path}: not a PANNs CNN14 checkpoint (no conv_block1.* weights)")
    mel_w = state.get("logmel_extractor.melW")
    fe = FRONT_ENDS[frontend]
    if mel_w is not None and tuple(mel_w.shape) != (fe.window // 2 + 1, fe.mels):
        other = [n for n, f in FRONT_ENDS.items() if (f.window // 2 + 1, f.mels) == tuple(mel_w.shape)]
        raise RecipeError(
            key,
            f"{path}: mel filters {tuple(mel_w.shape)} belong to front end {other or 'unknown'}, recipe uses "
            f"{fe.name!r} (model.frontend)",
        )
    return state


def load_panns_checkpoint(model: CNN14, path: str | Path, key: str = "model.pretrained") -> None:
    """Load a PANNs CNN14 ``.pth`` into ``model``'s trunk (bn0, conv blocks, fc1); the head stays new."""
    path = Path(path)
    state = read_panns_checkpoint(path, model.logmel.frontend.name, key)
    ours = model.state_dict()
    wanted = {k: v for k, v in state.items() if k.startswith(_PANNS_PREFIXES)}
    missing = [k for k in ours if k.startswith(_PANNS_PREFIXES) and k not in wanted]
    bad = [k for k, v in wanted.items() if k in ours and tuple(ours[k].shape) != tuple(v.shape)]
    if missing or bad:
        raise RecipeError(
            key,
            f"{path}: does not fit CNN14 width {model.embedding_dim // 32} "
            f"(missing {missing[:3]}, shape mismatch {bad[:3]}); PANNs checkpoints need model.width: 64",
        )
    model.load_state_dict({**ours, **{k: v for k, v in wanted.items() if k in ours}})
