"""``calls`` loader on the miniature: timings, channels, votes, agreement, timing files and bad input."""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sercorpus.core.audio import read_audio
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.report import PrepareReport
from sercorpus.corpora.calls import load_calls
from sercorpus.corpora.prepare import prepare
from sercorpus.corpora.timings import parse_aeneas, parse_srt, parse_vtt, read_timings
from sercorpus.synth.calls import CODES, COLUMNS, plan_calls, write_calls

KEY = "test-key-0123456789abcdef"
UNIFIED = {code: word for word, code in CODES.items()} | {w: w for w in CODES}


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_calls(tmp_path_factory.mktemp("calls") / "root", seed=0)


@pytest.fixture()
def root(mini, tmp_path) -> Path:
    """A private copy of the miniature that a test may edit."""
    return Path(shutil.copytree(mini, tmp_path / "root"))


def load(root: Path, report: PrepareReport | None = None, **options):
    report = report or PrepareReport("calls")
    return list(load_calls(root, report, key=KEY, **options)), report


def turns_by_line():
    """Table line -> planned turn (the writer emits one row per turn, calls in plan order)."""
    turns = [t for plan in plan_calls(0) for t in plan.turns]
    return {line: turn for line, turn in enumerate(turns, start=2)}


def read_rows(root: Path) -> list[dict[str, str]]:
    with open(root / "segments.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(root: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> None:
    with open(root / "segments.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# ------------------------------------------------------------------------------------------ happy path
def test_offsets_durations_and_sources_follow_the_plan(mini):
    records, report = load(mini)
    truth = turns_by_line()
    assert len(records) == len(truth) == 25 and report.skipped == []
    sources = {"INC0012345": None, "INC0012346": "aeneas", "INC0012347": "table"}
    for utt in records:
        turn = truth[utt.extra["line"]]
        assert utt.offset == turn.start
        assert utt.duration == pytest.approx(turn.end - turn.start, abs=1e-9)
        assert utt.sample_rate == 8000 and utt.split == "test"
        expected = sources[turn.call_id] or ("srt" if turn.role == "agent" else "vtt")
        assert utt.extra["timing"] == expected and utt.extra["role"] == turn.role
        assert utt.gender == turn.gender
        if not any(c.isdigit() for c in turn.text):  # ticket/customer numbers are redacted (test_privacy)
            assert utt.transcript == turn.text
    groups = Counter(u.group for u in records)
    assert sorted(groups.values()) == [7, 8, 10]
    # the same agent login is one speaker across calls 1 and 3; customers differ per call
    agents = {u.group: u.speaker for u in records if u.extra["role"] == "agent"}
    plans = {p.call_id: p for p in plan_calls(0)}
    by_call = {truth[u.extra["line"]].call_id: u.group for u in records}
    assert agents[by_call["INC0012345"]] == agents[by_call["INC0012347"]] != agents[by_call["INC0012346"]]
    assert len({u.speaker for u in records}) == 5
    assert all(plans[c].length_ms / 1000 >= 30 for c in plans)


def test_channel_selection_reads_the_speakers_own_channel(mini):
    records, _ = load(mini)
    stereo = [u for u in records if u.num_channels == 2]
    assert len(stereo) == 10
    for utt in stereo:
        own = 0 if utt.extra["role"] == "agent" else 1
        assert utt.channel == own
        mine, rate = read_audio(mini / utt.audio_path, utt.offset, utt.duration, utt.channel)
        other, _ = read_audio(mini / utt.audio_path, utt.offset, utt.duration, 1 - own)
        assert rate == 8000 and mine.ndim == 1 and len(mine) == round(utt.duration * 8000)
        assert np.sqrt(np.mean(mine**2)) > 30 * np.sqrt(np.mean(other**2))
    mono = [u for u in records if u.num_channels == 1]
    assert mono and all(u.channel is None for u in mono)
    samples, _ = read_audio(mini / mono[0].audio_path, mono[0].offset, mono[0].duration, mono[0].channel)
    assert samples.ndim == 1 and np.sqrt(np.mean(samples**2)) > 0.01


def test_roles_option_and_channel_column_override(root):
    swapped, _ = load(root, roles="agent=1,customer=0")
    assert {u.extra["role"]: u.channel for u in swapped if u.num_channels == 2} == {"agent": 1, "customer": 0}
    rows = read_rows(root)
    rows[0]["channel"] = "right"  # first agent turn of the stereo call, forced onto channel 1
    write_rows(root, rows, COLUMNS + ["channel"])
    records, _ = load(root)
    first = next(u for u in records if u.extra["line"] == 2)
    assert first.channel == 1 and first.extra["role"] == "agent"


def test_votes_soft_labels_and_agreement_computed_independently(mini):
    records, report = load(mini)
    truth = turns_by_line()
    pairs = []
    for utt in records:
        turn = truth[utt.extra["line"]]
        a1, a2 = turn.emotion, turn.a2
        pairs.append((a1, a2))
        assert utt.votes == dict(Counter([a1, a2])) or utt.votes == {a1: 2.0}
        assert utt.soft_label == pytest.approx({k: v / 2 for k, v in Counter([a1, a2]).items()})
        assert utt.label == (a1 if a1 == a2 else None)
        assert [a.native for a in utt.annotations] == [[a1], [CODES[a2]]]
        assert utt.extra["raters"] == 2 and utt.extra["agreement"] == (1.0 if a1 == a2 else 0.5)
        assert utt.arousal is not None and 0 <= utt.arousal <= 1
    # Cohen's kappa by hand: observed vs chance agreement from the two raters' marginals
    n = len(pairs)
    p_obs = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    p_exp = sum(first[c] * second[c] for c in first) / n**2
    kappa = (p_obs - p_exp) / (1 - p_exp)
    assert report.counts["agreement:items"] == n == 25
    assert report.counts["agreement:percent"] == pytest.approx(100 * p_obs, abs=0.01)
    assert report.counts["agreement:cohen_kappa"] == pytest.approx(kappa, abs=1e-4)
    assert 0 < p_obs < 1 and 0.3 < kappa < 0.9  # some, not total, disagreement
    note = next(n for n in report.notes if n.reason == "agreement")
    assert f"{100 * p_obs:.1f} % agreement, Cohen's kappa {kappa:.3f}" in note.detail
    skew = Counter(u.label for u in records)
    assert skew.most_common(1)[0][0] == "neutral" and skew["neutral"] >= 15 and skew["sad"] == 0


def test_jsonl_table_with_three_annotators_gives_fleiss_kappa(root):
    rows = read_rows(root)
    third = {0: "fru", 3: "ang", 5: "hap", 9: "neu"}  # a third annotator: mostly a1's word, four differences
    lines = []
    for i, row in enumerate(rows):
        labels = [row.pop("label_a1"), row.pop("label_a2"), third.get(i, row.get("label_a1", ""))]
        labels[2] = labels[2] or labels[0]
        lines.append(json.dumps({**{k: v for k, v in row.items() if v}, "labels": labels}))
    (root / "segments.csv").unlink()
    (root / "segments.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, report = load(root)
    assert len(records) == 25 and all(len(u.annotations) == 3 for u in records)
    # Fleiss by hand: per-item agreement P_i and category shares p_j over 25 items x 3 ratings
    items = [[UNIFIED[w] for w in json.loads(line)["labels"]] for line in lines]
    cats = sorted({c for item in items for c in item})
    counts = np.array([[item.count(c) for c in cats] for item in items], dtype=float)
    p_i = ((counts**2).sum(1) - 3) / 6
    p_j = counts.sum(0) / (3 * len(items))
    kappa = (p_i.mean() - (p_j**2).sum()) / (1 - (p_j**2).sum())
    unanimous = 100 * np.mean(counts.max(1) == 3)
    assert report.counts["agreement:ratings_per_item"] == 3 and report.counts["agreement:items"] == 25
    assert report.counts["agreement:fleiss_kappa"] == pytest.approx(kappa, abs=1e-4)
    assert report.counts["agreement:percent"] == pytest.approx(unanimous, abs=0.01)
    assert "Fleiss' kappa" in next(n.detail for n in report.notes if n.reason == "agreement")


def test_vote_count_columns_reproduce_fleiss_1971_example(tmp_path, mini):
    """Fleiss' (1971) worked example as published on Wikipedia: 10 items, 14 raters, kappa 0.210."""
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    cats = ["neutral", "happy", "sad", "angry", "frustrated"]
    root = tmp_path / "votes"
    (root / "recordings").mkdir(parents=True)
    shutil.copy(mini / "recordings" / "2024-03-05_1521_ext214.wav", root / "recordings" / "c.wav")
    with open(root / "segments.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["call_id", "audio", "start", "end", "role", *[f"votes_{c}" for c in cats]])
        for i, row in enumerate(table):
            writer.writerow(["X1", "recordings/c.wav", f"{2 * i}.0", f"{2 * i + 1.5}", "customer", *row])
    records, report = load(root)
    assert len(records) == 10 and records[0].votes == {"frustrated": 14.0} and records[0].annotations == []
    assert report.counts["agreement:fleiss_kappa"] == pytest.approx(0.20993, abs=1e-4)
    assert report.counts["agreement:ratings_per_item"] == 14


# --------------------------------------------------------------------------------------- timing files
def test_timing_parsers_read_the_writer_files(mini):
    plan = {p.call_id: p for p in plan_calls(0)}
    stereo, mono = plan["INC0012345"], plan["INC0012346"]
    srt = parse_srt(mini / "timings" / f"{stereo.stem}.agent.srt")
    vtt = parse_vtt(mini / "timings" / f"{stereo.stem}.customer.vtt")
    aeneas = parse_aeneas(mini / "timings" / f"{mono.stem}.json")
    agent = [t for t in stereo.turns if t.role == "agent"]
    customer = [t for t in stereo.turns if t.role == "customer"]
    assert [(c.id, c.start, c.end, c.text) for c in srt] == [
        (str(i), t.start, t.end, t.text) for i, t in enumerate(agent, 1)
    ]
    assert [(c.id, c.start, c.end, c.text) for c in vtt] == [
        (f"customer-{i}", t.start, t.end, t.text) for i, t in enumerate(customer, 1)
    ]
    assert [(c.id, c.start, c.end, c.text) for c in aeneas] == [
        (f"f{i:06d}", t.start, t.end, t.text) for i, t in enumerate(mono.turns, 1)
    ]
    assert srt[1].line == 5 and vtt[0].line == 7 and aeneas[0].line == 7  # aeneas: the line of the id


def test_timing_parsers_handle_format_variants(tmp_path):
    srt = tmp_path / "a.srt"
    srt.write_bytes(
        "\ufeff1\r\n00:00:01,5 --> 00:00:02,250 X1:10\r\n<i>Hello</i>\r\nthere\r\n\r\n"
        "2\r\n01:00:00,000 --> 01:00:01,000\r\nlater\r\n".encode()
    )
    assert [(c.start, c.end, c.text) for c in parse_srt(srt)] == [
        (1.5, 2.25, "Hello there"),
        (3600.0, 3601.0, "later"),
    ]
    vtt = tmp_path / "a.vtt"
    vtt.write_text(
        "WEBVTT - captions\n\nSTYLE\n::cue { color: red }\n\nNOTE a comment\nover lines\n\n"
        "00:01.000 --> 00:02.500 line:0\n<v Agent>hi <c.loud>you</c></v>\n\n"
        "intro\n01:00:03.000 --> 01:00:04.000\nsecond\n\n00:05.000 --> 00:06.000\nthird\n"
    )
    cues = parse_vtt(vtt)
    assert [(c.id, c.start, c.end, c.text) for c in cues] == [
        ("1", 1.0, 2.5, "hi you"),
        ("intro", 3603.0, 3604.0, "second"),
        ("3", 5.0, 6.0, "third"),
    ]
    sync = tmp_path / "a.json"
    sync.write_text(
        json.dumps(
            {
                "fragments": [
                    {
                        "begin": 0,
                        "end": "1.5",
                        "id": "p1",
                        "lines": ["a", "b"],
                        "children": [{"begin": "0", "end": "0.5", "id": "p1w1", "lines": ["a"]}],
                    }
                ]
            }
        )
    )
    assert [(c.id, c.start, c.end, c.text) for c in parse_aeneas(sync)] == [
        ("p1", 0.0, 1.5, "a b"),
        ("p1w1", 0.0, 0.5, "a"),
    ]
    assert list(read_timings(sync)) == ["p1", "p1w1"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "bad.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03.000 -> 00:00:04,000\nx\n",
            r"bad.srt:6: expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'",
        ),
        (
            "bad2.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\nx\n00:00:03,000 --> 00:00:04,000\n",
            r"bad2.srt:5: expected a cue number, got 'x'",
        ),
        (
            "bad3.srt",
            "1\n00:00:01,000 --> 00:00:2,000\nok\n",
            r"bad3.srt:2: malformed timestamp '00:00:2,000'",
        ),
        (
            "dup.srt",
            "1\n00:00:01,000 --> 00:00:02,000\na\n\n1\n00:00:03,000 --> 00:00:04,000\nb\n",
            r"dup.srt:5: cue id '1' repeats the cue at line 1",
        ),
        ("bad.vtt", "1\n00:01.000 --> 00:02.000\n", r"bad.vtt:1: not a WebVTT file"),
        (
            "bad2.vtt",
            "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\nid\n00:03,000 --> 00:04.000\nx\n",
            r"bad2.vtt:7: malformed timestamp '00:03,000'",
        ),
        ("bad.json", '{"fragments": [\n  {"begin": "0", "end": "1",}\n]}', r"bad.json:2: invalid JSON"),
        (
            "bad2.json",
            '{"fragments": [\n {"begin": "0", "end": "1", "id": "f1"},\n {"begin": "2", "id": "f2"}\n]}',
            r"bad2.json:3: fragment lacks 'end'",
        ),
        ("bad3.json", '{"map": []}', r"bad3.json:1: not an aeneas sync map"),
        ("bad.txt", "", r"bad.txt: unknown timing file type"),
    ],
)
def test_timing_parser_errors_name_file_and_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CorpusFormatError, match=message):
        read_timings(path)


# ------------------------------------------------------------------------------------------ bad input
def _row(**values: str) -> dict[str, str]:
    base = {c: "" for c in COLUMNS}
    base.update(
        call_id="INC0012347",
        audio="recordings/2024-03-05_1521_ext214.wav",
        role="customer",
        speaker="C-40981",
        label_a1="neutral",
        label_a2="neu",
    )
    base.update(values)
    return base


def test_bad_rows_are_counted_skips_naming_table_lines(root):
    rows = read_rows(root)
    plan = {p.call_id: p for p in plan_calls(0)}
    last = plan["INC0012347"].turns[-1]  # agent turn; the recording ends 1 s after it
    stereo_agent = plan["INC0012345"].turns[0]
    bad = [
        (
            "overlapping-segment",
            _row(role="agent", start=f"{last.start + 0.2:.3f}", end=f"{last.end - 0.1:.3f}"),
        ),
        ("out-of-range", _row(start="-1.0", end="0.5")),
        ("end-before-start", _row(start="3.0", end="2.0")),
        ("past-end-of-audio", _row(start=f"{last.end + 0.5:.3f}", end=f"{last.end + 3:.3f}")),
        ("unknown-label", _row(start="0.0", end="0.3", label_a2="grumpy")),
        ("missing-audio", _row(audio="recordings/missing.wav", start="0.0", end="1.0")),
        ("malformed-row", _row(start="abc", end="1.0")),
        ("malformed-row", _row(start="1.0")),
        ("unknown-cue", _row(timings="timings/2024-03-04_1040_ext305.json", cue="f000099")),
        ("missing-timings", _row(timings="timings/nope.srt", cue="1")),
        ("unknown-role", _row(start="0.0", end="0.3", role="supervisor")),
        (
            "bad-channel",
            {
                **_row(
                    call_id="INC0012345",
                    audio=f"recordings/{plan['INC0012345'].stem}.wav",
                    role="agent",
                    start="0.0",
                    end="0.3",
                ),
                "channel": "3",
            },
        ),
        (
            "overlapping-segment",
            {
                **_row(
                    call_id="INC0012345",
                    audio=f"recordings/{plan['INC0012345'].stem}.wav",
                    role="agent",
                    speaker="mkowalski",
                    start=f"{stereo_agent.start + 1:.3f}",
                    end=f"{stereo_agent.end + 0.2:.3f}",
                ),
                "channel": "",
            },
        ),
        ("audio-outside-root", _row(audio="../outside.wav", start="0.0", end="1.0")),
    ]
    clipped = _row(role="agent", start=f"{last.end + 0.4:.3f}", end=f"{last.end + 1.03:.3f}")
    crosstalk = _row(role="customer", start=f"{last.start + 0.5:.3f}", end=f"{last.end - 0.5:.3f}")
    all_rows = rows + [r for _, r in bad] + [clipped, crosstalk]
    write_rows(root, [{**r, "channel": r.get("channel", "")} for r in all_rows], COLUMNS + ["channel"])
    with open(root / "segments.csv", "a") as handle:
        handle.write("INC0012347,too,few\n")
    records, report = load(root)
    first_bad = len(rows) + 2
    expected = {(reason, first_bad + i) for i, (reason, _) in enumerate(bad)}
    expected.add(("malformed-row", first_bad + len(bad) + 2))
    assert {(i.reason, i.line) for i in report.skipped} == expected
    assert all(i.file == str(root / "segments.csv") for i in report.skipped)
    assert len(records) == 25 + 2  # the clipped row and the mono cross-talk row are kept
    details = {i.line: i.detail for i in report.skipped}
    details.update({i.reason: i.detail for i in report.skipped})
    overlap = (last.end - 0.1) - (last.start + 0.2)
    assert f"overlaps the segment of line {len(rows) + 1} by {overlap:.3f} s" in details[first_bad]
    assert "(call call-" in details[first_bad] and "role agent)" in details[first_bad]
    assert (
        "overlaps the segment of line 2" in details[first_bad + 12]
        and "channel 0)" in details[first_bad + 12]
    )
    assert "is not after start" in details["end-before-start"]
    assert "'grumpy' is not in the label map" in details["unknown-label"]
    length = plan["INC0012347"].length_ms / 1000
    assert f"ends past the recording ({length:.3f} s)" in details["past-end-of-audio"]
    assert "audio file not found (recording of call call-" in details["missing-audio"]
    assert "channel 3 but the recording has 2" in details["bad-channel"]
    clip = next(n for n in report.notes if n.reason == "clipped-to-audio-end")
    assert clip.line == first_bad + len(bad) and "clipped" in clip.detail
    kept = next(u for u in records if u.extra["line"] == first_bad + len(bad))
    assert kept.offset + kept.duration == pytest.approx(length)
    strict = rf"segments.csv:{first_bad + 4}: label 'grumpy' is not .* \[unknown-label\] \(strict mode\)"
    with pytest.raises(CorpusFormatError, match=strict):
        load(root, PrepareReport("calls", strict=True))


def test_table_level_errors(root):
    (root / "segments.csv").write_text("call,begin\nX,1\n")
    with pytest.raises(CorpusFormatError, match=r"segments.csv:1: need start and end columns, or cue"):
        load(root)
    (root / "segments.csv").write_text("start,end,label\n0,1,neutral\n")
    with pytest.raises(CorpusFormatError, match=r"segments.csv:1: no call id column"):
        load(root)
    (root / "segments.csv").write_text("call_id,call,start,end\n")
    with pytest.raises(CorpusFormatError, match=r"segments.csv:1: columns 'call_id' and 'call' both mean"):
        load(root)
    (root / "segments.csv").write_text("call_id,start,end,label_a1,votes_neutral\n")
    with pytest.raises(
        CorpusFormatError, match=r"segments.csv:1: give either annotator label columns or vote"
    ):
        load(root)
    (root / "segments.jsonl").write_text("{}\n")
    with pytest.raises(CorpusFormatError, match=r"several segment tables"):
        load(root)
    shutil.rmtree(root / "timings")
    (root / "segments.csv").unlink()
    (root / "segments.jsonl").unlink()
    with pytest.raises(CorpusFormatError, match=r"no segment table"):
        load(root)


def test_broken_timing_file_stops_the_run_with_its_line(root):
    stem = next(p.stem for p in plan_calls(0) if p.timing == "aeneas")
    path = root / "timings" / f"{stem}.json"
    path.write_text(path.read_text().replace('"end": "', '"end": "x', 1))
    with pytest.raises(CorpusFormatError, match=rf"{stem}.json:\d+: fragment times are not numbers"):
        load(root)


def test_nan_fragment_time_is_a_format_error_not_a_crash(root):
    stem = next(p.stem for p in plan_calls(0) if p.timing == "aeneas")
    path = root / "timings" / f"{stem}.json"
    text = path.read_text()
    start = text.index('"begin": "') + len('"begin": "')
    path.write_text(text[:start] + "nan" + text[text.index('"', start) :])
    with pytest.raises(CorpusFormatError, match=rf"{stem}.json:\d+: fragment times are not numbers: 'nan'"):
        load(root)


def test_jsonl_malformed_lines_are_skips(root):
    rows = read_rows(root)
    lines = [json.dumps({k: v for k, v in r.items() if v}) for r in rows[-7:]]
    lines += ["{not json", "[1, 2]", json.dumps({"call_id": "INC0012347", "start": 1, "end": 2, "labels": 5})]
    (root / "segments.csv").unlink()
    (root / "segments.jsonl").write_text("\n".join(lines) + "\n")
    records, report = load(root)
    assert len(records) == 7
    assert [(i.reason, i.line) for i in report.skipped] == [
        ("malformed-row", 8),
        ("malformed-row", 9),
        ("malformed-row", 10),
    ]
    assert (
        "invalid JSON" in report.skipped[0].detail
        and "labels must be a JSON list" in report.skipped[2].detail
    )


# --------------------------------------------------------------------------------------------- writer
def test_writer_is_fast_deterministic_and_prepare_round_trips(tmp_path):
    start = time.perf_counter()
    a = write_calls(tmp_path / "a", seed=5)
    assert time.perf_counter() - start < 5
    b = write_calls(tmp_path / "b", seed=5)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert len([f for f in files if f.suffix == ".wav"]) == 3
    records, report = prepare("calls", a, tmp_path / "calls.parquet")
    assert len(records) == report.written == 25 and report.counts["calls"] == 3
    assert report.counts["recordings:8000Hz_2ch"] == 1 and report.counts["recordings:8000Hz_1ch"] == 2
