"""Checkpoints written atomically (temp file + rename) every N optimiser steps, the last K kept, and a
``latest.json`` pointer updated only after the file is complete, so a crash never leaves a torn checkpoint
as the one to resume from.

A checkpoint holds the model, optimiser, scheduler, every rank's RNG and loader state, and the trainer's
counters and early-stopping state; these are the run's own files (pickled with ``torch.save``), not
third-party weights, which load through the model families' ``weights_only`` paths."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from sercorpus.core.atomic import atomic_output, write_text

LATEST = "latest.json"


def save_atomic(path: Path, state: dict[str, Any]) -> None:
    with atomic_output(path) as handle:
        torch.save(state, handle)
        handle.flush()
        os.fsync(handle.fileno())


def load_state(path: Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=False)


class Checkpoints:
    def __init__(self, folder: Path, keep: int):
        self.folder = folder
        self.keep = keep

    def path_for(self, step: int) -> Path:
        return self.folder / f"step-{step:08d}.pt"

    def save(self, step: int, state: dict[str, Any]) -> Path:
        path = self.path_for(step)
        save_atomic(path, state)
        write_text(self.folder / LATEST, json.dumps({"step": step, "file": path.name}) + "\n")
        for old in sorted(self.folder.glob("step-*.pt"))[: -self.keep]:
            old.unlink(missing_ok=True)
        return path

    def latest(self) -> Path | None:
        pointer = self.folder / LATEST
        if not pointer.is_file():
            return None
        path = self.folder / json.loads(pointer.read_text(encoding="utf-8"))["file"]
        return path if path.is_file() else None


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
