"""Metric functions, one family per module; all pure numpy, whole-set, validated, NaN-free.

See ``docs/metrics.md`` for the definitions and every degenerate case.
"""

from sercorpus.evaluate.metrics.aggregate import Aggregate, aggregate_runs, mean_std
from sercorpus.evaluate.metrics.bootstrap import BootstrapCI, bootstrap_ci, speaker_bootstrap_ci
from sercorpus.evaluate.metrics.classification import (
    ClassScores,
    accuracy,
    confusion_matrix,
    macro_f1,
    per_class_scores,
    uar,
    unweighted_average_recall,
    weighted_accuracy,
    weighted_f1,
)
from sercorpus.evaluate.metrics.dimensional import (
    ccc,
    concordance_cc,
    mae,
    mean_absolute_error,
    pearson,
    pearson_r,
)
from sercorpus.evaluate.metrics.fairness import FairnessGap, gender_fairness_gap
from sercorpus.evaluate.metrics.kbest import (
    k_best_hit_rate,
    k_best_hits,
    k_best_predictions,
    k_best_uar,
    pa_uar_k_best,
    per_speaker_k_best_uar,
    predict_labels,
    top_k_indices,
    top_k_labels,
)
from sercorpus.evaluate.metrics.soft import brier_score, js_divergence, kl_divergence, one_hot
from sercorpus.evaluate.metrics.speaker import (
    ExcludedSpeaker,
    PaUAR,
    PerSpeakerUAR,
    SpeakerScore,
    pa_uar,
    per_speaker_uar,
)
from sercorpus.evaluate.metrics.value import MetricValue

__all__ = [
    "Aggregate",
    "BootstrapCI",
    "ClassScores",
    "ExcludedSpeaker",
    "FairnessGap",
    "MetricValue",
    "PaUAR",
    "PerSpeakerUAR",
    "SpeakerScore",
    "accuracy",
    "aggregate_runs",
    "bootstrap_ci",
    "brier_score",
    "ccc",
    "concordance_cc",
    "confusion_matrix",
    "gender_fairness_gap",
    "js_divergence",
    "k_best_hit_rate",
    "k_best_hits",
    "k_best_predictions",
    "k_best_uar",
    "kl_divergence",
    "macro_f1",
    "mae",
    "mean_absolute_error",
    "mean_std",
    "one_hot",
    "pa_uar",
    "pa_uar_k_best",
    "pearson",
    "pearson_r",
    "per_class_scores",
    "per_speaker_k_best_uar",
    "per_speaker_uar",
    "predict_labels",
    "speaker_bootstrap_ci",
    "top_k_indices",
    "top_k_labels",
    "uar",
    "unweighted_average_recall",
    "weighted_accuracy",
    "weighted_f1",
]
