"""Golden digests of seeded outputs: reproducibility checked across runs and versions, not only within one.

For every registered op (and the shipped waveform recipes) a fixed input batch is augmented with a fixed
seed. Pinned per case: the SHA-256 of the provenance records (parameters come from integer RNGs, so they
are bit-exact on every machine), the SHA-256 of the output bytes (compared exactly when torch version and
CPU capability match the pinned environment; float FFT kernels differ in the last bits between CPU
families) and a coarse fingerprint (segment RMS values) compared everywhere to 1e-5.

Regenerate after a deliberate change of outputs: ``.venv/bin/python tests/augment/golden_tool.py --update``
(and say so in the changelog).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden_digests.json"
RECIPES = HERE.parents[1] / "recipes" / "augment"
sys.path.insert(0, str(HERE))

from augment_signals import SR, tone_mix, write_esc50_mini, write_rir_folder  # noqa: E402

SEED = 20260517
LENGTHS = (4100, 2900, 6000)


def environment() -> str:
    return f"torch {torch.__version__}; cpu {torch.backends.cpu.get_cpu_capability()}"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _records(prov: Any) -> Any:
    """Provenance without the spec (it holds absolute resource paths)."""
    if isinstance(prov, dict):
        return {k: _records(v) for k, v in prov.items() if k != "spec"}
    if isinstance(prov, list):
        return [_records(v) for v in prov]
    return prov


def fingerprint(rows: list[np.ndarray]) -> list[list[float]]:
    out = []
    for y in rows:
        segs = np.array_split(y.astype(np.float64).reshape(-1), 16)
        out.append([round(float(np.sqrt(np.mean(s**2))) if s.size else 0.0, 6) for s in segs])
    return out


def cases(resources: dict[str, Path]) -> dict[str, Any]:
    """case name -> an Augmenter (one per registered op, plus the shipped waveform recipes)."""
    from sercorpus.augment import registry
    from sercorpus.augment.augmenter import Augmenter, load_config

    out: dict[str, Any] = {}
    for name, cls in sorted(registry.ops().items()):
        kwargs = {p.name: str(resources[p.resource]) for p in cls.declared if p.resource}
        out[f"op:{name}"] = Augmenter(cls(**kwargs), rate=1.0, sample_rate=SR)
    for recipe in ("literature_chain.yaml", "telephone.yaml"):
        out[f"recipe:{recipe}"] = load_config(RECIPES / recipe, resources)
    return out


def compute(resources: dict[str, Path]) -> dict[str, dict[str, Any]]:
    from sercorpus.augment.features import LogMel
    from sercorpus.augment.padding import pad_batch, unpad

    signals = [tone_mix(n, seed=100 + i) for i, n in enumerate(LENGTHS)]
    ids = [f"golden/{i}" for i in range(len(signals))]
    results: dict[str, dict[str, Any]] = {}
    for case, aug in cases(resources).items():
        x, lengths = pad_batch(signals)
        if aug.domain == "features":
            x, lengths = LogMel(SR)(x, lengths)
        with torch.inference_mode():
            out = aug(x, lengths, ids=ids, copy=1, seed=SEED)
        rows = unpad(out.x, out.lengths)
        records = json.dumps(_records(out.provenance), sort_keys=True, allow_nan=False)
        results[case] = {
            "lengths": [int(v) for v in out.lengths.tolist()],
            "provenance_sha256": _sha(records.encode()),
            "audio_sha256": _sha(b"".join(r.astype("<f4").tobytes() for r in rows)),
            "fingerprint": fingerprint(rows),
        }
    return results


def make_resources(folder: Path) -> dict[str, Path]:
    return {
        "noise_root": write_esc50_mini(folder / "esc50"),
        "rir_dir": write_rir_folder(folder / "rirs")[0],
    }


def main() -> int:
    if sys.argv[1:] != ["--update"]:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        results = compute(make_resources(Path(tmp)))
    GOLDEN.write_text(
        json.dumps({"environment": environment(), "cases": results}, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {GOLDEN} ({len(results)} cases, {environment()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
