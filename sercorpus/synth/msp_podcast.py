"""Miniature MSP-Podcast in a release's native layout (v1.6 to v1.12, 2.0), with the release quirks.

Written by default (``version="1.12"``)::

    Audios/<FileName>.wav               16 kHz mono PCM16, close-mic "podcast" condition
    Labels/labels_consensus.csv         CRLF line ends; Split_Set Train/Development/Test1/Test2; X rows;
                                        Unknown speaker/gender rows; 2- and 3-group file names
    Labels/labels_consensus.json        the JSON twin
    Labels/labels_detailed.csv          FileName,EmoDetail (quoted), secondary field present, empty or absent,
                                        Other-<text> primaries
    Partitions.txt                      "<Split>; <FileName>" (CRLF), including label-withheld Test3 files
    Transcripts/<stem>.txt              for most files (not all)

``version`` switches to the older layouts: ``1.6`` (``label/labels_concensus.csv``, v1.6 detailed columns,
``Validation``), ``1.7`` (``Labels/``, EmoDetail), ``1.8`` (``Labels/labels_concensus.csv`` + JSON twin,
JSON detailed ratings, ``Validation``), ``1.9`` (``labels/``), ``1.10`` (spelling fixed), ``1.11``, ``2.0``
(v2.0 detailed columns; ``MSP-PODCAST_1909_1017.wav`` listed but missing, as in the real 2.0). Every version
contains the stereo 44.1 kHz ``MSP-PODCAST_1023_0235.wav`` (a v1.8 outlier) so the rate check is exercised.
The real files' line ending is not documented; CRLF is used for 1.11+ to exercise the loader's tolerance.

The default size (~260 labelled utterances, >= 25 each of neutral/happy/sad/angry in Train and in Test1) lets
the demo draw an MSP subset matching the IEMOCAP miniature's 4-class counts split by split.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sercorpus.core.atomic import write_text
from sercorpus.core.audio import write_wav
from sercorpus.core.seeding import rng_for
from sercorpus.synth.voice import Speaker, make_speaker, synth_utterance

SAMPLE_RATE = 16000
OUTLIER = "MSP-PODCAST_1023_0235.wav"  # stereo 44.1 kHz in v1.8
MISSING_V2 = "MSP-PODCAST_1909_1017.wav"  # missing from the 2.0 audio

# (native split, code, count); the default total is DEFAULT_N labelled rows
PLAN: tuple[tuple[str, str, int], ...] = (
    ("Train", "N", 28),
    ("Train", "H", 28),
    ("Train", "S", 28),
    ("Train", "A", 28),
    ("Train", "U", 2),
    ("Train", "F", 1),
    ("Train", "D", 1),
    ("Train", "C", 1),
    ("Train", "O", 2),
    ("Train", "X", 3),
    ("Development", "N", 5),
    ("Development", "H", 5),
    ("Development", "S", 5),
    ("Development", "A", 5),
    ("Development", "U", 1),
    ("Development", "C", 1),
    ("Development", "X", 1),
    ("Test1", "N", 26),
    ("Test1", "H", 26),
    ("Test1", "S", 26),
    ("Test1", "A", 26),
    ("Test1", "F", 1),
    ("Test1", "D", 1),
    ("Test1", "O", 1),
    ("Test1", "X", 2),
    ("Test2", "N", 2),
    ("Test2", "H", 2),
    ("Test2", "S", 2),
    ("Test2", "A", 2),
)
DEFAULT_N = sum(c for _, _, c in PLAN)
TEST3_FILES = 3

# split -> [(SpkrID, Gender)]: speaker-disjoint splits, as in the real partitions
SPEAKERS: dict[str, list[tuple[str, str]]] = {
    "Train": [
        ("127", "Female"),
        ("134", "Male"),
        ("211", "Female"),
        ("245", "Male"),
        ("312", "Female"),
        ("389", "Male"),
    ],
    "Development": [("903", "Male"), ("951", "Female")],
    "Test1": [("1012", "Female"), ("1050", "Male"), ("1101", "Female"), ("1203", "Male")],
    "Test2": [("1450", "Female"), ("1501", "Male")],
}
UNKNOWN_EVERY = 17  # every 17th row of a split has SpkrID/Gender "Unknown"

WORDS = {
    "A": "Angry",
    "S": "Sad",
    "H": "Happy",
    "U": "Surprise",
    "F": "Fear",
    "D": "Disgust",
    "C": "Contempt",
    "N": "Neutral",
}
EMOTION = {
    "A": "angry",
    "S": "sad",
    "H": "happy",
    "U": "surprised",
    "F": "fearful",
    "D": "disgusted",
    "C": "contempt",
    "N": "neutral",
    "O": "other",
}
OTHER_TEXTS = ("bored", "sarcastic", "curious", "tired", "nostalgic")
SECONDARY_TAGS = (
    "Concerned",
    "Frustrated",
    "Amused",
    "Annoyed",
    "Excited",
    "Disappointed",
    "Confused",
    "Dissapointed",
    "Depressed",
)
# code -> typical (arousal, valence, dominance) worker rating on the 1-7 scale
DIMENSIONS = {
    "A": (6, 2, 5),
    "S": (2, 2, 3),
    "H": (5, 6, 5),
    "U": (6, 5, 4),
    "F": (5, 2, 2),
    "D": (4, 2, 4),
    "C": (4, 3, 5),
    "N": (4, 4, 4),
    "O": (4, 4, 4),
    "X": (4, 4, 4),
}
SENTENCES = (
    "so that is what we talked about on the show last week",
    "i really did not expect the numbers to come out like that",
    "you know it is one of those things that nobody plans for",
    "we had a guest who spent ten years working on this",
    "honestly i think the whole thing went better than we hoped",
    "let us take a short break and come back to the questions",
)


@dataclass(frozen=True)
class VersionSpec:
    label_dir: str
    consensus: str  # file stem
    detailed: str  # "v16" | "emodetail" | "json" | "v20"
    dev: str  # native name of the dev split
    consensus_json: bool
    partitions: bool  # Partitions.txt + label-withheld Test3 files
    crlf: bool


VERSIONS: dict[str, VersionSpec] = {
    "1.6": VersionSpec("label", "labels_concensus", "v16", "Validation", False, False, False),
    "1.7": VersionSpec("Labels", "labels_concensus", "emodetail", "Validation", False, False, False),
    "1.8": VersionSpec("Labels", "labels_concensus", "json", "Validation", True, False, False),
    "1.9": VersionSpec("labels", "labels_concensus", "emodetail", "Development", False, False, False),
    "1.10": VersionSpec("Labels", "labels_consensus", "emodetail", "Development", False, False, False),
    "1.11": VersionSpec("Labels", "labels_consensus", "emodetail", "Development", True, True, True),
    "1.12": VersionSpec("Labels", "labels_consensus", "emodetail", "Development", True, True, True),
    "2.0": VersionSpec("Labels", "labels_consensus", "v20", "Development", False, True, True),
}


@dataclass
class Rating:
    worker: str
    primary: str
    secondary: list[str] | None  # None = field absent (EmoDetail only)
    avd: tuple[int, int, int]


@dataclass
class Row:
    name: str
    code: str
    split: str  # native
    speaker: str
    gender: str
    ratings: list[Rating]
    emotion: str  # synthesis emotion

    def means(self) -> tuple[float, float, float]:
        return tuple(sum(r.avd[i] for r in self.ratings) / len(self.ratings) for i in range(3))  # type: ignore


def write_msp_podcast(out: str | Path, seed: int = 0, version: str = "1.12", n: int = DEFAULT_N) -> Path:
    """Write the miniature under ``out`` (the release root) and return it. ``n`` scales the plan."""
    spec = _spec(version)
    root = Path(out)
    rows = plan_rows(seed, spec, n)
    if version == "2.0":
        rows.append(_row(seed, MISSING_V2, "N", "Test1", ("1012", "Female"), _workers(seed)))
    rows.sort(key=lambda r: r.name)
    withheld = _test3_names() if spec.partitions else []
    for row in rows:
        _write_audio(root, seed, row)
    for name in withheld:
        rng = rng_for(seed, "msp-podcast", name)
        emotion = ("neutral", "happy", "sad", "angry")[int(rng.integers(4))]
        gender = "female" if rng.random() < 0.5 else "male"
        samples = synth_utterance(
            rng,
            emotion,
            make_speaker(f"anon-{name}", gender, seed),
            rng.uniform(1.2, 2.4),
            SAMPLE_RATE,
            "podcast",
        )
        write_wav(root / "Audios" / name, samples, SAMPLE_RATE)
    labels = root / spec.label_dir
    write_text(labels / f"{spec.consensus}.csv", _consensus_csv(rows), spec.crlf)
    if spec.consensus_json:
        write_text(labels / f"{spec.consensus}.json", _consensus_json(rows), False)
    detailed = _detailed(rows, spec.detailed)
    write_text(
        labels / ("labels_detailed.json" if spec.detailed == "json" else "labels_detailed.csv"),
        detailed,
        False,
    )
    if spec.partitions:
        lines = [f"{r.split}; {r.name}" for r in rows] + [f"Test3; {name}" for name in withheld]
        write_text(root / "Partitions.txt", "\n".join(lines) + "\n", spec.crlf)
    _write_transcripts(root, seed, [r.name for r in rows] + withheld)
    return root


def _spec(version: str | float) -> VersionSpec:
    try:
        return VERSIONS[str(version)]
    except KeyError:
        raise ValueError(f"unknown MSP-Podcast version {version!r}; known: {list(VERSIONS)}") from None


def plan_rows(seed: int, spec: VersionSpec, n: int = DEFAULT_N) -> list[Row]:
    """The consensus rows of the miniature (file names, codes, speakers, worker ratings), unsorted."""
    workers = _workers(seed)
    rows: list[Row] = []
    per_split: dict[str, int] = {}
    for split, code, count in PLAN:
        native = spec.dev if split == "Development" else split
        for _ in range(max(1, round(count * n / DEFAULT_N))):
            k = per_split[split] = per_split.get(split, 0) + 1
            speakers = SPEAKERS[split]
            speaker = ("Unknown", "Unknown") if k % UNKNOWN_EVERY == 0 else speakers[k % len(speakers)]
            rows.append(_row(seed, _file_name(split, k, speaker[0]), code, native, speaker, workers))
    rows.append(_row(seed, OUTLIER, "N", "Train", SPEAKERS["Train"][0], workers))
    return rows


def _file_name(split: str, k: int, speaker: str) -> str:
    """2-group names, every 7th a 3-group sub-segment name; podcast ids never derived by slicing."""
    podcast = 100 + 97 * list(SPEAKERS).index(split) + (int(speaker) % 89 if speaker.isdigit() else 7)
    if k % 7 == 0:
        return f"MSP-PODCAST_{podcast:04d}_{k:04d}_{1 + k % 3:04d}.wav"
    return f"MSP-PODCAST_{podcast:04d}_{k:04d}.wav"


def _workers(seed: int) -> list[str]:
    ids = rng_for(seed, "msp-podcast", "workers").choice(100_000, size=40, replace=False)
    return [f"WORKER{int(i):08d}" for i in sorted(ids)]


def _row(seed: int, name: str, code: str, split: str, speaker: tuple[str, str], workers: list[str]) -> Row:
    rng = rng_for(seed, "msp-podcast", name)
    count = int(rng.integers(5, 8))
    chosen = [workers[int(i)] for i in rng.choice(len(workers), size=count, replace=False)]
    primaries = _primaries(rng, code, count)
    ratings = [_rating(rng, w, p, code) for w, p in zip(chosen, primaries, strict=True)]
    top = max(set(primaries), key=lambda p: (primaries.count(p), p))
    emotion = EMOTION[code] if code != "X" else EMOTION.get(_code_of(top), "neutral")
    return Row(name, code, split, speaker[0], speaker[1], ratings, emotion)


def _code_of(word: str) -> str:
    return next((c for c, w in WORDS.items() if w == word), "O")


def _primaries(rng: np.random.Generator, code: str, count: int) -> list[str]:
    """Worker primary answers: a clear majority for the consensus code; a split vote for X."""
    codes = list(WORDS)
    if code == "X":
        picks = [codes[int(i)] for i in rng.choice(len(codes), size=3, replace=False)]
        counts = {5: (2, 2, 1), 6: (2, 2, 2), 7: (3, 3, 1)}[count]
        answer = [c for c, k in zip(picks, counts, strict=True) for _ in range(k)]
    else:
        agree = int(rng.integers(count // 2 + 1, count + 1))
        answer = [code] * agree + [codes[int(i)] for i in rng.integers(0, len(codes), size=count - agree)]
        rng.shuffle(answer)
    return [_word(rng, c) for c in answer]


def _word(rng: np.random.Generator, code: str) -> str:
    return WORDS[code] if code in WORDS else f"Other-{OTHER_TEXTS[int(rng.integers(len(OTHER_TEXTS)))]}"


def _rating(rng: np.random.Generator, worker: str, primary: str, code: str) -> Rating:
    draw = rng.random()
    if draw < 0.6:
        tags = sorted(
            {
                primary if primary in WORDS.values() else "Other",
                SECONDARY_TAGS[int(rng.integers(len(SECONDARY_TAGS)))],
            }
        )
        secondary: list[str] | None = tags[: int(rng.integers(1, 3))]
    else:
        secondary = [] if draw < 0.85 else None
    avd = tuple(int(np.clip(base + rng.integers(-1, 2), 1, 7)) for base in DIMENSIONS[code])
    return Rating(worker, primary, secondary, avd)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- writers
def _speaker(seed: int, row: Row) -> Speaker:
    if row.speaker == "Unknown":
        gender = "female" if rng_for(seed, "msp-podcast", "gender", row.name).random() < 0.5 else "male"
        return make_speaker(f"anon-{row.name}", gender, seed)
    return make_speaker(f"msp-{row.speaker}", row.gender.lower(), seed)


def _write_audio(root: Path, seed: int, row: Row) -> None:
    if row.name == MISSING_V2:
        return
    rng = rng_for(seed, "msp-podcast", "audio", row.name)
    rate = 44100 if row.name == OUTLIER else SAMPLE_RATE
    samples = synth_utterance(rng, row.emotion, _speaker(seed, row), rng.uniform(1.2, 2.4), rate, "podcast")
    if row.name == OUTLIER:
        samples = np.stack([samples, samples * 0.9], axis=1)
    write_wav(root / "Audios" / row.name, samples, rate)


def _number(value: float) -> str:
    """Shortest float text (``4.2``, ``5.428571428571429``), like the real consensus means."""
    return repr(float(value))


def _consensus_csv(rows: list[Row]) -> str:
    lines = ["FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set"]
    for r in rows:
        act, val, dom = r.means()
        lines.append(
            ",".join([r.name, r.code, _number(act), _number(val), _number(dom), r.speaker, r.gender, r.split])
        )
    return "\n".join(lines) + "\n"


def _consensus_json(rows: list[Row]) -> str:
    data = {}
    for r in rows:
        act, val, dom = r.means()
        data[r.name] = {
            "EmoClass": r.code,
            "EmoAct": act,
            "EmoVal": val,
            "EmoDom": dom,
            "SpkrID": int(r.speaker) if r.speaker.isdigit() else r.speaker,
            "Gender": r.gender,
            "Split_Set": r.split,
        }
    return json.dumps(data, indent=4) + "\n"


def _detailed(rows: list[Row], layout: str) -> str:
    if layout == "json":
        data = {
            r.name: {
                x.worker: {
                    "EmoClass_Major": x.primary,
                    "EmoClass_Second": ",".join(x.secondary or []),
                    "EmoAct": float(x.avd[0]),
                    "EmoVal": float(x.avd[1]),
                    "EmoDom": float(x.avd[2]),
                }
                for x in r.ratings
            }
            for r in rows
        }
        return json.dumps(data, indent=4) + "\n"
    if layout == "emodetail":
        lines = ["FileName,EmoDetail"] + [f'{r.name},"{_emo_detail(x)}"' for r in rows for x in r.ratings]
        return "\n".join(lines) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    worker_column = "Workers" if layout == "v16" else "WorkerID"
    writer.writerow(
        ["FileName", worker_column, "EmoClass_Major", "EmoClass_Second", "EmoAct", "EmoVal", "EmoDom"]
    )
    for r in rows:
        for x in r.ratings:
            writer.writerow(
                [r.name, x.worker, x.primary, ",".join(x.secondary or []), *(f"{v:.1f}" for v in x.avd)]
            )
    return buffer.getvalue()


def _emo_detail(x: Rating) -> str:
    """``WORKER..; Primary; Sec1,Sec2; A:x; V:y; D:z;`` with the secondary field empty or absent."""
    parts = [x.worker, x.primary]
    if x.secondary is not None:
        parts.append(",".join(x.secondary))
    parts += [f"A:{x.avd[0]:.1f}", f"V:{x.avd[1]:.1f}", f"D:{x.avd[2]:.1f}"]
    return "; ".join(parts) + ";"


def _test3_names() -> list[str]:
    return [f"MSP-PODCAST_test3_{k:04d}.wav" for k in range(1, TEST3_FILES + 1)]


def _write_transcripts(root: Path, seed: int, names: list[str]) -> None:
    """One ``Transcripts/<stem>.txt`` per file, except every 10th (real releases are not complete either)."""
    for k, name in enumerate(names):
        if k % 10 == 9 or name == MISSING_V2:
            continue
        rng = rng_for(seed, "msp-podcast", "transcript", name)
        text = SENTENCES[int(rng.integers(len(SENTENCES)))]
        write_text(root / "Transcripts" / (name[:-4] + ".txt"), text + "\n", False)


def expected_counts(n: int = DEFAULT_N) -> dict[tuple[str, str], int]:
    """(native split family, code) -> rows the plan writes for ``n`` (for tests and the demo)."""
    out: dict[tuple[str, str], int] = {}
    for split, code, count in PLAN:
        out[(split, code)] = out.get((split, code), 0) + max(1, round(count * n / DEFAULT_N))
    return out
