"""Shard file writers: Parquet (row groups of FLAC bytes + columns) and WebDataset tar, both streamed through
a hashing wrapper so the checksum costs no second read, and both byte-reproducible (no timestamps, fixed
owners, fixed encoder settings)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from typing import Any, BinaryIO

import pyarrow.parquet as pq

from sercorpus.shards import columns

SHARD_META_KEY = "sercorpus_shard"


class HashingWriter(io.RawIOBase):
    """Write-through file object that counts and SHA-256-hashes every byte it passes on."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._sha = hashlib.sha256()
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._raw.write(view)
        self._sha.update(view)
        self._pos += len(view)
        return len(view)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:  # the owner (atomic_output) closes the real file
        super().close()

    @property
    def size(self) -> int:
        return self._pos

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


class ParquetSink:
    def __init__(self, handle: HashingWriter) -> None:
        others = [n for n in columns.NAMES if n not in columns.BINARY_COLUMNS]
        self._writer = pq.ParquetWriter(
            handle,
            columns.SCHEMA,
            compression={n: ("none" if n in columns.BINARY_COLUMNS else "zstd") for n in columns.NAMES},
            use_dictionary=others,
            write_statistics=others,
        )

    def write(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._writer.write_table(columns.table(rows), row_group_size=len(rows))

    def close(self, meta: dict[str, Any]) -> None:
        self._writer.add_key_value_metadata({SHARD_META_KEY: json.dumps(meta, sort_keys=True)})
        self._writer.close()

    def abort(self) -> None:
        """Release the writer of a failed shard (its temporary file is deleted by the caller)."""
        try:
            self._writer.close()
        except Exception:  # noqa: BLE001 - the shard is being thrown away; the original error matters
            pass


def sample_key(sample_id: str) -> str:
    """A WebDataset key: no dots (the extension starts at the first one) and no slashes."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", sample_id.replace("/", "__"))


class TarSink:
    """WebDataset layout: ``<key>.flac`` + ``<key>.json`` per sample, in order, fixed tar headers."""

    def __init__(self, handle: HashingWriter) -> None:
        self._tar = tarfile.open(fileobj=handle, mode="w|", format=tarfile.GNU_FORMAT)
        self._keys: set[str] = set()

    def _add(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        self._tar.addfile(info, io.BytesIO(data))

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            key = sample_key(row["id"])
            if key in self._keys:
                raise ValueError(
                    f"two samples map to the WebDataset key {key!r} (ids differ only in punctuation)"
                )
            self._keys.add(key)
            meta = {k: v for k, v in row.items() if k != "audio"}
            self._add(f"{key}.flac", row["audio"])
            self._add(f"{key}.json", json.dumps(meta, sort_keys=True, allow_nan=False).encode())

    def close(self, meta: dict[str, Any]) -> None:
        self._tar.close()

    def abort(self) -> None:
        pass


def open_sink(fmt: str, handle: HashingWriter) -> ParquetSink | TarSink:
    return ParquetSink(handle) if fmt == "parquet" else TarSink(handle)
