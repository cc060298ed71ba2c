"""pedalboard's Freeverb on CPU, for exact replication of recipes that used it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sercorpus.augment.batch import Batch
from sercorpus.augment.op import Op
from sercorpus.augment.padding import pad_batch
from sercorpus.augment.params import Span, number
from sercorpus.augment.rng import ExampleRNG


class PedalboardReverb(Op):
    """pedalboard's ``Reverb`` (JUCE Freeverb) on CPU, for exact replication of recipes that used it.

    Real semantics (pedalboard 0.9.26, JUCE ``juce_Reverb.h``; see ``augmentation-notes.md`` C.3):
    - ``room_size`` sets comb feedback 0.7 + 0.28*room_size: even room_size 0 rings for ~0.5 s (RT60 at
      16 kHz: 0.49 s at 0, 0.64 s at 0.2, 1.0 s at 0.5). It cannot make a small room; use
      :class:`SyntheticReverb` or :class:`RIRReverb` for T60 below 0.5 s.
    - ``wet_level`` is scaled x3 (1/3 is unity wet gain); ``dry_level`` x2 (0.4 = x0.8 = -1.9 dB,
      0.5 is unity). With wet <= 0.5 and dry 0.4 the direct-to-reverberant ratio stays >= ~5.5 dB.
    - ``width`` only scales the wet signal by (1 + width)/2 for mono input.
    - Every parameter glides over 10 ms when changed on a reused plugin, so a fresh plugin is built per
      clip; the output is cut to the input length unless ``keep_tail_s`` > 0 (then lengths grow).
    Not energy-matched (replication means the plugin's own gains). CPU only: rows go to the CPU and back.
    """

    name = "pedalboard_reverb"
    params = (
        Span(
            "room_size", (0.0, 0.2), 0.0, 1.0, "pedalboard's room_size (comb feedback 0.7 + 0.28 x room_size)"
        ),
        Span("wet_level", (0.1, 0.5), 0.0, 1.0, "pedalboard's wet_level (x3: 1/3 is unity wet gain)"),
        number("dry_level", 0.4, 0.0, 1.0, "pedalboard's dry_level (x2: 0.5 is unity)"),
        number("damping", 0.5, 0.0, 1.0, "pedalboard's damping"),
        number(
            "width", 1.0, 0.0, 1.0, "pedalboard's width (scales the wet signal by (1 + width)/2 for mono)"
        ),
        number("keep_tail_s", 0.0, 0.0, 10.0, "keep this much reverb tail after the input (lengths grow)"),
    )

    def sample(self, rng: ExampleRNG, length: int, sample_rate: int) -> dict[str, Any]:
        return {
            "room_size": self.draw("room_size", rng),
            "wet_level": self.draw("wet_level", rng),
            "dry_level": self.dry_level,
            "damping": self.damping,
            "width": self.width,
        }

    def apply(
        self, batch: Batch, params: list[dict[str, Any]], measure: bool = False
    ) -> tuple[Batch, dict[str, list[Any]] | None]:
        from pedalboard import Reverb

        sr = batch.sample_rate
        tail = int(round(self.keep_tail_s * sr))
        x = batch.x.detach().to("cpu", torch.float32).numpy()
        outs = []
        for row, n, prm in zip(x, batch.lens, params, strict=True):
            plugin = Reverb(
                room_size=prm["room_size"],
                damping=prm["damping"],
                wet_level=prm["wet_level"],
                dry_level=prm["dry_level"],
                width=prm["width"],
                freeze_mode=0.0,
            )
            signal = np.concatenate([row[:n], np.zeros(tail, np.float32)]) if tail else row[:n]
            outs.append(plugin(np.ascontiguousarray(signal, dtype=np.float32), sr, reset=True).reshape(-1))
        y, lengths = pad_batch(outs, batch.x.device)
        return Batch(y, lengths, sr, [len(o) for o in outs]), None
