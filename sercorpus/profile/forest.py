"""Gradient-boosted regression trees as plain arrays: exported from scikit-learn, evaluated with numpy.

The learned estimators ship as an ``.npz`` of arrays (no pickle, so loading a model file never runs
code). :func:`export_hgb` flattens a fitted ``HistGradientBoostingRegressor`` into padded per-tree node
arrays; :class:`Forest` walks all trees of all rows at once, one depth level per step, and returns
exactly scikit-learn's prediction (baseline + the sum of the reached leaves; a value goes left when it is
<= the node threshold, as in scikit-learn; NaN follows the node's missing-value direction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Forest:
    feature: np.ndarray  # (trees, nodes) int32, -1 at leaves
    threshold: np.ndarray  # (trees, nodes) float64
    left: np.ndarray  # (trees, nodes) int32
    right: np.ndarray  # (trees, nodes) int32
    missing_left: np.ndarray  # (trees, nodes) bool
    value: np.ndarray  # (trees, nodes) float64 (leaf values; 0 elsewhere)
    baseline: float
    depth: int

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        n, trees = X.shape[0], self.feature.shape[0]
        node = np.zeros((n, trees), dtype=np.int64)
        tree_idx = np.arange(trees)[None, :]
        for _ in range(self.depth):
            f = self.feature[tree_idx, node]
            leaf = f < 0
            x = np.take_along_axis(X, np.maximum(f, 0), axis=1)
            go_left = np.where(
                np.isnan(x), self.missing_left[tree_idx, node], x <= self.threshold[tree_idx, node]
            )
            nxt = np.where(go_left, self.left[tree_idx, node], self.right[tree_idx, node])
            node = np.where(leaf, node, nxt)
        return self.baseline + self.value[tree_idx, node].sum(axis=1)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}.feature": self.feature,
            f"{prefix}.threshold": self.threshold,
            f"{prefix}.left": self.left,
            f"{prefix}.right": self.right,
            f"{prefix}.missing_left": self.missing_left,
            f"{prefix}.value": self.value,
            f"{prefix}.baseline": np.array([self.baseline]),
            f"{prefix}.depth": np.array([self.depth]),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> Forest:
        return cls(
            arrays[f"{prefix}.feature"].astype(np.int32),
            arrays[f"{prefix}.threshold"].astype(np.float64),
            arrays[f"{prefix}.left"].astype(np.int32),
            arrays[f"{prefix}.right"].astype(np.int32),
            arrays[f"{prefix}.missing_left"].astype(bool),
            arrays[f"{prefix}.value"].astype(np.float64),
            float(arrays[f"{prefix}.baseline"][0]),
            int(arrays[f"{prefix}.depth"][0]),
        )


def export_hgb(model: Any) -> Forest:
    """A fitted scikit-learn ``HistGradientBoostingRegressor`` (numeric features only) as a :class:`Forest`."""
    predictors = [p[0] for p in model._predictors]
    size = max(len(p.nodes) for p in predictors)
    shape = (len(predictors), size)
    feature = np.full(shape, -1, dtype=np.int32)
    threshold = np.zeros(shape)
    left = np.zeros(shape, dtype=np.int32)
    right = np.zeros(shape, dtype=np.int32)
    missing = np.zeros(shape, dtype=bool)
    value = np.zeros(shape)
    depth = 0
    for t, p in enumerate(predictors):
        nodes = p.nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported")
        k = len(nodes)
        leaf = nodes["is_leaf"].astype(bool)
        feature[t, :k] = np.where(leaf, -1, nodes["feature_idx"])
        threshold[t, :k] = nodes["num_threshold"]
        left[t, :k] = nodes["left"]
        right[t, :k] = nodes["right"]
        missing[t, :k] = nodes["missing_go_to_left"].astype(bool)
        value[t, :k] = np.where(leaf, nodes["value"], 0.0)
        depth = max(depth, int(nodes["depth"].max()))
    baseline = float(np.asarray(model._baseline_prediction).reshape(-1)[0])
    return Forest(feature, threshold, left, right, missing, value, baseline, depth)
