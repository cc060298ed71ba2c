"""A progress bar on the main rank when attached to a terminal; plain log lines otherwise (CI, files)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


class Progress:
    def __init__(self, enabled: bool, log: Callable[[str], None], total: int | None, description: str):
        self.log = log
        self.bar: Any = None
        self.task: Any = None
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[status]}"),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(description, total=total, status="")

    def update(self, completed: int, status: str, every: bool) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=completed, status=status)
        elif every:
            self.log(status)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
