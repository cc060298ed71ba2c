"""PNG figures of the evaluation report (matplotlib, Agg; no pyplot global state).

Each function takes plain data (a confusion matrix, a per-speaker result, a cross-corpus matrix, a
robustness table) and writes one PNG atomically. PNG metadata carries no timestamp, so the same data give
the same bytes with the same matplotlib version.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sercorpus.core.atomic import write_bytes
from sercorpus.evaluate.metrics.speaker import TIE_TOL, PerSpeakerUAR

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sercorpus.evaluate.crosscorpus import CrossCorpusMatrix
    from sercorpus.evaluate.robustness import RobustnessTable


def save_png(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Render with the Agg canvas (explicitly: no global backend switch) and write atomically."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return write_bytes(path, buf.getvalue())


def _annotated_heatmap(
    ax: Axes,
    values: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    fmt: str,
    cmap: str,
    vmin: float | None = None,
    vmax: float | None = None,
    missing: str | Sequence[Sequence[str]] = "n/a",
    row_labels: bool = True,
) -> None:
    """Heatmap with every cell's number written in it; NaN cells are grey and say ``missing`` (one text,
    or one per cell)."""
    masked = np.ma.masked_invalid(values)
    colours = matplotlib.colormaps[cmap].with_extremes(bad="#dddddd")
    image = ax.imshow(masked, cmap=colours, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(cols)), labels=list(cols), rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), labels=list(rows) if row_labels else [])
    lo = float(np.nanmin(values)) if np.isfinite(values).any() else 0.0
    hi = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    lo, hi = (vmin if vmin is not None else lo), (vmax if vmax is not None else hi)
    size = max(7.0, min(11.0, 90.0 / max(len(rows), len(cols))))
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if np.isfinite(v):
                rel = (v - lo) / (hi - lo) if hi > lo else 0.0
                if cmap in ("RdBu", "RdBu_r", "coolwarm"):  # diverging: dark at both ends
                    colour = "white" if abs(rel - 0.5) > 0.35 else "black"
                elif cmap in ("viridis", "magma", "inferno", "plasma", "cividis"):  # dark at the low end
                    colour = "white" if rel < 0.45 else "black"
                else:  # sequential light-to-dark (Blues)
                    colour = "white" if rel > 0.55 else "black"
                ax.text(j, i, format(v, fmt), ha="center", va="center", color=colour, fontsize=size)
            else:
                text = missing if isinstance(missing, str) else missing[i][j]
                ax.text(j, i, text, ha="center", va="center", color="#555555", fontsize=size * 0.8)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)


def confusion_png(
    confusion: np.ndarray,
    classes: Sequence[str],
    path: str | os.PathLike[str],
    title: str = "Confusion matrix",
) -> Path:
    """Two panels: counts, and rows normalised to recall (a class absent from the truth: a grey row)."""
    cm = np.asarray(confusion, dtype=np.float64)
    support = cm.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normed = np.where(support > 0, cm / np.where(support > 0, support, 1.0), np.nan)
    c = len(classes)
    side = max(4.0, 0.6 * c + 2.0)
    fig = Figure(figsize=(2 * side + 2.0, side + 0.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    labels = [f"{name} (n={int(n)})" for name, n in zip(classes, support[:, 0], strict=True)]
    _annotated_heatmap(ax1, cm, labels, classes, "g", "Blues", vmin=0.0)
    ax1.set_title("counts")
    _annotated_heatmap(
        ax2,
        normed,
        labels,
        classes,
        ".2f",
        "Blues",
        vmin=0.0,
        vmax=1.0,
        missing="—",
        row_labels=False,
    )
    absent = int((support[:, 0] == 0).sum())
    note = f"; grey: {absent} class(es) absent from the truth" if absent else ""
    ax2.set_title(f"row-normalised (recall on the diagonal{note})")
    ax1.set_ylabel("true")
    for ax in (ax1, ax2):
        ax.set_xlabel("predicted")
    fig.suptitle(title)
    return save_png(fig, path)


def per_speaker_png(
    per_speaker: PerSpeakerUAR,
    path: str | os.PathLike[str],
    thresholds: Sequence[float] = (0.5, 0.75),
    strict: bool = True,
    title: str = "Per-speaker UAR",
) -> Path:
    """Bars of every scored speaker's UAR, sorted high to low, with the paUAR thresholds drawn as lines."""
    scores = sorted(per_speaker.scores, key=lambda s: (-s.uar, s.speaker))
    n = len(scores)
    width = min(16.0, max(6.0, 0.28 * n + 2.5))
    fig = Figure(figsize=(width, 4.8), layout="constrained")
    ax = fig.subplots()
    values = np.array([s.uar for s in scores])
    if n:
        ax.bar(range(n), values, color="#4c72b0", width=0.8)
    palette = ["#dd8452", "#c44e52", "#55a868", "#8172b3"]
    cmp = ">" if strict else ">="
    for j, thr in enumerate(sorted(thresholds)):
        above = int(np.sum(values > thr + TIE_TOL if strict else values >= thr - TIE_TOL)) if n else 0
        share = f"{100 * above / n:.0f}%" if n else "n/a"
        ax.axhline(
            thr,
            color=palette[j % len(palette)],
            linestyle="--",
            linewidth=1.4,
            label=f"paUAR-{100 * thr:g}: {share} of speakers UAR {cmp} {thr:g}",
        )
    if n <= 60:
        ax.set_xticks(range(n), labels=[s.speaker for s in scores], rotation=90, fontsize=7 if n > 30 else 9)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{n} speakers, sorted by UAR")
    ax.set_xlim(-0.6, max(n, 1) - 0.4)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("UAR")
    excluded = len(per_speaker.excluded)
    ax.set_title(
        f"{title}: {n} speakers scored, {excluded} excluded\n(fewer than {per_speaker.min_utterances} "
        f"utterances or {per_speaker.min_classes} true class(es))",
        fontsize=10,
    )
    if not n:
        ax.text(0.5, 0.5, "no speaker scored", transform=ax.transAxes, ha="center", va="center")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.grid(axis="y", alpha=0.3)
    return save_png(fig, path)


def matrix_heatmap_png(
    matrix: CrossCorpusMatrix, path: str | os.PathLike[str], title: str | None = None
) -> Path:
    """Cross-corpus matrix: absolute scores, and the change against each test set's in-domain baseline.

    Rows are training sets, columns test sets, with a mean row and a mean column (nkululeko's layout).
    """
    absolute = matrix.with_means(matrix.absolute_array())
    delta = matrix.with_means(matrix.delta_array())
    rows = [*matrix.train_sets, "mean"]
    cols = [*matrix.test_sets, "mean"]
    side_w = max(4.5, 0.9 * len(cols) + 2.5)
    side_h = max(3.5, 0.6 * len(rows) + 1.8)
    fig = Figure(figsize=(2 * side_w + 1.5, side_h), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _annotated_heatmap(ax1, absolute, rows, cols, ".3f", "viridis")
    ax1.set_title(f"{matrix.metric} (absolute)")
    bound = float(np.nanmax(np.abs(delta))) if np.isfinite(delta).any() else 1.0
    bound = bound or 1.0
    no_base = [b is None for b in matrix.baseline] + [False]
    why = [["no baseline" if no_base[j] else "n/a" for j in range(len(cols))] for _ in rows]
    _annotated_heatmap(
        ax2, delta, rows, cols, "+.3f", "RdBu", vmin=-bound, vmax=bound, missing=why, row_labels=False
    )
    ax2.set_title("change vs in-domain baseline of each test set")
    ax1.set_ylabel("training set")
    for ax in (ax1, ax2):
        ax.set_xlabel("test set")
        ax.axhline(len(rows) - 1.5, color="white", linewidth=2)
        ax.axvline(len(cols) - 1.5, color="white", linewidth=2)
    fig.suptitle(title or f"Cross-corpus matrix: {matrix.metric}")
    return save_png(fig, path)


def robustness_png(table: RobustnessTable, path: str | os.PathLike[str], title: str | None = None) -> Path:
    """Grouped bars: change of each series' score per condition against the clean condition."""
    conditions = list(table.conditions)
    series = list(table.series)
    deltas = table.delta_array()  # [series, conditions], NaN = undefined
    n_c, n_s = len(conditions), len(series)
    fig = Figure(figsize=(max(6.0, 0.55 * n_c * max(1, n_s) + 2.5), 4.8), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(n_s, 1)
    for j, name in enumerate(series):
        x = np.arange(n_c) + (j - (n_s - 1) / 2) * width
        vals = deltas[j]
        shown = np.where(np.isfinite(vals), vals, 0.0)
        label = name
        mean = table.mean_delta(name)
        if mean is not None:
            label += f" (mean {mean:+.3f})"
        ax.bar(x, shown, width=width * 0.95, label=label)
        for xi, v in zip(x, vals, strict=True):
            if not np.isfinite(v):
                ax.text(xi, 0, "n/a", ha="center", va="bottom", fontsize=7, color="#555555")
            elif n_c * n_s <= 40:
                ax.text(xi, v, f"{v:+.3f}", ha="center", va="bottom" if v >= 0 else "top", fontsize=7)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(range(n_c), labels=conditions, rotation=45, ha="right")
    ax.set_ylabel(f"change vs {table.clean}")
    ax.set_title(title or f"Robustness: {table.metric} change per condition vs {table.clean}")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return save_png(fig, path)
