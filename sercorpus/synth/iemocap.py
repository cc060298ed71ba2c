"""Miniature IEMOCAP in the ``IEMOCAP_full_release`` layout, byte-exact in format.

Five sessions, two dialogs each (one of them suffixed: ``Ses03M_impro05a``, ``Ses05M_script01_1b``), nine
turns per dialog alternating the session's two actors: 90 turns, 60 of them in the 4-class set, every
session covering neutral, angry, sad and happy/excited. It carries every awkward case the loader must get
right: TAB-separated EmoEvaluation blocks under the ``%`` header, multi-label evaluators
(``Frustration; Anger;``), ``xxx`` turns (no majority), self-evaluations (``C-F1``/``C-M1``), an A-line with no
``dom``, per-evaluator ``Categorical/`` and ``Attribute/`` subfolders, an AppleDouble ``._`` file,
zero-padded transcription times, ``MXX``/``FXX`` turns and an id-less transcript line.

Audio: 16 kHz mono PCM16 from :func:`sercorpus.synth.voice.synth_utterance` in the reverberant ``room``
condition, voiced with the consensus emotion (for ``xxx`` turns, the first evaluator's word) and the timbre of
the real speaker (session + last-underscore letter), so the signal is learnable and speaker-dependent.
:func:`plan_iemocap` returns what is written, so tests can check the loader against the writer's intent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sercorpus.core.atomic import atomic_output, write_text
from sercorpus.core.audio import write_wav
from sercorpus.core.seeding import rng_for
from sercorpus.synth.voice import make_speaker, synth_utterance

SAMPLE_RATE = 16000
TURNS_PER_DIALOG = 9

#: session -> its two dialogs (one improvised, one scripted; suffixed names in sessions 3 and 5)
DIALOGS: dict[int, tuple[str, str]] = {
    1: ("Ses01F_impro01", "Ses01M_script02_2"),
    2: ("Ses02F_script01_3", "Ses02M_impro04"),
    3: ("Ses03F_impro02", "Ses03M_impro05a"),
    4: ("Ses04M_impro03", "Ses04F_script03_1"),
    5: ("Ses05F_impro07", "Ses05M_script01_1b"),
}
#: consensus codes of one session's 18 turns (12 in the 4-class set); a few sessions swap one code below
CODE_CYCLE = (
    "neu",
    "ang",
    "sad",
    "exc",
    "fru",
    "hap",
    "xxx",
    "neu",
    "sad",
    "ang",
    "fru",
    "xxx",
    "exc",
    "neu",
    "sur",
    "hap",
    "ang",
    "fea",
)
CODE_OVERRIDES = {(2, 14): "dis", (4, 17): "oth"}
#: main-file spelling of each code's evaluator word
WORD = {
    "neu": "Neutral",
    "hap": "Happiness",
    "exc": "Excited",
    "sad": "Sadness",
    "ang": "Anger",
    "fru": "Frustration",
    "sur": "Surprise",
    "fea": "Fear",
    "dis": "Disgust",
    "oth": "Other",
}
UNIFIED = {
    "Neutral": "neutral",
    "Happiness": "happy",
    "Excited": "excited",
    "Sadness": "sad",
    "Anger": "angry",
    "Frustration": "frustrated",
    "Surprise": "surprised",
    "Fear": "fearful",
    "Disgust": "disgusted",
    "Other": "other",
}
#: the word a dissenting evaluator most plausibly picks instead
CONFUSABLE = {
    "neu": "Frustration",
    "hap": "Excited",
    "exc": "Happiness",
    "sad": "Neutral",
    "ang": "Frustration",
    "fru": "Anger",
    "sur": "Excited",
    "fea": "Sadness",
    "dis": "Anger",
    "oth": "Neutral",
}
NO_MAJORITY_WORDS = ("Neutral", "Frustration", "Anger", "Sadness", "Excited", "Happiness", "Surprise")
#: typical integer (val, act, dom) of each code on the 1-5 scale
VAD = {
    "neu": (3, 2, 3),
    "hap": (4, 3, 3),
    "exc": (4, 4, 3),
    "sad": (2, 2, 2),
    "ang": (1, 4, 4),
    "fru": (2, 3, 3),
    "sur": (3, 4, 3),
    "fea": (2, 4, 2),
    "dis": (2, 3, 3),
    "oth": (3, 3, 3),
    "xxx": (3, 3, 3),
}
MULTI_LABEL_EVERY = 7  # every 7th turn (global index) whose code has a majority gets a two-label evaluator
SELF_EVAL_EVERY = 3  # every 3rd turn carries the speaking actor's self-evaluation
MISSING_DOM_TURN = 20  # global index of the turn whose first A-line has no dom
TEXTS = (
    "Excuse me.",
    "Do you have your forms?",
    "Yeah.",
    "I don't know what you want me to do.",
    "That's not what I said.",
    "Oh my gosh, really?",
    "I've been waiting here for an hour.",
    "Well, that's just great.",
    "Can I talk to somebody else?",
    "It's fine, it's fine.",
    "I can't believe you did that.",
    "You know what, forget it.",
    "We finally got the house!",
    "I miss him so much.",
    "[LAUGHTER] No way.",
    "Just give me a minute.",
    "Why are you always like this?",
    "This is the best day ever.",
    "Sorry, I didn't mean to.",
    "Let's go home.",
)
COMMENTS = ("()", "()", "()", "(curious)", "(a bit sarcastic)")
_APPLEDOUBLE = (
    b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02\x00\x00\x00\x09\x00\x00\x00\x32"
    b"\x00\x00\x0e\xb0\x00\x00\x00\x02\x00\x00\x0e\xe2\x00\x00\x01\x1e\xa4\xb7\xc3\xff" + bytes(64)
)


@dataclass(frozen=True)
class Rating:
    """One evaluator's lines for one turn: words (C-line) and optional (val, act, dom) (A-line)."""

    rater: str  # E1..E4 external, F1/M1 self
    words: tuple[str, ...]
    comment: str = "()"
    vad: tuple[int, int, int | None] | None = None


@dataclass(frozen=True)
class Turn:
    """One planned turn: everything the writer puts in the files for it."""

    session: int
    dialog: str
    utt: str
    letter: str  # the speaking actor's gender letter (after the last underscore)
    code: str
    ratings: tuple[Rating, ...]
    start: float
    end: float
    num_samples: int
    text: str

    @property
    def emotion(self) -> str:
        """Unified emotion voiced in the audio: the consensus, or the first evaluator's word for xxx."""
        if self.code != "xxx":
            return UNIFIED[WORD[self.code]]
        return UNIFIED[self.external[0].words[0]]

    @property
    def external(self) -> tuple[Rating, ...]:
        return tuple(r for r in self.ratings if r.rater.startswith("E"))

    @property
    def header_vad(self) -> tuple[float, float, float]:
        """Consensus [V, A, D]: the mean of the external A-lines (dom over those that have one)."""
        rated = [r.vad for r in self.external if r.vad is not None]
        doms = [v[2] for v in rated if v[2] is not None]
        return (
            float(np.mean([v[0] for v in rated])),
            float(np.mean([v[1] for v in rated])),
            float(np.mean(doms)),
        )


def plan_iemocap(seed: int = 0) -> list[Turn]:
    """Every turn of the miniature, in file order; a pure function of ``seed``."""
    turns: list[Turn] = []
    for session, dialogs in DIALOGS.items():
        for d, dialog in enumerate(dialogs):
            rng = rng_for(seed, "iemocap", dialog)
            clock = float(rng.uniform(2.0, 7.0))
            counters = {"F": 0, "M": 0}
            first = dialog[5]  # the mocap actor opens the dialog
            for k in range(TURNS_PER_DIALOG):
                index = len(turns)
                letter = first if k % 2 == 0 else ("M" if first == "F" else "F")
                code = CODE_OVERRIDES.get(
                    (session, d * TURNS_PER_DIALOG + k), CODE_CYCLE[d * TURNS_PER_DIALOG + k]
                )
                utt = f"{dialog}_{letter}{counters[letter]:03d}"
                counters[letter] += 1
                num_samples = int(round(rng.uniform(0.9, 2.2) * SAMPLE_RATE))
                start = round(clock, 4)
                end = round(start + num_samples / SAMPLE_RATE, 4)
                ratings = _ratings(rng, code, letter, index)
                text = TEXTS[int(rng.integers(len(TEXTS)))]
                turns.append(Turn(session, dialog, utt, letter, code, ratings, start, end, num_samples, text))
                clock = end + float(rng.uniform(0.2, 1.2))
    return turns


def _ratings(rng: np.random.Generator, code: str, letter: str, index: int) -> tuple[Rating, ...]:
    raters = [f"E{i + 1}" for i in sorted(rng.choice(4, size=3, replace=False))]
    word_lists = _external_words(rng, code, index)
    attr_raters = set(raters[1:])  # two of the three externals also give dimensional ratings
    ratings = []
    for position, (rater, words) in enumerate(zip(raters, word_lists, strict=True)):
        vad: tuple[int, int, int | None] | None = _vad(rng, code) if rater in attr_raters else None
        if vad is not None and index == MISSING_DOM_TURN and position == 1:
            vad = (vad[0], vad[1], None)
        ratings.append(Rating(rater, words, COMMENTS[int(rng.integers(len(COMMENTS)))], vad))
    if index % SELF_EVAL_EVERY == 0:
        self_word = CONFUSABLE.get(code, "Neutral")
        ratings.append(Rating(f"{letter}1", (self_word,), "()", _vad(rng, code)))
    return tuple(ratings)


def _external_words(rng: np.random.Generator, code: str, index: int) -> list[tuple[str, ...]]:
    """Three evaluators' words whose plurality (under every multi-label policy) is ``code``, or none for xxx."""
    if code == "xxx":
        picks = rng.choice(len(NO_MAJORITY_WORDS), size=3, replace=False)
        return [(NO_MAJORITY_WORDS[i],) for i in picks]
    word, other = WORD[code], CONFUSABLE[code]
    if index % MULTI_LABEL_EVERY == 0:
        third = next(w for w in ("Neutral", "Sadness", "Surprise") if w not in (word, other))
        return [(word, other), (word,), (third,)]
    if rng.random() < 0.4:
        return [(word,), (word,), (word,)]
    lists = [(word,), (word,), (other,)]
    return [lists[i] for i in rng.permutation(3)]


def _vad(rng: np.random.Generator, code: str) -> tuple[int, int, int]:
    return tuple(int(np.clip(x + rng.integers(-1, 2), 1, 5)) for x in VAD[code])  # type: ignore[return-value]


# -------------------------------------------------------------------------------------------- writing
def write_iemocap(out: str | Path, seed: int = 0) -> Path:
    """Write the miniature under ``out`` (the ``IEMOCAP_full_release`` root) and return it."""
    root = Path(out)
    turns = plan_iemocap(seed)
    for session, dialogs in DIALOGS.items():
        for dialog in dialogs:
            mine = [t for t in turns if t.dialog == dialog]
            evaluation = root / f"Session{session}" / "dialog" / "EmoEvaluation"
            write_text(evaluation / f"{dialog}.txt", _evaluation_text(mine))
            _write_rater_copies(evaluation, dialog, mine)
            write_text(
                root / f"Session{session}" / "dialog" / "transcriptions" / f"{dialog}.txt",
                _transcription_text(dialog, mine),
            )
    for turn in turns:
        _write_audio(root, turn, seed)
    first = DIALOGS[1][0]
    _write_bytes(root / "Session1" / "dialog" / "EmoEvaluation" / f"._{first}.txt", _APPLEDOUBLE)
    _write_bytes(root / "Session1" / "sentences" / "wav" / first / f"._{first}_F000.wav", _APPLEDOUBLE)
    return root


def _evaluation_text(turns: list[Turn]) -> str:
    lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
    for turn in turns:
        v, a, d = turn.header_vad
        lines.append(
            f"[{turn.start:.4f} - {turn.end:.4f}]\t{turn.utt}\t{turn.code}\t[{v:.4f}, {a:.4f}, {d:.4f}]"
        )
        lines += [f"C-{r.rater}:\t{' '.join(w + ';' for w in r.words)}\t{r.comment}" for r in turn.ratings]
        lines += [f"A-{r.rater}:\t{_attr_body(r.vad)}\t()" for r in turn.ratings if r.vad is not None]
        lines.append("")
    return "\n".join(lines) + "\n"


def _attr_body(vad: tuple[int, int, int | None]) -> str:
    val, act, dom = vad
    return f"val {val}; act {act};" + ("" if dom is None else f" dom  {dom};")


def _write_rater_copies(evaluation: Path, dialog: str, turns: list[Turn]) -> None:
    """Per-evaluator ``Categorical/<dialog>_e<k>_cat.txt`` and ``Attribute/<dialog>_e<k>_atr.txt``."""
    raters = sorted({r.rater for t in turns for r in t.external})
    for rater in raters:
        k = rater[1:]
        cat, atr = [], []
        for turn in turns:
            for r in turn.external:
                if r.rater != rater:
                    continue
                words = " ".join(":" + ("Neutral state" if w == "Neutral" else w) + ";" for w in r.words)
                cat.append(f"{turn.utt} {words} ()")
                if r.vad is not None:
                    val, act, dom = r.vad
                    atr.append(
                        f"{turn.utt} :act {act}; :val {val};" + ("" if dom is None else f" :dom {dom};")
                    )
        write_text(evaluation / "Categorical" / f"{dialog}_e{k}_cat.txt", "\n".join(cat) + "\n")
        if atr:
            write_text(evaluation / "Attribute" / f"{dialog}_e{k}_atr.txt", "\n".join(atr) + "\n")


def _transcription_text(dialog: str, turns: list[Turn]) -> str:
    """Zero-padded times; the first dialog of each session also gets an unlabelled XX turn and an id-less line."""
    lines = [f"{t.utt} [{t.start:08.4f}-{t.end:08.4f}]: {t.text}" for t in turns]
    if dialog in {d[0] for d in DIALOGS.values()}:
        gap_start, gap_end = turns[2].end, turns[3].start
        other = "M" if turns[2].letter == "F" else "F"
        lines.insert(3, f"{dialog}_{other}XX0 [{gap_start:08.4f}-{gap_end:08.4f}]: [LAUGHTER] Okay.")
        lines.insert(6, f"{turns[4].letter}: Yeah.")
    return "\n".join(lines) + "\n"


def _write_audio(root: Path, turn: Turn, seed: int) -> None:
    gender = "female" if turn.letter == "F" else "male"
    speaker = make_speaker(f"Ses{turn.session:02d}_{turn.letter}", gender, seed)
    rng = rng_for(seed, "iemocap", "audio", turn.utt)
    samples = synth_utterance(rng, turn.emotion, speaker, turn.num_samples / SAMPLE_RATE, SAMPLE_RATE, "room")
    path = root / f"Session{turn.session}" / "sentences" / "wav" / turn.dialog / f"{turn.utt}.wav"
    write_wav(path, samples, SAMPLE_RATE)


def _write_bytes(path: Path, data: bytes) -> None:
    with atomic_output(path, "wb") as handle:
        handle.write(data)
