"""Training-ready shards: augmented Parquet/WebDataset shards from manifests, written resumably in parts on
any engine, and a streaming loader that gives every DDP rank the same number of batches and resumes
mid-epoch exactly.

Quick use::

    from sercorpus.shards import ShardSettings, write_shards, ShardLoader
    write_shards(["msp.parquet"], "out/msp-shards", ShardSettings(copies=2), augment="aug.yaml")
    loader = ShardLoader("out/msp-shards", view="4class", max_seconds=120, seed=0)
    for batch in loader: ...
"""

from sercorpus.core.lazy import lazy_getattr

#: public name -> defining module, imported on first use (the writer does not need torch for clean shards)
_EXPORTS = {
    "Batch": "batch",
    "Sample": "batch",
    "collate": "batch",
    "IGNORE_INDEX": "batch",
    "Part": "layout",
    "ShardSettings": "settings",
    "write_shards": "run",
    "ShardSummary": "run",
    "verify": "index",
    "merge": "index",
    "Verification": "index",
    "ShardLoader": "loader",
    "ShardSource": "sources",
    "ManifestSource": "sources",
    "OnTheFlyAugment": "onthefly",
}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr("sercorpus.shards", _EXPORTS, globals())
