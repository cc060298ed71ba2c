"""Evaluation: metrics, predictions tables, scoring, reports, late fusion (see docs/metrics.md)."""
