"""Silero VAD v6 (16 kHz) run as one batched, whole-sequence forward pass instead of chunk by chunk.

The ``silero-vad`` wheel ships its TorchScript model (MIT licence); we read its weights from that file
and evaluate the same network ourselves. Silero's encoder sees each 32 ms chunk plus the 4 ms of audio
before it and carries no state between chunks, so all chunks of all clips go through the encoder as
plain matrix products at once; only the LSTM runs over time. The probabilities equal the packaged
model's chunk-by-chunk ones to 1e-5 (tests/profile/test_silero.py), at about 4x its speed on one CPU
thread, which is what makes profiling run at hundreds of times real time per core.

Importing ``silero_vad`` calls ``torch.set_num_threads(1)``; we restore the caller's thread count.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

RATE = 16000
CHUNK = 512  # samples per decision (32 ms)
CONTEXT = 64  # samples of the previous chunk the encoder also sees


class SileroUnavailable(RuntimeError):
    """The silero-vad package (with its model file) is not installed."""


@dataclass(frozen=True)
class _Weights:
    basis: Any  # torch tensors, typed loosely to keep torch out of this module's import
    enc: tuple[tuple[Any, Any], ...]
    lstm: Any
    w_out: Any
    b_out: Any


@functools.lru_cache(maxsize=1)
def _weights() -> _Weights:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a core dependency
        raise SileroUnavailable(f"torch is needed for silero-vad: {exc}") from None
    threads = torch.get_num_threads()
    try:
        from importlib import resources

        import silero_vad  # noqa: F401  (sets torch threads to 1 on import)

        path = resources.files("silero_vad.data").joinpath("silero_vad.jit")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jit = torch.jit.load(str(path), map_location="cpu")
    except (ImportError, FileNotFoundError, RuntimeError) as exc:
        raise SileroUnavailable(f"silero-vad is not installed or its model file is missing ({exc})") from None
    finally:
        torch.set_num_threads(threads)
    sd = {k: v.detach().clone().float() for k, v in jit.state_dict().items() if k.startswith("_model.")}
    p = "_model."
    enc = tuple(
        (sd[f"{p}encoder.{i}.reparam_conv.weight"], sd[f"{p}encoder.{i}.reparam_conv.bias"]) for i in range(4)
    )
    lstm = torch.nn.LSTM(128, 128, batch_first=True)
    state = {
        f"{name}_l0": sd[f"{p}decoder.rnn.{name}"]
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    }
    lstm.load_state_dict(state)
    lstm.eval()
    basis = sd[f"{p}stft.forward_basis_buffer"][:, 0, :].T.contiguous()  # (256, 258)
    # conv kernels as matrices acting on [x(t-1), x(t), x(t+1)] stacked along features
    enc_m = (
        (enc[0][0].permute(2, 1, 0).reshape(3 * 129, 128).contiguous(), enc[0][1]),
        (enc[1][0].permute(2, 1, 0).reshape(3 * 128, 64).contiguous(), enc[1][1]),
        (enc[2][0][:, :, 1:].permute(2, 1, 0).reshape(2 * 64, 64).contiguous(), enc[2][1]),
        (enc[3][0][:, :, 1].T.contiguous(), enc[3][1]),
    )
    return _Weights(
        basis, enc_m, lstm, sd[f"{p}decoder.decoder.2.weight"][0, :, 0], sd[f"{p}decoder.decoder.2.bias"][0]
    )


def available() -> bool:
    try:
        _weights()
    except SileroUnavailable:
        return False
    return True


#: chunks per encoder pass: bounds memory for long clips (2048 chunks = 65 s); the LSTM state carries over
PIECE_CHUNKS = 2048


def _encode(x: Any, w: _Weights) -> Any:
    """(B, CONTEXT + n * CHUNK) audio -> (B, n, 128) encoder features, all chunks at once."""
    import torch
    import torch.nn.functional as F

    B = x.shape[0]
    n = (x.shape[1] - CONTEXT) // CHUNK
    ch = x.unfold(1, CONTEXT + CHUNK, CHUNK).reshape(B * n, CONTEXT + CHUNK)
    ch = torch.cat([ch, ch[:, -65:-1].flip(1)], 1)  # reflection pad of 64 on the right
    z = ch.unfold(1, 256, 128).reshape(B * n * 4, 256) @ w.basis
    z = torch.sqrt(z[:, :129] ** 2 + z[:, 129:] ** 2).reshape(B * n, 4, 129)
    (w0, b0), (w1, b1), (w2, b2), (w3, b3) = w.enc
    z = F.pad(z, (0, 0, 1, 1)).unfold(1, 3, 1).transpose(2, 3).reshape(B * n * 4, 3 * 129)
    z = F.relu(z @ w0 + b0).reshape(B * n, 4, 128)
    z = F.pad(z, (0, 0, 1, 0)).unfold(1, 3, 2).transpose(2, 3).reshape(B * n * 2, 3 * 128)
    z = F.relu(z @ w1 + b1).reshape(B * n, 2 * 64)
    z = F.relu(z @ w2 + b2)
    return F.relu(z @ w3 + b3).reshape(B, n, 128)


def speech_probabilities(clips: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per clip (16 kHz, 1-D), the speech probability of each 32 ms chunk (the last one zero-padded)."""
    import torch
    import torch.nn.functional as F

    if not clips:
        return []
    w = _weights()
    n_chunks = [max(1, -(-len(c) // CHUNK)) for c in clips]
    B, n = len(clips), max(n_chunks)
    x = torch.zeros(B, CONTEXT + n * CHUNK)
    for i, c in enumerate(clips):
        x[i, CONTEXT : CONTEXT + len(c)] = torch.from_numpy(np.asarray(c, dtype=np.float32))
    out = np.zeros((B, n))
    state = None
    with torch.inference_mode():
        for first in range(0, n, PIECE_CHUNKS):
            last = min(n, first + PIECE_CHUNKS)
            piece = x[:, first * CHUNK : CONTEXT + last * CHUNK]
            h, state = w.lstm(_encode(piece, w), state)
            out[:, first:last] = torch.sigmoid(F.relu(h) @ w.w_out + w.b_out).numpy()
    return [out[i, : n_chunks[i]] for i in range(B)]


def segments_from_probabilities(
    probs: np.ndarray,
    duration: float,
    on: float = 0.5,
    off: float = 0.35,
    min_speech_s: float = 0.25,
    min_gap_s: float = 0.1,
    pad_s: float = 0.03,
) -> list[tuple[float, float]]:
    """Hysteresis segmentation: speech starts above ``on``, ends below ``off``; gaps under ``min_gap_s`` are
    bridged, segments under ``min_speech_s`` dropped, then each is padded by ``pad_s`` (within the clip)."""
    step = CHUNK / RATE
    raw: list[list[float]] = []
    inside = False
    for k, p in enumerate(probs):
        if not inside and p >= on:
            inside, start = True, k * step
        elif inside and p < off:
            inside = False
            raw.append([start, k * step])
    if inside:
        raw.append([start, len(probs) * step])
    merged: list[list[float]] = []
    for seg in raw:
        if merged and seg[0] - merged[-1][1] < min_gap_s:
            merged[-1][1] = seg[1]
        else:
            merged.append(seg)
    out = []
    for s, e in merged:
        if e - s >= min_speech_s:
            out.append((round(max(0.0, s - pad_s), 4), round(min(duration, e + pad_s), 4)))
    # padding may make neighbours touch: join them so segments never overlap
    joined: list[tuple[float, float]] = []
    for s, e in out:
        if joined and s <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(e, joined[-1][1]))
        else:
            joined.append((s, e))
    return joined
