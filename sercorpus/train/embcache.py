"""Per-layer embeddings of a frozen SSL encoder, extracted once and cached on disk (memory-mapped,
resumable: a killed extraction continues where its last complete batch ended).

``CACHE/means`` holds every sample's utterance mean of every layer (what saliency reads, float32);
``CACHE/layer_KK`` the frame sequences of layer KK (``hidden_states[KK]``; 0 is the CNN projection output)
for the layers asked for. ``CACHE/RUN.json`` records the encoder, sample rate and dtype, so a cache is never
reused for another encoder. Frame-level storage is large (frames x dim x layers: ~100 MB per hour of audio per
1024-d layer in float16), hence ``cache_layers: selected`` to keep only the chosen layer."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sercorpus.core.runinfo import RUN_FILE, canonical_json, claim_output_dir
from sercorpus.train.embstore import EmbeddingStore
from sercorpus.train.models.encoder import encoder_inputs, frame_lengths
from sercorpus.train.precision import autocast
from sercorpus.train.recipe import EncoderSpec
from sercorpus.train.sources import BatchSource

TOOL = "sercorpus.train.embeddings"


def identity(encoder: EncoderSpec, seed: int, sample_rate: int, dtype: str) -> dict[str, Any]:
    """What makes two caches interchangeable (the layer count and width follow from it)."""
    return {
        "encoder": dataclasses.asdict(encoder),
        "init_seed": seed if encoder.pretrained is None else None,  # random weights depend on it
        "sample_rate": sample_rate,
        "dtype": dtype,
    }


def known_shape(folder: Path, ident: dict[str, Any]) -> tuple[int, int] | None:
    """(layers, dim) of an existing cache made with ``ident``, so a complete cache needs no encoder."""
    try:
        run = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    settings = run.get("settings") or {}
    if run.get("tool") != TOOL or {k: settings.get(k) for k in ident} != json.loads(canonical_json(ident)):
        return None
    return int(settings["layers"]), int(settings["dim"])


class EmbeddingCache:
    def __init__(
        self,
        folder: Path,
        encoder: EncoderSpec,
        seed: int,
        sample_rate: int,
        dtype: str,
        layers: int,
        dim: int,
    ):
        settings = {**identity(encoder, seed, sample_rate, dtype), "layers": layers, "dim": dim}
        claim_output_dir(folder, TOOL, settings)
        self.folder = folder
        self.layers = layers
        self.dim = dim
        self.dtype = dtype
        self.means = EmbeddingStore(folder / "means", layers * dim, "float32")
        self._layer_stores: dict[int, EmbeddingStore] = {}

    def layer(self, k: int) -> EmbeddingStore:
        if not 0 <= k < self.layers:
            raise ValueError(f"layer {k} does not exist: the encoder has hidden_states 0..{self.layers - 1}")
        if k not in self._layer_stores:
            self._layer_stores[k] = EmbeddingStore(self.folder / f"layer_{k:02d}", self.dim, self.dtype)
        return self._layer_stores[k]

    def mean_matrix(self, ids: Iterable[str]) -> np.ndarray:
        """[n, layers, dim] utterance means of ``ids``."""
        return np.stack([self.means.get(i).reshape(self.layers, self.dim) for i in ids])

    def missing(self, ids: Iterable[str], layers: Iterable[int], means: bool) -> set[str]:
        stores = [self.layer(k) for k in layers] + ([self.means] if means else [])
        return {i for i in ids if any(i not in s for s in stores)}

    @torch.no_grad()
    def extract(
        self,
        encoder: nn.Module,
        source: BatchSource,
        wanted: set[str],
        layers: list[int],
        device: torch.device,
        precision: str,
        spec: EncoderSpec,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Run ``encoder`` over the batches of ``source`` holding ids in ``wanted`` that are not cached yet;
        returns the number of samples added. ``source`` must yield every wanted id once (no shuffling)."""
        todo = self.missing(wanted, layers, means=True)
        added = 0
        encoder.eval()
        for batch in source:
            rows = [i for i, ident in enumerate(batch.ids) if ident in todo]
            if not rows:
                continue
            audio = batch.audio[rows].to(device)
            lengths = batch.lengths[rows].to(device)
            with autocast(precision, device):
                out = encoder(
                    **encoder_inputs(encoder, audio, lengths, spec.normalize_audio, spec.attention_mask),
                    output_hidden_states=True,
                )
            hidden = torch.stack([h.float() for h in out.hidden_states], dim=1)  # [B, L, F, D]
            frames = frame_lengths(encoder, lengths).clamp(1, hidden.shape[2]).cpu()
            ids = [batch.ids[i] for i in rows]
            seqs = [hidden[b, :, : int(frames[b])].cpu().numpy() for b in range(len(rows))]
            for k in layers:
                self.layer(k).append(ids, [s[k] for s in seqs])
            self.means.append(ids, [s.mean(axis=1).reshape(1, -1) for s in seqs])
            todo.difference_update(ids)
            added += len(ids)
            if progress is not None:
                progress(len(ids))
        if todo:
            raise ValueError(
                f"embedding extraction: the loader never yielded {len(todo)} id(s), e.g. {sorted(todo)[0]}"
            )
        return added
