"""CREMA-D (CheyneyComputerScience/CREMA-D, 7,442 clips of 91 actors; 2022-10-18 fix onward and older clones).

Reads the repository layout as shipped: ``AudioWAV/*.wav`` (16 kHz mono PCM16), the R ``write.csv`` files
``processedResults/tabulatedVotes.csv``, ``SentenceFilenames.csv`` (no trailing newline) and
``VideoDemographics.csv`` (strings quoted, LF). Grammar and pitfalls: ``../shared/corpora.md`` section 3.

Why it is written the way it is:

- the label is what listeners *perceived*: votes are the A,D,F,H,N,S counts of the tabulatedVotes rows of one
  query type (``row id // 100000``: 1 voice only (default, the SER setting), 2 face only, 3 audio-visual);
  the consensus is the unique argmax, a tie (``emoVote`` colon-joined, ``"A:D"``) gives label null with the
  votes kept. The acted emotion of the file name is a different fact (raters agree with it in ~42% of voice
  clips) and goes to ``extra.acted_emotion``;
- actor, sentence, acted emotion and intensity come from the *basename* (peers that split full paths break
  on underscores in parent folders); gender and age from ``VideoDemographics.csv``; the transcript from the
  sentence code (texts of the CREMA-D README, in the label map);
- the GitHub copy stores audio with git-LFS: a clone without git-lfs or a ZIP download holds 130-byte text
  pointers; the first one stops the run with an error that says so and how to get the audio;
- known bad files: ``1076_MTI_SAD_XX`` has no audio in any release (noted, not a candidate, so ``--strict``
  still passes on a complete copy); ``AudioWAV/1040_ITH_SAD_X.wav`` (misnamed before 2022-10-18) is used
  under its listed name ``1040_ITH_SAD_XX`` with a note.

Only aggregated counts ship, not per-rater answers, so ``annotations`` stays empty. No official split: ``split``
is null and ``group`` is the actor (speaker-independent folds).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sercorpus.core.audio import AudioInfo
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.labelmap import LabelMap, load_label_map
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance, qualified
from sercorpus.core.textfile import read_text_lines
from sercorpus.core.votes import plurality, soft_from_votes
from sercorpus.corpora.common import RecordSkip, audio_fields, check_audio
from sercorpus.corpora.options import LoaderOptions, loader, option

CORPUS = "crema-d"
SAMPLE_RATE = 16000
CHANNELS = 1
VOTE_COLUMNS = ("A", "D", "F", "H", "N", "S")
_VOTES_REQUIRED = ("", *VOTE_COLUMNS, "fileName", "numResponses", "agreement", "emoVote")
_SENTENCES_HEADER = ["Stimulus_Number", "Filename"]
_DEMOGRAPHICS_REQUIRED = ("ActorID", "Age", "Sex", "Race", "Ethnicity")
#: ``1001_DFA_ANG_XX``: actor, sentence, acted emotion, intensity
_NAME_RE = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{1,2})$")
_SEXES = {"Male": "male", "Female": "female"}


@dataclass(frozen=True)
class CremaDOptions(LoaderOptions):
    modality: str = option(
        "voice",
        "which tabulatedVotes rows give the votes: voice (the SER setting), face or audiovisual",
        choices=("audiovisual", "face", "voice"),
    )


@dataclass(frozen=True)
class _VoteRow:
    line: int
    clip_num: int
    counts: dict[str, int]  # vote letter -> count
    responses: int
    agreement: float | None
    emo_vote: str


@dataclass(frozen=True)
class _Actor:
    gender: str | None
    age: int | None
    race: str
    ethnicity: str


@dataclass(frozen=True)
class _Tables:
    """Everything read before the per-clip pass."""

    votes_path: Path
    sentences_path: Path
    votes: dict[str, _VoteRow]
    listed: dict[str, tuple[int, int]]  # name -> (Stimulus_Number, line)
    actors: dict[str, _Actor]
    wavs: dict[str, str]  # file stem -> file name in AudioWAV/
    broken: set[str]  # names whose votes row was malformed (already skipped)


@loader(CORPUS, CremaDOptions)
def load_crema_d(root: Path, report: PrepareReport, options: CremaDOptions) -> Iterator[Utterance]:
    """Yield one record per listed clip with votes and sane audio (options: :class:`CremaDOptions`)."""
    modality = options.modality
    labels = load_label_map(CORPUS)
    query_types = labels.raw["query_types"]
    if modality not in query_types:
        raise ValueError(f"modality must be one of {sorted(query_types)}, got {modality!r}")
    tables = _read_tables(root, int(query_types[modality]), report)
    claimed: set[str | None] = set()  # AudioWAV files some listed name resolves to, used or skipped
    for name in _candidates(tables):
        wav = _wav_for(name, tables, labels)
        claimed.add(wav)
        utt = _to_utterance(root, name, wav, tables, labels, modality, report)
        if utt is not None:
            yield utt
    claimed.update(_wav_for(name, tables, labels) for name in tables.broken)
    for filename in sorted(set(tables.wavs.values()) - claimed):
        report.note(
            "unlisted-audio",
            root / "AudioWAV" / filename,
            "audio file named by neither SentenceFilenames.csv nor tabulatedVotes.csv; not read",
        )


# ------------------------------------------------------------------------------------------ tables
def _read_tables(root: Path, query_type: int, report: PrepareReport) -> _Tables:
    if not root.is_dir():
        raise CorpusFormatError(root, "corpus root is not a directory")
    audio_dir = root / "AudioWAV"
    votes_path = root / "processedResults" / "tabulatedVotes.csv"
    if not audio_dir.is_dir():
        raise CorpusFormatError(audio_dir, "AudioWAV/ folder not found: expected the CREMA-D repository root")
    if not votes_path.is_file():
        raise CorpusFormatError(
            votes_path,
            "tabulatedVotes.csv not found: the perceived-emotion votes ship in "
            "processedResults/ of the CREMA-D repository (Kaggle copies lack it)",
        )
    broken: set[str] = set()
    votes = _read_votes(votes_path, query_type, report, broken)
    sentences_path = root / "SentenceFilenames.csv"
    return _Tables(
        votes_path,
        sentences_path,
        votes,
        _read_sentence_list(sentences_path, report),
        _read_demographics(root / "VideoDemographics.csv", report),
        _list_wavs(audio_dir, report),
        broken,
    )


def _csv_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Header and (line number, fields) of an R ``write.csv`` file; blank lines are passed over."""
    lines = read_text_lines(path)
    if not lines:
        raise CorpusFormatError(path, "empty file")
    header = next(csv.reader(lines[:1]))
    rows = ((n, next(csv.reader([line]))) for n, line in enumerate(lines[1:], start=2) if line.strip())
    return header, rows


def _read_votes(path: Path, query_type: int, report: PrepareReport, broken: set[str]) -> dict[str, _VoteRow]:
    """Rows of one query type, keyed by file name; malformed and duplicate rows are counted skips."""
    header, rows = _csv_rows(path)
    missing = [c for c in _VOTES_REQUIRED if c not in header]
    if missing:
        raise CorpusFormatError(path, f"header lacks column(s) {missing}; got {header}", line=1)
    col = {name: header.index(name) for name in _VOTES_REQUIRED}
    votes: dict[str, _VoteRow] = {}
    for line_no, values in rows:
        try:
            row_id = int(values[col[""]])
        except (ValueError, IndexError):
            _skip_row(report, path, line_no, values, col, broken, f"row id is not an integer: {values[:1]}")
            continue
        if row_id // 100000 != query_type:
            report.counts[f"rows:query-type-{row_id // 100000}"] += 1
            continue
        if len(values) != len(header):
            _skip_row(
                report,
                path,
                line_no,
                values,
                col,
                broken,
                f"expected {len(header)} fields, got {len(values)}",
            )
            continue
        try:
            row = _vote_row(values, col, line_no, row_id)
        except ValueError as exc:
            _skip_row(report, path, line_no, values, col, broken, str(exc))
            continue
        name = values[col["fileName"]]
        if name in votes:  # the first row wins, like prepare's duplicate-id rule
            report.read += 1
            report.skip(
                "duplicate-id",
                path,
                f"second row for {name}; keeping the first (line {votes[name].line})",
                line_no,
                record=qualified(CORPUS, name),
            )
            continue
        votes[name] = row
    return votes


def _vote_row(values: list[str], col: dict[str, int], line_no: int, row_id: int) -> _VoteRow:
    try:
        counts = {c: int(values[col[c]]) for c in VOTE_COLUMNS}
        responses = int(values[col["numResponses"]])
    except ValueError:
        raise ValueError(f"vote counts are not integers: {[values[col[c]] for c in VOTE_COLUMNS]}") from None
    if any(v < 0 for v in counts.values()):
        raise ValueError(f"negative vote count: {counts}")
    raw_agreement = values[col["agreement"]]
    try:
        agreement = None if raw_agreement in ("NA", "") else float(raw_agreement)
    except ValueError:
        raise ValueError(f"agreement {raw_agreement!r} is not a number") from None
    return _VoteRow(line_no, row_id % 100000, counts, responses, agreement, values[col["emoVote"]])


def _skip_row(
    report: PrepareReport,
    path: Path,
    line_no: int,
    values: list[str],
    col: dict[str, int],
    broken: set[str],
    detail: str,
) -> None:
    report.read += 1
    name = values[col["fileName"]] if col["fileName"] < len(values) else None
    if name:
        broken.add(name)
    report.skip("malformed-line", path, detail, line_no, record=qualified(CORPUS, name) if name else None)


def _read_sentence_list(path: Path, report: PrepareReport) -> dict[str, tuple[int, int]]:
    """``Stimulus_Number`` (= clipNum) per listed clip; optional (noted when absent)."""
    if not path.is_file():
        report.note(
            "missing-file", path, "SentenceFilenames.csv absent; clips come from tabulatedVotes.csv only"
        )
        return {}
    header, rows = _csv_rows(path)
    if header != _SENTENCES_HEADER:
        raise CorpusFormatError(path, f"unexpected header {header}; expected {_SENTENCES_HEADER}", line=1)
    listed: dict[str, tuple[int, int]] = {}
    for line_no, values in rows:
        if len(values) != 2 or not values[0].isdigit() or not values[1]:
            report.read += 1
            report.skip("malformed-line", path, f'expected <number>,"<file name>", got {values}', line_no)
            continue
        if values[1] in listed:
            report.note(
                "duplicate-listing",
                path,
                f"{values[1]} listed again (first at line {listed[values[1]][1]})",
                line_no,
                record=qualified(CORPUS, values[1]),
            )
            continue
        listed[values[1]] = (int(values[0]), line_no)
    return listed


def _read_demographics(path: Path, report: PrepareReport) -> dict[str, _Actor]:
    """Actor -> sex, age, race, ethnicity; problems only cost that actor's fields (noted)."""
    if not path.is_file():
        report.note("missing-file", path, "VideoDemographics.csv absent; gender and age will be null")
        return {}
    header, rows = _csv_rows(path)
    missing = [c for c in _DEMOGRAPHICS_REQUIRED if c not in header]
    if missing:
        raise CorpusFormatError(path, f"header lacks column(s) {missing}; got {header}", line=1)
    actors: dict[str, _Actor] = {}
    for line_no, values in rows:
        if len(values) != len(header):
            report.note("malformed-line", path, f"expected {len(header)} fields, got {values}", line_no)
            continue
        row = dict(zip(header, values, strict=True))
        gender = _SEXES.get(row["Sex"])
        if gender is None:
            report.note(
                "unknown-sex", path, f"actor {row['ActorID']}: Sex {row['Sex']!r}; gender null", line_no
            )
        age = int(row["Age"]) if row["Age"].isdigit() else None
        actors[row["ActorID"]] = _Actor(gender, age, row["Race"], row["Ethnicity"])
    return actors


def _list_wavs(audio_dir: Path, report: PrepareReport) -> dict[str, str]:
    wavs: dict[str, str] = {}
    for path in sorted(audio_dir.iterdir()):
        if path.suffix.lower() != ".wav":
            continue
        if path.name.startswith("._"):
            report.counts["ignored:appledouble"] += 1
            continue
        wavs[path.stem] = path.name
    return wavs


def _candidates(tables: _Tables) -> list[str]:
    """Every clip named by the sentence list or the votes, in clip-number order (malformed rows excluded)."""
    names = (set(tables.listed) | set(tables.votes)) - tables.broken

    def clip_num(name: str) -> int:
        if name in tables.listed:
            return tables.listed[name][0]
        return tables.votes[name].clip_num

    return sorted(names, key=lambda n: (clip_num(n), n))


# ---------------------------------------------------------------------------------------- records
def _to_utterance(
    root: Path,
    name: str,
    wav: str | None,
    tables: _Tables,
    labels: LabelMap,
    modality: str,
    report: PrepareReport,
) -> Utterance | None:
    utt_id = qualified(CORPUS, name)
    row = tables.votes.get(name)
    source, line = (tables.votes_path, row.line) if row else (tables.sentences_path, tables.listed[name][1])
    if wav is None and name in labels.raw.get("known_missing", []):
        report.note(
            "known-missing-audio",
            root / "AudioWAV" / f"{name}.wav",
            "clip has no audio in the CREMA-D release (README); not a candidate",
            record=utt_id,
        )
        report.counts["known-missing-audio"] += 1
        return None
    report.read += 1
    try:
        parts = _parse_name(name, labels)
    except RecordSkip as exc:
        report.skip(exc.reason, source, f"{name}: {exc.detail}", line, record=utt_id)
        return None
    if row is None:
        report.skip(
            "missing-votes",
            tables.votes_path,
            f"{name} (listed at {source}:{line}) has no {modality} row",
            record=utt_id,
        )
        return None
    unknown = [c for c in row.emo_vote.split(":") if c not in labels.codes]
    if unknown:
        report.skip(
            "unknown-label",
            tables.votes_path,
            f"{name}: emoVote {row.emo_vote!r} has unknown code(s) {unknown}",
            row.line,
            record=utt_id,
        )
        return None
    rel = f"AudioWAV/{wav or name + '.wav'}"
    info = _probe(root, rel, report, utt_id, tables.votes_path, row.line)
    if info is None:
        return None
    if wav is not None and Path(wav).stem != name:
        report.note(
            "misnamed-audio",
            root / rel,
            f"file is named {wav}; used as {name} (fixed upstream 2022-10-18)",
            record=utt_id,
        )
    return _record(name, rel, info, row, tables, labels, parts, modality, report)


def _wav_for(name: str, tables: _Tables, labels: LabelMap) -> str | None:
    """The AudioWAV file of a clip, accepting the release's known misnamed files."""
    if name in tables.wavs:
        return tables.wavs[name]
    for wrong, right in (labels.raw.get("known_misnamed") or {}).items():
        if right == name and wrong in tables.wavs:
            return tables.wavs[wrong]
    return None


def _parse_name(name: str, labels: LabelMap) -> tuple[str, str, str, str]:
    """(actor, sentence, acted unified emotion, level) from the basename; RecordSkip says why not."""
    match = _NAME_RE.match(name)
    if match is None:
        raise RecordSkip("malformed-line", "file name is not <actor>_<sentence>_<emotion>_<level>")
    actor, sentence, emotion, level = match.groups()
    acted = labels.raw["acted"].get(emotion)
    if acted is None:
        raise RecordSkip("unknown-label", f"acted emotion code {emotion!r} not in the CREMA-D label map")
    if sentence not in labels.raw["sentences"]:
        raise RecordSkip("unknown-label", f"sentence code {sentence!r} not one of the 12 CREMA-D sentences")
    if level not in labels.raw["levels"]:
        raise RecordSkip("malformed-line", f"intensity {level!r} not one of {labels.raw['levels']}")
    return actor, sentence, acted, level


#: CREMA-D's way out when the checkout holds git-LFS pointers (added to the generic explanation)
_LFS_HINT = (
    "The GitHub copy of CREMA-D stores AudioWAV/ with git-lfs, so a clone without git-lfs or a ZIP "
    "download holds only pointers; alternatively fetch the audio from the mirror named in the CREMA-D "
    "README, then prepare again."
)


def _probe(
    root: Path, rel: str, report: PrepareReport, utt_id: str, votes_path: Path, line: int
) -> AudioInfo | None:
    return check_audio(
        root, rel, report, utt_id, SAMPLE_RATE, CHANNELS, label_file=votes_path, line=line, lfs_hint=_LFS_HINT
    )


def _record(
    name: str,
    rel: str,
    info: AudioInfo,
    row: _VoteRow,
    tables: _Tables,
    labels: LabelMap,
    parts: tuple[str, str, str, str],
    modality: str,
    report: PrepareReport,
) -> Utterance:
    actor, sentence, acted, level = parts
    utt_id = qualified(CORPUS, name)
    votes = cast(dict[str, float], {labels.codes[c]: float(n) for c, n in row.counts.items() if n > 0})
    label = plurality(votes)
    _check_row(name, row, label, labels, tables.votes_path, report)
    person = tables.actors.get(actor)
    if person is None:
        report.note(
            "unknown-actor",
            tables.votes_path,
            f"actor {actor} not in VideoDemographics.csv; gender null",
            row.line,
            record=utt_id,
        )
    report.counts[f"acted:{acted}"] += 1
    report.counts["tie" if label is None else "consensus"] += 1
    return Utterance(
        id=utt_id,
        corpus=CORPUS,
        **audio_fields(rel, info),
        speaker=qualified(CORPUS, actor),
        gender=person.gender if person else None,
        group=qualified(CORPUS, actor),
        label=label,
        votes=votes,
        soft_label=soft_from_votes(votes),
        transcript=labels.raw["sentences"][sentence],
        extra={
            "actor": actor,
            "sentence": sentence,
            "acted_emotion": acted,
            "intensity": level,
            "age": person.age if person else None,
            "race": person.race if person else None,
            "ethnicity": person.ethnicity if person else None,
            "agreement": row.agreement,
            "emo_vote": row.emo_vote,
            "num_responses": row.responses,
            "clip_num": row.clip_num,
            "modality": modality,
        },
    )


def _check_row(
    name: str, row: _VoteRow, label: str | None, labels: LabelMap, path: Path, report: PrepareReport
) -> None:
    """Notes where the shipped summary columns disagree with the counts (the counts win)."""
    if sum(row.counts.values()) != row.responses:
        report.note(
            "vote-sum-mismatch",
            path,
            f"{name}: counts sum to {sum(row.counts.values())}, numResponses {row.responses}",
            row.line,
        )
    shipped = row.emo_vote.split(":")
    expected = None if len(shipped) != 1 else labels.codes[shipped[0]]
    if expected != label:
        report.note(
            "emovote-mismatch",
            path,
            f"{name}: emoVote {row.emo_vote!r} but the counts give {label or 'a tie'}",
            row.line,
        )
