"""CMU-MOSI, read as shipped: the Raw release (``CMU_MOSI.zip`` -> ``Raw/``) and/or the CMU-MultimodalSDK label
file ``CMU_MOSI_Opinion_Labels.csd`` (HDF5).

- ``Raw/Labels/OpinionLevelSentiment.csv``: no header, ``start,end,video_id,segment_no,label``; ``segment_no``
  is **1-based** and names ``Raw/Audio/WAV_16000/Segmented/<vid>_<segment_no>.wav``.
- ``.csd``: ``<root name>/data/<key>/{features (m x 1), intervals (m x 2)}`` plus ``<root name>/metadata``.
  Keys are either video ids (the downloaded file; row j is segment j + 1, the SDK/peer convention) or, after
  SDK alignment, ``<vid>[<k>]`` with **k 0-based** (segment k + 1). Both are reconciled to the 1-based file
  names. The metadata group is not needed and not checked (its template fuses two keys by a missing comma).
- Duplicate label intervals (CMU-MultimodalSDK#265) are removed on (video, start, end): first kept, the rest
  counted skips ``duplicate-interval``.
- Sentiment (mean of MTurk raters, [-3, 3]) -> ``sentiment`` in [0, 1]; the raw value, binary classes (``>=0``
  pre-2019 and ``>0`` with zeros excluded post-2019) and the 7-class value (round half to even, as numpy,
  clipped to [-3, 3]) go to ``extra``. No categorical votes exist, so ``votes``/``soft_label`` stay empty.
- Standard folds from ``manifests/folds/mosi_std_folds.yaml`` (train / valid -> ``dev`` / test); videos in no
  fold get split null and a note. There are no speaker ids: the video is speaker and group.
- Gender from an optional side file (audeering's ``file,gender`` with ``Audio/<vid>.wav,female`` rows);
  transcripts from ``Raw/Transcript/Segmented/<vid>.annotprocessed`` (``<k>_DELIM_<text>``, k 1-based).
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.labelmap import load_label_map, manifests_dir
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import GENDERS, Utterance, qualified
from sercorpus.core.textfile import read_text_lines
from sercorpus.corpora.common import audio_fields, check_audio
from sercorpus.corpora.options import LoaderOptions, loader, option

CORPUS = "mosi"
SAMPLE_RATE = 16000
CSV_PATH = ("Labels", "OpinionLevelSentiment.csv")
AUDIO_DIR = ("Audio", "WAV_16000", "Segmented")
TRANSCRIPT_DIR = ("Transcript", "Segmented")
FOLD_SPLITS = {"train": "train", "valid": "dev", "test": "test"}
SOURCES = ("auto", "csv", "csd")
_ALIGNED_KEY = re.compile(r"^(?P<vid>.+)\[(?P<k>\d+)\]$")


@dataclass(slots=True)
class Segment:
    vid: str
    k: int  # 1-based, as in the file names
    start: float
    end: float
    sentiment: float
    file: Path
    line: int | None  # CSV line; None for the .csd
    key: str | None = None  # .csd key


# ------------------------------------------------------------------------------------------- sources
def read_csv_segments(path: Path, report: PrepareReport) -> Iterator[Segment]:
    """Rows of the headerless OpinionLevelSentiment.csv; bad rows are counted skips naming file:line."""
    reader = csv.reader(read_text_lines(path))
    for values in reader:
        if not values or values == [""]:
            continue
        report.read += 1
        line = reader.line_num
        try:
            if len(values) != 5:
                raise ValueError(
                    f"expected 5 fields (start,end,video_id,segment_no,label), got {len(values)}"
                )
            start, end, vid, k, sentiment = (v.strip() for v in values)
            segment = Segment(vid, int(k), float(start), float(end), float(sentiment), path, line)
            if not vid or segment.k < 1 or not segment.end > segment.start:
                raise ValueError(f"bad video id, segment number (1-based) or interval: {values}")
        except ValueError as exc:
            report.skip("malformed-line", path, str(exc), line)
            continue
        yield segment


def read_csd_segments(path: Path, report: PrepareReport) -> Iterator[Segment]:
    """Segments of an SDK computational sequence, keyed ``<vid>`` (row j -> j + 1) or ``<vid>[k]`` (k + 1)."""
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise CorpusFormatError(path, f"not a readable HDF5 computational sequence: {exc}") from None
    with handle:
        roots = list(handle.keys())
        if not roots or "data" not in handle[roots[0]]:
            raise CorpusFormatError(
                path, f"expected '<root name>/data/<video>/features|intervals', got {roots}"
            )
        data = handle[roots[0]]["data"]
        for key in data:
            yield from _csd_entry(path, key, data[key], report)


def _csd_entry(path: Path, key: str, group: Any, report: PrepareReport) -> Iterator[Segment]:
    try:
        features, intervals = group["features"][()], group["intervals"][()]
    except KeyError:
        features = intervals = None
    aligned = _ALIGNED_KEY.match(key)
    rows = 0 if features is None else len(features)
    report.read += max(rows, 1)
    if features is None or intervals is None or len(intervals) != rows or (aligned and rows != 1):
        report.skip(
            "malformed-line",
            path,
            f"entry {key!r}: features/intervals missing or of mismatched shape",
            record=qualified(CORPUS, key),
        )
        return
    vid = aligned.group("vid") if aligned else key
    for j in range(rows):
        k = int(aligned.group("k")) + 1 if aligned else j + 1
        start, end, sentiment = float(intervals[j][0]), float(intervals[j][1]), float(features[j][0])
        yield Segment(vid, k, start, end, sentiment, path, None, key if aligned else f"{key}/{j}")


def find_csd(root: Path, base: Path) -> Path | None:
    """The opinion-label .csd next to the release (root, one folder down, or Raw/Labels)."""
    candidates = [*root.glob("*.csd"), *root.glob("*/*.csd"), *(base / "Labels").glob("*.csd")]
    labels = sorted({p for p in candidates if "opinion" in p.name.lower()})
    return labels[0] if labels else None


# --------------------------------------------------------------------------------------- side files
@functools.cache
def standard_folds() -> dict[str, str]:
    """Video id -> split (train / dev / test) from the SDK's standard folds."""
    raw = yaml.safe_load((manifests_dir() / "folds" / "mosi_std_folds.yaml").read_text(encoding="utf-8"))
    return {vid: FOLD_SPLITS[fold] for fold, vids in raw["splits"].items() for vid in vids}


def read_genders(path: Path, report: PrepareReport) -> dict[str, str | None]:
    """``file,gender`` rows (file may be ``Audio/<vid>.wav`` or a bare id) -> video id: gender."""
    reader = csv.reader(read_text_lines(path))
    header = [h.strip().lower() for h in next(reader, [])]
    if len(header) < 2 or "gender" not in header:
        raise CorpusFormatError(path, f"expected a 'file,gender' header, got {header}", line=1)
    g = header.index("gender")
    out: dict[str, str | None] = {}
    for values in reader:
        if not values:
            continue
        vid = Path(values[0].strip()).stem
        gender: str | None = values[g].strip().lower() if len(values) > g else ""
        if gender not in GENDERS:
            report.note("unknown-gender", path, f"gender {gender!r} for {vid} kept as null", reader.line_num)
            gender = None
        out[vid] = gender
    return out


def read_annotprocessed(path: Path, report: PrepareReport) -> dict[int, str]:
    """``<k>_DELIM_<text>`` lines -> {k: text}; other lines are noted (a transcript is not a record)."""
    out: dict[int, str] = {}
    for line_no, line in enumerate(read_text_lines(path), start=1):
        k, sep, text = line.partition("_DELIM_")
        if not sep or not k.strip().isdigit():
            if line.strip():
                report.note(
                    "malformed-line", path, f"expected '<k>_DELIM_<text>', got {line[:60]!r}", line_no
                )
            continue
        out[int(k)] = text.strip()
    return out


# -------------------------------------------------------------------------------------------- loader
@dataclass(frozen=True)
class MosiOptions(LoaderOptions):
    source: str = option(
        "auto",
        "auto (the CSV when present, else the .csd; with both, the .csd is cross-checked against the CSV), "
        "csv or csd",
        choices=SOURCES,
    )
    csd: str | None = option(
        None, "path of the label .csd (relative to the root or absolute); default: found next to the release"
    )
    gender_file: str | None = option(
        None, "a file,gender side file; default: gender.csv in the root when present"
    )


@loader(CORPUS, MosiOptions)
def load_mosi(root: Path, report: PrepareReport, options: MosiOptions) -> Iterator[Utterance]:
    """Yield one record per labelled opinion segment whose 16 kHz mono audio is present."""
    source, csd, gender_file = options.source, options.csd, options.gender_file
    base = root / "Raw" if (root / "Raw").is_dir() else root
    segments = _segments(root, base, report, source, csd)
    genders = _genders(root, report, gender_file)
    builder = _Builder(root, base, report, genders, standard_folds(), load_label_map(CORPUS).normalise)
    seen: dict[tuple[str, float, float], Segment] = {}
    ids: set[tuple[str, int]] = set()
    for seg in segments:
        if _duplicate(seg, seen, ids, report):
            continue
        utt = builder.build(seg)
        if utt is not None:
            yield utt
    builder.note_unfolded()


def _segments(root: Path, base: Path, report: PrepareReport, source: str, csd: str | None) -> list[Segment]:
    csv_path = base.joinpath(*CSV_PATH)
    csd_path = (root / csd if not Path(csd).is_absolute() else Path(csd)) if csd else find_csd(root, base)
    use_csv = source == "csv" or (source == "auto" and csv_path.is_file())
    if use_csv:
        if not csv_path.is_file():
            raise CorpusFormatError(
                csv_path,
                "CMU-MOSI label file not found (expected Raw/Labels/"
                "OpinionLevelSentiment.csv under the root)",
            )
        before = report.read
        segments = list(read_csv_segments(csv_path, report))
        if report.read == before:  # not one row: say so, rather than "is this the corpus root?" later
            raise CorpusFormatError(
                csv_path,
                "empty label file: no start,end,video_id,segment_no,label rows"
                + (
                    "; use --opt source=csd to read the .csd instead"
                    if csd_path and csd_path.is_file()
                    else ""
                ),
            )
        if source == "auto" and csd_path is not None and csd_path.is_file():
            scratch = PrepareReport(CORPUS)  # .csd entries are not records here; bad ones show up as missing
            cross_check(segments, list(read_csd_segments(csd_path, scratch)), report, csd_path)
        return segments
    if csd_path is None or not csd_path.is_file():
        raise CorpusFormatError(
            csd_path or root,
            "no CMU-MOSI labels found: neither Raw/Labels/"
            "OpinionLevelSentiment.csv nor CMU_MOSI_Opinion_Labels.csd",
        )
    return list(read_csd_segments(csd_path, report))


def cross_check(rows: list[Segment], sdk: list[Segment], report: PrepareReport, csd_path: Path) -> None:
    """Compare CSV rows (1-based) with .csd entries (0-based keys) segment by segment; note disagreements."""
    by_id: dict[tuple[str, int], Segment] = {}
    for seg in sdk:
        by_id.setdefault((seg.vid, seg.k), seg)
    problems = []
    for row in rows:
        other = by_id.get((row.vid, row.k))
        if other is None:
            problems.append(f"{row.vid}_{row.k} missing")
        elif not all(
            math.isclose(a, b, abs_tol=1e-4)
            for a, b in ((row.start, other.start), (row.end, other.end), (row.sentiment, other.sentiment))
        ):
            problems.append(f"{row.vid}_{row.k} differs ({other.key})")
    if problems:
        report.note(
            "csd-mismatch",
            csd_path,
            f"{len(problems)} CSV segment(s) disagree with the .csd, e.g. "
            f"{'; '.join(problems[:3])}; the CSV is used",
        )
    else:
        report.counts["csd-agrees"] += len(rows)


def _duplicate(
    seg: Segment,
    seen: dict[tuple[str, float, float], Segment],
    ids: set[tuple[str, int]],
    report: PrepareReport,
) -> bool:
    """Dedupe on (video, start, end), then on (video, segment number)."""
    record = qualified(CORPUS, f"{seg.vid}_{seg.k}")
    first = seen.get((seg.vid, seg.start, seg.end))
    if first is not None:
        where = f"line {first.line}" if first.line else f"key {first.key}"
        report.skip(
            "duplicate-interval",
            seg.file,
            f"{seg.vid} {seg.start}-{seg.end} s already labelled at {where}; keeping the first",
            seg.line,
            record,
        )
        return True
    if (seg.vid, seg.k) in ids:
        report.skip(
            "duplicate-id",
            seg.file,
            f"segment {seg.vid}_{seg.k} labelled twice with different intervals; keeping the first",
            seg.line,
            record,
        )
        return True
    seen[(seg.vid, seg.start, seg.end)] = seg
    ids.add((seg.vid, seg.k))
    return False


def _genders(root: Path, report: PrepareReport, gender_file: str | None) -> dict[str, str | None]:
    if gender_file:
        path = Path(gender_file) if Path(gender_file).is_absolute() else root / gender_file
        if not path.is_file():
            raise CorpusFormatError(path, "gender side file not found")
        return read_genders(path, report)
    default = root / "gender.csv"
    return read_genders(default, report) if default.is_file() else {}


class _Builder:
    """Turns a segment into a record: audio check, split, gender, transcript, sentiment classes."""

    def __init__(
        self,
        root: Path,
        base: Path,
        report: PrepareReport,
        genders: dict[str, str | None],
        folds: dict[str, str],
        normalise: Callable[[float], float | None],
    ):
        self.root, self.base, self.report = root, base, report
        self.genders, self.folds, self.normalise = genders, folds, normalise
        self.audio = base.joinpath(*AUDIO_DIR).relative_to(root).as_posix()
        self.transcripts: dict[str, dict[int, str]] = {}
        self.unfolded: dict[str, int] = {}

    def build(self, seg: Segment) -> Utterance | None:
        native = f"{seg.vid}_{seg.k}"
        utt_id = qualified(CORPUS, native)
        if not -3.0 <= seg.sentiment <= 3.0:
            self.report.skip(
                "out-of-range",
                seg.file,
                f"{native}: sentiment {seg.sentiment} outside [-3, 3]",
                seg.line,
                utt_id,
            )
            return None
        rel = f"{self.audio}/{native}.wav"
        info = check_audio(self.root, rel, self.report, utt_id, SAMPLE_RATE, 1, seg.file, seg.line)
        if info is None:
            return None
        split = self.folds.get(seg.vid)
        if split is None:
            self.unfolded[seg.vid] = self.unfolded.get(seg.vid, 0) + 1
        video = qualified(CORPUS, seg.vid)
        return Utterance(
            id=utt_id,
            corpus=CORPUS,
            **audio_fields(rel, info),
            speaker=video,
            gender=self.genders.get(seg.vid),
            split=split,
            group=video,
            sentiment=self.normalise(seg.sentiment),
            transcript=self.transcript(seg.vid, seg.k),
            extra=sentiment_extra(seg),
        )

    def transcript(self, vid: str, k: int) -> str | None:
        if vid not in self.transcripts:
            path = self.base.joinpath(*TRANSCRIPT_DIR, f"{vid}.annotprocessed")
            self.transcripts[vid] = read_annotprocessed(path, self.report) if path.is_file() else {}
        return self.transcripts[vid].get(k) or None

    def note_unfolded(self) -> None:
        for vid, count in sorted(self.unfolded.items()):
            self.report.note(
                "no-standard-fold",
                self.root,
                f"video {vid} ({count} segment(s)) is in no SDK standard fold; split left null",
                record=qualified(CORPUS, vid),
            )


def sentiment_extra(seg: Segment) -> dict[str, Any]:
    s = seg.sentiment
    return {
        "video": seg.vid,
        "segment": seg.k,
        "sdk_key": f"{seg.vid}[{seg.k - 1}]",
        "start": seg.start,
        "end": seg.end,
        "sentiment_raw": s,
        "binary": "positive" if s >= 0 else "negative",  # pre-2019 convention (>= 0)
        "binary_nonzero": None if s == 0 else ("positive" if s > 0 else "negative"),  # post-2019 (zeros out)
        "class7": int(min(3, max(-3, round(s)))),
    }
