"""Per-example random streams: seeds from (seed, utterance id, copy index) and a cheap scalar generator.

Every decision an example meets (is it augmented, does an op apply, which one-of branch, each parameter) is
drawn from an :class:`ExampleRNG` whose seed derives from the example's own seed and its position in the op
tree, never from batch composition or a global generator.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sercorpus.core.seeding import stable_seed

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


def draw_noise_seed(rng: ExampleRNG) -> int:
    """A 63-bit key for the counter-based noise of one example (stored in provenance)."""
    return int(rng.integers(0, 2**63 - 1))
