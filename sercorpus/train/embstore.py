"""An append-only, memory-mapped store of variable-length float arrays keyed by sample id, which a killed
writer resumes without losing or duplicating rows.

Layout: ``data.bin`` (rows of ``dim`` values, raw, in append order) and ``index.jsonl`` (one
``{"id", "offset", "frames"}`` line per sample, written after its rows). On open, anything past the last
complete index line is cut off, so a crash mid-write leaves the store as it was before that batch. Readers
map ``data.bin`` with :class:`numpy.memmap`; nothing is loaded into memory whole."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class EmbeddingStore:
    def __init__(self, folder: Path, dim: int, dtype: str = "float16"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        self.dtype = np.dtype(dtype)
        self.data_path = self.folder / "data.bin"
        self.index_path = self.folder / "index.jsonl"
        self.entries: dict[str, tuple[int, int]] = {}
        self.rows = 0
        self._map: np.memmap | None = None
        self._recover()

    # -------------------------------------------------------------------------------------- recovery
    def _recover(self) -> None:
        good = b""
        if self.index_path.is_file():
            raw = self.index_path.read_bytes()
            good = raw[: raw.rfind(b"\n") + 1]  # a torn last line is dropped
            for line in good.decode("utf-8").splitlines():
                entry = json.loads(line)
                self.entries[entry["id"]] = (int(entry["offset"]), int(entry["frames"]))
                self.rows = max(self.rows, int(entry["offset"]) + int(entry["frames"]))
            if len(good) != len(raw):
                self.index_path.write_bytes(good)
        size = self.rows * self.dim * self.dtype.itemsize
        if size and not self.data_path.is_file():
            raise ValueError(
                f"{self.data_path}: missing, but {self.index_path} lists {len(self.entries)} samples"
            )
        if self.data_path.is_file() and self.data_path.stat().st_size != size:
            with open(self.data_path, "r+b") as handle:
                handle.truncate(size)

    # ---------------------------------------------------------------------------------------- writes
    def __contains__(self, ident: str) -> bool:
        return ident in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def append(self, ids: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
        """Add ``arrays[i]`` ([frames, dim]) under ``ids[i]``; ids already stored are skipped."""
        lines = []
        with open(self.data_path, "ab") as handle:
            for ident, arr in zip(ids, arrays, strict=True):
                if ident in self.entries:
                    continue
                a = np.ascontiguousarray(arr, dtype=self.dtype).reshape(-1, self.dim)
                handle.write(a.tobytes())
                self.entries[ident] = (self.rows, a.shape[0])
                lines.append(json.dumps({"id": ident, "offset": self.rows, "frames": a.shape[0]}) + "\n")
                self.rows += a.shape[0]
            handle.flush()
            os.fsync(handle.fileno())
        with open(self.index_path, "a", encoding="utf-8") as index:
            index.write("".join(lines))
            index.flush()
            os.fsync(index.fileno())
        self._map = None

    # ----------------------------------------------------------------------------------------- reads
    def get(self, ident: str) -> np.ndarray:
        """[frames, dim] view into the memory map (copy it before changing it)."""
        offset, frames = self.entries[ident]
        if self._map is None:
            self._map = np.memmap(self.data_path, dtype=self.dtype, mode="r", shape=(self.rows, self.dim))
        return self._map[offset : offset + frames]
