"""``sercorpus demo``: the whole pipeline on embedded miniature corpora, one module per stage."""
