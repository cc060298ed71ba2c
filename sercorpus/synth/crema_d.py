"""Miniature CREMA-D in the repository layout (CheyneyComputerScience/CREMA-D), byte-exact in format.

Eight actors (both sexes), each reading one sentence in all six emotions (XX) plus three or four ``IEO`` clips
(LO/MD/HI, ``IEO_NEU_XX``): 76 listed clips. The metadata is R ``write.csv`` output: quoted strings and
header, LF endings, full-precision numbers (``0.909090909090909``), ``SentenceFilenames.csv`` without a
trailing newline, ``processedResults/tabulatedVotes.csv`` with its three query-type row blocks (row id =
100000 * queryType + clipNum), colon-joined ``emoVote`` ties, ``summaryTable.csv`` with every value quoted, and
``VideoDemographics.csv``. The release's known bad files are reproduced: ``1076_MTI_SAD_XX`` is listed and
voted but has no wav, and ``1040_ITH_SAD_XX`` ships as ``AudioWAV/1040_ITH_SAD_X.wav``.

Audio: 16 kHz mono PCM16, 1.3-3 s clips in the ``acted`` condition, voiced with the acted emotion and the
actor's timbre. ``lfs_pointers=True`` writes git-LFS pointer files instead (what a clone without git-lfs gets),
with the oid/size of the audio they stand for. :func:`plan_crema_d` returns what is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sercorpus.core.atomic import write_text
from sercorpus.core.audio import write_wav
from sercorpus.core.seeding import rng_for
from sercorpus.synth.voice import make_speaker, synth_utterance

SAMPLE_RATE = 16000
LETTERS = ("A", "D", "F", "H", "N", "S")  # vote columns, in file order
EMOTIONS = {"ANG": "A", "DIS": "D", "FEA": "F", "HAP": "H", "NEU": "N", "SAD": "S"}  # acted code -> letter
UNIFIED = {
    "ANG": "angry",
    "DIS": "disgusted",
    "FEA": "fearful",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}
#: actor -> (Sex, Age, Race, Ethnicity, the sentence read in all six emotions)
ACTORS: dict[str, tuple[str, int, str, str, str]] = {
    "1001": ("Male", 51, "Caucasian", "Not Hispanic", "DFA"),
    "1002": ("Female", 21, "Caucasian", "Not Hispanic", "TIE"),
    "1007": ("Female", 38, "African American", "Not Hispanic", "IOM"),
    "1015": ("Male", 41, "Caucasian", "Hispanic", "IWW"),
    "1040": ("Male", 32, "Asian", "Not Hispanic", "ITH"),
    "1052": ("Female", 24, "Caucasian", "Hispanic", "TAI"),
    "1076": ("Female", 25, "African American", "Not Hispanic", "MTI"),
    "1089": ("Male", 45, "Unknown", "Not Hispanic", "WSI"),
}
MISSING_AUDIO = "1076_MTI_SAD_XX"
MISNAMED = {"1040_ITH_SAD_XX": "1040_ITH_SAD_X"}  # listed name -> file stem in AudioWAV/
TIE_EVERY = 9  # every 9th clip (by clip number) gets a forced two-way tie in its voice row
QUERY_TYPES = {1: "voice", 2: "face", 3: "audiovisual"}
_VOTES_HEADER = (
    '"","A","D","F","H","N","S","fileName","numResponses","agreement","emoVote","meanEmoResp",'
    '"meanAngerResp","meanDisgustResp","meanFearResp","meanHappyResp","meanNeutralResp","meanSadResp",'
    '"medianEmoResp","meanEmoRespNorm","meanAngerRespNorm","meanDisgustRespNorm","meanFearRespNorm",'
    '"meanHappyRespNorm","meanNeutralRespNorm","meanSadRespNorm","medianEmoRespNorm"'
)
_SUMMARY_HEADER = (
    '"","FileName","VoiceVote","VoiceLevel","FaceVote","FaceLevel","MultiModalVote","MultiModalLevel"'
)
_GITATTRIBUTES = "".join(
    f"*.{ext} filter=lfs diff=lfs merge=lfs -text\n" for ext in ("flv", "mp3", "wav", "WAV")
)


@dataclass(frozen=True)
class Clip:
    """One listed clip: its name, number, the votes of each query type and the audio it gets."""

    name: str
    clip_num: int
    actor: str
    sentence: str
    code: str  # acted emotion code (ANG ...)
    level: str
    votes: dict[int, dict[str, int]]  # query type -> letter -> count
    levels: dict[int, dict[str, list[int]]]  # query type -> letter -> the answers' intensity levels
    num_samples: int

    @property
    def wav_stem(self) -> str | None:
        """Stem of the file in AudioWAV/, None for the clip the release lacks."""
        return None if self.name == MISSING_AUDIO else MISNAMED.get(self.name, self.name)

    @property
    def acted(self) -> str:
        return UNIFIED[self.code]


def plan_crema_d(seed: int = 0) -> list[Clip]:
    """Every listed clip in clip-number order; a pure function of ``seed``."""
    names = []
    for i, (actor, (*_, sentence)) in enumerate(ACTORS.items()):
        names += [(actor, sentence, code, "XX") for code in EMOTIONS]
        acted = [c for c in EMOTIONS if c != "NEU"]
        names += [(actor, "IEO", acted[(i + j) % 5], ("LO", "MD", "HI")[(i + j) % 3]) for j in range(3)]
        if i % 2 == 0:
            names.append((actor, "IEO", "NEU", "XX"))
    clips = []
    for num, parts in enumerate(sorted(names, key="_".join), start=1):
        name = "_".join(parts)
        rng = rng_for(seed, "crema-d", name)
        votes, levels = {}, {}
        for query in QUERY_TYPES:
            tie = query == 1 and num % TIE_EVERY == 0
            votes[query] = _votes(rng, EMOTIONS[parts[2]], tie)
            levels[query] = {
                c: [int(x) for x in rng.integers(20, 95, size=n)] for c, n in votes[query].items()
            }
        samples = int(round(rng.uniform(1.3, 3.0) * SAMPLE_RATE))
        clips.append(Clip(name, num, *parts, votes, levels, samples))
    return clips


def _votes(rng: np.random.Generator, acted: str, tie: bool) -> dict[str, int]:
    """Counts per letter: mostly the acted emotion, with the corpus's pull towards neutral; or a forced tie."""
    if tie:
        rival = "N" if acted != "N" else "S"
        k = int(rng.integers(3, 5))
        counts = {c: 0 for c in LETTERS} | {acted: k, rival: k}
        third = next(c for c in LETTERS if c not in (acted, rival))
        counts[third] = int(rng.integers(0, k))
        return counts
    p = np.full(len(LETTERS), 0.05)
    p[LETTERS.index(acted)] += 0.55
    p[LETTERS.index("N")] += 0.15
    drawn = rng.multinomial(int(rng.integers(4, 13)), p / p.sum())
    counts = {c: int(n) for c, n in zip(LETTERS, drawn, strict=True)}
    tied = [c for c in LETTERS if counts[c] == max(counts.values())]
    if (
        len(tied) > 1
    ):  # keep ties to the forced ones (~10%, the real corpus has ~9%): one more listener decides
        counts[acted if acted in tied else tied[0]] += 1
    return counts


# -------------------------------------------------------------------------------------------- writing
def write_crema_d(out: str | Path, seed: int = 0, lfs_pointers: bool = False) -> Path:
    """Write the miniature repository under ``out`` and return its root."""
    root = Path(out)
    clips = plan_crema_d(seed)
    write_text(root / ".gitattributes", _GITATTRIBUTES)
    write_text(root / "SentenceFilenames.csv", _sentence_filenames(clips))
    write_text(root / "VideoDemographics.csv", _demographics())
    write_text(root / "processedResults" / "tabulatedVotes.csv", _tabulated_votes(clips))
    write_text(root / "processedResults" / "summaryTable.csv", _summary_table(clips))
    for clip in clips:
        if clip.wav_stem is not None:
            _write_audio(root / "AudioWAV" / f"{clip.wav_stem}.wav", clip, seed, lfs_pointers)
    return root


def _sentence_filenames(clips: list[Clip]) -> str:
    return "\n".join(
        ['"Stimulus_Number","Filename"', *(f'{c.clip_num},"{c.name}"' for c in clips)]
    )  # no final LF


def _demographics() -> str:
    rows = [
        f'{actor},{age},"{sex}","{race}","{ethnicity}"'
        for actor, (sex, age, race, ethnicity, _) in ACTORS.items()
    ]
    return "\n".join(['"ActorID","Age","Sex","Race","Ethnicity"', *rows]) + "\n"


def _tabulated_votes(clips: list[Clip]) -> str:
    lines = [_VOTES_HEADER]
    for query in QUERY_TYPES:  # three blocks: voice, face, audio-visual
        lines += [_votes_row(clip, query) for clip in clips]
    return "\n".join(lines) + "\n"


def _votes_row(clip: Clip, query: int) -> str:
    counts, levels = clip.votes[query], clip.levels[query]
    total = sum(counts.values())
    answers = [x for c in LETTERS for x in levels[c]]
    means = [_r_num(float(np.mean(levels[c]))) if levels[c] else "-1" for c in LETTERS]
    norms = [_r_num(float(np.mean(levels[c])) / 100 - 0.5) if levels[c] else "-1" for c in LETTERS]
    fields = [
        f'"{100000 * query + clip.clip_num}"',
        *(str(counts[c]) for c in LETTERS),
        f'"{clip.name}"',
        str(total),
        _r_num(max(counts.values()) / total),
        f'"{_emo_vote(counts)}"',
        _r_num(float(np.mean(answers))),
        *means,
        _r_num(float(np.median(answers))),
        _r_num(float(np.mean(answers)) / 100 - 0.5),
        *norms,
        _r_num(float(np.median(answers)) / 100 - 0.5),
    ]
    return ",".join(fields)


def _summary_table(clips: list[Clip]) -> str:
    lines = [_SUMMARY_HEADER]
    for clip in clips:
        cells = [str(clip.clip_num), clip.name]
        for query in QUERY_TYPES:
            vote = _emo_vote(clip.votes[query])
            level = ":".join(_r_num(round(float(np.mean(clip.levels[query][c])), 1)) for c in vote.split(":"))
            cells += [vote, level]
        lines.append(",".join(f'"{cell}"' for cell in cells))
    return "\n".join(lines) + "\n"


def _emo_vote(counts: dict[str, int]) -> str:
    best = max(counts.values())
    return ":".join(c for c in LETTERS if counts[c] == best)


def _r_num(x: float) -> str:
    """A number as R's write.csv prints it (15 significant digits, integers without a decimal point)."""
    return str(int(x)) if float(x).is_integer() else f"{x:.15g}"


def _write_audio(path: Path, clip: Clip, seed: int, lfs_pointers: bool) -> None:
    gender = ACTORS[clip.actor][0].lower()
    speaker = make_speaker(f"crema-d/{clip.actor}", gender, seed)
    rng = rng_for(seed, "crema-d", "audio", clip.name)
    write_wav(
        path,
        synth_utterance(rng, clip.acted, speaker, clip.num_samples / SAMPLE_RATE, SAMPLE_RATE, "acted"),
        SAMPLE_RATE,
    )
    if lfs_pointers:
        data = path.read_bytes()
        write_text(
            path,
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(data).hexdigest()}"
            f"\nsize {len(data)}\n",
        )
