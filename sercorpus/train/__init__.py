"""Training recipes: SER models (SSL fine-tuning, CNN14, TC-GRU on frozen embeddings) trained from a typed YAML
recipe on shards or manifests, on one CPU, one GPU or many (torchrun), with exact resume.

Layering: imports core/corpora/selection/augment/shards/profile only; evaluation lives above, in
``sercorpus.evaluate``, so the few in-loop metrics needed for early stopping are in :mod:`.devmetrics`."""
