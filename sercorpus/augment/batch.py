"""Batch utilities every op shares: the padded-batch contract, valid-region statistics, SNR mixing and the
per-example random streams.

Why this module exists: the peers' worst defects (RMS over zero padding, noise written into padding, one
global RNG) all come from ops computing these things each in their own way. Here they are computed once,
on valid samples only, and every op calls them.

Randomness: scalar parameters are drawn on the CPU from an :class:`ExampleRNG` seeded with the op seed, which
derives from (seed, utterance id, copy index, position of the op in the chain). Bulk noise comes
from a counter-based hash of (noise_seed, sample index) evaluated with int64 tensor ops, so it is the same
on every device and for every batch layout, without touching any global RNG.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from sercorpus.core.seeding import stable_seed

__all__ = [
    "Batch",
    "entry_batch",
    "valid_mask",
    "masked_power",
    "active_mask",
    "wrap_index",
    "zero_tail_",
    "uses_host_paths",
    "row_power",
    "mix_at_snr",
    "example_seeds",
    "derive_seed",
    "derive_seeds",
    "ExampleRNG",
    "counter_uniform",
    "counter_bits",
    "counter_bytes",
    "counter_normal",
    "counter_complex_normal",
    "pad_batch",
    "unpad",
]


# ----------------------------------------------------------------------------------------- the batch
@dataclass
class Batch:
    """A zero-padded batch ``x`` of shape (B, ..., T) with per-example valid lengths along the last axis.

    ``lens`` is a CPU mirror of ``lengths`` so ops can size outputs and draw parameters without a
    device->host sync per op.
    """

    x: torch.Tensor
    lengths: torch.Tensor
    sample_rate: int
    lens: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.lengths.dtype != torch.int64:
            self.lengths = self.lengths.to(torch.int64)
        if self.lengths.device != self.x.device:
            self.lengths = self.lengths.to(self.x.device)
        if not self.lens:
            self.lens = [int(v) for v in self.lengths.tolist()]
        if len(self.lens) != self.x.shape[0]:
            raise ValueError(f"batch has {self.x.shape[0]} rows but {len(self.lens)} lengths")
        if self.lens and max(self.lens) > self.x.shape[-1]:
            raise ValueError(f"a length ({max(self.lens)}) exceeds the padded size T={self.x.shape[-1]}")

    @classmethod
    def from_lens(cls, x: torch.Tensor, lens: Sequence[int], sample_rate: int) -> Batch:
        lens = [int(v) for v in lens]
        lengths = torch.tensor(lens, dtype=torch.int64).to(x.device, non_blocking=True)
        return cls(x, lengths, sample_rate, lens)

    @property
    def size(self) -> int:
        return self.x.shape[0]

    def select(self, rows: Sequence[int]) -> Batch:
        """Rows ``rows`` as a new batch, trimmed to their own longest length."""
        if len(rows) == self.size and list(rows) == list(range(self.size)):
            return self
        lens = [self.lens[i] for i in rows]
        index = torch.tensor(list(rows), dtype=torch.int64).to(self.x.device, non_blocking=True)
        x = self.x.index_select(0, index)[..., : max(lens, default=0)]
        return Batch.from_lens(x.contiguous(), lens, self.sample_rate)

    def merge(self, rows: Sequence[int], sub: Batch) -> Batch:
        """This batch with rows ``rows`` replaced by ``sub`` (which may be longer: T grows as needed)."""
        if len(rows) == self.size and list(rows) == list(range(self.size)):
            return sub
        lens = list(self.lens)
        for i, n in zip(rows, sub.lens, strict=True):
            lens[i] = n
        T = max(max(lens, default=0), 1)
        out = self.x.new_zeros((*self.x.shape[:-1], T))
        keep = min(T, self.x.shape[-1])
        out[..., :keep] = self.x[..., :keep]
        index = torch.tensor(list(rows), dtype=torch.int64).to(self.x.device, non_blocking=True)
        out[index] = 0
        out[index, ..., : sub.x.shape[-1]] = sub.x
        return Batch.from_lens(out, lens, self.sample_rate)


def entry_batch(
    x: torch.Tensor, lengths: torch.Tensor | Sequence[int], sample_rate: int, ids: Sequence[str] | None = None
) -> Batch:
    """A caller's padded batch as a :class:`Batch` whose padding is guaranteed zero (a copy; the caller's
    tensor is never modified). Every op relies on that invariant, e.g. to sum powers without masks.
    NaN/inf samples in the valid region are an error naming the examples: they would spread through every
    FFT-based op and come out as a whole utterance of NaN."""
    if not isinstance(lengths, torch.Tensor):
        lengths = torch.tensor(list(lengths), dtype=torch.int64)
    if x.dim() < 2:
        raise ValueError(f"expected a padded batch (B, ..., T), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"expected floating-point audio, got {x.dtype}")
    batch = Batch(x, lengths, sample_rate)
    if min(batch.lens, default=0) < 0:
        raise ValueError("lengths must be >= 0")
    clean = zero_tail_(x.clone(), batch.lens, batch.lengths)
    finite = torch.isfinite(clean).reshape(clean.shape[0], -1).all(dim=1)
    if not bool(finite.all()):
        rows = [int(i) for i in torch.nonzero(~finite).flatten()]
        names = [ids[i] if ids is not None else f"row {i}" for i in rows]
        raise ValueError(
            f"non-finite samples (NaN or inf) in the input audio of {', '.join(map(str, names))}"
        )
    return Batch(clean, batch.lengths, sample_rate, batch.lens)


def valid_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(B, T) bool: True on valid samples."""
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]


def uses_host_paths(device: torch.device | str) -> bool:
    """Whether per-row slicing and numpy hashing are the fast way on this device (the CPU); elsewhere ops
    use one vectorised kernel per step. Tests monkeypatch this to run the device paths on the CPU."""
    return torch.device(device).type == "cpu"


def zero_tail_(x: torch.Tensor, lens: Sequence[int], lengths: torch.Tensor | None = None) -> torch.Tensor:
    """In place: zero every row of a freshly computed ``x`` past its length; returns ``x``.

    On CPU it fills the tails by slicing (cost proportional to the padding; a bool mask multiply is ~20x
    slower than a float multiply there). On other devices it is one multiply by a float mask.
    """
    T = x.shape[-1]
    if uses_host_paths(x.device):
        for i, n in enumerate(lens):
            if n < T:
                x[i, ..., n:] = 0
        return x
    if lengths is None:
        lengths = torch.tensor(list(lens), dtype=torch.int64).to(x.device, non_blocking=True)
    mask = valid_mask(lengths, T).to(x.dtype)
    return x.mul_(mask.view(mask.shape[0], *([1] * (x.dim() - 2)), T))


def row_power(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean square over valid samples of a batch whose padding is zero (the engine's invariant)."""
    return (x * x).sum(-1) / lengths.clamp(min=1).to(x.dtype)


def masked_power(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean square over the samples where ``mask`` is set, per row; 0 where the mask is empty."""
    m = mask.to(x.dtype)
    count = m.sum(-1)
    return (x * x * m).sum(-1) / count.clamp(min=1)


def wrap_index(offset: torch.Tensor, period: torch.Tensor, T: int, max_period: int) -> torch.Tensor:
    """(B, T) int64: (offset[b] + t) mod period[b], without integer division (slow on CPU).

    float32 is exact for the integers involved (< 2**24); the float quotient can be off by one next to a
    multiple of the period, which the two corrections fix.
    """
    if int(T) + 2 * int(max_period) >= 1 << 24:
        return torch.remainder(
            offset[:, None] + torch.arange(T, device=offset.device)[None, :], period[:, None]
        )
    per = period.to(torch.float32)[:, None]
    pos = (
        offset.to(torch.float32)[:, None]
        + torch.arange(T, device=offset.device, dtype=torch.float32)[None, :]
    )
    pos = pos - torch.floor(pos / per) * per
    pos = torch.where(pos < 0, pos + per, pos)
    pos = torch.where(pos >= per, pos - per, pos)
    return pos.to(torch.int64)


def active_mask(
    x: torch.Tensor, lengths: torch.Tensor, sample_rate: int, gate_db: float = -30.0, frame_s: float = 0.02
) -> torch.Tensor:
    """(B, T) bool: valid samples inside 20 ms frames whose power is within ``gate_db`` of the loudest frame.

    The "speech-active" reference for SNR; an all-silent row falls back to its whole valid region.
    """
    B, T = x.shape
    frame = max(1, int(round(frame_s * sample_rate)))
    nf = -(-T // frame)
    valid = valid_mask(lengths, T)
    sq = torch.nn.functional.pad(x * x, (0, nf * frame - T)).view(B, nf, frame).sum(-1)
    starts = torch.arange(nf, device=x.device) * frame
    count = (lengths[:, None] - starts[None, :]).clamp(min=0, max=frame)
    power = sq / count.clamp(min=1)
    peak = power.max(-1, keepdim=True).values
    active = (power >= peak * 10.0 ** (gate_db / 10.0)) & (power > 0) & (count > 0)
    samples = active.repeat_interleave(frame, dim=1)[:, :T] & valid
    empty = ~samples.any(-1, keepdim=True)
    return torch.where(empty, valid, samples)


def mix_at_snr(
    x: torch.Tensor,
    noise: torch.Tensor,
    lengths: torch.Tensor,
    snr_db: torch.Tensor,
    sample_rate: int,
    reference: str = "whole",
    gate_db: float = -30.0,
    *,
    lens: Sequence[int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """``x + g * noise`` with g chosen per row so the SNR on the reference region equals ``snr_db``: the
    ``"whole"`` valid region, or its ``"active"`` frames (see :func:`active_mask`).

    Both powers are measured on the same region of valid samples; the noise is zeroed in padding first (in
    place; ``lens`` is the CPU mirror of ``lengths``), so padding stays exactly 0. A silent row (zero power)
    gets no noise; a row whose noise is silent on the region is left unchanged. Returns (mixed, achieved SNR
    in dB, +inf where nothing was added).
    """
    noise = zero_tail_(noise, lens, lengths)
    if reference == "whole":  # padding is zero in both, so plain sums over T are sums over valid samples
        p_sig, p_noise = row_power(x, lengths), row_power(noise, lengths)
    else:
        region = active_mask(x, lengths, sample_rate, gate_db)
        p_sig, p_noise = masked_power(x, region), masked_power(noise, region)
    target = 10.0 ** (-snr_db.to(x.dtype) / 10.0)
    gain = torch.where(
        p_noise > 0, torch.sqrt(p_sig * target / p_noise.clamp(min=1e-30)), torch.zeros_like(p_sig)
    )
    added = gain * gain * p_noise
    achieved = torch.where(
        added > 0,
        10.0 * torch.log10(p_sig.clamp(min=1e-30) / added.clamp(min=1e-30)),
        torch.full_like(p_sig, math.inf),
    )
    return torch.addcmul(x, gain[:, None], noise), achieved


# ----------------------------------------------------------------------------------- seeds and RNGs
_MASK64 = (1 << 64) - 1
_GOLDEN64 = 0x9E3779B97F4A7C15


def _splitmix64(z: int) -> int:
    z = (z + _GOLDEN64) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


@functools.lru_cache(maxsize=4096)
def _tag_key(tag: object) -> int:
    return stable_seed("tag", type(tag).__name__, tag)


def example_seeds(seed: int, ids: Sequence[str], copies: int | Sequence[int] = 0) -> list[int]:
    """Per-example seeds from (seed, utterance id, copy index): independent of batch composition."""
    if isinstance(copies, int):
        copies = [copies] * len(ids)
    if len(copies) != len(ids):
        raise ValueError(f"{len(ids)} ids but {len(copies)} copy indices")
    return [stable_seed("augment", seed, utt, int(c)) for utt, c in zip(ids, copies, strict=True)]


def derive_seed(seed: int, tag: object) -> int:
    """Child seed for a sub-step (an op position, a one-of branch, the rate decision); 63-bit."""
    return _splitmix64(seed ^ _tag_key(tag)) & 0x7FFF_FFFF_FFFF_FFFF


def derive_seeds(seeds: Sequence[int], tag: object) -> list[int]:
    key = _tag_key(tag)
    return [_splitmix64(s ^ key) & 0x7FFF_FFFF_FFFF_FFFF for s in seeds]


class ExampleRNG:
    """A splitmix64 stream for one example and one op: a few hundred ns to create and draw from, where a
    numpy Generator costs ~10 us to seed, which matters when every op of every example gets its own.

    The subset of the numpy Generator API the ops use: random, uniform, integers, choice.
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = int(seed) & _MASK64

    def _next(self) -> int:
        self._state = (self._state + _GOLDEN64) & _MASK64
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def random(self) -> float:
        """Uniform on [0, 1) with 53 random bits."""
        return (self._next() >> 11) * (1.0 / 9007199254740992.0)

    def uniform(self, low: float = 0.0, high: float = 1.0) -> float:
        return low + (high - low) * self.random()

    def integers(self, low: int, high: int | None = None) -> int:
        """Uniform integer in [low, high) (or [0, low) with one argument), like numpy's."""
        if high is None:
            low, high = 0, low
        span = int(high) - int(low)
        if span <= 0:
            raise ValueError(f"integers: empty range [{low}, {high})")
        return int(low) + ((self._next() * span) >> 64)

    def choice(self, n: int, p: Sequence[float] | None = None) -> int:
        if p is None:
            return self.integers(n)
        u, acc = self.random(), 0.0
        for i, w in enumerate(p):
            acc += w
            if u < acc:
                return i
        return n - 1


_M32 = 0xFFFFFFFF
_MUL = 0x45D9F3B  # < 2**27, so (uint32 * _MUL) never overflows int64
_GOLDEN = 0x9E3779B9


def _mix32_(h: torch.Tensor) -> torch.Tensor:
    """In-place 32-bit avalanche hash on int64 tensors holding uint32 values (identical on every device)."""
    h.bitwise_xor_(h >> 16)
    h.mul_(_MUL).bitwise_and_(_M32)
    h.bitwise_xor_(h >> 16)
    h.mul_(_MUL).bitwise_and_(_M32)
    h.bitwise_xor_(h >> 16)
    return h


def _np_mix32(h: np.ndarray) -> np.ndarray:
    """The same hash as :func:`_mix32_` on uint32 numpy arrays (wrapping multiply): ~8x faster on CPU."""
    h ^= h >> np.uint32(16)
    h *= np.uint32(_MUL)
    h ^= h >> np.uint32(16)
    h *= np.uint32(_MUL)
    h ^= h >> np.uint32(16)
    return h


def _counter_keys(keys: Sequence[int] | torch.Tensor, stream: int) -> tuple[list[int], list[int]]:
    """Per-row 32-bit keys (k1, k2), mixed so keys differing in a few bits still give unrelated streams."""
    raw = keys.tolist() if isinstance(keys, torch.Tensor) else [int(k) for k in keys]
    lo = np.array([k & _M32 for k in raw], dtype=np.uint32) ^ np.uint32((stream * _GOLDEN) & _M32)
    k1 = _np_mix32(lo)
    k2 = _np_mix32(np.array([(k >> 32) & _M32 for k in raw], dtype=np.uint32) ^ k1)
    return k1.tolist(), k2.tolist()


def _counter_u32(
    keys: Sequence[int] | torch.Tensor, n: int, stream: int, device: torch.device | str, offset: int = 0
) -> np.ndarray | torch.Tensor:
    """(B, n) hash of (key, stream, offset + i): uint32 numpy on CPU, int64 torch elsewhere (same values)."""
    if offset + n > 2**32:
        raise ValueError("counter range exhausted (more than 2**32 draws for one key and stream)")
    k1, k2 = _counter_keys(keys, stream)
    if uses_host_paths(device):
        h = np.arange(offset, offset + n, dtype=np.uint32)[None, :] ^ np.array(k1, dtype=np.uint32)[:, None]
        _np_mix32(h)
        h ^= np.array(k2, dtype=np.uint32)[:, None]
        return _np_mix32(h)
    t1 = torch.tensor(k1, dtype=torch.int64).to(device)[:, None]
    t2 = torch.tensor(k2, dtype=torch.int64).to(device)[:, None]
    h = torch.arange(offset, offset + n, dtype=torch.int64, device=device)[None, :] ^ t1
    _mix32_(h)
    h.bitwise_xor_(t2)
    return _mix32_(h)


def counter_bits(
    keys: Sequence[int] | torch.Tensor, n: int, stream: int, device: torch.device | str, offset: int = 0
) -> torch.Tensor:
    """(B, n) int64 hash values in [0, 2**32) of (key, stream, offset + i): a counter-based RNG whose values
    are identical on every device (integer arithmetic only)."""
    h = _counter_u32(keys, n, stream, device, offset)
    return torch.from_numpy(h.astype(np.int64)) if isinstance(h, np.ndarray) else h


def counter_bytes(
    keys: Sequence[int] | torch.Tensor,
    n: int,
    stream: int,
    device: torch.device | str,
) -> torch.Tensor:
    """(B, 4n) uint8: the little-endian bytes of :func:`counter_bits` (four 8-bit uniforms per hash)."""
    h = _counter_u32(keys, n, stream, device)
    if isinstance(h, np.ndarray):
        return torch.from_numpy(h.astype("<u4", copy=False).view(np.uint8))
    return h.to(torch.int32).view(torch.uint8)  # int64 -> int32 keeps the low 32 bits


def counter_uniform(
    keys: Sequence[int] | torch.Tensor, n: int, stream: int, device: torch.device | str, offset: int = 0
) -> torch.Tensor:
    """(B, n) float32 uniform on (0, 1) with 24-bit resolution."""
    h = _counter_u32(keys, n, stream, device, offset)
    if isinstance(h, np.ndarray):
        return torch.from_numpy(
            ((h >> np.uint32(8)).astype(np.float32) + np.float32(0.5)) * np.float32(2.0**-24)
        )
    return ((h >> 8).to(torch.float32) + 0.5) * (2.0**-24)


def counter_complex_normal(
    keys: Sequence[int] | torch.Tensor, n: int, stream: int, device: torch.device | str, offset: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Real and imaginary parts (each (B, n), N(0, 1)) of circular complex Gaussians (Box-Muller)."""
    u1 = counter_uniform(keys, n, 2 * stream, device, offset)
    u2 = counter_uniform(keys, n, 2 * stream + 1, device, offset)
    r = torch.sqrt(-2.0 * torch.log(u1))
    theta = (2.0 * math.pi) * u2
    return r * torch.cos(theta), r * torch.sin(theta)


def counter_normal(
    keys: Sequence[int] | torch.Tensor,
    n: int,
    stream: int,
    device: torch.device | str,
) -> torch.Tensor:
    """(B, n) float32 standard normals; value i depends only on (key, stream, i), not on n."""
    half = (n + 1) // 2
    re, im = counter_complex_normal(keys, half, stream, device)
    return torch.stack([re, im], dim=-1).reshape(re.shape[0], -1)[:, :n]


# --------------------------------------------------------------------------------- padding helpers
def pad_batch(
    signals: Sequence[np.ndarray | torch.Tensor],
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """1-D signals -> zero-padded (B, T) float32 tensor and int64 lengths."""
    lens = [int(len(s)) for s in signals]
    T = max(lens, default=0)
    x = torch.zeros(len(signals), max(T, 1), dtype=torch.float32)
    for i, s in enumerate(signals):
        x[i, : lens[i]] = torch.as_tensor(np.asarray(s, dtype=np.float32))
    return x.to(device), torch.tensor(lens, dtype=torch.int64, device=device)


def unpad(x: torch.Tensor, lengths: torch.Tensor | Sequence[int]) -> list[np.ndarray]:
    """A padded batch back to a list of float32 numpy arrays of their valid lengths."""
    lens = lengths.tolist() if isinstance(lengths, torch.Tensor) else list(lengths)
    xc = x.detach().to("cpu", torch.float32).numpy()
    return [xc[i, ..., : int(n)].copy() for i, n in enumerate(lens)]
