"""Where everything lives inside a shard folder, and the names of parts and shards.

Names are functions of the part number and the shard's position in that part's plan, never UUIDs or
timestamps, so a rerun (on any engine) writes the same names, and a temporary file can never be taken for a
finished one: only a finished shard carries the final name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOOL = "shard"
SHARD_DIR = "shards"
PARTS_DIR = "parts"
INDEX_FILE = "index.json"
MANIFEST_FILE = "manifest.parquet"
REPORT_FILE = "report.json"
FORMATS = {"parquet": ".parquet", "webdataset": ".tar"}
_SHARD_RE = re.compile(r"^part-(\d{5})-(\d{6})\.(parquet|tar)$")


@dataclass(frozen=True, order=True)
class Part:
    """Slice ``index`` of ``count`` (``--part i/n``); membership comes from a stable hash of the id."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"part {self.index}/{self.count}: need 0 <= i < n and n >= 1")

    @classmethod
    def parse(cls, text: str) -> Part:
        """``"3/8"`` -> Part(3, 8). Part numbers start at 0 (a Slurm array 0-7 or torchrun ranks)."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise ValueError(f"--part expects I/N (e.g. 0/4), got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def stem(self) -> str:
        return f"part-{self.index:05d}"

    def index_name(self) -> str:
        return f"{PARTS_DIR}/{self.stem}-of-{self.count:05d}.json"

    def manifest_name(self) -> str:
        return f"{PARTS_DIR}/{self.stem}-of-{self.count:05d}.manifest.parquet"


def shard_name(part: Part, position: int, fmt: str = "parquet") -> str:
    """``shards/part-00003-000012.parquet``: part 3's 13th shard."""
    return f"{SHARD_DIR}/{part.stem}-{position:06d}{FORMATS[fmt]}"


def is_shard_name(name: str) -> bool:
    return bool(_SHARD_RE.match(name.rsplit("/", 1)[-1]))


def temp_prefix(part: Part) -> str:
    """Prefix of this part's temporary files (``atomic_output`` names them ``.<final name>.<random>.tmp``)."""
    return f".{part.stem}-"
