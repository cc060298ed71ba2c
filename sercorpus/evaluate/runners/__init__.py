"""Evaluation that needs a trained model: ``sercorpus evaluate`` (a run on test sets), the cross-corpus
matrix runner, robustness on augmented copies, late fusion of saved predictions, and the demo's report.

These build on the pure functions one level up (metrics, predictions table, scoring, reports, plots) and on
the training package's public pieces (recipe, run folder, model building, data narrowing)."""
