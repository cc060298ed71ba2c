"""Reverberation: convolution with measured or synthetic room impulse responses, and pedalboard's Freeverb.

Convolution reverb (:class:`RIRReverb`, :class:`SyntheticReverb`) is one batched FFT convolution. The RIR
is aligned on its direct path (the output does not lag the input) and the output is energy-matched to the
input on the valid region (lhotse's convention; NeMo's peak normalisation changes loudness). The output
keeps the input length: the tail after the last valid sample is cut, as in audiomentations'
``leave_length_unchanged``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sercorpus.augment.base import (
    Op,
    check_choice,
    check_order,
    check_range,
    draw_noise_seed,
    register,
    tensor_of,
)
from sercorpus.augment.batch import Batch, ExampleRNG, counter_normal, pad_batch, row_power, zero_tail_
from sercorpus.augment.dsp import mono_at_rate, next_fast_len
from sercorpus.core.audio import audio_files

_LEAD_S = 0.001  # keep 1 ms before the direct-path peak (band-limited onsets start a little early)


def _valid_energy_from_spectrum(
    x: torch.Tensor, lens: list[int], rirs: torch.Tensor, spec: torch.Tensor, n: int, lead: int
) -> torch.Tensor:
    """Energy of (x * rir)[lead : lead + L] per row without an inverse FFT of the whole signal.

    Parseval gives the energy of the full linear convolution from its spectrum; what lies outside the
    crop (the first ``lead`` samples and the tail after the utterance end) depends only on the first
    ``lead`` and last ``len(rir) - 1`` input samples, so it comes from two short convolutions.
    """
    B, Lr = rirs.shape
    w = torch.full((spec.shape[-1],), 2.0, dtype=torch.float64, device=spec.device)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    total = ((spec.real.double() ** 2 + spec.imag.double() ** 2) * w).sum(-1) / n
    m = Lr - 1
    ends = torch.tensor([n_ - m for n_ in lens], dtype=torch.int64).to(x.device)
    pos = ends[:, None] + torch.arange(m, device=x.device)[None, :]
    last = torch.gather(x, 1, pos.clamp(min=0)) * (pos >= 0)
    small = next_fast_len(m + Lr - 1)
    rir_small = torch.fft.rfft(rirs, n=small)
    tail = torch.fft.irfft(torch.fft.rfft(last, n=small) * rir_small, n=small)[:, m + lead : m + Lr - 1]
    head = (
        torch.fft.irfft(torch.fft.rfft(x[:, :lead], n=small) * rir_small, n=small)[:, :lead] if lead else None
    )
    outside = (tail.double() ** 2).sum(-1) + ((head.double() ** 2).sum(-1) if head is not None else 0.0)
    return (total - outside).clamp(min=0.0)


def convolve_matched(
    batch: Batch,
    rirs: torch.Tensor,
    lead: int = 0,
    then: Callable[[int], torch.Tensor] | None = None,
    guard: int = 0,
) -> Batch:
    """Linear convolution of each row with its RIR, cropped to [lead, lead + T), energy-matched on the valid
    region, padding 0.

    ``then(n)`` optionally gives per-row gains on the rfft grid of size n for filters that follow the reverb
    (``guard``: their impulse-response length); they are applied to the reverberant spectrum directly,
    which saves the filters' forward FFT, and the reverb's own energy (the energy match refers to the
    reverb alone) is then computed in the frequency domain, which saves an inverse FFT too.
    """
    x, lengths = batch.x, batch.lengths
    T = x.shape[-1]
    n = next_fast_len(T + rirs.shape[-1] - 1 + guard)
    spec = torch.fft.rfft(x, n=n) * torch.fft.rfft(rirs, n=n)
    p_in = row_power(x, lengths)
    if then is None:
        y = zero_tail_(torch.fft.irfft(spec, n=n)[:, lead : lead + T].contiguous(), batch.lens, lengths)
        p_out = row_power(y, lengths)
    else:
        energy = _valid_energy_from_spectrum(x, batch.lens, rirs, spec, n, lead)
        p_out = (energy / lengths.clamp(min=1).double()).to(x.dtype)
        y = zero_tail_(
            torch.fft.irfft(spec * then(n), n=n)[:, lead : lead + T].contiguous(), batch.lens, lengths
        )
    gain = torch.where(p_out > 0, torch.sqrt(p_in / p_out.clamp(min=1e-30)), torch.zeros_like(p_out))
    return Batch(y * gain[:, None], lengths, batch.sample_rate, batch.lens)


class ConvolutionReverb(Op):
    """A reverb defined by one impulse response per example; a chain fuses it with following EQ filters."""

    def impulse_responses(self, batch: Batch, params: list[dict[str, Any]]) -> tuple[torch.Tensor, int]:
        """(rows, L) impulse responses on the batch's device and the direct-path index ``lead``."""
        raise NotImplementedError

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        rirs, lead = self.impulse_responses(batch, params)
        return convolve_matched(batch, rirs, lead), None


@dataclass
class RIRBank:
    """Impulse responses decoded, reduced to one channel, resampled and direct-path aligned once."""

    data: torch.Tensor  # (K, Lmax), the direct-path peak at index `lead`
    lens: list[int]
    names: list[str]
    sample_rate: int
    lead: int
    _device_copies: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)

    def on(self, device: torch.device) -> torch.Tensor:
        key = str(device)
        if key not in self._device_copies:
            self._device_copies[key] = self.data.to(device)
        return self._device_copies[key]

    @classmethod
    def from_files(
        cls,
        paths: Sequence[str | Path],
        sample_rate: int,
        channel: str | int = "first",
        max_seconds: float | None = None,
    ) -> RIRBank:
        from sercorpus.core.audio import read_audio

        lead = int(round(_LEAD_S * sample_rate))
        rirs, names = [], []
        for path in paths:
            h, rate = read_audio(path)
            if h.ndim == 2:
                if channel == "mix":
                    h = h.mean(axis=1)
                else:
                    index = 0 if channel == "first" else int(channel)
                    if index >= h.shape[1]:
                        raise ValueError(f"{path}: channel {index} requested, RIR has {h.shape[1]}")
                    h = h[:, index]
            h = mono_at_rate(np.asarray(h, dtype=np.float64), rate, sample_rate)
            peak = int(np.argmax(np.abs(h)))
            start = peak - lead
            h = np.concatenate([np.zeros(max(0, -start)), h[max(0, start) :]])
            if max_seconds is not None:
                keep = int(max_seconds * sample_rate)
                if len(h) > keep:
                    fade = min(keep // 4, int(0.01 * sample_rate))
                    h = h[:keep].copy()
                    h[keep - fade :] *= np.linspace(1.0, 0.0, fade)
            energy = float(np.sum(h**2))
            if energy <= 0:
                raise ValueError(f"{path}: impulse response is silent")
            rirs.append((h / math.sqrt(energy)).astype(np.float32))
            names.append(Path(path).name)
        if not rirs:
            raise ValueError("no impulse responses given")
        data, _ = pad_batch(rirs)
        return cls(data, [len(h) for h in rirs], names, sample_rate, lead)


_RIR_BANKS: dict[tuple[Any, ...], RIRBank] = {}


@register
class RIRReverb(ConvolutionReverb):
    """Convolve with a measured RIR drawn per example from ``rir_dir`` (or ``paths``), any rate/channels.

    ``channel``: ``"first"``, ``"mix"`` (mean of channels) or a channel index. ``max_seconds`` truncates
    long RIRs (with a 10 ms fade) to bound the FFT size.
    """

    name = "rir_reverb"

    def __init__(
        self,
        rir_dir: str | Path | None = None,
        paths: Sequence[str | Path] | None = None,
        channel: str | int = "first",
        max_seconds: float | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        if (rir_dir is None) == (paths is None):
            raise ValueError(f"{self.name}: give exactly one of rir_dir or paths (from the CLI: --rir-dir)")
        if rir_dir is not None:
            if not Path(rir_dir).is_dir():
                raise FileNotFoundError(f"{self.name}: RIR folder not found: {rir_dir}")
            paths = audio_files(rir_dir)
            if not paths:
                raise FileNotFoundError(f"{self.name}: no .wav/.flac impulse responses under {rir_dir}")
        self.paths = [str(p) for p in paths or []]
        if not isinstance(channel, int) or isinstance(channel, bool):
            check_choice(self.name, "channel", channel, ("first", "mix"))
        elif channel < 0:
            raise ValueError(f"{self.name}: channel={channel} must be >= 0")
        self.channel = channel
        self.max_seconds = (
            None if max_seconds is None else check_range(self.name, "max_seconds", max_seconds, 0.01, 30.0)
        )

    def bank(self, sample_rate: int) -> RIRBank:
        key = (tuple(self.paths), sample_rate, self.channel, self.max_seconds)
        if key not in _RIR_BANKS:
            _RIR_BANKS[key] = RIRBank.from_files(self.paths, sample_rate, self.channel, self.max_seconds)
        return _RIR_BANKS[key]

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        bank = self.bank(sample_rate)
        k = int(rng.integers(len(bank.lens)))
        return {"rir_index": k, "rir": bank.names[k]}

    def impulse_responses(self, batch: Batch, params: list[dict[str, Any]]) -> tuple[torch.Tensor, int]:
        bank = self.bank(batch.sample_rate)
        index = tensor_of(params, "rir_index", batch.x.device, torch.int64)
        rirs = bank.on(batch.x.device).index_select(0, index)[
            :, : max(bank.lens[p["rir_index"]] for p in params)
        ]
        return rirs, bank.lead


@register
class SyntheticReverb(ConvolutionReverb):
    """Convolve with a synthetic RIR: a unit direct path, then Gaussian noise decaying 60 dB in T60.

    T60 ~ U(min_t60, max_t60) s; the tail is scaled so the direct-to-reverberant energy ratio (direct
    sample vs everything after it) is DRR ~ U(min_drr_db, max_drr_db). The noise is keyed by the example's
    noise seed, so the RIR is reproducible on any device.
    """

    name = "synthetic_reverb"

    def __init__(
        self,
        min_t60: float = 0.2,
        max_t60: float = 0.7,
        min_drr_db: float = 0.0,
        max_drr_db: float = 10.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.min_t60 = check_range(self.name, "min_t60", min_t60, 0.05, 5.0)
        self.max_t60 = check_range(self.name, "max_t60", max_t60, 0.05, 5.0)
        check_order(self.name, "min_t60", self.min_t60, "max_t60", self.max_t60)
        self.min_drr_db = check_range(self.name, "min_drr_db", min_drr_db, -30.0, 40.0)
        self.max_drr_db = check_range(self.name, "max_drr_db", max_drr_db, -30.0, 40.0)
        check_order(self.name, "min_drr_db", self.min_drr_db, "max_drr_db", self.max_drr_db)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        return {
            "t60_s": float(rng.uniform(self.min_t60, self.max_t60)),
            "drr_db": float(rng.uniform(self.min_drr_db, self.max_drr_db)),
            "noise_seed": draw_noise_seed(rng),
        }

    @staticmethod
    def make_rirs(params: list[dict[str, Any]], sample_rate: int, device: torch.device) -> torch.Tensor:
        """(B, L) synthetic impulse responses for the given parameters (direct path at index 0)."""
        t60 = tensor_of(params, "t60_s", device)
        drr = tensor_of(params, "drr_db", device)
        lens = [int(math.ceil(p["t60_s"] * sample_rate)) + 1 for p in params]
        L = max(lens)
        t = torch.arange(L, device=device, dtype=torch.float32)[None, :] / sample_rate
        tail = counter_normal([p["noise_seed"] for p in params], L, stream=3, device=device)
        tail = tail * torch.exp(-6.907755 * t / t60[:, None])
        tail[:, 0] = 0.0
        tail = zero_tail_(tail, lens)
        energy = (tail * tail).sum(-1).clamp(min=1e-30)
        tail = tail * torch.sqrt(10.0 ** (-drr / 10.0) / energy)[:, None]
        tail[:, 0] = 1.0
        return tail

    def impulse_responses(self, batch: Batch, params: list[dict[str, Any]]) -> tuple[torch.Tensor, int]:
        return self.make_rirs(params, batch.sample_rate, batch.x.device), 0


@register
class PedalboardReverb(Op):
    """pedalboard's ``Reverb`` (JUCE Freeverb) on CPU, for exact replication of recipes that used it.

    Real semantics (pedalboard 0.9.26, JUCE ``juce_Reverb.h``; see ``augmentation-notes.md`` C.3):
    - ``room_size`` sets comb feedback 0.7 + 0.28*room_size: even room_size 0 rings for ~0.5 s (RT60 at
      16 kHz: 0.49 s at 0, 0.64 s at 0.2, 1.0 s at 0.5). It cannot make a small room; use
      :class:`SyntheticReverb` or :class:`RIRReverb` for T60 below 0.5 s.
    - ``wet_level`` is scaled x3 (1/3 is unity wet gain); ``dry_level`` x2 (0.4 = x0.8 = -1.9 dB,
      0.5 is unity). With wet <= 0.5 and dry 0.4 the direct-to-reverberant ratio stays >= ~5.5 dB.
    - ``width`` only scales the wet signal by (1 + width)/2 for mono input.
    - Every parameter glides over 10 ms when changed on a reused plugin, so a fresh plugin is built per
      clip; the output is cut to the input length unless ``keep_tail_s`` > 0 (then lengths grow).
    Not energy-matched (replication means the plugin's own gains). CPU only: rows go to the CPU and back.
    """

    name = "pedalboard_reverb"

    def __init__(
        self,
        min_room_size: float = 0.0,
        max_room_size: float = 0.2,
        min_wet_level: float = 0.1,
        max_wet_level: float = 0.5,
        dry_level: float = 0.4,
        damping: float = 0.5,
        width: float = 1.0,
        keep_tail_s: float = 0.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        unit = {
            "min_room_size": min_room_size,
            "max_room_size": max_room_size,
            "min_wet_level": min_wet_level,
            "max_wet_level": max_wet_level,
            "dry_level": dry_level,
            "damping": damping,
            "width": width,
        }
        for key, value in unit.items():
            setattr(self, key, check_range(self.name, key, value, 0.0, 1.0))
        check_order(self.name, "min_room_size", self.min_room_size, "max_room_size", self.max_room_size)
        check_order(self.name, "min_wet_level", self.min_wet_level, "max_wet_level", self.max_wet_level)
        self.keep_tail_s = check_range(self.name, "keep_tail_s", keep_tail_s, 0.0, 10.0)

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        return {
            "room_size": float(rng.uniform(self.min_room_size, self.max_room_size)),
            "wet_level": float(rng.uniform(self.min_wet_level, self.max_wet_level)),
            "dry_level": self.dry_level,
            "damping": self.damping,
            "width": self.width,
        }

    def apply(self, batch: Batch, params: list[dict[str, Any]], measure: bool = False):
        from pedalboard import Reverb

        sr = batch.sample_rate
        tail = int(round(self.keep_tail_s * sr))
        x = batch.x.detach().to("cpu", torch.float32).numpy()
        outs = []
        for row, n, prm in zip(x, batch.lens, params, strict=True):
            plugin = Reverb(
                room_size=prm["room_size"],
                damping=prm["damping"],
                wet_level=prm["wet_level"],
                dry_level=prm["dry_level"],
                width=prm["width"],
                freeze_mode=0.0,
            )
            signal = np.concatenate([row[:n], np.zeros(tail, np.float32)]) if tail else row[:n]
            outs.append(plugin(np.ascontiguousarray(signal, dtype=np.float32), sr, reset=True).reshape(-1))
        y, lengths = pad_batch(outs, batch.x.device)
        return Batch(y, lengths, sr, [len(o) for o in outs]), None
