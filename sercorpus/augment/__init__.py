"""Batched, lengths-aware, per-example-reproducible audio augmentation on any torch device.

Contract: an op takes a zero-padded batch ``(B, T)`` plus ``lengths`` and one seed per example, and returns
the new batch, new lengths and one provenance dict per example. Padding is exactly zero after every op;
powers, SNRs, fades, shifts and masks use valid samples only. Parameters of an example derive from
(seed, utterance id, copy index), so the same utterance gets the same augmentation whatever its batch,
batch size, order, worker or device.

Quick use::

    from sercorpus.augment import load_config
    aug = load_config("recipes/augment/literature_chain.yaml", {"noise_root": "ESC-50"})
    out = aug(x, lengths, ids=utt_ids, copy=0, seed=1)   # out.x, out.lengths, out.provenance
"""

from importlib import import_module
from typing import Any

#: public name -> defining module; imported on first use so that ``sercorpus --help`` (and the demo module,
#: which imports the demo stage) does not pay for torch until augmentation actually runs
_EXPORTS = {
    "REGISTRY": "base",
    "Op": "base",
    "register": "base",
    "Batch": "batch",
    "example_seeds": "batch",
    "pad_batch": "batch",
    "unpad": "batch",
    "Augmenter": "compose",
    "AugmentOutput": "compose",
    "Chain": "compose",
    "OneOf": "compose",
    "build_op": "config",
    "load_config": "config",
    "HighPass": "filters",
    "LowPass": "filters",
    "Fade": "levels",
    "Gain": "levels",
    "GradualFade": "levels",
    "BackgroundNoise": "noise",
    "NoiseBank": "noise",
    "PinkNoise": "noise",
    "colored_noise": "noise",
    "PedalboardReverb": "reverb",
    "RIRBank": "reverb",
    "RIRReverb": "reverb",
    "SyntheticReverb": "reverb",
    "LogMel": "specaugment",
    "SpecAugment": "specaugment",
    "Telephone": "telephone",
    "SegmentSpeedup": "temporal",
    "TimeShift": "temporal",
    "TimeStretch": "temporal",
    "augment_files": "files",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sercorpus.augment' has no attribute {name!r}")
    if name == "REGISTRY":
        import_module("sercorpus.augment.config")  # imports (and so registers) every op
    value = getattr(import_module(f"sercorpus.augment.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
