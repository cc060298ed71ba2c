"""G.711 companding round trips (8-bit mu-law and A-law), as the telephone channel applies them."""

from __future__ import annotations

import math

import torch

_MU = 255.0
_A = 87.6


def mulaw_roundtrip(x: torch.Tensor) -> torch.Tensor:
    """Encode to 8-bit mu-law (mu = 255) and decode."""
    x = x.clamp(-1.0, 1.0)
    f = torch.sign(x) * torch.log1p(_MU * x.abs()) / math.log1p(_MU)
    q = torch.round(f * 127.0) / 127.0  # 8-bit sign-magnitude codes (G.711 has +0 and -0)
    return torch.sign(q) * torch.expm1(q.abs() * math.log1p(_MU)) / _MU


def alaw_roundtrip(x: torch.Tensor) -> torch.Tensor:
    """Encode to 8-bit A-law (A = 87.6) and decode."""
    x = x.clamp(-1.0, 1.0)
    a = x.abs()
    norm = 1.0 + math.log(_A)
    f = torch.where(a < 1.0 / _A, _A * a / norm, (1.0 + torch.log((_A * a).clamp(min=1.0))) / norm)
    q = torch.round(torch.sign(x) * f * 127.0) / 127.0
    b = q.abs()
    y = torch.where(b < 1.0 / norm, b * norm / _A, torch.exp(b * norm - 1.0) / _A)
    return torch.sign(q) * y
