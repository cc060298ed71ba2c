"""Demo stage: push a few close-mic MSP-Podcast-like utterances toward IEMOCAP-like room conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEMO_UTTERANCES = 4


def demo_config(esc50_root: Path) -> dict[str, Any]:
    """Room reverb, an ESC-50 background and a little broadband noise: a lab room with people and things."""
    return {
        "sample_rate": 16000,
        "rate": 1.0,
        "chain": [
            {"op": "synthetic_reverb", "min_t60": 0.3, "max_t60": 0.7, "min_drr_db": 0.0, "max_drr_db": 8.0},
            {
                "op": "background_noise",
                "root": str(esc50_root),
                "groups": ["natural", "human", "domestic"],
                "snrs_db": [10, 20],
            },
            {"op": "pink_noise", "min_snr_db": 25.0, "max_snr_db": 35.0},
        ],
    }


def stage_augment(ctx: Any) -> list[str]:
    """Augment a few MSP-Podcast utterances toward IEMOCAP-like conditions (reverb, ESC-50 background, noise)."""
    from sercorpus.augment.files import augment_files, output_records, provenance_nodes

    manifest = ctx.manifests.get("msp-podcast") or next(
        (path for name, path in sorted(ctx.manifests.items()) if name != "esc50"), None
    )
    esc50 = ctx.roots.get("esc50")
    if manifest is None or esc50 is None:
        return ["skipped: needs a speech manifest and the ESC-50 miniature from the earlier stages"]
    out = Path(ctx.out_dir) / "augment"
    summary = augment_files(
        manifest,
        demo_config(Path(esc50)),
        out,
        copies=1,
        seed=ctx.seed,
        limit=DEMO_UTTERANCES,
        batch_size=DEMO_UTTERANCES,
    )
    t60, bg, pink, seconds = [], [], [], 0.0
    for meta in output_records(out):
        seconds += meta["input_seconds"]
        applied = (d for d in provenance_nodes(meta) if "op" in d and d.get("applied") and "ops" not in d)
        for op in applied:  # leaf ops that ran (not chains)
            if op["op"] == "synthetic_reverb":
                t60.append(op["t60_s"])
            elif op["op"] == "background_noise":
                snr = op["achieved_snr_db"]
                bg.append(
                    f"{op['category']} {snr:.1f} dB" if snr is not None else f"{op['category']} (silent)"
                )
            elif op["op"] == "pink_noise" and op["achieved_snr_db"] is not None:
                pink.append(op["achieved_snr_db"])
    ctx.state["augment_dir"] = out
    utterances = summary.written + summary.already_done + len(summary.skipped)
    lines = [
        f"{utterances} utterances of {Path(manifest).stem}, "
        f"{seconds:.1f} s, written to {out.relative_to(ctx.out_dir)} (wav + JSON each)"
    ]
    if summary.skipped:
        lines.append(
            f"{len(summary.skipped)} input(s) skipped: {summary.skip_counts()} (see augment/REPORT.json)"
        )
    if t60:
        lines.append(
            f"reverb T60 {min(t60):.2f}-{max(t60):.2f} s; ESC-50 backgrounds (measured SNR): {', '.join(bg)}"
        )
    if pink:
        lines.append(f"pink noise measured SNR {min(pink):.1f}-{max(pink):.1f} dB")
    return lines
