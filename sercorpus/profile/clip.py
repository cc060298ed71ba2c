"""One utterance under analysis: its samples, its native rate and the intermediates estimators share.

Estimators read the native-rate samples (level features, bandwidth) or the 16 kHz analysis copy (speech
activity, SNR, reverberation); the resampled copy, its STFT power and the speech-activity result are
computed once per clip and cached, so adding an estimator costs only its own arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: every estimator that does not need the native rate works on a 16 kHz copy (speech band, silero's rate)
ANALYSIS_RATE = 16000
#: STFT shared by the spectral estimators at 16 kHz: 32 ms Hann frames, 8 ms hop
N_FFT = 512
HOP = 128


def resample(y: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling (scipy), float64; identity when the rates agree."""
    if rate == target:
        return np.asarray(y, dtype=np.float64)
    from scipy.signal import resample_poly

    g = math.gcd(int(rate), int(target))
    return np.asarray(
        resample_poly(np.asarray(y, dtype=np.float64), target // g, rate // g), dtype=np.float64
    )


def stft_power(x: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """|STFT|^2 as (frames, n_fft // 2 + 1), Hann window scaled so a frame's mean bin power equals the mean
    sample power of a white signal; frames that would run past the end are dropped (no padding bias)."""
    if len(x) < n_fft:
        return np.zeros((0, n_fft // 2 + 1))
    window = np.hanning(n_fft + 1)[:-1]
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    spec = np.fft.rfft(frames * window, axis=-1)
    return (spec.real**2 + spec.imag**2) / float(np.sum(window**2)) / (n_fft / 2)


@dataclass
class SpeechActivity:
    """Silero speech probabilities per 32 ms chunk and the speech segments (seconds) derived from them."""

    probs: np.ndarray
    segments: list[tuple[float, float]]
    chunk_s: float

    @property
    def speech_seconds(self) -> float:
        return float(sum(e - s for s, e in self.segments))

    def mask(self, n_frames: int, hop_s: float, frame_s: float) -> np.ndarray:
        """Boolean per STFT frame: the frame's centre lies in a speech segment."""
        centres = np.arange(n_frames) * hop_s + frame_s / 2
        out = np.zeros(n_frames, dtype=bool)
        for s, e in self.segments:
            out |= (centres >= s) & (centres < e)
        return out


@dataclass
class Clip:
    """Samples (1-D, float) at ``rate`` plus cached shared intermediates; see :attr:`problem`."""

    samples: np.ndarray
    rate: int
    id: str = ""
    channels: int = 1
    speech: SpeechActivity | None = None
    vad_error: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        y = np.asarray(self.samples)
        if y.ndim == 2:  # (frames, channels): profile the mixdown, remember the channel count
            self.channels = int(y.shape[1])
            y = y.mean(axis=1)
        self.samples = np.asarray(y, dtype=np.float64).reshape(-1)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def problem(self) -> str | None:
        """Why nothing can be measured on this clip at all: empty, non-finite or all-zero; else None."""
        if "problem" not in self._cache:
            y = self.samples
            if y.size == 0:
                self._cache["problem"] = "empty"
            elif not np.isfinite(y).all():
                self._cache["problem"] = "non_finite_samples"
            elif not np.any(y):
                self._cache["problem"] = "silent"
            else:
                self._cache["problem"] = None
        return self._cache["problem"]

    @property
    def x16(self) -> np.ndarray:
        """The analysis copy at :data:`ANALYSIS_RATE` (float64)."""
        if "x16" not in self._cache:
            self._cache["x16"] = resample(self.samples, self.rate, ANALYSIS_RATE)
        return self._cache["x16"]

    @property
    def power16(self) -> np.ndarray:
        """STFT power of :attr:`x16`, (frames, 257)."""
        if "power16" not in self._cache:
            self._cache["power16"] = stft_power(self.x16)
        return self._cache["power16"]

    def cached(self, key: str, compute: Any) -> Any:
        """Memoise ``compute()`` under ``key`` for estimators that share an intermediate."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]
