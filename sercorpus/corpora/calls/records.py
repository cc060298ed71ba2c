"""Placed segments -> schema records: votes, soft label, pseudonymised ids, consensus dimensions."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sercorpus.core.audio import AudioInfo
from sercorpus.core.privacy import Pseudonymiser
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Annotation, Utterance, qualified
from sercorpus.core.votes import add_rater_votes, plurality, soft_from_votes
from sercorpus.core.votes import agreement as vote_share
from sercorpus.corpora.calls.placement import Segment, TimingCache, drop_overlaps, place
from sercorpus.corpora.calls.recordings import audio_rel, output_audio_path, probe_recording
from sercorpus.corpora.calls.rows import Row
from sercorpus.corpora.calls.settings import CORPUS, DIMS, Context
from sercorpus.corpora.common import RecordSkip


def build_records(
    root: Path, table: Path, rows: list[Row], ctx: Context, report: PrepareReport
) -> list[Utterance]:
    """Group rows by recording, probe each recording once, place, de-overlap and convert its segments."""
    by_audio: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        try:
            by_audio[audio_rel(root, row, ctx.settings.audio_dir)].append(row)
        except RecordSkip as exc:
            report.skip(exc.reason, table, exc.detail, row.line)
    cues = TimingCache(root)
    records: list[Utterance] = []
    for rel, group in sorted(by_audio.items()):
        call = ctx.pseudo("call", group[0].call)
        info = probe_recording(root, rel, group, report, table, call)
        if info is None:
            continue
        report.counts[f"recordings:{info.sample_rate}Hz_{info.num_channels}ch"] += 1
        placed = []
        for row in group:
            try:
                placed.append(place(row, info, ctx.settings, cues, report, table))
            except RecordSkip as exc:
                report.skip(exc.reason, table, exc.detail, row.line)
        placed = drop_overlaps(placed, info.num_channels > 1, report, table, f"call {call}")
        if placed:
            audio_path = output_audio_path(root, rel, group, ctx, report, table)
            records += [build_record(seg, audio_path, info, ctx) for seg in placed]
    return records


def build_record(seg: Segment, audio_path: str, info: AudioInfo, ctx: Context) -> Utterance:
    """One schema record: votes from every rater (under the multi-label policy) plus vote-count columns."""
    row, pseudo = seg.row, ctx.pseudo
    call = pseudo("call", row.call)
    votes = dict(row.counts)
    for rating in row.ratings:
        add_rater_votes(votes, rating.categories, ctx.settings.policy)
    who = row.role or (f"ch{seg.channel}" if seg.channel is not None else "seg")
    share = vote_share(votes)  # None without votes
    return Utterance(
        id=qualified(CORPUS, f"{call}/{who}-{round(seg.start * 1000):08d}"),
        corpus=CORPUS,
        audio_path=audio_path,
        duration=round(seg.end - seg.start, 6),
        sample_rate=info.sample_rate,
        offset=round(seg.start, 6),
        num_channels=info.num_channels,
        channel=seg.channel,
        speaker=_speaker(row, pseudo),
        gender=row.gender,
        split=row.split,
        group=call,
        label=plurality(votes),
        votes=votes,
        soft_label=soft_from_votes(votes),
        transcript=ctx.texts.apply(seg.text),
        annotations=[
            Annotation(
                rater=pseudo("rater", r.rater),
                categories=r.categories,
                native=r.native,
                arousal=r.dims.get("arousal"),
                valence=r.dims.get("valence"),
                dominance=r.dims.get("dominance"),
            )
            for r in row.ratings
        ],
        extra={
            "role": row.role,
            "line": row.line,
            "timing": seg.timing,
            "cue": row.cue,
            "raters": sum(1 for r in row.ratings if r.categories),
            "agreement": None if share is None else round(share, 4),
        },
        **consensus_dims(row),
    )


def _speaker(row: Row, pseudo: Pseudonymiser) -> str | None:
    """The speaker column, else one speaker per (call, role): a customer rarely has an id across calls."""
    if row.speaker is not None:
        return qualified(CORPUS, pseudo("speaker", row.speaker))
    if row.role is not None:
        return qualified(CORPUS, pseudo("speaker", f"{row.call}/{row.role}"))
    return None


def consensus_dims(row: Row) -> dict[str, float]:
    """The consensus columns, else the mean of the raters' normalised ratings."""
    out = dict(row.dims)
    for dim in DIMS:
        values = [r.dims[dim] for r in row.ratings if dim in r.dims]
        if dim not in out and values:
            out[dim] = sum(values) / len(values)
    return out
