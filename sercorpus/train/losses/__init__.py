"""Training losses, one per module; :mod:`.build` turns a recipe's ``loss`` section into a
:class:`~.multitask.MultiTaskLoss`. Every loss computes in float32 (safe under bf16 autocast) and returns a
graph-connected zero when a batch holds no usable target, so DDP never sees a parameter without a gradient."""
