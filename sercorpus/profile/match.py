"""``sercorpus match``: search augmentation parameters so that augmented source audio profiles like a target.

Method (the scene-aware augmentation idea of arXiv 2104.10757 and the profile shift of Emmanouilidou et
al., automated): a fixed, seeded subsample of the source utterances is augmented with candidate
parameters (:mod:`sercorpus.profile.search_space`: reverberation T60/DRR or measured-RIR choice, noise
SNR range and colour or real backgrounds, low/high-pass EQ, telephone channel, gain, augmentation rate)
and *profiled* (never trusting nominal parameters: pedalboard's room size is not a T60, an added SNR is
not the measured one); the objective is the sum over features of the Wasserstein distance to the
target's distribution in nominal units (:data:`sercorpus.profile.compare.SCALES`) plus the difference in
the share of utterances where the feature is null (e.g. T60 is null below 10 dB SNR).

Search: an informed start (target medians), a scrambled Sobol design, then a pattern search (one
coordinate at a time, halving steps). Everything is seeded and the number of evaluations is derived from
``budget_s`` with a *nominal* cost per evaluation, so the same seed writes a byte-identical YAML on any
machine; a wall-clock guard (three times the budget) stops a run on a very slow machine early and says so.

Augmentation cannot remove noise or reverberation or restore bandwidth: where the target is cleaner than
the source on such a feature, the report says so plainly and that distance stays.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import yaml

from sercorpus.core.atomic import atomic_output
from sercorpus.core.seeding import rng_for
from sercorpus.profile.compare import LABELS, SCALES, values_of, wasserstein
from sercorpus.profile.search_space import DIMS, INDEX, Resources, params, theta_of, to_config

MATCH_FEATURES = (
    "snr_db",
    "wada_snr_db",
    "t60_s",
    "c50_db",
    "bandwidth_hz",
    "spectral_tilt_db_oct",
    "loudness_lufs",
)
#: nominal profiling speed (x real time) used to turn the time budget into a number of evaluations
NOMINAL_SPEED = 60.0
#: feature -> (sign: +1 when higher means cleaner, margin in feature units, what augmentation cannot do)
CLEANER: dict[str, tuple[int, float, str]] = {
    "snr_db": (+1, 3.0, "remove noise"),
    "wada_snr_db": (+1, 3.0, "remove noise"),
    "t60_s": (-1, 0.05, "remove reverberation"),
    "c50_db": (+1, 2.0, "remove reverberation"),
    "bandwidth_hz": (+1, 500.0, "restore missing bandwidth"),
}


@dataclass
class MatchResult:
    config: dict[str, Any]
    yaml_text: str
    features: list[str]
    before: dict[str, float | None]  # scaled distance per feature (source vs target)
    after: dict[str, float | None]  # scaled distance per feature (augmented source vs target)
    before_raw: dict[str, float | None]
    after_raw: dict[str, float | None]
    null_share: dict[str, dict[str, float]]  # feature -> {source, augmented, target}
    objective_before: float
    objective_after: float
    evaluations: int
    subsample: list[str]
    cleaner: list[str]
    stopped_early: bool
    seconds: float
    outputs: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)


def _load_audio(table: pa.Table, ids: Sequence[str]) -> tuple[list[str], list[np.ndarray], list[str]]:
    """16 kHz mono samples of the chosen rows; unreadable ones are reported, not fatal."""
    from sercorpus.core.audio import AudioError, read_audio
    from sercorpus.profile.clip import resample

    rows = {
        r["id"]: r for r in table.select(["id", "audio", "offset", "segment_duration", "channel"]).to_pylist()
    }
    kept, signals, problems = [], [], []
    for i in ids:
        r = rows[i]
        try:
            y, rate = read_audio(r["audio"], r["offset"] or 0.0, r["segment_duration"], r["channel"])
        except (AudioError, OSError) as exc:
            problems.append(f"{i}: {exc}")
            continue
        y = y.mean(axis=1) if y.ndim == 2 else y
        if not np.isfinite(y).all() or not np.any(y):
            problems.append(f"{i}: silent or non-finite audio")
            continue
        kept.append(i)
        signals.append(resample(y, rate, 16000).astype(np.float32))
    return kept, signals, problems


def _informed_start(src: pa.Table, tgt: pa.Table) -> np.ndarray:
    """A first guess from the medians: noise at the target SNR, a room at the target T60, EQ at its band."""

    def med(t: pa.Table, f: str) -> float | None:
        v = values_of(t, f)
        return float(np.median(v)) if v.size else None

    values: dict[str, float] = {
        "rate": 1.0,
        "reverb_p": 0.0,
        "noise_p": 0.0,
        "lowpass_p": 0.0,
        "highpass_p": 0.0,
        "telephone_p": 0.0,
        "gain_centre_db": 0.0,
        "gain_width_db": 0.0,
        "background_share": 0.0,
        "t60_spread": 0.5,
        "snr_width": 10.0,
        "drr_width": 6.0,
        "noise_colour": 1.0,
    }
    s_snr, t_snr = med(src, "snr_db"), med(tgt, "snr_db")
    if t_snr is not None and (s_snr is None or t_snr < s_snr - 2):
        values.update(noise_p=1.0, snr_centre=t_snr)
    s_t60, t_t60 = med(src, "t60_s"), med(tgt, "t60_s")
    if t_t60 is not None and (s_t60 is None or t_t60 > s_t60 + 0.05):
        values.update(reverb_p=1.0, t60_centre=t_t60)
        t_c50 = med(tgt, "c50_db")
        if t_c50 is not None:
            values["drr_centre"] = t_c50 - 3.0
    s_bw, t_bw = med(src, "bandwidth_hz"), med(tgt, "bandwidth_hz")
    if t_bw is not None and s_bw is not None and t_bw < s_bw - 500:
        values.update(lowpass_p=1.0, lowpass_hz=t_bw / 1.9)
    s_l, t_l = med(src, "loudness_lufs"), med(tgt, "loudness_lufs")
    if s_l is not None and t_l is not None:
        values["gain_centre_db"] = float(np.clip(t_l - s_l, -15, 15))
    return theta_of(values)


class _Objective:
    """Augment the subsample with a config, profile it, score it against the target (memoised by config)."""

    def __init__(
        self,
        ids: list[str],
        signals: list[np.ndarray],
        target: pa.Table,
        features: list[str],
        seed: int,
        resources: Resources,
    ) -> None:
        from sercorpus.augment import pad_batch

        self.ids, self.signals, self.features, self.seed = ids, signals, features, seed
        self.resources = resources
        self.target = {f: values_of(target, f) for f in features}
        self.target_null = {f: 1.0 - self.target[f].size / max(target.num_rows, 1) for f in features}
        self.x, self.lengths = pad_batch(signals)
        self.cache: dict[str, tuple[float, dict[str, np.ndarray]]] = {}
        self.evaluations = 0

    def profile(self, config: dict[str, Any]) -> dict[str, np.ndarray]:
        import torch

        from sercorpus.augment import load_config, unpad
        from sercorpus.profile.analyze import profile_arrays

        if config["rate"] == 0:
            outs = self.signals
        else:
            aug = load_config(config)
            with torch.inference_mode():
                result = aug(self.x, self.lengths, ids=self.ids, copy=0, seed=self.seed)
            outs = unpad(result.x, result.lengths)
        rows = profile_arrays(outs, 16000, ids=self.ids)
        return {
            f: np.asarray([r[f] for r in rows if r.get(f) is not None], dtype=np.float64)
            for f in self.features
        }

    def score(self, values: dict[str, np.ndarray]) -> tuple[float, dict[str, float | None]]:
        total, per = 0.0, {}  # type: float, dict[str, float | None]
        n = len(self.ids)
        for f in self.features:
            w = wasserstein(values[f], self.target[f])
            scaled = None if w is None else w / SCALES.get(f, 1.0)
            per[f] = scaled
            total += scaled if scaled is not None else 3.0  # nothing measured: a fixed, large penalty
            total += abs((1.0 - values[f].size / n) - self.target_null[f])
        return total, per

    def __call__(self, theta: np.ndarray) -> float:
        config = to_config(theta, self.resources)
        key = json.dumps(config, sort_keys=True)
        if key not in self.cache:
            values = self.profile(config)
            self.cache[key] = (self.score(values)[0], values)
            self.evaluations += 1
        return self.cache[key][0]


def _evaluations_for(budget_s: float, seconds: float) -> int:
    per_eval = seconds / NOMINAL_SPEED + 0.2
    return int(np.clip(budget_s / per_eval, 6, 3000))


def _search(
    objective: _Objective,
    start: np.ndarray,
    n_evals: int,
    seed: int,
    deadline: float,
    log: Callable[[str], None] | None,
) -> tuple[np.ndarray, bool]:
    from scipy.stats import qmc

    best, best_score = start.copy(), objective(start)
    out_of_time = False

    def consider(theta: np.ndarray) -> bool:
        nonlocal best, best_score, out_of_time
        if objective.evaluations >= n_evals:
            return False
        if time.monotonic() > deadline:
            out_of_time = True
            return False
        s = objective(theta)
        if s < best_score - 1e-12:
            best, best_score = theta.copy(), s
        return True

    sobol = qmc.Sobol(
        len(DIMS), scramble=True, seed=np.random.default_rng(rng_for("match-sobol", seed).integers(2**32))
    )
    n_design = max(2, int(0.3 * n_evals))
    design = sobol.random(1 << int(math.ceil(math.log2(n_design))))[:n_design]
    for theta in design:
        if not consider(theta):
            break
    if log:
        log(f"  design: {objective.evaluations} evaluations, best objective {best_score:.3f}")
    step = 0.25
    while step >= 1 / 64 and objective.evaluations < n_evals and not out_of_time:
        improved = False
        for i in range(len(DIMS)):
            for sign in (+1, -1):
                trial = best.copy()
                trial[i] = float(np.clip(trial[i] + sign * step, 0.0, 1.0))
                if trial[i] == best[i]:
                    continue
                before = best_score
                if not consider(trial):
                    break
                if best_score < before:
                    improved = True
                    break
        if not improved:
            step /= 2
    if log:
        log(f"  pattern search: {objective.evaluations} evaluations, best objective {best_score:.3f}")
    return best, out_of_time


def _cleaner_statements(src: pa.Table, tgt: pa.Table, features: Sequence[str]) -> list[str]:
    out = []
    for f, (sign, margin, what) in CLEANER.items():
        if f not in features:
            continue
        a, b = values_of(src, f), values_of(tgt, f)
        if a.size and b.size and sign * (float(np.median(b)) - float(np.median(a))) > margin:
            out.append(
                f"The target is cleaner than the source in {LABELS.get(f, f)} (median "
                f"{np.median(b):.2f} vs {np.median(a):.2f}): no augmentation can {what}, so this "
                "distance cannot be closed by matching."
            )
    return out


def match_profiles(
    source: str | Path,
    target: str | Path,
    out: str | Path,
    budget_s: float = 600.0,
    seed: int = 0,
    subsample: int | None = None,
    noise_root: str | Path | None = None,
    rir_dir: str | Path | None = None,
    features: Sequence[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> MatchResult:
    """Search, write ``out`` (YAML for ``sercorpus augment``) plus ``<stem>.match.{md,json,png}``."""
    from sercorpus.profile.store import read_profile

    start_time = time.monotonic()
    out = Path(out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise ValueError(f"{out}: the matched augmentation is written as YAML; use a .yaml path")
    if budget_s <= 0:
        raise ValueError("budget_s must be > 0")
    src, tgt = read_profile(source), read_profile(target)
    feats = [f for f in (features or MATCH_FEATURES) if values_of(tgt, f).size and values_of(src, f).size]
    if not feats:
        raise ValueError("the two profiles share no measured feature to match")
    ids_all = sorted(src.column("id").to_pylist())
    n_sub = subsample or (64 if budget_s >= 120 else 24)
    order = rng_for("match-subsample", seed).permutation(len(ids_all))
    chosen = sorted(ids_all[i] for i in order[: min(n_sub, len(ids_all))])
    ids, signals, problems = _load_audio(src, chosen)
    if log and problems:
        log(f"  {len(problems)} source utterance(s) unreadable, left out: {problems[:3]}")
    if len(ids) < 4:
        raise ValueError(f"only {len(ids)} readable source utterances in the subsample; need at least 4")
    resources = _resources(noise_root, rir_dir)
    objective = _Objective(ids, signals, tgt, feats, seed, resources)
    seconds = sum(len(s) for s in signals) / 16000
    n_evals = _evaluations_for(budget_s, seconds)
    if log:
        log(
            f"matching {len(ids)} source utterances ({seconds:.0f} s) on {len(feats)} features, "
            f"{n_evals} evaluations"
        )
    nothing = theta_of(
        {
            "rate": 0.0,
            "reverb_p": 0,
            "noise_p": 0,
            "lowpass_p": 0,
            "highpass_p": 0,
            "telephone_p": 0,
            "gain_centre_db": 0,
            "gain_width_db": 0,
        }
    )
    before_values = objective.profile(to_config(nothing, resources))
    objective_before, before = objective.score(before_values)
    best, stopped = _search(
        objective, _informed_start(src, tgt), n_evals, seed, start_time + 3 * budget_s, log
    )
    config = to_config(best, resources)
    objective(best)
    after_values = objective.cache[json.dumps(config, sort_keys=True)][1]
    objective_after, after = objective.score(after_values)
    if objective_after > objective_before:  # nothing beat doing nothing: say so and augment nothing
        config, after_values, objective_after, after = (
            to_config(nothing, resources),
            before_values,
            objective_before,
            before,
        )
    raw = lambda vals: {f: wasserstein(vals[f], objective.target[f]) for f in feats}  # noqa: E731
    n = len(ids)
    null_share = {
        f: {
            "source": round(1 - before_values[f].size / n, 3),
            "augmented": round(1 - after_values[f].size / n, 3),
            "target": round(objective.target_null[f], 3),
        }
        for f in feats
    }
    cleaner = _cleaner_statements(src, tgt, feats)
    text = _yaml_text(
        config,
        Path(source).name,
        Path(target).name,
        seed,
        objective.evaluations,
        len(ids),
        objective_before,
        objective_after,
        cleaner,
    )
    result = MatchResult(
        config,
        text,
        feats,
        before,
        after,
        raw(before_values),
        raw(after_values),
        null_share,
        objective_before,
        objective_after,
        objective.evaluations,
        ids,
        cleaner,
        stopped,
        time.monotonic() - start_time,
        values={
            f: {"source": before_values[f], "augmented": after_values[f], "target": objective.target[f]}
            for f in feats
        },
    )
    _write_outputs(result, out)
    return result


def _resources(noise_root: str | Path | None, rir_dir: str | Path | None) -> Resources:
    noise, esc = None, False
    if noise_root is not None:
        noise = Path(noise_root).resolve()
        if not noise.is_dir():
            raise FileNotFoundError(f"noise folder not found: {noise_root}")
        esc = (noise / "meta" / "esc50.csv").is_file()
    rirs: list[tuple[str, float]] = []
    if rir_dir is not None:
        from sercorpus.core.audio import audio_files, read_audio
        from sercorpus.profile.rir_metrics import rir_acoustics

        folder = Path(rir_dir).resolve()
        if not folder.is_dir():
            raise FileNotFoundError(f"RIR folder not found: {rir_dir}")
        for path in audio_files(folder):
            h, rate = read_audio(path)
            t60 = rir_acoustics(h[:, 0] if h.ndim == 2 else h, rate).t60_s
            if t60 is not None:
                rirs.append((str(path), round(t60, 3)))
        if not rirs:
            raise ValueError(f"no usable impulse responses under {rir_dir}")
    return Resources(noise, esc, tuple(rirs))


def _yaml_text(
    config: dict[str, Any],
    source: str,
    target: str,
    seed: int,
    evaluations: int,
    n: int,
    before: float,
    after: float,
    cleaner: list[str],
) -> str:
    head = [
        f"# Written by `sercorpus match`: augmentation that moves {source} toward {target}.",
        f"# seed {seed}, {evaluations} candidate evaluations on {n} source utterances;",
        f"# objective (sum of scaled per-feature distances + null-share gaps) {before:.3f} -> {after:.3f}.",
        "# See the .match.md report beside this file for the per-feature distances.",
    ]
    head += [f"# NOTE: {line}" for line in cleaner]
    body = yaml.safe_dump(config, sort_keys=False, default_flow_style=False, width=100)
    return "\n".join(head) + "\n" + body


def _write_outputs(result: MatchResult, out: Path) -> None:
    stem = out.with_suffix("")
    with atomic_output(out, "w") as handle:
        handle.write(result.yaml_text)
    md = Path(f"{stem}.match.md")
    with atomic_output(md, "w") as handle:
        handle.write(report_markdown(result, out.name))
    js = Path(f"{stem}.match.json")
    payload = {
        k: getattr(result, k)
        for k in (
            "config",
            "features",
            "before",
            "after",
            "before_raw",
            "after_raw",
            "null_share",
            "objective_before",
            "objective_after",
            "evaluations",
            "subsample",
            "cleaner",
            "stopped_early",
        )
    }
    with atomic_output(js, "w") as handle:
        json.dump(payload, handle, indent=1, sort_keys=True)
        handle.write("\n")
    png = Path(f"{stem}.match.png")
    plot_match(result, png)
    result.outputs = {"yaml": str(out), "markdown": str(md), "json": str(js), "png": str(png)}


def report_markdown(result: MatchResult, name: str) -> str:
    lines = [
        f"# Condition matching: {name}",
        "",
        f"{result.evaluations} candidate augmentations evaluated on {len(result.subsample)} source "
        "utterances. Distance = Wasserstein distance to the target's distribution (feature units), "
        "scaled by the nominal unit of each feature.",
        "",
        "| feature | W before | W after | scaled before | scaled after | null share source / augmented / target |",
        "|---|---|---|---|---|---|",
    ]

    def f2(x: float | None) -> str:
        return "-" if x is None else f"{x:.3g}"

    for f in result.features:
        ns = result.null_share[f]
        lines.append(
            f"| {LABELS.get(f, f)} | {f2(result.before_raw[f])} | {f2(result.after_raw[f])} | "
            f"{f2(result.before[f])} | {f2(result.after[f])} | "
            f"{ns['source']:.2f} / {ns['augmented']:.2f} / {ns['target']:.2f} |"
        )
    lines += ["", f"Objective: {result.objective_before:.3f} before, {result.objective_after:.3f} after.", ""]
    if result.cleaner:
        lines += ["**What matching cannot do here:**", ""] + [f"- {c}" for c in result.cleaner] + [""]
    if result.stopped_early:
        lines += [
            "**Stopped by the time guard** (three times --budget-s): this machine is slower than the nominal "
            "cost model, so another machine may find a different optimum for the same seed.",
            "",
        ]
    return "\n".join(lines)


def plot_match(result: MatchResult, path: Path) -> Path:
    """Per feature: source (before), augmented source (after) and target distributions."""
    from sercorpus.profile.compare import Comparison, plot

    names = ["source", "augmented", "target"]
    values = {f: {n: result.values[f][n] for n in names} for f in result.features}
    dummy = Comparison(
        names,
        list(result.features),
        values,
        {},
        {
            f: {
                ("source", "augmented"): None,
                ("source", "target"): result.before_raw[f],
                ("augmented", "target"): result.after_raw[f],
            }
            for f in result.features
        },
    )
    return plot(
        dummy,
        path,
        title="condition matching: source, source augmented, target (W to the target: before, after)",
    )


__all__ = ["MATCH_FEATURES", "MatchResult", "match_profiles", "params", "INDEX"]
