"""Cross-correlation saliency (CCS, Mitra et al. eq. 2-3): which encoder layer's utterance means carry the
most target information, counting relevance-weighted redundancy with the other dimensions.

For layer k with utterance means H [n, N] and targets L [n, D]:
    r_il = |corr(H_i, L_l)|                         relevance of dimension i to target l
    g_il = 1/(N-1) sum_{j != i} r_jl |corr(H_i, H_j)|   relevance-weighted redundancy (added, as in the paper)
    S_il = r_il + g_il
    score_k = mean over targets l and over dimensions i of S_il
Decisions the paper leaves open, made here and recorded in the output: the reduction over the N embedding
dimensions is the mean; the sample is min(``sample``, training samples) drawn with a seed (Mitra et al. drew
30K Train1.11 utterances); categorical targets are the vote-distribution columns (rows with votes, or the
one-hot consensus), dimensional targets their values (rows where all listed dimensions exist); a constant
column has no correlation and counts as 0 (reported)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class SaliencyResult:
    scores: list[float]  # per layer (hidden_states index), mean over all target columns
    by_group: dict[str, list[float]]  # "categories" / "dims": per layer
    chosen: int
    samples: int
    targets: list[str]
    constant_dims: list[int] = field(default_factory=list)  # per layer: embedding dims with no variance
    reduction: str = "mean over embedding dimensions and target columns"

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen_layer": self.chosen,
            "scores": self.scores,
            "by_group": self.by_group,
            "samples": self.samples,
            "targets": self.targets,
            "constant_dims": self.constant_dims,
            "reduction": self.reduction,
        }


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = x - x.mean(axis=0, keepdims=True)
    sd = x.std(axis=0, keepdims=True)
    ok = sd[0] > 1e-12
    z = np.zeros_like(x)
    z[:, ok] = x[:, ok] / sd[:, ok]
    return z, ok


def ccs_columns(h: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, int]:
    """S [N, D] for one layer's means ``h`` [n, N] and ``targets`` [n, D]; also the constant-dim count."""
    n, dims = h.shape
    zh, ok_h = _standardise(h.astype(np.float64))
    zl, _ = _standardise(targets.astype(np.float64))
    rel = np.abs(zh.T @ zl) / n  # [N, D]
    red = np.abs(zh.T @ zh) / n  # [N, N]
    np.fill_diagonal(red, 0.0)
    gamma = red @ rel / max(dims - 1, 1)
    return rel + gamma, int((~ok_h).sum())


def layer_scores(means: np.ndarray, targets: np.ndarray) -> tuple[list[float], list[int]]:
    """Per-layer CCS score for ``means`` [n, layers, N] against ``targets`` [n, D]."""
    scores, constant = [], []
    for k in range(means.shape[1]):
        s, const = ccs_columns(means[:, k, :], targets)
        scores.append(float(s.mean()))
        constant.append(const)
    return scores, constant


def saliency(
    means: np.ndarray,
    categories: np.ndarray | None,
    cat_rows: np.ndarray | None,
    dims: np.ndarray | None,
    dim_rows: np.ndarray | None,
    names: Sequence[str],
) -> SaliencyResult:
    """CCS per layer over the target groups given; ``*_rows`` select the rows valid for each group."""
    by_group: dict[str, list[float]] = {}
    weights: dict[str, int] = {}
    constant: list[int] = []
    for group, values, rows in (("categories", categories, cat_rows), ("dims", dims, dim_rows)):
        if values is None or rows is None:
            continue
        if int(rows.sum()) < 3:
            raise ValueError(
                f"saliency: only {int(rows.sum())} sampled rows have {group} targets (need >= 3)"
            )
        by_group[group], const = layer_scores(means[rows], values[rows])
        weights[group] = values.shape[1]
        constant = const if not constant else [max(a, b) for a, b in zip(constant, const, strict=True)]
    if not by_group:
        raise ValueError("saliency needs categorical or dimensional targets")
    total = sum(weights.values())
    scores = [
        sum(by_group[g][k] * weights[g] for g in by_group) / total for k in range(means.shape[1])
    ]  # mean over all target columns
    return SaliencyResult(
        scores, by_group, int(np.argmax(scores)), int(means.shape[0]), list(names), constant
    )


def plot_saliency(result: SaliencyResult, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = np.arange(len(result.scores))
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=120)
    ax.plot(layers, result.scores, "o-", color="black", label="all targets", zorder=3)
    for group, values in result.by_group.items():
        if len(result.by_group) > 1:
            ax.plot(layers, values, ".--", label=group, alpha=0.8)
    ax.axvline(result.chosen, color="tab:red", alpha=0.5, label=f"chosen: layer {result.chosen}")
    ax.set_xlabel("layer (hidden_states index; 0 = CNN projection)")
    ax.set_ylabel("mean CCS score")
    ax.set_xticks(layers)
    ax.set_title(f"{title}\n{result.samples} sampled training utterances", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path
