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
caller (``--noise-root``/``--rir-dir``): ops declare which parameter each resource fills. Relative paths
written in a config file resolve against the config's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sercorpus.augment import registry
from sercorpus.augment.compose import Chain, OneOf
from sercorpus.augment.node import Node

_META_KEYS = {"sample_rate", "rate", "name", "description"}
_TOP_KEYS = _META_KEYS | {"chain", "one_of", "weights", "p", "fuse_filters"}


class ConfigError(ValueError, yaml.YAMLError):
    """A config file that is not valid YAML (one line naming the file, line and column)."""


def _resolve_path(value: Any, base_dir: Path | None) -> Any:
    """A relative path (or each of a list of them) against the config file's folder."""
    if isinstance(value, list):
        return [_resolve_path(v, base_dir) for v in value]
    if isinstance(value, str) and base_dir is not None and not Path(value).is_absolute():
        return str((base_dir / value).resolve())
    return value


def build_op(
    spec: Any, resources: Mapping[str, Any] | None = None, base_dir: Path | None = None, where: str = "config"
) -> Node:
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
        if "fuse_filters" in spec:
            raise ValueError(f"{where}: 'fuse_filters' belongs to chain, not one_of")
        return OneOf(ops, weights=spec.get("weights"), p=spec.get("p", 1.0))
    name = spec["op"]
    known = registry.ops()
    if not isinstance(name, str) or name not in known:
        raise ValueError(f"{where}: unknown op {name!r}; known ops: {sorted(known)}")
    cls = known[name]
    params = {k: v for k, v in spec.items() if k != "op"}
    allowed = [p.name for p in cls.declared if p.yaml]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown parameter(s) {unknown} for op {name!r}; allowed: {allowed}")
    for param in cls.declared:
        if param.is_path and param.name in params:
            params[param.name] = _resolve_path(params[param.name], base_dir)
    for param in cls.declared:
        if param.resource is None or resources.get(param.resource) is None:
            continue
        if not any(params.get(k) is not None for k in (param.name, *param.alternatives)):
            # a resource comes from the caller (the command line), not the config: relative to the CWD
            params[param.name] = str(Path(resources[param.resource]).resolve())
    try:
        return cls(**params)
    except TypeError as exc:
        raise ValueError(f"{where}: op {name!r}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def read_config_file(path: Path) -> Any:
    """The parsed YAML of a config file; a YAML syntax error becomes one line naming the file and position."""
    if not path.is_file():
        raise FileNotFoundError(f"augmentation config not found: {path}")
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise ConfigError(f"{path}{at}: not valid YAML: {problem}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None


def parse_config(
    config: str | Path | Mapping[str, Any],
    resources: Mapping[str, Any] | None = None,
) -> tuple[Node, float, int]:
    """A YAML file (or an already-parsed mapping) -> (op tree, rate, sample_rate), validated.

    :func:`sercorpus.augment.augmenter.load_config` wraps the result in an ``Augmenter``."""
    base_dir = None
    if isinstance(config, (str, Path)):
        path = Path(config)
        config = read_config_file(path)
        base_dir = path.resolve().parent
        where = str(path)
    else:
        where = "config"
    if not isinstance(config, Mapping):
        raise ValueError(f"{where}: top level must be a mapping with 'chain' or 'one_of'")
    if "op" in config:  # a single op at the root (as Augmenter.spec writes it for a leaf root)
        tree = {k: v for k, v in config.items() if k not in _META_KEYS}
    else:
        unknown = set(config) - _TOP_KEYS
        if unknown:
            raise ValueError(
                f"{where}: unknown top-level keys {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}"
            )
        tree = {k: v for k, v in config.items() if k not in _META_KEYS}
    op = build_op(tree, resources, base_dir, where)
    return op, config.get("rate", 1.0), config.get("sample_rate", 16000)
