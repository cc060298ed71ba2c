#!/usr/bin/env python3
"""Accuracy of the blind acoustic estimators against ground truth, beside the blind-rt60 peer, plus the
profiler's throughput.

Ground truth (``sercorpus.profile.groundtruth``; the *test* half of ../shared/data, never seen in
training, see ``sercorpus.profile.validation``): real speech (odd clips) convolved with the 7 measured RIRs
of ../shared/data/rir and with pyroomacoustics rooms (seed 2), T60 (T_mid) and C50 measured on each RIR by
Schroeder integration / early-late energy; noise from ESC-50 (the second clip of each category), the
Speech Commands backgrounds (last 40 %) and coloured noise, mixed at known whole-utterance SNRs.

Sets: SNR over U(0, 30) dB, half of them reverberant; reverberation at SNR U(20, 40) dB (30 % without
noise). Metrics: MAE, RMSE, bias (estimate - truth), Pearson r, overall and binned over the target range.
Throughput: seconds of audio profiled per wall second on one core (one process, one thread, no MOS).

Usage: python benchmarks/estimators.py [--n-snr 600] [--n-reverb 700] [--peer-n 40] [--quick]
Targets (issue 11): SNR MAE <= 2 dB over 0-30 dB; T60 MAE <= 0.1 s and r >= 0.9 over 0.2-1.2 s;
C50 RMSE <= 3 dB over -5..+30 dB.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy/torch: throughput is per core

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "recipes" / "profile"))

from sercorpus.profile.analyze import profile_arrays  # noqa: E402
from sercorpus.profile.groundtruth import Example, make_examples, room_from_rir  # noqa: E402
from sercorpus.profile.validation import TEST_ROOM_SEED, load_side  # noqa: E402

#: ESC-50 categories whose background is (quasi-)stationary; the rest are events (knocks, ticks, coughs)
STATIONARY = {
    "rain",
    "sea_waves",
    "crackling_fire",
    "crickets",
    "wind",
    "washing_machine",
    "vacuum_cleaner",
    "chirping_birds",
    "thunderstorm",
    "pouring_water",
    "toilet_flush",
    "brushing_teeth",
    "snoring",
}


def noise_kind(name: str) -> str:
    """'stationary' (coloured noise, the exercise bike, steady ESC-50 backgrounds) or 'events'."""
    if name.startswith("colored") or "exercise_bike" in name:
        return "stationary"
    parts = name.split("/")
    return "stationary" if parts[0] == "esc50" and parts[1] in STATIONARY else "events"


def test_rooms(count: int, cache: Path) -> list:
    """Simulated test rooms (seed 2, a wider range than training: T60 0.15-1.6 s, 0.15-8 m), cached."""
    from sercorpus.profile.simulate import simulate_room

    path = cache / f"testrooms_seed{TEST_ROOM_SEED}_n{count}.npz"
    if path.is_file():
        with np.load(path) as data:
            rirs = [data[f"rir{i}"] for i in range(count)]
    else:
        rirs = [
            simulate_room(TEST_ROOM_SEED, i, t60_range=(0.15, 1.6), distance_range=(0.15, 8.0)).rir
            for i in range(count)
        ]
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **{f"rir{i}": h for i, h in enumerate(rirs)})
    return [
        room_from_rir(f"sim{TEST_ROOM_SEED}-{i}", np.asarray(h, dtype=np.float64)) for i, h in enumerate(rirs)
    ]


def metrics(est: np.ndarray, truth: np.ndarray) -> str:
    ok = np.isfinite(est) & np.isfinite(truth)
    n = int(ok.sum())
    if n < 3:
        return f"n={n:4d}  (too few)"
    e = est[ok] - truth[ok]
    r = np.corrcoef(est[ok], truth[ok])[0, 1] if np.std(est[ok]) > 0 else float("nan")
    return (
        f"n={n:4d}  MAE={np.mean(np.abs(e)):7.3f}  RMSE={np.sqrt(np.mean(e**2)):7.3f}  "
        f"bias={np.mean(e):+7.3f}  r={r:6.3f}"
    )


def table(
    title: str,
    truth: np.ndarray,
    estimates: dict[str, np.ndarray],
    lo: float,
    hi: float,
    bins: list[float],
    nulls: dict[str, int] | None = None,
) -> None:
    print(f"\n### {title}  (truth in [{lo:g}, {hi:g}])")
    sel = (truth >= lo) & (truth <= hi)
    for name, est in estimates.items():
        null = f"  nulls={nulls[name]}" if nulls and name in nulls else ""
        print(f"  {name:18s} all        {metrics(est[sel], truth[sel])}{null}")
        for a, b in zip(bins[:-1], bins[1:], strict=True):
            m = sel & (truth >= a) & (truth < b if b < hi else truth <= b)
            print(f"  {'':18s} [{a:g}, {b:g}]  {metrics(est[m], truth[m])}")


def column(rows: list[dict], key: str) -> np.ndarray:
    return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=np.float64)


def profile_all(examples: list[Example]) -> list[dict]:
    rows = []
    for start in range(0, len(examples), 64):
        rows += profile_arrays([e.signal for e in examples[start : start + 64]], 16000)
    return rows


def blind_rt60_peer(examples: list[Example]) -> np.ndarray:
    from blind_rt60 import BlindRT60
    from scipy.signal import resample_poly

    est = BlindRT60(fs=8000)
    out = []
    for e in examples:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(float(est.estimate(resample_poly(e.signal, 1, 2), 8000)))
            except Exception:  # noqa: BLE001 - a peer failure counts as a missing estimate
                out.append(np.nan)
    return np.asarray(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-snr", type=int, default=600)
    ap.add_argument("--n-reverb", type=int, default=700)
    ap.add_argument("--rooms", type=int, default=250)
    ap.add_argument("--peer-n", type=int, default=40, help="examples for blind-rt60 (slow: ~5-15 s each)")
    ap.add_argument("--quick", action="store_true", help="small sets for a smoke run")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "sercorpus" / "profile")
    args = ap.parse_args()
    if args.quick:
        args.n_snr, args.n_reverb, args.rooms, args.peer_n = 120, 120, 40, 5
    import torch

    torch.set_num_threads(1)
    side = load_side("test")
    rooms = test_rooms(args.rooms, args.cache)
    measured = [room_from_rir(n, h) for n, h in side.measured_rirs]
    print(
        f"test side: {len(side.speech)} speech clips, {len(side.noises)} noises, {len(rooms)} simulated + "
        f"{len(measured)} measured rooms"
    )

    # ---- SNR
    snr_set = make_examples(
        side.speech,
        rooms + measured,
        side.noises,
        args.n_snr,
        seed=11,
        snr_range=(0, 30),
        p_room=0.5,
        p_noise=1.0,
    )
    rows = profile_all(snr_set)
    truth = np.array([e.snr_db for e in snr_set], dtype=np.float64)
    est = {k: column(rows, k) for k in ("snr_db", "wada_snr_db")}
    nulls = {k: int(np.isnan(v).sum()) for k, v in est.items()}
    table("SNR (dB), all noises", truth, est, 0, 30, [0, 10, 20, 30], nulls)
    kind = np.array([noise_kind(e.noise or "") for e in snr_set])
    for k in ("stationary", "events"):
        m = kind == k
        table(
            f"SNR (dB), {k} noise only", truth[m], {n: v[m] for n, v in est.items()}, 0, 30, [0, 10, 20, 30]
        )

    # ---- reverberation
    rev_set = make_examples(
        side.speech,
        rooms + measured * 12,
        side.noises,
        args.n_reverb,
        seed=12,
        snr_range=(20, 40),
        p_room=1.0,
        p_noise=0.7,
    )
    rows = profile_all(rev_set)
    t60 = np.array([np.nan if e.t60_s is None else e.t60_s for e in rev_set])
    c50 = np.array([e.c50_db for e in rev_set], dtype=np.float64)
    est_t60, est_c50 = column(rows, "t60_s"), column(rows, "c50_db")
    is_measured = np.array([not (e.room or "").startswith("sim") for e in rev_set])
    table(
        "T60 (s), T_mid",
        t60,
        {"t60_s (ours)": est_t60},
        0.2,
        1.2,
        [0.2, 0.4, 0.6, 0.8, 1.0, 1.2],
        {"t60_s (ours)": int(np.isnan(est_t60).sum())},
    )
    table(
        "T60 (s), measured RIRs only",
        t60[is_measured],
        {"t60_s (ours)": est_t60[is_measured]},
        0.2,
        1.2,
        [0.2, 0.6, 1.2],
    )
    table(
        "C50 (dB)",
        c50,
        {"c50_db (ours)": est_c50},
        -5,
        30,
        [-5, 5, 15, 30],
        {"c50_db (ours)": int(np.isnan(est_c50).sum())},
    )
    table(
        "C50 (dB), measured RIRs only",
        c50[is_measured],
        {"c50_db (ours)": est_c50[is_measured]},
        -5,
        30,
        [-5, 10, 30],
    )
    # the peer on a subset (it is slow), in the T60 range, our estimate on the same examples beside it
    in_range = np.flatnonzero((t60 >= 0.2) & (t60 <= 1.2))
    pick = in_range[np.linspace(0, len(in_range) - 1, min(args.peer_n, len(in_range))).astype(int)]
    start = time.perf_counter()
    peer = blind_rt60_peer([rev_set[i] for i in pick])
    peer_s = time.perf_counter() - start
    table(
        f"T60 (s) on the peer's subset ({len(pick)} examples)",
        t60[pick],
        {"t60_s (ours)": est_t60[pick], "blind-rt60 0.1.1": peer},
        0.2,
        1.2,
        [0.2, 0.7, 1.2],
    )

    # ---- throughput
    signals = [s for _, s in side.speech] * 4
    seconds = sum(len(s) for s in signals) / 16000
    profile_arrays(signals[:8], 16000)  # warm-up (model load)
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        for k in range(0, len(signals), 32):
            profile_arrays(signals[k : k + 32], 16000)
        best = min(best, time.perf_counter() - start)
    peer_rt = sum(len(rev_set[i].signal) for i in pick) / 16000 / peer_s if len(pick) else float("nan")
    load = os.getloadavg()[0]
    print(
        f"\n### throughput (one core, no MOS; machine load average {load:.1f} on {os.cpu_count()} cores)\n  sercorpus profile (all features): {seconds / best:7.0f}x "
        f"real time ({seconds:.0f} s of speech in {best:.2f} s)\n  blind-rt60 (T60 only, 8 kHz):   "
        f"{peer_rt:7.1f}x real time"
    )


if __name__ == "__main__":
    main()
