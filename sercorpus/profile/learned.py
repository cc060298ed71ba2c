"""The project-trained estimators of SNR, T60 and C50: gradient-boosted trees on blind descriptors.

Model file: ``sercorpus/profile/models/acoustics.npz`` (arrays only, no pickle), built by
``recipes/profile/train_estimators.py`` from simulated rooms (pyroomacoustics), real speech and real noise
of a training split that the benchmark never uses (see docs/profiling.md). It records the descriptor
names it was trained on; a mismatch (descriptors changed without retraining) is refused, not guessed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from sercorpus.profile.clip import Clip
from sercorpus.profile.descriptors import describe, descriptor_names
from sercorpus.profile.forest import Forest

MODEL_FILE = "acoustics.npz"


class ModelUnavailable(RuntimeError):
    """The shipped model file is missing or was trained on other descriptors."""


@dataclass(frozen=True)
class Model:
    forests: dict[str, Forest]
    transforms: dict[str, str]  # target -> "identity" | "log"
    meta: dict[str, Any]

    def predict(self, target: str, X: np.ndarray) -> np.ndarray:
        y = self.forests[target].predict(X)
        return np.exp(y) if self.transforms[target] == "log" else y


def descriptor_fingerprint() -> str:
    return hashlib.sha256("\n".join(descriptor_names()).encode()).hexdigest()[:16]


def model_path() -> Any:
    return resources.files("sercorpus.profile").joinpath("models", MODEL_FILE)


@functools.lru_cache(maxsize=1)
def load_model() -> Model:
    path = model_path()
    try:
        with path.open("rb") as handle:
            arrays = dict(np.load(handle, allow_pickle=False))
    except FileNotFoundError:
        raise ModelUnavailable(
            f"model file {MODEL_FILE} is missing; run recipes/profile/train_estimators.py"
        ) from None
    meta = json.loads(bytes(arrays["meta"]).decode())
    if meta.get("descriptors") != descriptor_fingerprint():
        raise ModelUnavailable(
            f"{MODEL_FILE} was trained on other descriptors "
            f"({meta.get('descriptors')} != {descriptor_fingerprint()}); retrain it"
        )
    forests = {t: Forest.from_arrays(arrays, t) for t in meta["targets"]}
    return Model(forests, dict(meta["transforms"]), meta)


def predict(clip: Clip, target: str) -> float:
    """The model's estimate of ``target`` for ``clip`` (callers check the clip's validity first); uses the
    batched prediction :func:`sercorpus.profile.analyze.attach_learned_predictions` left on the clip."""
    cached = clip._cache.get(f"pred:{target}")
    if cached is not None:
        return float(cached)
    model = load_model()
    return float(model.predict(target, describe(clip)[None, :])[0])
