"""Evaluation: metrics, the predictions table, scoring, reports, cross-corpus and robustness views, late
fusion. Pure numpy (+ pyarrow for the table, matplotlib for PNGs); see ``docs/metrics.md``.

Layering: imports only sercorpus.core (atomic writes), so every layer above (demo, cli) may use it.
"""

from sercorpus.evaluate.crosscorpus import CrossCorpusMatrix, cross_corpus_matrix, matrix_csv, matrix_markdown
from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.fusion import (
    W_AUDIO,
    W_TEXT,
    FusionTuning,
    fused_probabilities,
    late_fusion,
    tune_fusion_weights,
)
from sercorpus.evaluate.predictions import (
    Predictions,
    from_arrow,
    make_predictions,
    read_predictions,
    to_arrow,
    write_predictions,
)
from sercorpus.evaluate.report import report_markdown, write_report
from sercorpus.evaluate.robustness import (
    RobustnessTable,
    robustness_csv,
    robustness_markdown,
    robustness_table,
)
from sercorpus.evaluate.scoring import MetricRow, ScoreReport, ScoreSettings, score_predictions

__all__ = [
    "W_AUDIO",
    "W_TEXT",
    "CrossCorpusMatrix",
    "EvaluationError",
    "FusionTuning",
    "MetricRow",
    "Predictions",
    "RobustnessTable",
    "ScoreReport",
    "ScoreSettings",
    "cross_corpus_matrix",
    "from_arrow",
    "fused_probabilities",
    "late_fusion",
    "make_predictions",
    "matrix_csv",
    "matrix_markdown",
    "read_predictions",
    "report_markdown",
    "robustness_csv",
    "robustness_markdown",
    "robustness_table",
    "score_predictions",
    "to_arrow",
    "tune_fusion_weights",
    "write_predictions",
    "write_report",
]
