"""FLAC bytes for one sample (soundfile/libsndfile: no TorchCodec, no FFmpeg).

FLAC is integer PCM, so audio louder than full scale (an augmentation gain of +6 dB) is stored divided by
its peak with that ``scale`` kept beside it; decoding multiplies it back. Nothing is clipped, and the
round trip is exact to the PCM step (2**-15 of the scale at 16 bits).
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

#: libsndfile's 0..1 compression setting (FLAC level ~4): same size as the default level on speech, faster
COMPRESSION_LEVEL = 0.5


def encode_flac(audio: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> tuple[bytes, float]:
    """(FLAC bytes, scale) for mono float audio; ``decode_flac(bytes) * scale`` gives it back."""
    y = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    scale = 1.0
    if peak > 1.0:
        scale = peak
        y = np.clip(y / np.float32(peak), -1.0, 1.0)
    buffer = io.BytesIO()
    sf.write(buffer, y, sample_rate, format="FLAC", subtype=subtype, compression_level=COMPRESSION_LEVEL)
    return buffer.getvalue(), scale


def decode_flac(data: bytes, scale: float = 1.0) -> tuple[np.ndarray, int]:
    """float32 mono samples and their rate."""
    y, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=False)
    if scale != 1.0:
        y = y * np.float32(scale)
    return y, int(rate)
