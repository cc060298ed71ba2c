"""Mixed precision: bf16 autocast where the device supports it (recent GPUs), fp32 otherwise.

bf16 keeps fp32's exponent range, so no loss scaler is needed (fp16's overflows are a known cause of NaN
losses in wav2vec 2.0 training); the losses compute in fp32 inside the autocast region."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def resolve_precision(preference: str, device: torch.device) -> str:
    if preference == "auto":
        ok = device.type == "cuda" and torch.cuda.is_bf16_supported()
        return "bf16" if ok else "fp32"
    if preference == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"trainer.precision: bf16 requested but {torch.cuda.get_device_name(device)} lacks it"
        )
    return preference


@contextlib.contextmanager
def autocast(precision: str, device: torch.device) -> Iterator[None]:
    if precision == "bf16":
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
            yield
    else:
        yield
