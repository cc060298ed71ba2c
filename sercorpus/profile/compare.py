"""Compare acoustic profiles: per-feature quartiles, pairwise Wasserstein distances, Markdown and a figure.

The distance between two corpora on a feature is the 1-D Wasserstein (earth mover's) distance between
their distributions of measured values (nulls left out; ``scipy.stats.wasserstein_distance``), in the
feature's own unit. ``scaled`` divides it by a nominal unit per feature (:data:`SCALES`: 10 dB of SNR,
0.3 s of T60, ...), so that distances of different features can be read side by side and summed, as
condition matching does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pyarrow as pa

#: the features compared by default, in figure order, with the nominal unit that scales their distance
SCALES: dict[str, float] = {
    "snr_db": 10.0,
    "wada_snr_db": 10.0,
    "t60_s": 0.3,
    "c50_db": 5.0,
    "loudness_lufs": 6.0,
    "peak_dbfs": 6.0,
    "bandwidth_hz": 1000.0,
    "spectral_tilt_db_oct": 3.0,
    "speech_ratio": 0.2,
    "clipping_ratio": 0.01,
    "dc_offset": 0.01,
    "duration_s": 2.0,
    "mos_sig": 0.5,
    "mos_bak": 0.5,
    "mos_ovrl": 0.5,
}
LABELS: dict[str, str] = {
    "snr_db": "SNR (dB)",
    "wada_snr_db": "WADA SNR (dB)",
    "t60_s": "T60 (s)",
    "c50_db": "C50 (dB)",
    "loudness_lufs": "loudness (LUFS)",
    "peak_dbfs": "peak (dBFS)",
    "bandwidth_hz": "bandwidth (Hz)",
    "spectral_tilt_db_oct": "spectral tilt (dB/oct)",
    "speech_ratio": "speech ratio",
    "clipping_ratio": "clipping ratio",
    "dc_offset": "DC offset",
    "duration_s": "duration (s)",
    "mos_sig": "DNSMOS SIG",
    "mos_bak": "DNSMOS BAK",
    "mos_ovrl": "DNSMOS OVRL",
}


@dataclass(frozen=True)
class FeatureStats:
    n: int
    nulls: int
    median: float | None
    q1: float | None
    q3: float | None


@dataclass
class Comparison:
    names: list[str]
    features: list[str]
    values: dict[str, dict[str, np.ndarray]]  # feature -> corpus -> measured values
    stats: dict[str, dict[str, FeatureStats]]
    distances: dict[str, dict[tuple[str, str], float | None]]  # feature -> pair -> W (feature units)

    def scaled(self, feature: str, pair: tuple[str, str]) -> float | None:
        d = self.distances[feature][pair]
        return None if d is None else d / SCALES.get(feature, 1.0)


def values_of(table: pa.Table, feature: str) -> np.ndarray:
    col = table.column(feature).to_pylist() if feature in table.column_names else []
    return np.asarray([v for v in col if v is not None and np.isfinite(v)], dtype=np.float64)


def wasserstein(a: np.ndarray, b: np.ndarray) -> float | None:
    if a.size == 0 or b.size == 0:
        return None
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(a, b))


def compare_tables(
    tables: Sequence[pa.Table], names: Sequence[str], features: Sequence[str] | None = None
) -> Comparison:
    """Statistics and pairwise distances of ``features`` (default: every :data:`SCALES` feature that at
    least one table measured) across 2-3 profiles."""
    if not 2 <= len(tables) <= 3:
        raise ValueError(f"compare 2 or 3 profiles, not {len(tables)}")
    if len(set(names)) != len(names):
        raise ValueError(f"profile names must differ: {list(names)}")
    if features is None:
        features = [f for f in SCALES if any(values_of(t, f).size for t in tables)]
    values = {f: {n: values_of(t, f) for n, t in zip(names, tables, strict=True)} for f in features}
    stats: dict[str, dict[str, FeatureStats]] = {}
    for f in features:
        stats[f] = {}
        for n, t in zip(names, tables, strict=True):
            v = values[f][n]
            q = np.quantile(v, [0.25, 0.5, 0.75]) if v.size else [None] * 3
            stats[f][n] = FeatureStats(
                int(v.size),
                int(t.num_rows - v.size),
                *(None if x is None else float(x) for x in (q[1], q[0], q[2])),
            )
    distances = {
        f: {(a, b): wasserstein(values[f][a], values[f][b]) for a, b in combinations(names, 2)}
        for f in features
    }
    return Comparison(list(names), list(features), values, stats, distances)


def compare_profiles(
    paths: Sequence[str | Path], names: Sequence[str] | None = None, features: Sequence[str] | None = None
) -> Comparison:
    from sercorpus.profile.store import read_profile

    names = list(names) if names else [Path(p).stem for p in paths]
    return compare_tables([read_profile(p) for p in paths], names, features)


def _fmt(x: float | None, feature: str) -> str:
    if x is None:
        return "-"
    if feature in ("bandwidth_hz",):
        return f"{x:.0f}"
    if feature in ("clipping_ratio", "dc_offset"):
        return f"{x:.2g}"
    return f"{x:.2f}"


def to_markdown(cmp: Comparison, title: str = "Acoustic profiles") -> str:
    lines = [
        f"# {title}",
        "",
        "Per feature: measured utterances (n), nulls, median and quartiles per corpus; "
        "W = Wasserstein distance between each pair (feature units; scaled = W / nominal unit).",
        "",
    ]
    pairs = list(combinations(cmp.names, 2))
    head = ["feature"] + [f"{n} median [Q1, Q3] (n/nulls)" for n in cmp.names]
    head += [f"W {a}-{b} (scaled)" for a, b in pairs]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for f in cmp.features:
        cells = [LABELS.get(f, f)]
        for n in cmp.names:
            s = cmp.stats[f][n]
            cells.append(f"{_fmt(s.median, f)} [{_fmt(s.q1, f)}, {_fmt(s.q3, f)}] ({s.n}/{s.nulls})")
        for pair in pairs:
            d, sc = cmp.distances[f][pair], cmp.scaled(f, pair)
            cells.append("-" if d is None else f"{_fmt(d, f)} ({sc:.2f})")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def plot(cmp: Comparison, path: str | Path, title: str | None = None) -> Path:
    """One panel per feature: the corpora's distributions as overlaid density histograms, medians dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    feats = [f for f in cmp.features if any(cmp.values[f][n].size for n in cmp.names)]
    cols = 4
    rows = max(1, -(-len(feats) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    colors = ["#1f77b4", "#d62728", "#2ca02c"]
    for ax, f in zip(axes.flat, feats, strict=False):
        pooled = np.concatenate([cmp.values[f][n] for n in cmp.names])
        lo, hi = np.quantile(pooled, [0.01, 0.99]) if pooled.size else (0.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        bins = np.linspace(lo, hi, 31)
        for n, c in zip(cmp.names, colors, strict=False):
            v = np.clip(cmp.values[f][n], lo, hi)
            if v.size:
                ax.hist(v, bins=bins, density=True, histtype="stepfilled", alpha=0.25, color=c)
                ax.hist(
                    v, bins=bins, density=True, histtype="step", lw=1.5, color=c, label=f"{n} (n={v.size})"
                )
                ax.axvline(float(np.median(cmp.values[f][n])), color=c, ls="--", lw=1)
        dists = [cmp.distances[f][p] for p in combinations(cmp.names, 2)]
        wtxt = ", ".join(_fmt(d, f) for d in dists if d is not None) or "-"
        ax.set_title(f"{LABELS.get(f, f)}   W={wtxt}", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(feats) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(
            handles,
            [lab.split(" (n=")[0] for lab in labels],
            loc="upper right",
            ncol=len(cmp.names),
            fontsize=9,
        )
    fig.suptitle(title or " vs ".join(cmp.names), fontsize=11, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from sercorpus.core.atomic import atomic_output

    with atomic_output(path) as handle:
        fig.savefig(handle, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path
