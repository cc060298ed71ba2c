"""Miniature private call-centre corpus: three IT service-desk calls at 8 kHz, one of them dual-channel.

Layout (what a user's export typically looks like; contract in ``docs/CALLS.md``)::

    recordings/2024-03-04_0912_ext214.wav   stereo: agent on channel 0, customer on channel 1
    recordings/2024-03-04_1040_ext305.wav   mono
    recordings/2024-03-05_1521_ext214.wav   mono
    timings/2024-03-04_0912_ext214.agent.srt       agent turns of the stereo call (SubRip)
    timings/2024-03-04_0912_ext214.customer.vtt    customer turns of the stereo call (WebVTT)
    timings/2024-03-04_1040_ext305.json            aeneas sync map of the second call
    segments.csv     one row per utterance; the third call carries its times in the table itself
    .sercorpus-key   a demo pseudonymisation key (real keys belong in SERCORPUS_KEY, never in a repo)

Labels follow a service desk's skew (mostly neutral, a few frustrated/angry/happy). Annotator ``a1`` writes
words, ``a2`` (the reviewer) short codes, and they disagree on a few turns. The stereo call has each voice
only on its own channel, so tests can check channel selection by energy. :func:`plan_calls` returns the
ground truth the files are written from.
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
from sercorpus.core.seeding import rng_for, stable_seed
from sercorpus.synth.voice import make_speaker, synth_utterance

SAMPLE_RATE = 8000
NOISE_FLOOR_DB = -62.0
#: a2's short codes for a1's words (tests use it to recompute agreement independently)
CODES = {"neutral": "neu", "happy": "hap", "angry": "ang", "frustrated": "fru"}
#: emotion -> (arousal, valence) on the 1-5 scale of the consensus columns
DIMENSIONS = {"neutral": (3, 3), "happy": (4, 5), "angry": (5, 1), "frustrated": (4, 2)}
COLUMNS = [
    "call_id",
    "audio",
    "role",
    "speaker",
    "gender",
    "start",
    "end",
    "timings",
    "cue",
    "transcript",
    "label_a1",
    "label_a2",
    "arousal",
    "valence",
]

# (role, voiced emotion = a1's label, a2's label, words)
_SCRIPTS: dict[str, list[tuple[str, str, str, str]]] = {
    "INC0012345": [
        ("agent", "neutral", "neutral", "Service desk, this is Maria, how can I help?"),
        ("customer", "neutral", "neutral", "Hi, my laptop will not connect to the VPN since this morning."),
        ("agent", "neutral", "neutral", "I am sorry to hear that. Can you give me your employee number?"),
        ("customer", "frustrated", "neutral", "It is 20417. I have restarted it three times already."),
        ("agent", "neutral", "neutral", "Thanks. I can see your certificate expired yesterday."),
        (
            "customer",
            "angry",
            "angry",
            "Expired? Nobody told me, and I have a client meeting in ten minutes!",
        ),
        ("agent", "neutral", "neutral", "I understand. I am pushing a new certificate to your laptop now."),
        ("customer", "neutral", "neutral", "Okay."),
        ("agent", "neutral", "neutral", "Please reconnect and tell me if it works."),
        ("customer", "happy", "happy", "Yes, it is connected now. Thank you so much!"),
    ],
    "INC0012346": [
        ("agent", "neutral", "neutral", "IT service desk, Tom speaking."),
        (
            "customer",
            "neutral",
            "neutral",
            "Hello, I am calling about ticket INC0012346, my mailbox is full again.",
        ),
        ("agent", "neutral", "neutral", "Let me look. Yes, you are at the limit of fifty gigabytes."),
        (
            "customer",
            "frustrated",
            "frustrated",
            "This is the third time this month. Nobody ever fixes it properly.",
        ),
        ("agent", "neutral", "neutral", "I can enable the online archive for you today."),
        ("customer", "angry", "frustrated", "Fine, but I want it done now, not next week."),
        ("agent", "neutral", "neutral", "It is done. You should see the archive folder in a few minutes."),
        ("customer", "neutral", "neutral", "Alright. Thanks."),
    ],
    "INC0012347": [
        ("agent", "neutral", "neutral", "Service desk, Maria speaking."),
        ("customer", "neutral", "neutral", "Hi Maria, I forgot my password and I am locked out."),
        ("agent", "neutral", "neutral", "No problem, I will send a reset link to your phone."),
        ("customer", "happy", "neutral", "Great, got it. That was quick!"),
        ("agent", "happy", "neutral", "Happy to help. Anything else today?"),
        ("customer", "happy", "happy", "No, that is all. Have a nice day."),
        ("agent", "neutral", "neutral", "You too, goodbye."),
    ],
}
# call id -> (recording stem, stereo?, timing source, (agent id, gender), (customer id, gender))
_CALLS = {
    "INC0012345": ("2024-03-04_0912_ext214", True, "subtitles", ("mkowalski", "female"), ("C-20417", "male")),
    "INC0012346": ("2024-03-04_1040_ext305", False, "aeneas", ("tnguyen", "male"), ("C-31552", "female")),
    "INC0012347": ("2024-03-05_1521_ext214", False, "table", ("mkowalski", "female"), ("C-40981", "male")),
}


@dataclass(frozen=True)
class Turn:
    """Ground truth of one utterance; times in whole milliseconds."""

    call_id: str
    index: int  # 1-based position in the call
    role: str
    speaker: str
    gender: str
    start_ms: int
    end_ms: int
    emotion: str  # voiced emotion and annotator a1's label
    a2: str  # annotator a2's label (unified word; written as a short code)
    text: str

    @property
    def start(self) -> float:
        return self.start_ms / 1000

    @property
    def end(self) -> float:
        return self.end_ms / 1000


@dataclass(frozen=True)
class CallPlan:
    call_id: str
    stem: str
    stereo: bool
    timing: str  # "subtitles" (SRT agent + VTT customer), "aeneas" or "table"
    turns: tuple[Turn, ...]
    length_ms: int

    @property
    def audio(self) -> str:
        return f"recordings/{self.stem}.wav"


def plan_calls(seed: int = 0) -> list[CallPlan]:
    """Turn timings (gaps of 0.3-0.9 s, turns of 2.4-5 s), the same for every run with one seed."""
    plans = []
    for call_id, script in _SCRIPTS.items():
        stem, stereo, timing, agent, customer = _CALLS[call_id]
        rng = rng_for(seed, "calls", "plan", call_id)
        t, turns = 500, []
        for index, (role, emotion, a2, text) in enumerate(script, start=1):
            t += int(rng.uniform(300, 900)) if index > 1 else 0
            length = int(rng.uniform(2400, 5000)) // 10 * 10
            who = agent if role == "agent" else customer
            turns.append(Turn(call_id, index, role, who[0], who[1], t, t + length, emotion, a2, text))
            t += length
        plans.append(CallPlan(call_id, stem, stereo, timing, tuple(turns), t + 1000))
    return plans


# --------------------------------------------------------------------------------------------- audio
def render(plan: CallPlan, seed: int) -> np.ndarray:
    """Voices at their turn times over a faint line-noise floor; stereo keeps each role on its channel."""
    n = plan.length_ms * SAMPLE_RATE // 1000
    channels = 2 if plan.stereo else 1
    rng = rng_for(seed, "calls", "noise", plan.call_id)
    audio = rng.standard_normal((n, channels)) * 10 ** (NOISE_FLOOR_DB / 20)
    for turn in plan.turns:
        voice = make_speaker(turn.speaker, turn.gender, seed=stable_seed(seed, "calls"))
        samples = synth_utterance(
            rng_for(seed, "calls", plan.call_id, turn.index),
            turn.emotion,
            voice,
            (turn.end_ms - turn.start_ms) / 1000,
            SAMPLE_RATE,
            condition="telephone",
        )
        a, channel = turn.start_ms * SAMPLE_RATE // 1000, 0 if turn.role == "agent" or not plan.stereo else 1
        audio[a : a + len(samples), channel] += samples
    audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
    return audio if plan.stereo else audio[:, 0]


# -------------------------------------------------------------------------------------------- timings
def _clock(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt_text(turns: list[Turn]) -> str:
    blocks = [
        f"{i}\n{_clock(t.start_ms, ',')} --> {_clock(t.end_ms, ',')}\n{t.text}\n"
        for i, t in enumerate(turns, start=1)
    ]
    return "\n".join(blocks)


def vtt_text(turns: list[Turn]) -> str:
    head = "WEBVTT\nKind: captions\nLanguage: en\n\nNOTE customer channel, exported by the ASR service\n\n"
    blocks = [
        f"customer-{i}\n{_clock(t.start_ms, '.')} --> {_clock(t.end_ms, '.')} align:start\n"
        f"<v Customer>{t.text}</v>\n"
        for i, t in enumerate(turns, start=1)
    ]
    return head + "\n".join(blocks)


def aeneas_text(turns: list[Turn]) -> str:
    fragments = [
        {
            "begin": f"{t.start:.3f}",
            "children": [],
            "end": f"{t.end:.3f}",
            "id": f"f{i:06d}",
            "language": "eng",
            "lines": [t.text],
        }
        for i, t in enumerate(turns, start=1)
    ]
    return json.dumps({"fragments": fragments}, indent=1, sort_keys=True) + "\n"


# ---------------------------------------------------------------------------------------------- table
def table_rows(plan: CallPlan) -> list[dict[str, str]]:
    """Segment-table rows of one call: times in the table, or a cue of its timing file."""
    rows, counters = [], {"agent": 0, "customer": 0}
    for i, turn in enumerate(plan.turns, start=1):
        counters[turn.role] += 1
        arousal, valence = DIMENSIONS[turn.emotion]
        row = {
            "call_id": plan.call_id,
            "audio": plan.audio,
            "role": turn.role,
            "speaker": turn.speaker,
            "gender": turn.gender,
            "start": "",
            "end": "",
            "timings": "",
            "cue": "",
            "transcript": "",
            "label_a1": turn.emotion,
            "label_a2": CODES[turn.a2],
            "arousal": str(arousal),
            "valence": str(valence),
        }
        if plan.timing == "table":
            row.update(start=f"{turn.start:.3f}", end=f"{turn.end:.3f}", transcript=turn.text)
        elif plan.timing == "aeneas":
            row.update(timings=f"timings/{plan.stem}.json", cue=f"f{i:06d}")
        elif turn.role == "agent":
            row.update(timings=f"timings/{plan.stem}.agent.srt", cue=str(counters["agent"]))
        else:
            row.update(timings=f"timings/{plan.stem}.customer.vtt", cue=f"customer-{counters['customer']}")
        rows.append(row)
    return rows


def write_calls(out: str | Path, seed: int = 0) -> Path:
    """Write the miniature corpus under ``out`` and return its root."""
    root = Path(out)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for plan in plan_calls(seed):
        write_wav(root / plan.audio, render(plan, seed), SAMPLE_RATE)
        turns = list(plan.turns)
        if plan.timing == "subtitles":
            write_text(
                root / "timings" / f"{plan.stem}.agent.srt", srt_text([t for t in turns if t.role == "agent"])
            )
            write_text(
                root / "timings" / f"{plan.stem}.customer.vtt",
                vtt_text([t for t in turns if t.role == "customer"]),
            )
        elif plan.timing == "aeneas":
            write_text(root / "timings" / f"{plan.stem}.json", aeneas_text(turns))
        writer.writerows(table_rows(plan))
    write_text(root / "segments.csv", buffer.getvalue())
    write_text(root / ".sercorpus-key", f"demo-key-{stable_seed(seed, 'calls', 'key'):016x}\n")
    return root
