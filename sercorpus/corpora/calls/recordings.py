"""The recordings behind the rows: their path inside the root, one probe each, and the ``audio_path`` written
(the real file name, checked for raw ids, or a pseudonymised link)."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from sercorpus.core.audio import AudioInfo
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.privacy import Pseudonymiser, reveals_id
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.calls.rows import Row
from sercorpus.corpora.calls.settings import CORPUS, Context
from sercorpus.corpora.common import RecordSkip, check_audio


def audio_rel(root: Path, row: Row, audio_dir: str) -> str:
    """The row's recording relative to the root: the ``audio`` column, else ``<audio_dir>/<call id>.wav``."""
    if row.audio is None:
        base = posixpath.join(audio_dir, row.call)
        found = [base + ext for ext in (".wav", ".flac") if (root / (base + ext)).is_file()]
        return posixpath.normpath(found[0] if found else base + ".wav")
    candidate = row.audio.replace("\\", "/")
    if os.path.isabs(candidate):
        try:
            candidate = Path(candidate).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise RecordSkip("audio-outside-root", "its audio file lies outside the corpus root") from None
    else:
        candidate = posixpath.join(audio_dir, candidate)
    rel = posixpath.normpath(candidate)
    if rel == ".." or rel.startswith("../"):
        raise RecordSkip("audio-outside-root", "its audio path leaves the corpus root")
    return rel


#: check_audio skip reason -> a detail without the file name (file names may hold raw ids)
_AUDIO_PROBLEMS = {
    "missing-audio": "audio file not found",
    "unreadable-audio": "audio file unreadable or truncated",
    "empty-audio": "audio file holds no samples",
}


def probe_recording(
    root: Path, rel: str, rows: list[Row], report: PrepareReport, table: Path, call: str
) -> AudioInfo | None:
    """Header facts of one recording; a bad recording is a counted skip of each of its rows (table:line)."""
    scratch = PrepareReport(CORPUS)
    info = check_audio(root, rel, scratch, record=call)
    if info is None:
        reason = scratch.skipped[0].reason
        for row in rows:
            report.skip(
                reason, table, f"{_AUDIO_PROBLEMS.get(reason, reason)} (recording of call {call})", row.line
            )
    return info


def output_audio_path(
    root: Path, rel: str, rows: list[Row], ctx: Context, report: PrepareReport, table: Path
) -> str:
    """``audio_path`` for the manifest: a pseudonymised link (``link_dir``), else the real file name.

    The real file name is the one place a raw id can reach the outputs; it is checked and warned about
    (or refused, ``id_in_filename=error``) without printing the name itself.
    """
    if ctx.settings.link_dir is not None:
        return link_audio(root, rel, ctx.settings.link_dir, ctx.pseudo)
    raw_ids = {r.call for r in rows} | {r.speaker for r in rows if r.speaker}
    if ctx.pseudo.active and reveals_id(rel, raw_ids):
        message = (
            f"the audio file name of call {ctx.pseudo('call', rows[0].call)} contains a raw call or speaker "
            "id, which the manifest's audio_path will show; pass link_dir=DIR for pseudonymised links "
            "or rename the recordings"
        )
        if ctx.settings.id_in_filename == "error":
            raise CorpusFormatError(table, message, rows[0].line)
        report.note("file-name-reveals-id", table, message, rows[0].line)
        report.counts["privacy:file_names_with_raw_ids"] += 1
    return rel


def link_audio(root: Path, rel: str, link_dir: str, pseudo: Pseudonymiser) -> str:
    """A relative symlink ``<link_dir>/<audio pseudonym><ext>`` -> the recording (moves with the root)."""
    base = (root / link_dir).resolve()
    try:
        base_rel = base.relative_to(root.resolve())
    except ValueError:
        raise CorpusFormatError(
            base, "link_dir must lie inside the corpus root (audio_path is relative to it)"
        ) from None
    name = pseudo("audio", rel) + Path(rel).suffix.lower()
    link, target = base / name, os.path.relpath((root / rel).resolve(), base)
    base.mkdir(parents=True, exist_ok=True)
    if not (link.is_symlink() and os.readlink(link) == target):
        tmp = base / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(target, tmp)
        os.replace(tmp, link)
    return (base_rel / name).as_posix()
