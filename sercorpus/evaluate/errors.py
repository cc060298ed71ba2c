"""The one exception the evaluation package raises for bad input.

It subclasses :class:`ValueError` so the CLI's user-error handler prints its message without a traceback.
"""

from __future__ import annotations


class EvaluationError(ValueError):
    """Evaluation input is wrong (lengths, ids, classes, probabilities, empty sets); the message names what."""
