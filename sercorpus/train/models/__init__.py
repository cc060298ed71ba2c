"""SER models, one per module: SSL encoder fine-tuning (:mod:`.ssl`), CNN14 on log-mel (:mod:`.cnn14`),
TC-GRU on frozen layer embeddings (:mod:`.tcgru`); all end in :class:`.heads.MultiTaskHead` and return
``{"logits": [B, C], "dims": [B, K]}`` (whichever tasks the recipe asks for)."""
