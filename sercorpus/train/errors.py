"""Errors a training run reports as one line: a recipe problem names its key or file; a non-finite loss
names the step, the batch ids and the checkpoint that was kept."""

from __future__ import annotations

from collections.abc import Sequence


class RecipeError(ValueError):
    """A recipe value is wrong (unknown key, wrong type, missing file, data that cannot serve it).

    Raised before any training starts; ``key`` is the dotted recipe key (``model.pretrained``) or a file."""

    def __init__(self, key: str, message: str):
        self.key = key
        self.reason = message
        super().__init__(f"{key}: {message}")


class NonFiniteLossError(RuntimeError):
    """Loss or gradient became NaN/inf: training stopped; the last good checkpoint is left in place."""

    def __init__(self, step: int, ids: Sequence[str], what: str, checkpoint: str | None):
        self.step = step
        self.ids = list(ids)
        self.checkpoint = checkpoint
        shown = ", ".join(self.ids[:8]) + (f", ... ({len(self.ids)} in all)" if len(self.ids) > 8 else "")
        kept = f"last good checkpoint: {checkpoint}" if checkpoint else "no checkpoint had been written yet"
        super().__init__(f"non-finite {what} at optimiser step {step}, batch ids [{shown}]; stopped ({kept})")
