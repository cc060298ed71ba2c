"""The training recipe: a typed schema, read from YAML with ``--set key=value`` overrides and ``${var}``
substitution, every key and type checked before anything runs.

A recipe names data by local paths only (manifests or shard folders) and a model by a local checkpoint or a
config; :mod:`sercorpus.train.validate` then checks the files and the data against it."""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from sercorpus.train.errors import RecipeError
from sercorpus.train.typedconfig import build

DIMENSION_NAMES = ("arousal", "valence", "dominance", "sentiment")


# ------------------------------------------------------------------------------------------------ data
@dataclass
class SplitSpec:
    """How to assign train/dev/test to a manifest that has no (usable) splits (``sercorpus split``'s
    strategies); the same strategy and seed on the same file give the same assignment in every section."""

    strategy: Literal["official", "speaker-random", "random", "loso", "logo"] = "official"
    fractions: dict[str, float] | None = None
    seed: int = 0
    fold: int | str | None = None
    dev_fold: int | str | None = None


@dataclass
class SourceSpec:
    """One input: a manifest (.parquet/.jsonl) or a shard folder, narrowed to a split and corpora."""

    path: str
    split: str | None = None  # keep records of this split; null keeps all
    corpora: list[str] = field(default_factory=list)
    make_split: SplitSpec | None = None
    scramble: list[str] = field(default_factory=list)  # "neutral:sad" swaps (label-scrambling controls)
    weight: float | None = None  # mixing share among training sources (all or none); null: natural sizes
    roots: dict[str, str] = field(default_factory=dict)  # corpus root overrides for a moved corpus


@dataclass
class AugmentSpec:
    """On-the-fly augmentation by the loader: ``rate`` is the share of training samples augmented
    (Emmanouilidou et al.'s 0/0.2/0.5/0.7/1.0 protocol). Pre-augmented shards need no entry here."""

    config: str | None = None
    rate: float = 0.0
    noise_root: str | None = None  # ESC-50 root for background-noise ops
    rir_dir: str | None = None  # impulse responses for rir_reverb ops


@dataclass
class DataSpec:
    train: list[SourceSpec]
    dev: list[SourceSpec]
    test: dict[str, list[SourceSpec]] = field(default_factory=dict)
    view: str = "4class"
    out_of_view: Literal["renormalize", "exclude"] = "renormalize"  # exclude: drop records voting outside
    require_label: bool = False  # keep only records with an in-view consensus label ("consensus only")
    sample_rate: int = 16000
    batch_size: int = 8
    eval_batch_size: int | None = None
    max_batch_seconds: float | None = None  # duration-bucketed batches under this audio budget
    min_duration: float | None = None
    max_duration: float | None = None
    shuffle_buffer: int = 1024
    num_workers: int = 0
    class_balanced: bool = False
    augment: AugmentSpec = field(default_factory=AugmentSpec)


# ---------------------------------------------------------------------------------------------- models
@dataclass
class HeadSpec:
    """Pooled embedding -> one hidden layer -> outputs (Wagner et al.'s head)."""

    hidden: int = 256
    dropout: float = 0.1
    activation: Literal["tanh", "relu"] = "tanh"


@dataclass
class EncoderSpec:
    """A transformers SSL encoder: a local checkpoint folder, or an architecture plus config (random weights)."""

    arch: Literal["wav2vec2", "hubert", "wavlm"] | None = None  # read from the checkpoint's config.json
    pretrained: str | None = None  # local folder with config.json and weights; hub names are refused
    config: dict[str, Any] | None = None  # transformers config keys (with arch, for random weights)
    keep_layers: int | None = None  # keep only the bottom K transformer layers
    layerdrop: float = 0.0  # > 0 needs find_unused_parameters under DDP
    normalize_audio: bool = True  # zero mean / unit variance per utterance over valid samples
    attention_mask: Literal["auto", "always", "never"] = "auto"  # auto: only layer-norm feature extractors


@dataclass
class SSLModelSpec:
    family: Literal["ssl"]
    encoder: EncoderSpec
    freeze_feature_encoder: bool = True
    freeze_encoder: bool = False
    head: HeadSpec = field(default_factory=HeadSpec)


@dataclass
class CNN14ModelSpec:
    family: Literal["cnn14"]
    frontend: Literal["16k", "32k"] = "16k"  # 16k: win 512 hop 160 50-8000 Hz; 32k: 1024/320, 50-14000 Hz
    pretrained: str | None = None  # a PANNs CNN14 .pth trained with the same front end
    width: int = 64  # channels of the first conv block (PANNs: 64 -> 2048)
    dropout: float = 0.2
    freeze: bool = False  # freeze the conv trunk (train the head only)
    head: HeadSpec = field(default_factory=HeadSpec)


@dataclass
class SaliencySpec:
    """Cross-correlation saliency on utterance means of a seeded random sample of training samples."""

    sample: int = 30000  # Mitra et al. used 30K; min(sample, training samples) are drawn
    seed: int = 0


@dataclass
class TCGRUModelSpec:
    family: Literal["tcgru"]
    encoder: EncoderSpec
    layer: int | Literal["salient"] = "salient"  # hidden_states index (0 = CNN projection output)
    cache_dir: str | None = None  # default: RUN_DIR/embeddings; share it between runs of one encoder
    cache_layers: Literal["all", "selected"] = "all"
    cache_dtype: Literal["float16", "float32"] = "float16"
    conv_channels: int = 256
    conv_kernel: int = 3
    gru_hidden: int = 256
    gru_layers: int = 2
    embedding: int = 256
    dropout: float = 0.2
    saliency: SaliencySpec = field(default_factory=SaliencySpec)


ModelSpec = SSLModelSpec | CNN14ModelSpec | TCGRUModelSpec


@dataclass
class TasksSpec:
    categories: bool = True  # predict the label view's classes
    dims: list[Literal["arousal", "valence", "dominance", "sentiment"]] = field(default_factory=list)


# --------------------------------------------------------------------------------------- optimisation
@dataclass
class LossSpec:
    categorical: Literal[
        "auto", "soft_ce", "hard_ce", "weighted_ce", "weighted_soft_ce", "softmax_bce", "softmax_bce_soft"
    ] = "auto"  # auto: soft_ce where the training data has votes, else hard_ce
    dimensional: Literal["ccc"] = "ccc"
    class_weights: list[float] | None = None  # weighted_*: default balanced N / (C n_c) of training counts
    weights: dict[str, float] = field(default_factory=lambda: {"categorical": 1.0, "dimensional": 1.0})


@dataclass
class OptimSpec:
    name: Literal["adam", "adamw", "sgd"] = "adam"
    lr: float = 1e-4
    weight_decay: float = 0.0
    momentum: float = 0.9  # sgd
    nesterov: bool = False  # sgd
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])


@dataclass
class ScheduleSpec:
    name: Literal["constant", "linear", "cosine"] = "constant"
    warmup_steps: int = 0


@dataclass
class TrainerSpec:
    epochs: int = 5
    max_steps: int | None = None  # optimiser steps; stops early when reached
    grad_accum: int = 1
    clip_grad_norm: float | None = 1.0
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 on GPUs that support it, else fp32
    device: Literal["auto", "cpu", "cuda"] = "auto"
    checkpoint_every: int = 200  # optimiser steps; a checkpoint is also written at every epoch end
    keep_checkpoints: int = 2
    eval_every: int | None = None  # optimiser steps; null: at every epoch end
    monitor: Literal["auto", "uar", "mean_ccc", "loss"] = "auto"  # auto: uar with categories, else mean_ccc
    patience: int | None = 3  # evaluations without improvement before stopping; null: never stop early
    min_delta: float = 0.0
    log_every: int = 10
    progress: bool = True
    tensorboard: Literal["auto", "on", "off"] = "auto"
    find_unused_parameters: Literal["auto", "on", "off"] = "auto"


@dataclass
class Recipe:
    name: str
    model: ModelSpec
    data: DataSpec
    description: str = ""
    seed: int = 0
    vars: dict[str, Any] = field(default_factory=dict)  # ${name} substitutions (paths, folds, rates)
    tasks: TasksSpec = field(default_factory=TasksSpec)
    loss: LossSpec = field(default_factory=LossSpec)
    optim: OptimSpec = field(default_factory=OptimSpec)
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    trainer: TrainerSpec = field(default_factory=TrainerSpec)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def dims(self) -> list[str]:
        return list(self.tasks.dims)


# --------------------------------------------------------------------------------------------- loading
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read, override, substitute and check a recipe; every problem is a RecipeError naming the key."""
    return recipe_from_dict(read_raw(Path(path)), overrides)


def read_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The recipe as plain data, with ``extends: BASE.yaml`` (relative to the file) merged underneath:
    mappings merge key by key, anything else (lists included) is replaced by the extending file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecipeError(str(path), "recipe file not found") from None
    except yaml.YAMLError as exc:
        raise RecipeError(str(path), f"invalid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RecipeError(str(path), "a recipe must be a YAML mapping")
    base = raw.pop("extends", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise RecipeError(f"{path}: extends", f"expected a file name, got {base!r}")
    target = (path.parent / base).resolve()
    if target in seen:
        raise RecipeError(f"{path}: extends", f"{base} extends itself (through {', '.join(map(str, seen))})")
    return deep_merge(read_raw(target, (*seen, target)), raw)


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def recipe_from_dict(raw: dict[str, Any], overrides: list[str] | None = None) -> Recipe:
    data = copy.deepcopy(raw)
    for item in overrides or []:
        apply_override(data, item)
    data = substitute(data, dict(data.get("vars") or {}))
    recipe = build(Recipe, data, "")
    check_values(recipe)
    return recipe


def apply_override(data: dict[str, Any], item: str) -> None:
    """``a.b.0.c=value``: value is a YAML scalar/flow value; list items are addressed by index."""
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise RecipeError(item, "--set expects KEY=VALUE (e.g. optim.lr=0.001)")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        raise RecipeError(key, f"--set value is not valid YAML: {exc}") from None
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            node = node[_index(node, part, here)]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            raise RecipeError(here, f"--set {key}: {here} is a value, not a section")
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, key)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise RecipeError(key, f"--set {key}: parent is a value, not a section")


def _index(node: list[Any], part: str, key: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise RecipeError(key, f"list index must be 0..{len(node) - 1}, got {part!r}")
    return int(part)


def substitute(value: Any, variables: dict[str, Any], key: str = "") -> Any:
    """Replace ``${name}`` in every string from ``vars`` (unknown names are an error naming the key)."""
    if isinstance(value, dict):
        return {
            k: (v if k == "vars" and not key else substitute(v, variables, _join(key, k)))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [substitute(v, variables, _join(key, str(i))) for i, v in enumerate(value)]
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole and whole.group(1) in variables:  # "${fold}" alone keeps the variable's type (3, 0.5, ...)
            return variables[whole.group(1)]

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                raise RecipeError(key, f"${{{name}}} is not defined in vars (known: {sorted(variables)})")
            return str(variables[name])

        return _VAR.sub(repl, value)
    return value


def _join(key: str, part: str) -> str:
    return f"{key}.{part}" if key else part


def check_values(recipe: Recipe) -> None:
    """Value ranges the types cannot express."""

    def positive(key: str, value: float | int | None, allow_zero: bool = False) -> None:
        if value is not None and (value < 0 or (value == 0 and not allow_zero)):
            raise RecipeError(key, f"must be {'>= 0' if allow_zero else '> 0'}, got {value}")

    t, d, o = recipe.trainer, recipe.data, recipe.optim
    positive("trainer.epochs", t.epochs)
    positive("trainer.max_steps", t.max_steps)
    positive("trainer.grad_accum", t.grad_accum)
    positive("trainer.clip_grad_norm", t.clip_grad_norm)
    positive("trainer.checkpoint_every", t.checkpoint_every)
    positive("trainer.keep_checkpoints", t.keep_checkpoints)
    positive("trainer.eval_every", t.eval_every)
    positive("trainer.patience", t.patience)
    positive("trainer.log_every", t.log_every)
    positive("data.batch_size", d.batch_size)
    positive("data.eval_batch_size", d.eval_batch_size)
    positive("data.sample_rate", d.sample_rate)
    positive("data.max_batch_seconds", d.max_batch_seconds)
    positive("data.num_workers", d.num_workers, allow_zero=True)
    positive("optim.lr", o.lr)
    positive("optim.weight_decay", o.weight_decay, allow_zero=True)
    positive("schedule.warmup_steps", recipe.schedule.warmup_steps, allow_zero=True)
    if len(o.betas) != 2 or not all(0 <= b < 1 for b in o.betas):
        raise RecipeError("optim.betas", f"must be two numbers in [0, 1), got {o.betas}")
    if not 0.0 <= d.augment.rate <= 1.0:
        raise RecipeError("data.augment.rate", f"must be in [0, 1], got {d.augment.rate}")
    if d.augment.rate > 0 and not d.augment.config:
        raise RecipeError("data.augment.config", f"rate {d.augment.rate} needs an augmentation config file")
    if not recipe.tasks.categories and not recipe.tasks.dims:
        raise RecipeError("tasks", "nothing to predict: set categories: true and/or list dims")
    if len(set(recipe.tasks.dims)) != len(recipe.tasks.dims):
        raise RecipeError("tasks.dims", f"lists a dimension twice: {recipe.tasks.dims}")
    if not d.train:
        raise RecipeError("data.train", "needs at least one source")
    if not d.dev:
        raise RecipeError("data.dev", "needs at least one source (early stopping and model selection use it)")
    for section, sources in [
        ("train", d.train),
        ("dev", d.dev),
        *((f"test.{k}", v) for k, v in d.test.items()),
    ]:
        for i, src in enumerate(sources):
            positive(f"data.{section}.{i}.weight", src.weight)
            if section == "train" and (src.weight is None) != (d.train[0].weight is None):
                raise RecipeError(
                    f"data.train.{i}.weight", "give a weight to every training source or to none"
                )
            for j, swap in enumerate(src.scramble):
                a, sep, b = swap.partition(":")
                if not sep or not a or not b:
                    raise RecipeError(f"data.{section}.{i}.scramble.{j}", f"expected CAT:CAT, got {swap!r}")
    model = recipe.model
    if isinstance(model, (SSLModelSpec, TCGRUModelSpec)):
        enc = model.encoder
        if (enc.pretrained is None) == (enc.config is None):
            raise RecipeError("model.encoder", "give exactly one of pretrained (a local folder) or config")
        if enc.config is not None and enc.arch is None:
            raise RecipeError("model.encoder.arch", "is required with config (wav2vec2, hubert or wavlm)")
        positive("model.encoder.keep_layers", enc.keep_layers)
        if not 0.0 <= enc.layerdrop < 1.0:
            raise RecipeError("model.encoder.layerdrop", f"must be in [0, 1), got {enc.layerdrop}")
    if isinstance(model, TCGRUModelSpec):
        if isinstance(model.layer, int):
            positive("model.layer", model.layer, allow_zero=True)
        positive("model.saliency.sample", model.saliency.sample)
    if isinstance(model, CNN14ModelSpec):
        positive("model.width", model.width)
    if recipe.trainer.monitor == "uar" and not recipe.tasks.categories:
        raise RecipeError("trainer.monitor", "uar needs tasks.categories: true")
    if recipe.trainer.monitor == "mean_ccc" and not recipe.tasks.dims:
        raise RecipeError("trainer.monitor", "mean_ccc needs tasks.dims")


def to_yaml(recipe: Recipe) -> str:
    """The resolved recipe as YAML (what the run folder keeps as ``recipe.yaml``)."""
    return yaml.safe_dump(recipe.to_dict(), sort_keys=False, allow_unicode=True)
