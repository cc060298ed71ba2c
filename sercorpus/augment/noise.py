"""Additive noise at a per-example SNR: band-limited pink (1/f) noise and background sounds (ESC-50 or wavs).

SNR is the ratio of mean powers measured on the same samples of the valid region: the whole utterance
(``reference="whole"``) or its speech-active 20 ms frames (``"active"``: frames within ``gate_db`` of the
loudest one). Padding never enters either power and never receives noise.

Pink noise is *power* spectral density proportional to 1/f^exponent (exponent 1 = pink, -3.01 dB/octave),
from ``f_low`` to ``f_high`` (default Nyquist). It is synthesised in the frequency domain as random
spectra shaped by f^(-exponent/2) (the amplitude exponent is half the PSD exponent; the
torch-audiomentations "pink" that measures -5.5 dB/octave got this wrong). Spectra are drawn for fixed-size
chunks keyed by (noise seed, chunk index) and joined with power-complementary crossfades, so the noise is
fresh everywhere (never tiled) and an example's noise does not depend on the padded length of its batch.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sercorpus.augment import batch as _batch
from sercorpus.augment.base import (
    Op,
    RangeOrChoice,
    check_choice,
    check_range,
    draw_noise_seed,
    register,
    tensor_of,
)
from sercorpus.augment.batch import Batch, ExampleRNG, counter_bytes, mix_at_snr, pad_batch, wrap_index
from sercorpus.augment.dsp import mono_at_rate
from sercorpus.core.audio import audio_files

_REFERENCES = ("whole", "active")


@functools.lru_cache(maxsize=32)
def _pink_shape(
    chunk: int,
    sample_rate: int,
    exponent: float,
    f_low: float,
    f_high: float,
    device_str: str,
) -> torch.Tensor:
    f = torch.arange(chunk // 2 + 1, dtype=torch.float64) * (sample_rate / chunk)
    amp = torch.where(
        (f >= f_low) & (f <= f_high), f.clamp(min=1e-9) ** (-exponent / 2.0), torch.zeros_like(f)
    )
    return amp.to(torch.float32).to(device_str)


@functools.lru_cache(maxsize=16)
def _chunk_window(n: int, taper: int, device_str: str) -> torch.Tensor:
    """Flat window with sin/cos tapers of ``taper`` samples: overlapping tapers are power-complementary."""
    ramp = torch.sin(0.5 * math.pi * (torch.arange(taper, dtype=torch.float64) + 0.5) / taper)
    w = torch.ones(n, dtype=torch.float64)
    w[:taper] = ramp
    w[n - taper :] = ramp.flip(0)
    return w.to(torch.float32).to(device_str)


def colored_noise(
    keys: Sequence[int],
    T: int,
    sample_rate: int,
    exponent: float = 1.0,
    f_low: float = 20.0,
    f_high: float | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """(B, T) noise with PSD ~ 1/f^exponent on [f_low, f_high]; row i depends only on keys[i] (not on T).

    Chunks of ~1 s (a power of two) get independent random spectra; consecutive chunks
    overlap by 1/8 with sin/cos tapers whose squares sum to one, so the variance is constant across joins
    and the expected spectrum is the target 1/f shape (smoothed by a ~2 Hz window, negligible above f_low).
    """
    chunk = 1 << max(8, round(math.log2(sample_rate)))
    taper = chunk // 8
    hop = chunk - taper
    n_chunks = -(-(T + taper) // hop)
    bins = chunk // 2 + 1
    f_high = sample_rate / 2 if f_high is None else f_high
    B = len(keys)
    # one 32-bit hash -> its four bytes -> real and imaginary parts of two bins, each uniform on 256 levels
    # with zero mean and unit variance. A noise sample is a weighted sum over thousands of bins, so it is
    # Gaussian (CLT: |excess kurtosis| < 0.03 measured); the expected PSD is exactly amp**2, the target.
    pairs = -(-n_chunks * bins // 2)
    quads = counter_bytes(keys, pairs, stream=1, device=device)
    coef = torch.view_as_complex(quads.to(torch.float32).sub_(127.5).view(B, 2 * pairs, 2))
    amp = _pink_shape(chunk, sample_rate, float(exponent), float(f_low), float(f_high), str(device))
    spec = coef[:, : n_chunks * bins].view(B, n_chunks, bins) * (amp * (math.sqrt(12.0) / 256.0))
    frames = torch.fft.irfft(spec, n=chunk, dim=-1).mul_(_chunk_window(chunk, taper, str(device)))
    # chunk c covers [c*hop - taper, c*hop + hop): its body lands on block c, its head on block c-1's end
    body = frames[:, :, taper:].contiguous()
    body[:, :-1, hop - taper :] += frames[:, 1:, :taper]
    return body.view(B, -1)[:, :T]


class _SnrOp(Op):
    """Shared SNR parameters: a range or a list of SNRs, and where the SNR is measured."""

    def _init_snr(
        self, min_snr_db: float | None, max_snr_db: float | None, snrs_db: Any, reference: str, gate_db: float
    ) -> None:
        self.snr = RangeOrChoice(self.name, "snr_db", -30.0, 60.0, min_snr_db, max_snr_db, snrs_db)
        self.reference = check_choice(self.name, "reference", reference, _REFERENCES)
        self.gate_db = check_range(self.name, "gate_db", gate_db, -80.0, -1.0)

    def _mix(self, batch: Batch, noise: torch.Tensor, params: list[dict[str, Any]], measure: bool):
        snr = tensor_of(params, "snr_db", batch.x.device)
        y, achieved = mix_at_snr(
            batch.x,
            noise,
            batch.lengths,
            snr,
            batch.sample_rate,
            self.reference,
            self.gate_db,
            lens=batch.lens,
        )
        out = Batch(y, batch.lengths, batch.sample_rate, batch.lens)  # noise was zeroed in padding
        return out, (
            {"achieved_snr_db": [round(float(v), 3) for v in achieved.tolist()]} if measure else None
        )


@register
class PinkNoise(_SnrOp):
    """Add fresh band-limited 1/f^exponent noise (pink by default) at a per-example SNR."""

    name = "pink_noise"

    def __init__(
        self,
        min_snr_db: float | None = 10.0,
        max_snr_db: float | None = 30.0,
        snrs_db: Sequence[float] | None = None,
        exponent: float = 1.0,
        f_low: float = 20.0,
        f_high: float | None = None,
        reference: str = "whole",
        gate_db: float = -30.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self._init_snr(min_snr_db, max_snr_db, snrs_db, reference, gate_db)
        self.exponent = check_range(self.name, "exponent", exponent, -2.0, 2.0)
        self.f_low = check_range(self.name, "f_low", f_low, 0.0, 20000.0)
        self.f_high = None if f_high is None else check_range(self.name, "f_high", f_high, 1.0, 96000.0)
        if self.f_high is not None and self.f_high <= self.f_low:
            raise ValueError(f"{self.name}: f_high={f_high:g} must be above f_low={f_low:g}")

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        if self.f_low >= sample_rate / 2:
            raise ValueError(
                f"{self.name}: f_low={self.f_low:g} must be below Nyquist ({sample_rate / 2:g} Hz)"
            )
        return {
            "snr_db": self.snr.draw(rng),
            "noise_seed": draw_noise_seed(rng),
            "exponent": self.exponent,
            "f_low": self.f_low,
            "reference": self.reference,
        }

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        f_high = min(self.f_high or batch.sample_rate / 2, batch.sample_rate / 2)
        noise = colored_noise(
            [p["noise_seed"] for p in params],
            batch.x.shape[-1],
            batch.sample_rate,
            self.exponent,
            self.f_low,
            f_high,
            batch.x.device,
        )
        return self._mix(batch, noise, params, measure)


# ------------------------------------------------------------------------------------ background bank
@dataclass
class NoiseBank:
    """Noise clips decoded and resampled once, kept as one padded float32 tensor (moved once per device).

    Clips are trimmed of leading/trailing digital silence (ESC-50 pads short recordings with zeros) and
    made loopable: the last ``crossfade_s`` are crossfaded (equal power) into the start, so wrapping a
    short clip around for a long utterance has no click.
    """

    data: torch.Tensor  # (K, Lmax)
    lens: list[int]
    meta: list[dict[str, Any]]
    sample_rate: int
    _device_copies: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.lens)

    def on(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        key = str(device)
        if key not in self._device_copies:
            self._device_copies[key] = (
                self.data.to(device),
                torch.tensor(self.lens, dtype=torch.int64).to(device),
            )
        return self._device_copies[key]

    @classmethod
    def from_arrays(
        cls,
        clips: Sequence[np.ndarray],
        rates: Sequence[int],
        meta: Sequence[dict[str, Any]],
        sample_rate: int,
        crossfade_s: float = 0.05,
        min_seconds: float = 0.1,
    ) -> NoiseBank:
        kept, kept_meta = [], []
        for clip, rate, info in zip(clips, rates, meta, strict=True):
            y = _trim_silence(mono_at_rate(np.asarray(clip, dtype=np.float64), rate, sample_rate))
            if len(y) < min_seconds * sample_rate:
                continue
            kept.append(_make_loopable(y, int(crossfade_s * sample_rate)).astype(np.float32))
            kept_meta.append(dict(info))
        if not kept:
            raise ValueError(
                f"noise bank is empty: no clip has at least {min_seconds:g} s of non-silent audio"
            )
        data, _ = pad_batch(kept)
        return cls(data, [len(c) for c in kept], kept_meta, sample_rate)

    @classmethod
    def from_files(cls, paths: Sequence[Path], meta: Sequence[dict[str, Any]], sample_rate: int) -> NoiseBank:
        from sercorpus.core.audio import read_audio

        decoded = [read_audio(path) for path in paths]
        return cls.from_arrays([y for y, _ in decoded], [rate for _, rate in decoded], meta, sample_rate)

    @classmethod
    def from_folder(cls, folder: str | Path, sample_rate: int) -> NoiseBank:
        files = audio_files(folder)
        if not files:
            raise FileNotFoundError(f"no .wav/.flac noise files under {folder}")
        return cls.from_files(files, [{"clip": str(path.relative_to(folder))} for path in files], sample_rate)

    @classmethod
    def from_esc50(
        cls,
        root: str | Path,
        sample_rate: int,
        groups: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
    ) -> NoiseBank:
        """ESC-50 clips (via the corpus loader) of the given major groups and/or categories (all if neither)."""
        from sercorpus.corpora.esc50 import load_esc50

        records = list(load_esc50(root))
        if not records:
            raise ValueError(f"no ESC-50 clips found under {root}")
        chosen = [
            u
            for u in records
            if (not groups or u.extra["major_group_name"] in groups)
            and (not categories or u.extra["category"] in categories)
        ]
        if categories:
            present = {u.extra["category"] for u in records}
            missing = sorted(set(categories) - present)
            if missing:
                raise ValueError(
                    f"ESC-50 categories {missing} have no clips under {root}; present: {sorted(present)}"
                )
        if not chosen:
            raise ValueError(f"no ESC-50 clips under {root} match groups={groups} categories={categories}")
        meta = [
            {
                "clip": Path(u.audio_path).name,
                "category": u.extra["category"],
                "group": u.extra["major_group_name"],
            }
            for u in chosen
        ]
        return cls.from_files([Path(root) / u.audio_path for u in chosen], meta, sample_rate)


def _trim_silence(y: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    loud = np.flatnonzero(np.abs(y) > threshold * max(np.max(np.abs(y)), 1e-12))
    return y[loud[0] : loud[-1] + 1] if loud.size else y[:0]


def _make_loopable(y: np.ndarray, crossfade: int) -> np.ndarray:
    """Blend the last ``crossfade`` samples into the first ones so that y[-1] -> y[0] continues smoothly."""
    crossfade = min(crossfade, len(y) // 4)
    if crossfade < 2:
        return y
    ramp = np.sin(0.5 * np.pi * (np.arange(crossfade) + 0.5) / crossfade)
    head, body, tail = y[:crossfade], y[crossfade:-crossfade], y[-crossfade:]
    blended = tail * np.cos(0.5 * np.pi * (np.arange(crossfade) + 0.5) / crossfade) + head * ramp
    # loop = body + blended; after blended comes body[0] == y[crossfade], which followed head in the original
    return np.concatenate([body, blended])


_BANKS: dict[tuple[Any, ...], NoiseBank] = {}


def cached_bank(
    kind: str,
    source: str | Path,
    sample_rate: int,
    groups: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
) -> NoiseBank:
    """Decode a bank once per process (configs built repeatedly share it)."""
    key = (kind, str(Path(source).resolve()), sample_rate, tuple(groups or ()), tuple(categories or ()))
    if key not in _BANKS:
        if kind == "esc50":
            _BANKS[key] = NoiseBank.from_esc50(source, sample_rate, groups, categories)
        else:
            _BANKS[key] = NoiseBank.from_folder(source, sample_rate)
    return _BANKS[key]


@register
class BackgroundNoise(_SnrOp):
    """Mix a background sound at a per-example SNR: a random clip of the bank at a random offset, looped.

    Sources: ``root`` (an ESC-50 root in its native layout, filtered by ``groups`` among the ESC-50 major
    groups ``animals``, ``natural`` (soundscapes & water), ``human`` (non-speech), ``domestic``
    (interior), ``urban``, and/or by ``categories``), or ``folder`` (any wav/flac files), or a ready
    :class:`NoiseBank`. SNRs: ``snrs_db: [0, 10, 20]`` picks one per example; or a uniform range.
    The bank is resampled to the batch's rate on first use.
    """

    name = "background_noise"

    def __init__(
        self,
        root: str | Path | None = None,
        folder: str | Path | None = None,
        bank: NoiseBank | None = None,
        groups: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
        min_snr_db: float | None = 0.0,
        max_snr_db: float | None = 20.0,
        snrs_db: Sequence[float] | None = None,
        reference: str = "whole",
        gate_db: float = -30.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self._init_snr(min_snr_db, max_snr_db, snrs_db, reference, gate_db)
        sources = [s for s in (root, folder, bank) if s is not None]
        if len(sources) != 1:
            raise ValueError(
                f"{self.name}: give exactly one of root (ESC-50), folder (wav files) or bank "
                f"(got {len(sources)}); from the CLI use --noise-root"
            )
        if groups is not None:
            from sercorpus.corpora.esc50 import MAJOR_GROUPS

            groups = [groups] if isinstance(groups, str) else list(groups)
            for g in groups:
                check_choice(self.name, "groups", g, MAJOR_GROUPS)
        if categories is not None:
            categories = [categories] if isinstance(categories, str) else list(categories)
        if (groups or categories) and root is None:
            raise ValueError(f"{self.name}: groups/categories select ESC-50 clips and need root=")
        if root is not None and not Path(root).is_dir():
            raise FileNotFoundError(f"{self.name}: ESC-50 root not found: {root}")
        if folder is not None and not Path(folder).is_dir():
            raise FileNotFoundError(f"{self.name}: noise folder not found: {folder}")
        self.root, self.folder, self.groups, self.categories = root, folder, groups, categories
        self._bank = bank

    def bank(self, sample_rate: int) -> NoiseBank:
        if self._bank is not None and self._bank.sample_rate == sample_rate:
            return self._bank
        if self._bank is not None:
            raise ValueError(
                f"{self.name}: bank is at {self._bank.sample_rate} Hz, batch at {sample_rate} Hz"
            )
        if self.root is not None:
            return cached_bank("esc50", self.root, sample_rate, self.groups, self.categories)
        return cached_bank("folder", self.folder, sample_rate)  # type: ignore[arg-type]

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        bank = self.bank(sample_rate)
        k = int(rng.integers(bank.size))
        offset = int(rng.integers(bank.lens[k]))
        return {
            "snr_db": self.snr.draw(rng),
            "clip_index": k,
            **bank.meta[k],
            "offset_s": offset / sample_rate,
            "offset": offset,
            "reference": self.reference,
        }

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        bank = self.bank(batch.sample_rate)
        data, lens = bank.on(batch.x.device)
        T = batch.x.shape[-1]
        if _batch.uses_host_paths(
            batch.x.device
        ):  # copies of clip slices: cost proportional to valid samples
            noise = batch.x.new_zeros(batch.x.shape)
            for row, (prm, n) in enumerate(zip(params, batch.lens, strict=True)):
                k, pos, done = prm["clip_index"], prm["offset"], 0
                period = bank.lens[k]
                while done < n:
                    take = min(period - pos, n - done)
                    noise[row, done : done + take] = data[k, pos : pos + take]
                    done, pos = done + take, 0
        else:  # one gather of (offset + t) mod clip length
            k = tensor_of(params, "clip_index", batch.x.device, torch.int64)
            offset = tensor_of(params, "offset", batch.x.device, torch.int64)
            pos = wrap_index(offset, lens[k], T, max(bank.lens))
            noise = torch.take(data, pos + (k * data.shape[1])[:, None])
        return self._mix(batch, noise, params, measure)
