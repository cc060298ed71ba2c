"""YAML configs -> op trees. ``yaml.safe_load`` and a name registry: nothing in a config is ever evaluated.

Format::

    sample_rate: 16000        # audio is resampled to this rate before augmentation
    rate: 0.5                 # fraction of utterances augmented at all
    chain:                    # or one_of: [...]
      - op: time_stretch      # any registered op name; other keys are its parameters
        p: 0.5
        min_rate: 0.9
        max_rate: 1.2
      - one_of: [{op: pink_noise, snrs_db: [10, 20]}, {op: background_noise, snrs_db: [0, 10, 20]}]
        weights: [1, 1]
        p: 0.5

Resources that live outside the config (an ESC-50 root, a RIR folder) may be left out and supplied by the
caller (``--noise-root``/``--rir-dir``); relative paths in a config file resolve against its folder.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sercorpus.augment import filters, levels, noise, reverb, specaugment, telephone, temporal  # noqa: F401
from sercorpus.augment.base import REGISTRY, Op
from sercorpus.augment.compose import Augmenter, Chain, OneOf

#: op -> (parameter, resource key that fills it, the op's other source parameters): the resource fills the
#: parameter only when the config gives none of the op's sources
RESOURCE_PARAMS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "background_noise": ("root", "noise_root", ("folder",)),
    "rir_reverb": ("rir_dir", "rir_dir", ("paths",)),
}
_PATH_PARAMS = {"root", "folder", "rir_dir", "paths"}
_TOP_KEYS = {"sample_rate", "rate", "chain", "one_of", "weights", "p", "name", "description"}


def _resolve_path(value: Any, base_dir: Path | None) -> Any:
    """A relative path (or each of a list of them) against the config file's folder."""
    if isinstance(value, list):
        return [_resolve_path(v, base_dir) for v in value]
    if isinstance(value, str) and base_dir is not None and not Path(value).is_absolute():
        return str((base_dir / value).resolve())
    return value


def build_op(
    spec: Any, resources: Mapping[str, Any] | None = None, base_dir: Path | None = None, where: str = "config"
) -> Op:
    """One node of the tree: ``{op: name, ...params}``, ``{chain: [...], p}`` or ``{one_of: [...], weights, p}``."""
    resources = dict(resources or {})
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a mapping with 'op', 'chain' or 'one_of', got {spec!r}")
    kinds = [k for k in ("op", "chain", "one_of") if k in spec]
    if len(kinds) != 1:
        raise ValueError(f"{where}: needs exactly one of 'op', 'chain', 'one_of' (got keys {sorted(spec)})")
    kind = kinds[0]
    if kind in ("chain", "one_of"):
        children = spec[kind]
        if not isinstance(children, list):
            raise ValueError(f"{where}.{kind}: expected a list of ops")
        extra = set(spec) - {kind, "p", "weights", "fuse_filters"}
        if extra:
            raise ValueError(f"{where}: unknown keys {sorted(extra)} for {kind}")
        ops = [build_op(c, resources, base_dir, f"{where}.{kind}[{i}]") for i, c in enumerate(children)]
        if kind == "chain":
            if "weights" in spec:
                raise ValueError(f"{where}: 'weights' belongs to one_of, not chain")
            return Chain(ops, p=spec.get("p", 1.0), fuse_filters=spec.get("fuse_filters", True))
        return OneOf(ops, weights=spec.get("weights"), p=spec.get("p", 1.0))
    name = spec["op"]
    if name not in REGISTRY:
        raise ValueError(f"{where}: unknown op {name!r}; known ops: {sorted(REGISTRY)}")
    cls = REGISTRY[name]
    params = {k: v for k, v in spec.items() if k != "op"}
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "bank")]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown parameter(s) {unknown} for op {name!r}; allowed: {allowed}")
    if name in RESOURCE_PARAMS:
        param, key, others = RESOURCE_PARAMS[name]
        given = any(params.get(k) is not None for k in (param, *others))
        if not given and resources.get(key) is not None:
            params[param] = str(resources[key])
    for key in _PATH_PARAMS & set(params):
        params[key] = _resolve_path(params[key], base_dir)
    try:
        return cls(**params)
    except TypeError as exc:
        raise ValueError(f"{where}: op {name!r}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def load_config(
    config: str | Path | Mapping[str, Any],
    resources: Mapping[str, Any] | None = None,
) -> Augmenter:
    """A YAML file (or an already-parsed mapping) -> :class:`Augmenter`."""
    base_dir = None
    if isinstance(config, (str, Path)):
        path = Path(config)
        if not path.is_file():
            raise FileNotFoundError(f"augmentation config not found: {path}")
        with path.open(encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
        base_dir = path.resolve().parent
        where = str(path)
    else:
        where = "config"
    if not isinstance(config, Mapping):
        raise ValueError(f"{where}: top level must be a mapping with 'chain' or 'one_of'")
    unknown = set(config) - _TOP_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown top-level keys {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    tree = {k: v for k, v in config.items() if k in ("chain", "one_of", "weights", "p")}
    op = build_op(tree, resources, base_dir, where)
    return Augmenter(op, rate=config.get("rate", 1.0), sample_rate=config.get("sample_rate", 16000))
