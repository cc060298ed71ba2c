"""The dataset index (written last), the shard report, ``verify`` and ``merge``.

``index.json`` lists every shard with its sample count, seconds, bytes and SHA-256; it holds no absolute
path, so the same dataset written in two folders (or by two engines) has the same index. It is written only
after every part index, the manifest and the report, so its presence means the dataset is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sercorpus.core.atomic import create_temp_sibling, write_text
from sercorpus.core.manifest import read_manifest, write_manifest
from sercorpus.core.runinfo import RUN_FILE, claim_output_dir, differences
from sercorpus.shards.layout import INDEX_FILE, MANIFEST_FILE, PARTS_DIR, REPORT_FILE, TOOL, Part
from sercorpus.shards.parts import manifest_meta
from sercorpus.shards.settings import FORMAT_VERSION
from sercorpus.shards.writer import sidecar_path


def read_run(out_dir: Path) -> dict[str, Any]:
    path = out_dir / RUN_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{out_dir}: no {RUN_FILE}; not a shard folder")
    run = json.loads(path.read_text(encoding="utf-8"))
    if run.get("tool") != TOOL:
        raise ValueError(f"{path}: made by {run.get('tool')!r}, not by sercorpus shard")
    return run


def read_part_index(out_dir: Path, part: Part) -> dict[str, Any] | None:
    path = out_dir / part.index_name()
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def missing_parts(out_dir: Path, count: int) -> list[int]:
    return [i for i in range(count) if not (out_dir / Part(i, count).index_name()).is_file()]


def remove_final_temps(out_dir: Path) -> None:
    """Temporary files of an interrupted join (manifest, report, index). Only called where no other process
    can be joining the same folder right now: a run writing every part, or ``merge``."""
    for name in (MANIFEST_FILE, REPORT_FILE, INDEX_FILE):
        for tmp in out_dir.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)


def finalize(out_dir: Path) -> dict[str, Any] | None:
    """Join every part into manifest, report and (last) index; None while a part is still missing."""
    run = read_run(out_dir)
    settings = run["settings"]
    count = int(settings["parts"])
    if missing_parts(out_dir, count):
        return None
    parts = [read_part_index(out_dir, Part(i, count)) for i in range(count)]
    _join_manifests(out_dir, count, run["digest"])
    shards = [s for p in parts for s in p["shards"]]  # type: ignore[index]
    skipped = [s for p in parts for s in p["skipped"]]  # type: ignore[index]
    totals = {
        key: sum(p[key] for p in parts)  # type: ignore[index]
        for key in ("samples", "augmented", "clean", "bytes")
    }
    seconds = round(sum(p["seconds"] for p in parts), 6)  # type: ignore[index]
    input_seconds = round(sum(p["input_seconds"] for p in parts), 6)  # type: ignore[index]
    report = {
        **totals,
        "seconds": seconds,
        "hours": round(seconds / 3600, 6),
        "input_seconds": input_seconds,
        "by_corpus": _add_counts(p["by_corpus"] for p in parts),  # type: ignore[index]
        "by_split": _add_counts(p["by_split"] for p in parts),  # type: ignore[index]
        "skipped_total": len(skipped),
        "skipped_by_reason": dict(sorted(Counter(s["reason"] for s in skipped).items())),
        "skipped": skipped,
    }
    write_text(out_dir / REPORT_FILE, json.dumps(report, indent=1, sort_keys=True) + "\n")
    index = {
        "format_version": FORMAT_VERSION,
        "tool": TOOL,
        "settings_digest": run["digest"],
        "format": settings["format"],
        "sample_rate": settings["sample_rate"],
        "view": settings["view"],
        "parts": count,
        **totals,
        "seconds": seconds,
        "hours": round(seconds / 3600, 6),
        "skipped": len(skipped),
        "manifest": MANIFEST_FILE,
        "report": REPORT_FILE,
        "shards": shards,
    }
    write_text(out_dir / INDEX_FILE, json.dumps(index, indent=1, sort_keys=True) + "\n")
    return index


def _add_counts(counts: Any) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(sorted(total.items()))


def _join_manifests(out_dir: Path, count: int, digest: str) -> None:
    """Write ``manifest.parquet`` from the part manifests (each validated when it was written)."""
    if count == 1:  # the part manifest already is the dataset's manifest (same records, same metadata)
        _link_or_copy(out_dir / Part(0, 1).manifest_name(), out_dir / MANIFEST_FILE)
        return
    records = []
    for i in range(count):
        records += read_manifest(out_dir / Part(i, count).manifest_name(), validate=False).records
    corpora = sorted({r.corpus for r in records})
    write_manifest(
        out_dir / MANIFEST_FILE,
        records,
        roots={c: str(out_dir) for c in corpora},
        meta=manifest_meta(digest),
        validate=False,
    )


# ----------------------------------------------------------------------------------------------- verify
@dataclass
class Verification:
    shards: int = 0
    samples: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            h.update(block)
    return h.hexdigest()


def count_samples(path: Path, fmt: str) -> int:
    """Samples inside a shard file, read from the file itself (Parquet footer / tar members)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    import tarfile

    with tarfile.open(path) as tar:
        return sum(1 for m in tar.getmembers() if m.name.endswith(".flac"))


def verify(out_dir: str | os.PathLike[str]) -> Verification:
    """Check every shard's checksum and count against the index, and the manifest's total."""
    out = Path(out_dir)
    found = Verification()
    index_path = out / INDEX_FILE
    if not index_path.is_file():
        missing = ""
        if (out / RUN_FILE).is_file():
            count = int(read_run(out)["settings"]["parts"])
            gaps = missing_parts(out, count)
            missing = (
                f" (parts not finished: {gaps})" if gaps else " (parts finished: run `sercorpus shard merge`)"
            )
        found.problems.append(f"{index_path}: no index; the dataset is incomplete{missing}")
        return found
    index = json.loads(index_path.read_text(encoding="utf-8"))
    for entry in index["shards"]:
        path = out / entry["name"]
        found.shards += 1
        if not path.is_file():
            found.problems.append(f"{path}: listed in the index but missing")
            continue
        if path.stat().st_size != entry["bytes"]:
            found.problems.append(f"{path}: {path.stat().st_size} bytes, index says {entry['bytes']}")
        digest = sha256_of(path)
        if digest != entry["sha256"]:
            found.problems.append(
                f"{path}: checksum {digest[:16]}... differs from the index ({entry['sha256'][:16]}...)"
            )
            continue
        try:
            n = count_samples(path, index["format"])
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
            found.problems.append(f"{path}: unreadable ({exc})")
            continue
        if n != entry["samples"]:
            found.problems.append(f"{path}: {n} samples, index says {entry['samples']}")
        found.samples += n
    if sum(e["samples"] for e in index["shards"]) != index["samples"]:
        found.problems.append(f"{index_path}: shard counts do not add up to the total {index['samples']}")
    manifest = out / index["manifest"]
    try:
        rows = len(read_manifest(manifest, validate=False).records)
        if rows != index["samples"]:
            found.problems.append(f"{manifest}: {rows} records, index says {index['samples']} samples")
    except (OSError, ValueError) as exc:
        found.problems.append(f"{manifest}: {exc}")
    listed = {e["name"] for e in index["shards"]}
    ext = ".parquet" if index["format"] == "parquet" else ".tar"
    for path in sorted((out / "shards").glob(f"*{ext}")):
        if f"shards/{path.name}" not in listed:
            found.warnings.append(f"{path}: not in the index (left over from another run?)")
    for path in sorted(
        [*(out / "shards").glob(".*.tmp"), *out.glob(".*.tmp"), *(out / PARTS_DIR).glob(".*.tmp")]
    ):
        found.warnings.append(f"{path}: temporary file of an unfinished run")
    return found


# ------------------------------------------------------------------------------------------------ merge
def merge(
    part_dirs: list[str | os.PathLike[str]], out_dir: str | os.PathLike[str], overwrite: bool = False
) -> dict[str, Any]:
    """Join parts written into separate folders (or one shared folder) into ``out_dir`` and finalize.

    Shards are hard-linked where possible (else copied) and their checksums checked on the way; the same
    part found in two folders must be identical.
    """
    if not part_dirs:
        raise ValueError("merge: no part folder given")
    out = Path(out_dir)
    runs = [(Path(d), read_run(Path(d))) for d in part_dirs]
    first_dir, first = runs[0]
    for folder, run in runs[1:]:
        if run["settings"] != first["settings"]:
            diff = "; ".join(differences(first["settings"], run["settings"]))
            raise ValueError(f"{folder} was written with other settings than {first_dir}: {diff}")
    claim_output_dir(out, TOOL, first["settings"], overwrite=overwrite)
    count = int(first["settings"]["parts"])
    seen: dict[int, Path] = {}
    for folder, _ in runs:
        for i in range(count):
            part = Part(i, count)
            index = read_part_index(folder, part)
            if index is None:
                continue
            if i in seen:
                if sha256_of(folder / part.index_name()) != sha256_of(seen[i] / part.index_name()):
                    raise ValueError(f"part {part} differs between {seen[i]} and {folder}")
                continue
            seen[i] = folder
            if folder.resolve() != out.resolve():
                _bring_part(folder, out, part, index)
    gaps = [i for i in range(count) if i not in seen]
    if gaps:
        raise ValueError(
            f"merge: parts {gaps} of {count} are missing from {[str(d) for d, _ in runs]}; "
            f"write them with `sercorpus shard ... --part I/{count}`"
        )
    remove_final_temps(out)
    result = finalize(out)
    assert result is not None
    return result


def _bring_part(src: Path, out: Path, part: Part, index: dict[str, Any]) -> None:
    for entry in index["shards"]:
        source = src / entry["name"]
        if not source.is_file() or sha256_of(source) != entry["sha256"]:
            raise ValueError(f"{source}: missing or its checksum differs from {src / part.index_name()}")
        for name in (entry["name"], sidecar_path(Path(""), entry["name"]).as_posix()):
            _link_or_copy(src / name, out / name)
    for name in (part.manifest_name(), part.index_name()):  # the index last
        _link_or_copy(src / name, out / name)


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard link (or copy) ``src`` to ``dst`` through a temporary name unique to this call."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() and os.path.samefile(src, dst):
        return  # already linked (rename between two links of one file would do nothing, leaving the temp)
    tmp, fd = create_temp_sibling(dst)  # a unique name; removed again so os.link can create it
    os.close(fd)
    tmp.unlink()
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
