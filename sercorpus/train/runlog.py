"""Run logs: CSV (one row per logged step / per evaluation), JSON lines of every event, and TensorBoard
scalars when ``torch.utils.tensorboard`` is installed.

Rows carry the optimiser step; on resume every file is cut back to the checkpoint's step, so a resumed run's
logs equal an uninterrupted run's (wall-clock figures go to ``timing.json``, not into these files)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from sercorpus.core.atomic import write_text


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class RunLog:
    def __init__(self, folder: Path, tensorboard: str = "auto", enabled: bool = True):
        self.folder = folder
        self.enabled = enabled
        self.writer: Any = None
        if enabled:
            folder.mkdir(parents=True, exist_ok=True)
            if tensorboard != "off":
                try:
                    from torch.utils.tensorboard import SummaryWriter
                except ImportError:
                    if tensorboard == "on":
                        raise ValueError(
                            "trainer.tensorboard: on, but tensorboard is not installed"
                        ) from None
                else:
                    self.writer = SummaryWriter(str(folder / "tensorboard"))

    def truncate(self, step: int) -> None:
        """Drop rows logged after ``step`` (a resumed run redoes them)."""
        if not self.enabled:
            return
        for name in ("train.csv", "eval.csv"):
            path = self.folder / name
            if path.is_file():
                rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
                kept = [r for r in rows if int(r["step"]) <= step]
                self._rewrite_csv(path, kept, list(rows[0].keys()) if rows else [])
        events = self.folder / "events.jsonl"
        if events.is_file():
            lines = [ln for ln in events.read_text(encoding="utf-8").splitlines() if ln.strip()]
            write_text(events, "".join(ln + "\n" for ln in lines if json.loads(ln).get("step", 0) <= step))

    @staticmethod
    def _rewrite_csv(path: Path, rows: list[dict[str, Any]], fields: list[str]) -> None:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_text(path, buf.getvalue())

    def _append_csv(self, name: str, row: dict[str, Any]) -> None:
        path = self.folder / name
        new = not path.is_file()
        with path.open("a", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row), lineterminator="\n")
            if new:
                writer.writeheader()
            writer.writerow({k: "" if v is None else v for k, v in row.items()})

    def event(self, kind: str, step: int, **fields: Any) -> None:
        if not self.enabled:
            return
        line = json.dumps(
            {"event": kind, "step": step, **{k: _clean(v) for k, v in fields.items()}}, sort_keys=True
        )
        with (self.folder / "events.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def train_row(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self._append_csv("train.csv", row)
        self.event("train", int(row["step"]), **{k: v for k, v in row.items() if k != "step"})
        self._scalars("train", row)

    def eval_row(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self._append_csv("eval.csv", row)
        self.event("eval", int(row["step"]), **{k: v for k, v in row.items() if k != "step"})
        self._scalars(str(row.get("split", "eval")), row)

    def _scalars(self, prefix: str, row: dict[str, Any]) -> None:
        if self.writer is None:
            return
        for key, value in row.items():
            if isinstance(value, (int, float)) and key not in ("step", "epoch") and math.isfinite(value):
                self.writer.add_scalar(f"{prefix}/{key}", value, int(row["step"]))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
