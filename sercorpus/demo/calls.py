"""Demo stage: the call-centre miniature as the pipeline's real-world test set (labels and agreement).

Kept out of :mod:`sercorpus.demo` so the demo module stays a list of stages owned by their features.
"""

from __future__ import annotations

import json
from collections import Counter

from sercorpus.core.manifest import read_manifest
from sercorpus.core.schema import VOCABULARY
from sercorpus.corpora.prepare import report_path_for
from sercorpus.demo.context import Block, DemoContext, Table


def stage_calls(ctx: DemoContext) -> list[Block]:
    """Real-world test set: the service-desk calls' label skew and annotator agreement."""
    if "calls" not in ctx.manifests:
        return ["skipped: the calls corpus was not prepared in this demo"]
    records = read_manifest(ctx.manifests["calls"]).records
    report = json.loads(report_path_for(ctx.manifests["calls"]).read_text(encoding="utf-8"))
    counts = report["counts"]
    calls = {u.group for u in records}
    dual = {u.group for u in records if u.num_channels > 1}
    rates = sorted({u.sample_rate for u in records})
    consensus = Counter(u.label or "no majority" for u in records)
    mass: Counter[str] = Counter()
    for utt in records:
        mass.update(utt.soft_label)
    return [
        f"{len(records)} utterances from {len(calls)} calls ({len(dual)} dual-channel), "
        f"{'/'.join(map(str, rates))} Hz, mean {sum(u.duration for u in records) / len(records):.1f} s",
        Table(
            ["label", "consensus count", "soft-label mass"],
            [[c, consensus.get(c, 0), f"{mass[c]:.1f}"] for c in VOCABULARY if mass[c] or consensus.get(c)]
            + [["no majority", consensus.get("no majority", 0), ""]],
            caption="Label skew of the service-desk calls",
            align="lrr",
        ),
        "annotators: " + _agreement(report),
        f"privacy: ids pseudonymised ({records[0].group}, ...); transcript redactions "
        f"{counts.get('transcripts:redactions', 0)}; file names revealing raw ids "
        f"{counts.get('privacy:file_names_with_raw_ids', 0)}",
    ]


def _agreement(report: dict) -> str:
    notes = [n["detail"] for n in report["notes"] if n["reason"] == "agreement"]
    return notes[0] if notes else "not reported"
