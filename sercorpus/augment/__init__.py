"""Batched, lengths-aware, per-example-reproducible audio augmentation on any torch device.

Contract: an op takes a zero-padded batch ``(B, T)`` plus ``lengths`` and one seed per example, and returns
the new batch, new lengths and one provenance dict per example. Padding is exactly zero after every op;
powers, SNRs, fades, shifts and masks use valid samples only. Parameters of an example derive from
(seed, utterance id, copy index), so the same utterance gets the same augmentation whatever its batch,
batch size, order, worker or device.

Ops live one per module in ``sercorpus/augment/ops/`` and register themselves; every registered op class
is also importable from here by its class name (``from sercorpus.augment import PinkNoise``).

Quick use::

    from sercorpus.augment import load_config
    aug = load_config("recipes/augment/literature_chain.yaml", {"noise_root": "ESC-50"})
    out = aug(x, lengths, ids=utt_ids, copy=0, seed=1)   # out.x, out.lengths, out.provenance
    Augmenter.replay(out.provenance[0], audio=x[0, : lengths[0]])   # the same output, from its record
"""

from importlib import import_module
from typing import Any

#: engine infrastructure: public name -> defining module, imported on first use so that ``sercorpus --help``
#: (and the demo module, which imports the demo stage) does not pay for torch until augmentation runs.
#: Op classes are not listed: they are found in the registry.
_EXPORTS = {
    "REGISTRY": "registry",
    "register": "registry",
    "Op": "op",
    "Node": "node",
    "Batch": "batch",
    "example_seeds": "rng",
    "pad_batch": "padding",
    "unpad": "padding",
    "Augmenter": "augmenter",
    "AugmentOutput": "augmenter",
    "Chain": "compose",
    "OneOf": "compose",
    "build_op": "config",
    "load_config": "augmenter",
    "NoiseBank": "noise_bank",
    "RIRBank": "rir_bank",
    "colored_noise": "noise_synth",
    "LogMel": "features",
    "augment_files": "files",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = import_module(f"sercorpus.augment.{_EXPORTS[name]}")
        if name == "REGISTRY":
            module.discover()
        value = getattr(module, name)
    elif name[:1].isupper():  # an op class name (submodules are lowercase and imported normally)
        registry = import_module("sercorpus.augment.registry")
        by_class = {cls.__name__: cls for cls in registry.ops().values()}
        if name not in by_class:
            raise AttributeError(f"module 'sercorpus.augment' has no attribute {name!r}")
        value = by_class[name]
    else:
        raise AttributeError(f"module 'sercorpus.augment' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(_EXPORTS)
