"""IEMOCAP (USC SAIL, ``IEMOCAP_full_release``, Sessions 1-5, 10,039 turns): read as shipped.

Supported release: the full release tree (``Session{1..5}/dialog/EmoEvaluation/<dialog>.txt``,
``dialog/transcriptions/<dialog>.txt``, ``sentences/wav/<dialog>/<utt>.wav`` at 16 kHz mono PCM16), including
the suffixed dialogs ``Ses03M_impro05a/b``, ``Ses03M_impro08a/b`` and ``Ses05M_script01_1b``. A subset of the
sessions is fine. Grammar and pitfalls: ``../shared/corpora.md`` section 1.

Why it is written the way it is:

- the speaker is the session plus the gender letter after the *last* underscore (``Ses01F_impro01_M000`` is
  the session-1 male actor); the ``F``/``M`` after the session number only names the mocap-wearing actor,
  and fixed character offsets break on the suffixed dialogs, which is how most peer toolkits go wrong;
- votes come from the external evaluators' ``C-E*`` lines, several labels per evaluator allowed (weight
  policy ``multi_label``); the actors' ``C-F*``/``C-M*`` self-evaluations are kept in ``annotations`` with
  ``kind="self"`` but vote only with ``include_self=True``;
- ``xxx`` (no majority) gives label null but keeps the votes, so soft targets still use those turns;
- the header bracket is ``[V, A, D]`` (valence, activation, dominance), 1-5, normalised to [0, 1];
- only top-level ``EmoEvaluation/*.txt`` files are read (``Categorical/``, ``Attribute/`` and
  ``Self-evaluation/`` hold per-rater copies), and macOS ``._*`` AppleDouble files are ignored and counted.

No official split: ``split`` stays null and ``group`` is the session (``iemocap/Session1``) for
leave-one-session-out folds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.labelmap import LabelMap, load_label_map
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Annotation, Utterance, qualified
from sercorpus.core.textfile import read_text_lines
from sercorpus.core.votes import MultiLabelPolicy, add_rater_votes, soft_from_votes
from sercorpus.corpora.common import RecordSkip, audio_fields, check_audio
from sercorpus.corpora.options import LoaderOptions, loader, option

CORPUS = "iemocap"
SAMPLE_RATE = 16000
CHANNELS = 1
DURATION_TOLERANCE = 0.1  # seconds between the header span and the wav length before a note is written

_NUM = r"(\d+(?:\.\d+)?)"
#: ``[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]``
_HEADER_RE = re.compile(rf"^\[{_NUM}\s*-\s*{_NUM}\]\t(\S+)\t(\S+)\t\[{_NUM},\s*{_NUM},\s*{_NUM}\]\s*$")
#: ``C-E2:<TAB>Frustration; Anger;<TAB>(comment)`` and ``A-E3:<TAB>val 3; act 2; dom  2;<TAB>()``
_RATER_RE = re.compile(r"^([CA])-([A-Za-z]+\d*):\t([^\t]*?)\s*(?:\t\((.*)\))?\s*$")
#: A-line body; ``dom`` may be missing altogether or empty
_ATTR_RE = re.compile(rf"^val\s+{_NUM};\s*act\s+{_NUM};(?:\s*dom\s*{_NUM}?;)?$")
#: ``Ses01F_impro01_M000``, ``Ses05M_script01_1b_F003``: dialog, session, mocap letter, speaker letter
_UTT_RE = re.compile(r"^(Ses(\d{2})([FM])_(impro|script)[0-9A-Za-z_]*?)_([FM])\d{3}$")
#: transcription line ``Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.``
_TRANSCRIPT_RE = re.compile(rf"^(\S+) \[{_NUM}-{_NUM}\]:\s?(.*)$")
_UNLABELLED_TURN_RE = re.compile(r"_[FM]XX\d+$")  # MXX0 / FXX1 turns: transcript only, no label, no wav
_IDLESS_RE = re.compile(r"^[A-Za-z]+:\s")  # ``M: Yeah.`` lines without an utterance id
_LOOSE_ID_RE = re.compile(r"Ses\d\d[FM]_\w+")  # names the record of an unparseable header
_SESSION_DIR_RE = re.compile(r"^Session(\d+)$")
_SELF_PREFIXES = ("F", "M")
_GENDERS = {"F": "female", "M": "male"}


@dataclass(frozen=True)
class IemocapOptions(LoaderOptions):
    multi_label: str = option(
        "split",
        "weight of an evaluator's k labels: split (1/k each), first (the first only) or each (1 each)",
        choices=tuple(p.value for p in MultiLabelPolicy),
    )
    include_self: bool = option(False, "also count the actors' self-evaluations as votes")


@dataclass
class _Rater:
    """One rater's C- and A-lines of one utterance, merged by rater id."""

    rater: str
    c_lines: list[tuple[int, list[str]]] = field(default_factory=list)  # (line number, words as written)
    dims: tuple[float | None, float | None, float | None] | None = None  # native (val, act, dom)

    @property
    def is_self(self) -> bool:
        return self.rater.startswith(_SELF_PREFIXES)


@dataclass
class _Block:
    """One utterance block of an EmoEvaluation file."""

    line: int
    start: float
    end: float
    utt: str
    code: str
    vad: tuple[float, float, float]
    raters: dict[str, _Rater] = field(default_factory=dict)
    error: RecordSkip | None = None


@loader(CORPUS, IemocapOptions)
def load_iemocap(root: Path, report: PrepareReport, options: IemocapOptions) -> Iterator[Utterance]:
    """Yield one record per labelled turn whose wav is present and sane (options: :class:`IemocapOptions`)."""
    policy, include_self = MultiLabelPolicy(options.multi_label), options.include_self
    labels = load_label_map(CORPUS)
    seen: set[str] = set()  # ids already emitted or claimed (duplicates are skipped)
    named: set[str] = set()  # every id a header names, usable or not (for the wav-side join check)
    for session_dir in _session_dirs(root):
        for path in _evaluation_files(session_dir, report):
            transcripts = _read_transcripts(session_dir, path.stem, report)
            for block in _parse_evaluation(path, report, named):
                utt = _to_utterance(
                    root, path, block, labels, policy, include_self, transcripts, seen, report
                )
                if utt is not None:
                    yield utt
        _note_unlabelled_wavs(session_dir, named, report)


# ------------------------------------------------------------------------------------------- layout
def _session_dirs(root: Path) -> list[Path]:
    """``Session<N>`` folders in numeric order; none at all means this is not the release root."""
    found = (
        sorted(
            (int(m.group(1)), p)
            for p in root.iterdir()
            if p.is_dir() and (m := _SESSION_DIR_RE.match(p.name))
        )
        if root.is_dir()
        else []
    )
    if not found:
        hint = (
            " (it contains IEMOCAP_full_release/: pass that folder)"
            if (root / "IEMOCAP_full_release").is_dir()
            else ""
        )
        raise CorpusFormatError(root, "no Session<N>/ folders: expected the IEMOCAP_full_release root" + hint)
    return [p for _, p in found]


def _evaluation_files(session_dir: Path, report: PrepareReport) -> list[Path]:
    """Top-level ``EmoEvaluation/*.txt`` only; AppleDouble ``._*`` files are counted and noted, not read."""
    folder = session_dir / "dialog" / "EmoEvaluation"
    if not folder.is_dir():
        raise CorpusFormatError(
            folder, "EmoEvaluation folder missing (expected Session<N>/dialog/EmoEvaluation)"
        )
    files = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix != ".txt":
            continue
        if path.name.startswith("._"):
            report.counts["ignored:appledouble"] += 1
            report.note(
                "appledouble-file",
                path,
                "macOS AppleDouble metadata file, not an EmoEvaluation file; ignored",
            )
            continue
        files.append(path)
    return files


# --------------------------------------------------------------------------------------- evaluation
def _parse_evaluation(path: Path, report: PrepareReport, named: set[str]) -> Iterator[_Block]:
    """Blocks of one EmoEvaluation file; malformed or unusable blocks become counted skips."""
    block: _Block | None = None
    blocks = 0
    for line_no, line in enumerate(read_text_lines(path), start=1):
        if line.startswith("%"):
            continue
        if not line.strip():
            if block is not None:
                yield from _finish(block, path, report)
                block = None
            continue
        header = _HEADER_RE.match(line)
        if header:
            if block is not None:  # a header without the blank separator still starts a new block
                yield from _finish(block, path, report)
            block = _new_block(header, line_no)
            blocks += 1
            named.add(block.utt)
            continue
        if line.startswith("["):  # a header we could not parse: the block is lost, its rater lines with it
            if block is not None:
                yield from _finish(block, path, report)
            block = _broken_block(line, line_no)
            blocks += 1
            continue
        if block is None:
            report.skip("malformed-line", path, f"line outside an utterance block: {line!r}", line_no)
            continue
        if block.error is None:
            try:
                _add_rater_line(block, line, line_no)
            except RecordSkip as exc:
                block.error = exc
    if block is not None:
        yield from _finish(block, path, report)
    if blocks == 0:
        _skip_empty_evaluation(path, report, named)


def _skip_empty_evaluation(path: Path, report: PrepareReport, named: set[str]) -> None:
    """An EmoEvaluation file without one utterance block (empty, truncated): every sentence wav of its dialog
    loses its labels, so each is a counted skip (the file itself when the dialog has no wavs), which
    ``--strict`` refuses; they are not noted again as unlabelled wavs."""
    wav_dir = path.parents[2] / "sentences" / "wav" / path.stem
    wavs = sorted(w for w in wav_dir.glob("*.wav") if not w.name.startswith("._")) if wav_dir.is_dir() else []
    detail = "EmoEvaluation file holds no utterance block (empty or truncated?)"
    if not wavs:
        report.read += 1
        report.skip("empty-label-file", path, detail)
    for wav in wavs:
        report.read += 1
        named.add(wav.stem)
        report.skip(
            "empty-label-file", path, f"{wav.stem}: no labels: {detail}", record=qualified(CORPUS, wav.stem)
        )


def _new_block(match: re.Match[str], line_no: int) -> _Block:
    start, end, utt, code, v, a, d = match.groups()
    return _Block(line_no, float(start), float(end), utt, code, (float(v), float(a), float(d)))


def _broken_block(line: str, line_no: int) -> _Block:
    guess = _LOOSE_ID_RE.search(line)
    error = RecordSkip("malformed-line", f"utterance header does not match the grammar: {line!r}", line_no)
    return _Block(line_no, 0.0, 0.0, guess.group(0) if guess else "?", "", (0.0, 0.0, 0.0), error=error)


def _finish(block: _Block, path: Path, report: PrepareReport) -> Iterator[_Block]:
    report.read += 1
    if block.error is not None:
        err = block.error
        record = qualified(CORPUS, block.utt) if block.utt != "?" else None
        report.skip(err.reason, path, f"{block.utt}: {err.detail}", err.line, record=record)
        return
    yield block


def _add_rater_line(block: _Block, line: str, line_no: int) -> None:
    match = _RATER_RE.match(line)
    if not match:
        raise RecordSkip(
            "malformed-line", f"not an evaluator line (C-/A-<rater>:<TAB>...): {line!r}", line_no
        )
    kind, rater_id, body, _comment = match.groups()
    if not rater_id.startswith(("E", *_SELF_PREFIXES)):
        raise RecordSkip(
            "malformed-line", f"unknown rater {rater_id!r} (expected E<n>, F<n> or M<n>)", line_no
        )
    rater = block.raters.setdefault(rater_id, _Rater(rater_id))
    if kind == "C":
        words = [w.strip() for w in body.split(";") if w.strip()]
        if not words:
            raise RecordSkip("malformed-line", f"C-{rater_id} line holds no label: {line!r}", line_no)
        rater.c_lines.append((line_no, words))
    else:
        attrs = _ATTR_RE.match(body)
        if not attrs:
            raise RecordSkip(
                "malformed-line", f"A-{rater_id} body is not 'val v; act a; dom  d;': {body!r}", line_no
            )
        values = tuple(None if x is None else float(x) for x in attrs.groups())
        if any(x is not None and not 1 <= x <= 5 for x in values):
            raise RecordSkip(
                "malformed-line", f"A-{rater_id} rating outside the 1-5 scale: {body!r}", line_no
            )
        rater.dims = values  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------- records
def _to_utterance(
    root: Path,
    path: Path,
    block: _Block,
    labels: LabelMap,
    policy: MultiLabelPolicy,
    include_self: bool,
    transcripts: dict[str, str] | None,
    seen: set[str],
    report: PrepareReport,
) -> Utterance | None:
    utt_id = qualified(CORPUS, block.utt)
    ident = _UTT_RE.match(block.utt)
    if ident is None:
        report.skip(
            "malformed-line",
            path,
            f"utterance id {block.utt!r} is not Ses<NN><F|M>_<dialog>_<F|M><NNN>",
            block.line,
            record=utt_id,
        )
        return None
    if block.utt in seen:
        report.skip(
            "duplicate-id", path, f"{block.utt} already read; keeping the first", block.line, record=utt_id
        )
        return None
    if block.code not in labels.codes:
        report.skip(
            "unknown-label",
            path,
            f"{block.utt}: consensus code {block.code!r} not in the IEMOCAP label map",
            block.line,
            record=utt_id,
        )
        return None
    if not all(1 <= x <= 5 for x in block.vad):
        report.skip(
            "malformed-line",
            path,
            f"{block.utt}: [V, A, D] {list(block.vad)} outside the 1-5 scale",
            block.line,
            record=utt_id,
        )
        return None
    try:
        annotations = [_annotation(r, labels) for r in block.raters.values()]
    except RecordSkip as exc:
        report.skip(exc.reason, path, f"{block.utt}: {exc.detail}", exc.line, record=utt_id)
        return None
    seen.add(block.utt)
    dialog, session_str, _mocap, kind, letter = ident.groups()
    session = int(session_str)
    rel = f"Session{session}/sentences/wav/{dialog}/{block.utt}.wav"
    info = check_audio(root, rel, report, utt_id, SAMPLE_RATE, CHANNELS, label_file=path, line=block.line)
    if info is None:
        return None
    _check_consistency(path, block, dialog, session, info.duration, report, utt_id)
    votes = _votes(annotations, policy, include_self)
    label = labels.code(block.code)
    report.counts[f"session:{session}"] += 1
    report.counts[f"code:{block.code}"] += 1
    valence, arousal, dominance = (labels.normalise(x) for x in block.vad)
    transcript = None if transcripts is None else transcripts.get(block.utt)
    if transcript is None and transcripts is not None:  # a missing file was noted once already
        report.note(
            "missing-transcript",
            path,
            f"{block.utt} has no line in transcriptions/{path.name}",
            block.line,
            record=utt_id,
        )
    return Utterance(
        id=utt_id,
        corpus=CORPUS,
        **audio_fields(rel, info),
        speaker=qualified(CORPUS, f"Ses{session:02d}_{letter}"),
        gender=_GENDERS[letter],
        group=qualified(CORPUS, f"Session{session}"),
        label=label,
        votes=votes,
        soft_label=soft_from_votes(votes),
        arousal=arousal,
        valence=valence,
        dominance=dominance,
        transcript=transcript,
        annotations=annotations,
        extra={
            "dialog": dialog,
            "session": session,
            "improvised": kind == "impro",
            "code": block.code,
            "start": block.start,
            "end": block.end,
        },
    )


def _annotation(rater: _Rater, labels: LabelMap) -> Annotation:
    """Unified categories (words looked up per C-line) and normalised dims of one rater."""
    categories, native = [], []
    for line_no, words in rater.c_lines:
        for word in words:
            unified = labels.words.get(word)
            if unified is None:
                raise RecordSkip(
                    "unknown-label", f"C-{rater.rater} word {word!r} not in the IEMOCAP label map", line_no
                )
            categories.append(unified)
            native.append(word)
    val, act, dom = rater.dims if rater.dims is not None else (None, None, None)
    return Annotation(
        rater=rater.rater,
        kind="self" if rater.is_self else "external",
        categories=list(dict.fromkeys(categories)),
        native=native,
        arousal=labels.normalise(act),
        valence=labels.normalise(val),
        dominance=labels.normalise(dom),
    )


def _votes(annotations: list[Annotation], policy: MultiLabelPolicy, include_self: bool) -> dict[str, float]:
    votes: dict[str, float] = {}
    for ann in annotations:
        if ann.kind == "external" or include_self:
            add_rater_votes(votes, ann.categories, policy)
    return votes


def _check_consistency(
    path: Path, block: _Block, dialog: str, session: int, duration: float, report: PrepareReport, utt_id: str
) -> None:
    """Kept-but-odd facts: turn filed under another dialog/session, or wav length far from the header span."""
    if dialog != path.stem or f"Session{session}" != path.parents[2].name:
        report.note(
            "misfiled-utterance",
            path,
            f"{block.utt} listed in {path.parents[2].name}/{path.name}",
            block.line,
            record=utt_id,
        )
    if abs(duration - (block.end - block.start)) > DURATION_TOLERANCE:
        report.note(
            "duration-mismatch",
            path,
            f"{block.utt}: wav lasts {duration:.3f} s, header span {block.end - block.start:.3f} s",
            block.line,
            record=utt_id,
        )


# ------------------------------------------------------------------------------------- transcripts
def _read_transcripts(session_dir: Path, dialog: str, report: PrepareReport) -> dict[str, str] | None:
    """Utterance id -> text from ``transcriptions/<dialog>.txt`` (None if absent); MXX, id-less lines counted."""
    path = session_dir / "dialog" / "transcriptions" / f"{dialog}.txt"
    if not path.is_file():
        report.note(
            "missing-transcript-file", path, "no transcription file for this dialog; transcripts null"
        )
        return None
    texts: dict[str, str] = {}
    for line_no, line in enumerate(read_text_lines(path), start=1):
        if not line.strip():
            continue
        match = _TRANSCRIPT_RE.match(line)
        if match is None:
            if _IDLESS_RE.match(line):
                report.counts["transcript:id-less-line"] += 1
            else:
                report.note(
                    "malformed-transcript-line", path, f"not '<utt> [start-end]: text': {line!r}", line_no
                )
            continue
        utt, _start, _end, text = match.groups()
        if _UNLABELLED_TURN_RE.search(utt):
            report.counts["transcript:unlabelled-turn"] += 1
            continue
        texts[utt] = text.strip()
    return texts


def _note_unlabelled_wavs(session_dir: Path, named: set[str], report: PrepareReport) -> None:
    """Sentence wavs that no EmoEvaluation header names (the join must not hide them)."""
    wav_root = session_dir / "sentences" / "wav"
    if not wav_root.is_dir():
        return
    for dialog_dir in sorted(p for p in wav_root.iterdir() if p.is_dir()):
        for wav in sorted(dialog_dir.glob("*.wav")):
            if wav.name.startswith("._"):
                report.counts["ignored:appledouble"] += 1
            elif wav.stem not in named:
                report.counts["unlabelled-wav"] += 1
                report.note("unlabelled-wav", wav, "no EmoEvaluation entry names this sentence wav")
