"""``score_predictions``: every applicable metric of a predictions table, in one report object.

Re-scoring saved predictions needs no model. Each family applies only when its columns exist: categorical
(probabilities and labels), soft (soft labels), dimensional (``<dim>_true``/``<dim>_pred``). Rows a family
cannot use are left out and counted in ``report.exclusions`` (unlabelled rows, unknown speakers, missing
dimension values), never dropped silently. Metric names are stable and listed in ``docs/metrics.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from sercorpus.evaluate.errors import EvaluationError
from sercorpus.evaluate.metrics.bootstrap import (
    DEFAULT_REPEATS,
    DEFAULT_SAMPLES,
    BootstrapCI,
    bootstrap_ci,
    speaker_bootstrap_ci,
)
from sercorpus.evaluate.metrics.classification import (
    ClassScores,
    accuracy_from_confusion,
    confusion_from_codes,
    macro_f1_from_confusion,
    per_class_from_confusion,
    uar_from_confusion,
    weighted_f1_from_confusion,
)
from sercorpus.evaluate.metrics.dimensional import ccc_arrays, pearson_arrays
from sercorpus.evaluate.metrics.fairness import FairnessGap, gender_fairness_gap
from sercorpus.evaluate.metrics.kbest import k_best_codes
from sercorpus.evaluate.metrics.soft import brier_score, js_divergence, kl_divergence
from sercorpus.evaluate.metrics.speaker import PerSpeakerUAR, check_threshold, pa_uar, per_speaker_uar
from sercorpus.evaluate.metrics.value import MetricValue
from sercorpus.evaluate.predictions import DIMENSIONS, Predictions, from_arrow

#: The order of metric families in a report.
FAMILY_ORDER = ("categorical", "k-best", "per-speaker", "calibration", "soft", "dimensional", "fairness")


@dataclass(frozen=True)
class ScoreSettings:
    """Every knob of :func:`score_predictions` (recorded in the report so a number can be reproduced)."""

    ci: bool = False
    seed: int = 0
    n_samples: int | None = DEFAULT_SAMPLES
    n_repeats: int = DEFAULT_REPEATS
    confidence: float = 0.95
    min_utterances: int = 2
    min_classes: int = 1
    thresholds: tuple[float, ...] = (0.5, 0.75)
    strict: bool = True
    ks: tuple[int, ...] = (1, 2, 3)

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class MetricRow:
    """One number of the report: ``value`` null with ``note`` when undefined; ``n`` rows (or speakers)."""

    name: str
    family: str
    value: float | None
    n: int
    unit: str = "utterances"
    note: str | None = None
    ci: BootstrapCI | None = None
    ci_speaker: BootstrapCI | None = None


@dataclass(frozen=True)
class ScoreReport:
    metrics: tuple[MetricRow, ...]
    classes: tuple[str, ...]
    label_view: str | None
    confusion: np.ndarray | None
    per_class: tuple[ClassScores, ...]
    per_speaker: Mapping[int, PerSpeakerUAR]
    fairness: tuple[FairnessGap, ...]
    exclusions: tuple[str, ...]
    settings: ScoreSettings
    summary: Mapping[str, Any] = field(default_factory=dict)

    def metric(self, name: str) -> MetricRow:
        for row in self.metrics:
            if row.name == name:
                return row
        raise KeyError(f"no metric {name!r} in this report; have {[r.name for r in self.metrics]}")

    def values(self) -> dict[str, float | None]:
        """Metric name -> value (for :func:`aggregate_runs` over folds and runs)."""
        return {row.name: row.value for row in self.metrics}


Stat = Callable[[np.ndarray], "float | MetricValue | None"]


class _Scorer:
    def __init__(self, preds: Predictions, settings: ScoreSettings) -> None:
        self.p = preds
        self.s = settings
        self.rows: list[MetricRow] = []
        self.exclusions: list[str] = []
        self.fairness: list[FairnessGap] = []
        self.per_speaker: dict[int, PerSpeakerUAR] = {}
        self.per_class: tuple[ClassScores, ...] = ()
        self.confusion: np.ndarray | None = None

    # ---------------------------------------------------------------- helpers
    def add(
        self,
        name: str,
        family: str,
        result: float | MetricValue | None,
        n: int,
        *,
        unit: str = "utterances",
        note: str | None = None,
        stat: Stat | None = None,
        speakers: Sequence[str | None] | None = None,
    ) -> None:
        if isinstance(result, MetricValue):
            value, note = result.value, result.reason or note
        else:
            value = result
        ci = ci_spk = None
        if self.s.ci and stat is not None and value is not None:
            ci = bootstrap_ci(
                stat,
                n,
                n_samples=self.s.n_samples,
                n_repeats=self.s.n_repeats,
                confidence=self.s.confidence,
                seed=self.s.seed,
            )
            if speakers is not None and all(s is not None for s in speakers):
                ci_spk = speaker_bootstrap_ci(
                    stat,
                    list(speakers),
                    n_repeats=self.s.n_repeats,
                    confidence=self.s.confidence,
                    seed=self.s.seed,
                )
        self.rows.append(MetricRow(name, family, value, n, unit, note, ci, ci_spk))

    def exclude(self, count: int, total: int, what: str, family: str) -> None:
        if count:
            self.exclusions.append(f"{family}: {count} of {total} utterances {what}; left out")

    def gap(self, metric: str, stat: Stat, genders: Sequence[str | None], family: str) -> None:
        g = gender_fairness_gap(stat, genders, metric=metric)
        self.fairness.append(g)
        n = g.n_female + g.n_male
        note = "female minus male" + (f"; {g.reason}" if g.reason else "")
        self.add(f"gap_{metric}", "fairness", g.value, n, note=note)

    # ---------------------------------------------------------------- families
    def categorical(self) -> None:
        p = self.p
        if p.probabilities is None:
            return
        n_all = len(p)
        rows = np.array([i for i, lab in enumerate(p.label) if lab is not None], dtype=np.int64)
        self.exclude(n_all - rows.size, n_all, "have no label (null)", "categorical")
        if rows.size == 0:
            self.exclusions.append("categorical: no labelled utterance; categorical metrics skipped")
            return
        cls = p.classes
        index = {c: i for i, c in enumerate(cls)}
        t = np.array([index[p.label[i]] for i in rows], dtype=np.int64)
        probs = p.probabilities[rows].astype(np.float64)
        c = len(cls)
        speakers = [p.speaker[i] for i in rows]
        genders = [p.gender[i] for i in rows]
        n = int(rows.size)
        ks = sorted({k for k in self.s.ks if 1 <= k <= c})
        skipped = sorted({k for k in self.s.ks if not 1 <= k <= c})
        if skipped:
            self.exclusions.append(f"k-best: k={skipped} outside [1, {c}] (number of classes); not computed")
        pred = {k: k_best_codes(t, probs, k) for k in sorted(set(ks) | {1})}
        top1 = pred[1]
        cm = confusion_from_codes(t, top1, c)
        self.confusion, self.per_class = cm, tuple(per_class_from_confusion(cm, cls))

        def on(fn: Callable[[np.ndarray], float], codes: np.ndarray) -> Stat:
            return lambda idx: fn(confusion_from_codes(t[idx], codes[idx], c))

        for name, fn in (
            ("uar", uar_from_confusion),
            ("wa", accuracy_from_confusion),
            ("macro_f1", macro_f1_from_confusion),
            ("weighted_f1", weighted_f1_from_confusion),
        ):
            stat = on(fn, top1)
            self.add(name, "categorical", fn(cm), n, stat=stat, speakers=speakers)
        for k in ks:
            if k == 1:
                continue
            hits = (pred[k] == t).astype(np.float64)
            hit_stat = _mean_of(hits)
            self.add(
                f"hit_rate@{k}",
                "k-best",
                float(hits.mean()),
                n,
                note="target among the top k",
                stat=hit_stat,
                speakers=speakers,
            )
            kcm = confusion_from_codes(t, pred[k], c)
            self.add(
                f"uar@{k}-best",
                "k-best",
                uar_from_confusion(kcm),
                n,
                stat=on(uar_from_confusion, pred[k]),
                speakers=speakers,
            )
        self._per_speaker(rows, t, pred, ks, cls)
        for name, fn in (
            ("uar", uar_from_confusion),
            ("wa", accuracy_from_confusion),
            ("macro_f1", macro_f1_from_confusion),
        ):
            self.gap(name, on(fn, top1), genders, "categorical")
        onehot = np.zeros_like(probs)
        onehot[np.arange(n), t] = 1.0
        self.add("brier", "calibration", brier_score(onehot, probs), n, note="against the one-hot label")
        self._soft(probs_all=p.probabilities.astype(np.float64))

    def _per_speaker(
        self,
        rows: np.ndarray,
        t: np.ndarray,
        pred: dict[int, np.ndarray],
        ks: list[int],
        cls: tuple[str, ...],
    ) -> None:
        known = np.array([self.p.speaker[i] is not None for i in rows])
        self.exclude(int((~known).sum()), int(rows.size), "have no speaker id", "per-speaker")
        if not known.any():
            self.exclusions.append("per-speaker: no labelled utterance has a speaker id; paUAR skipped")
            return
        spk = [self.p.speaker[i] for i in rows[known]]
        for k in ks:
            per = per_speaker_uar(
                [cls[j] for j in t[known]],
                [cls[j] for j in pred[k][known]],
                spk,
                cls,
                min_utterances=self.s.min_utterances,
                min_classes=self.s.min_classes,
            )
            self.per_speaker[k] = per
            if k == 1 and per.excluded:
                self.exclusions.append(
                    f"per-speaker: {len(per.excluded)} of {len(per.excluded) + len(per.scores)} speakers excluded "
                    f"(min_utterances={self.s.min_utterances}, min_classes={self.s.min_classes}); listed in the report"
                )
            for thr in self.s.thresholds:
                pa_ = pa_uar(per, thr, strict=self.s.strict)
                cmp = ">" if self.s.strict else ">="
                note = pa_.reason or f"{pa_.n_above} of {pa_.n_speakers} speakers with UAR {cmp} {thr:g}"
                self.add(
                    f"{pa_.name}@{k}-best",
                    "per-speaker",
                    pa_.value,
                    pa_.n_speakers,
                    unit="speakers",
                    note=note,
                )

    def _soft(self, probs_all: np.ndarray) -> None:
        p = self.p
        if p.soft_label is None:
            return
        present = ~np.isnan(p.soft_label).all(axis=1)
        self.exclude(int((~present).sum()), len(p), "have no soft label (null)", "soft")
        if not present.any():
            return
        t = p.soft_label[present].astype(np.float64)
        q = probs_all[present]
        ids = [u for u, keep in zip(p.ids, present, strict=True) if keep]
        n = int(present.sum())
        self.add(
            "kl", "soft", kl_divergence(t, q, ids=ids), n, note="KL(target || prediction), nats, eps=1e-12"
        )
        self.add("js", "soft", js_divergence(t, q, ids=ids), n, note="nats")
        self.add("brier_soft", "soft", brier_score(t, q, ids=ids), n, note="against the vote distribution")

    def dimensional(self) -> None:
        p = self.p
        for dim in DIMENSIONS:
            if dim not in p.dimensions:
                continue
            cols = p.dimensions[dim]
            both = ~np.isnan(cols.truth) & ~np.isnan(cols.prediction)
            self.exclude(int((~both).sum()), len(p), f"lack a {dim} truth or prediction", dim)
            if not both.any():
                self.exclusions.append(f"{dim}: no utterance has both truth and prediction; skipped")
                continue
            t, q = cols.truth[both], cols.prediction[both]
            rows = np.flatnonzero(both)
            speakers = [p.speaker[i] for i in rows]
            genders = [p.gender[i] for i in rows]
            n = int(both.sum())
            ccc_stat = _ccc_of(t, q)
            self.add(f"ccc[{dim}]", "dimensional", ccc_arrays(t, q), n, stat=ccc_stat, speakers=speakers)
            self.add(f"pearson[{dim}]", "dimensional", pearson_arrays(t, q), n)
            self.add(f"mae[{dim}]", "dimensional", float(np.mean(np.abs(t - q))), n)
            self.gap(f"ccc[{dim}]", ccc_stat, genders, "dimensional")


def _mean_of(values: np.ndarray) -> Stat:
    def stat(idx: np.ndarray) -> float:
        return float(values[idx].mean())

    return stat


def _ccc_of(truth: np.ndarray, prediction: np.ndarray) -> Stat:
    def stat(idx: np.ndarray) -> MetricValue:
        return ccc_arrays(truth[idx], prediction[idx])

    return stat


def _coerce(table: Predictions | pa.Table) -> Predictions:
    if isinstance(table, Predictions):
        return table
    if isinstance(table, pa.Table):
        return from_arrow(table)
    raise EvaluationError(
        f"score_predictions expects Predictions or a pyarrow Table, got {type(table).__name__}"
    )


def score_predictions(
    table: Predictions | pa.Table, settings: ScoreSettings | None = None, **overrides: Any
) -> ScoreReport:
    """Compute every applicable metric of a predictions table (see the module doc).

    ``settings`` (or keyword overrides such as ``ci=True, seed=1, min_utterances=5``) control bootstrap
    CIs, paUAR thresholds/strictness, per-speaker minimums and the k of k-best.
    """
    s = settings or ScoreSettings()
    if overrides:
        unknown = sorted(set(overrides) - set(ScoreSettings.__dataclass_fields__))
        if unknown:
            raise EvaluationError(f"unknown score settings {unknown}")
        s = ScoreSettings(
            **{**s.__dict__, **{k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}}
        )
    for thr in s.thresholds:
        check_threshold(thr)
    preds = _coerce(table)
    scorer = _Scorer(preds, s)
    scorer.categorical()
    scorer.dimensional()
    rows = sorted(scorer.rows, key=lambda r: FAMILY_ORDER.index(r.family))  # stable within a family
    if not rows:
        raise EvaluationError(
            "no metric applies: " + ("; ".join(scorer.exclusions) or "the table has nothing to score")
        )
    summary = {
        "n_utterances": len(preds),
        "n_labelled": sum(lab is not None for lab in preds.label),
        "n_speakers": len({x for x in preds.speaker if x is not None}),
        "corpora": _counts(preds.corpus),
        "splits": _counts(["null" if x is None else x for x in preds.split]),
        "genders": _counts(["null" if x is None else x for x in preds.gender]),
        "dimensions": sorted(preds.dimensions, key=DIMENSIONS.index),
    }
    return ScoreReport(
        metrics=tuple(rows),
        classes=preds.classes,
        label_view=preds.label_view,
        confusion=scorer.confusion,
        per_class=scorer.per_class,
        per_speaker=dict(scorer.per_speaker),
        fairness=tuple(scorer.fairness),
        exclusions=tuple(scorer.exclusions),
        settings=s,
        summary=summary,
    )


def _counts(values: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))
