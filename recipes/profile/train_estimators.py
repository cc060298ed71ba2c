"""Train the learned SNR / T60 / C50 estimators and write ``sercorpus/profile/models/acoustics.npz``.

    .venv/bin/python recipes/profile/train_estimators.py [--rooms 300] [--examples 10000] [--cache DIR]

Data (the training half of ../shared/data, see ``sercorpus.profile.validation``): real speech (even
clips) plus synthetic voice, simulated rooms (pyroomacoustics, seed 1), ESC-50 / Speech Commands /
coloured noise at SNR ~ U(-5, 45) dB. Every example is a random crop of 1.5-6 s; 85 % get a room and 90 %
noise. Models: scikit-learn HistGradientBoostingRegressor per target (log T60), fixed seeds and one
thread, exported as plain arrays (``sercorpus.profile.forest``). Needs the dev extra (pyroomacoustics);
about 30 min on one core (room simulation dominates; rooms and descriptors are cached in --cache).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from featurize import TARGETS, featurize, targets  # noqa: E402
from rooms import default_cache, simulated_rooms  # noqa: E402

from sercorpus.profile.descriptors import descriptor_names  # noqa: E402
from sercorpus.profile.forest import export_hgb  # noqa: E402
from sercorpus.profile.groundtruth import make_examples  # noqa: E402
from sercorpus.profile.learned import descriptor_fingerprint  # noqa: E402
from sercorpus.profile.validation import TRAIN_ROOM_SEED, load_side, synthetic_speech  # noqa: E402

HGB = dict(
    max_iter=500,
    learning_rate=0.05,
    max_leaf_nodes=31,
    min_samples_leaf=20,
    l2_regularization=1.0,
    early_stopping=False,
    random_state=0,
)
#: examples used per target: (lowest SNR kept, transform)
RULES = {"snr_db": (None, "identity"), "t60_s": (5.0, "log"), "c50_db": (5.0, "identity")}


def training_set(rooms: int, examples: int, cache: Path, log=print) -> tuple[np.ndarray, np.ndarray]:
    path = cache / f"train_features_r{rooms}_n{examples}_{descriptor_fingerprint()}.npz"
    if path.is_file():
        with np.load(path) as data:
            return data["X"], data["Y"]
    side = load_side("train")
    speech = side.speech + synthetic_speech(60)
    room_list = simulated_rooms(TRAIN_ROOM_SEED, rooms, cache, log)
    log(f"rooms: {len(room_list)}; speech clips: {len(speech)}; noises: {len(side.noises)}")
    start = time.perf_counter()
    exs = make_examples(
        speech,
        room_list,
        side.noises,
        examples,
        seed=1,
        snr_range=(-5.0, 45.0),
        p_room=0.85,
        p_noise=0.9,
        crop_range=(1.5, 6.0),
    )
    X = featurize(exs)
    Y = targets(exs)
    log(f"descriptors of {len(exs)} examples in {time.perf_counter() - start:.0f} s")
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, X=X, Y=Y)
    return X, Y


def fit(X: np.ndarray, Y: np.ndarray, log=print) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    arrays: dict[str, np.ndarray] = {}
    summary: dict[str, object] = {}
    for j, target in enumerate(TARGETS):
        min_snr, transform = RULES[target]
        keep = np.isfinite(Y[:, j])
        if min_snr is not None:
            keep &= ~np.isfinite(Y[:, 0]) | (Y[:, 0] >= min_snr)
        y = np.log(Y[keep, j]) if transform == "log" else Y[keep, j]
        with threadpool_limits(1):
            model = HistGradientBoostingRegressor(**HGB).fit(X[keep], y)  # type: ignore[arg-type]
        forest = export_hgb(model)
        assert np.allclose(forest.predict(X[keep][:200]), model.predict(X[keep][:200]), atol=1e-9)
        arrays.update(forest.to_arrays(target))
        summary[target] = {
            "examples": int(keep.sum()),
            "min": float(Y[keep, j].min()),
            "max": float(Y[keep, j].max()),
            "transform": transform,
        }
        log(f"{target}: {int(keep.sum())} examples, range {Y[keep, j].min():.2f}..{Y[keep, j].max():.2f}")
    return arrays, summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", type=int, default=300)
    ap.add_argument("--examples", type=int, default=10000)
    ap.add_argument("--cache", type=Path, default=default_cache())
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "sercorpus" / "profile" / "models" / "acoustics.npz",
    )
    args = ap.parse_args()
    X, Y = training_set(args.rooms, args.examples, args.cache)
    arrays, summary = fit(X, Y)
    digest = hashlib.sha256()
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    meta = {
        "targets": list(TARGETS),
        "transforms": {t: RULES[t][1] for t in TARGETS},
        "descriptors": descriptor_fingerprint(),
        "n_descriptors": len(descriptor_names()),
        "fingerprint": digest.hexdigest()[:16],
        "training": summary,
        "hgb": HGB,
        "rooms": args.rooms,
        "examples": args.examples,
        "recipe": "recipes/profile/train_estimators.py",
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB), fingerprint {meta['fingerprint']}")


if __name__ == "__main__":
    main()
