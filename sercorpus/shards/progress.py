"""Progress of a shard run in hours of audio, with speed (x realtime) and ETA: what a person watching a
multi-hour job wants to know. :class:`LogProgress` prints lines (for logs, Slurm, the demo); the CLI shows a
bar with the same numbers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    """What the writer reports to: the audio seconds to do (and already done), then each piece done."""

    def start(self, total_seconds: float, done_seconds: float) -> None: ...
    def advance(self, seconds: float) -> None: ...


def eta_text(done: float, total: float, elapsed: float) -> str:
    """``"0.52/2.00 h, 310x realtime, ETA 0:00:17"``; the speed and ETA only once something was done."""
    head = f"{done / 3600:.2f}/{total / 3600:.2f} h"
    if done <= 0 or elapsed <= 0:
        return head
    speed = done / elapsed
    left = max(total - done, 0.0) / speed
    return f"{head}, {speed:.0f}x realtime, ETA {int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"


class LogProgress:
    """Calls ``log`` with :func:`eta_text` at most every ``every`` seconds (and at the end)."""

    def __init__(self, log: Callable[[str], None], every: float = 10.0) -> None:
        self.log = log
        self.every = every
        self.total = self.done = 0.0
        self._t0 = self._last = time.monotonic()
        self._done_at_start = 0.0

    def start(self, total_seconds: float, done_seconds: float) -> None:
        self.total += total_seconds
        self.done += done_seconds
        self._done_at_start += done_seconds

    def advance(self, seconds: float) -> None:
        self.done += seconds
        now = time.monotonic()
        if now - self._last >= self.every or self.done >= self.total:
            self._last = now
            self.log(
                eta_text(self.done - self._done_at_start, self.total - self._done_at_start, now - self._t0)
            )
