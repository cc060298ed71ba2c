"""The training loop: bf16 autocast where supported, gradient accumulation and clipping, checkpoints every
N optimiser steps with exact resume, evaluation on dev with best-checkpoint selection and early stopping,
DDP when launched by torchrun, and a hard stop on a non-finite loss or gradient.

Exact resume: a checkpoint is taken only at an optimiser-step boundary and holds the model, optimiser,
scheduler, trainer counters, early-stopping state and every rank's RNG and loader state; the logs are cut
back to its step. Evaluations run before the checkpoint of the same step, so the checkpoint includes them.
Best weights are kept as ``best/step-N.pt`` referenced by the trainer state; on resume a best file the
checkpoint does not reference (written after it) is removed, so selection replays exactly."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn

from sercorpus.core.atomic import write_text
from sercorpus.train import distributed as D
from sercorpus.train.checkpoint import Checkpoints, load_state, rng_state, save_atomic, set_rng_state
from sercorpus.train.errors import NonFiniteLossError
from sercorpus.train.evaluation import gather_rows, predict, score, write_predictions
from sercorpus.train.losses.multitask import MultiTaskLoss
from sercorpus.train.optim import build_optimizer, build_scheduler
from sercorpus.train.precision import autocast
from sercorpus.train.progress import Progress
from sercorpus.train.recipe import Recipe
from sercorpus.train.runlog import RunLog
from sercorpus.train.sources import BatchSource, batch_seconds, model_inputs


@dataclass
class TrainState:
    epoch: int = 0  # epochs completed
    step: int = 0  # optimiser steps taken
    in_epoch: bool = False  # the checkpoint was taken mid-epoch (loader state applies)
    best_value: float | None = None
    best_step: int | None = None
    best_epoch: int | None = None
    bad_evals: int = 0
    last_eval_step: int = -1
    stopped: str | None = None
    log_sums: dict[str, float] = dataclasses.field(default_factory=dict)  # losses since the last log row
    log_count: int = 0


def monitor_of(recipe: Recipe) -> tuple[str, bool]:
    """(metric name, higher is better)."""
    name = recipe.trainer.monitor
    if name == "auto":
        name = "uar" if recipe.tasks.categories else "mean_ccc"
    return name, name != "loss"


class Trainer:
    def __init__(
        self,
        recipe: Recipe,
        run_dir: Path,
        info: D.DistInfo,
        model: nn.Module,
        loss: MultiTaskLoss,
        train_source: BatchSource,
        eval_sources: dict[str, BatchSource],
        classes: Sequence[str],
        dim_index: Sequence[int],
        precision: str,
        find_unused: bool,
        log: Callable[[str], None] = lambda line: None,
        on_step: Callable[[int], None] | None = None,
    ):
        self.recipe = recipe
        self.cfg = recipe.trainer
        self.run_dir = run_dir
        self.info = info
        self.device = info.device
        self.module = model.to(self.device)
        self.loss = loss.to(self.device)
        self.train_source = train_source
        self.eval_sources = eval_sources
        self.classes = list(classes)
        self.dims = recipe.dims
        self.dim_index = list(dim_index)
        self.precision = precision
        self.log = log if info.is_main else (lambda line: None)
        self.on_step = on_step
        self.monitor, self.maximize = monitor_of(recipe)
        self.model: nn.Module = self.module
        if info.distributed:
            self.model = nn.parallel.DistributedDataParallel(
                self.module,
                device_ids=[self.device] if self.device.type == "cuda" else None,
                find_unused_parameters=find_unused,
            )
        self.params = [p for p in self.module.parameters() if p.requires_grad]
        self.optimizer = build_optimizer(self.params, recipe.optim)
        per_epoch = len(train_source) if hasattr(train_source, "__len__") else None  # type: ignore[arg-type]
        self.steps_per_epoch = None if per_epoch is None else math.ceil(per_epoch / self.cfg.grad_accum)
        total = self.cfg.max_steps or (self.cfg.epochs * (self.steps_per_epoch or 0))
        if recipe.schedule.name != "constant" and not total:
            raise ValueError("schedule: linear/cosine need trainer.max_steps with a loader of unknown length")
        self.scheduler = build_scheduler(self.optimizer, recipe.schedule, total)
        self.state = TrainState()
        self.ckpts = Checkpoints(run_dir / "checkpoints", self.cfg.keep_checkpoints)
        self.best_dir = run_dir / "best"
        self.runlog = RunLog(run_dir / "logs", self.cfg.tensorboard, enabled=info.is_main)
        self.seen_utts = 0
        self.seen_seconds = 0.0
        self.train_time = 0.0

    # ------------------------------------------------------------------------------------- resume
    def resume(self) -> bool:
        path = self.ckpts.latest()
        if path is None:
            return False
        blob = load_state(path)
        self.module.load_state_dict(blob["model"])
        self.optimizer.load_state_dict(blob["optimizer"])
        self.scheduler.load_state_dict(blob["scheduler"])
        self.state = TrainState(**blob["trainer"])
        ranks = blob["ranks"]
        if len(ranks) != self.info.world_size:
            raise ValueError(
                f"{path}: written by {len(ranks)} process(es), resumed with {self.info.world_size}; "
                "resume with the same number of processes for an exact continuation"
            )
        mine = ranks[self.info.rank]
        set_rng_state(mine["rng"])
        if self.state.in_epoch:
            self.train_source.load_state_dict(mine["loader"])
        if self.info.is_main:
            self.runlog.truncate(self.state.step)
            for stale in self.best_dir.glob("step-*.pt"):
                if self.state.best_step is None or stale.name != self._best_name(self.state.best_step):
                    stale.unlink()
        D.barrier(self.info)
        self.log(f"resumed from {path.name} (epoch {self.state.epoch}, step {self.state.step})")
        return True

    @staticmethod
    def _best_name(step: int) -> str:
        return f"step-{step:08d}.pt"

    def _checkpoint(self) -> None:
        ranks = D.gather_objects(self.info, {"rng": rng_state(), "loader": self.train_source.state_dict()})
        if self.info.is_main:
            state = {
                "model": self.module.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "trainer": dataclasses.asdict(self.state),
                "ranks": ranks,
            }
            self.ckpts.save(self.state.step, state)
        D.barrier(self.info)

    # ----------------------------------------------------------------------------------- evaluation
    def evaluate(self, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        source = self.eval_sources[name]
        source.set_epoch(0)
        rows = gather_rows(self.info, predict(self.module, source, self.device, self.precision))
        return score(rows, self.dims, self.dim_index, self.loss), rows

    def _eval_row(self, name: str, metrics: dict[str, Any]) -> dict[str, Any]:
        keys = ["n", "loss"] + (["uar"] if self.recipe.tasks.categories else [])
        keys += [f"ccc_{d}" for d in self.dims] + (["mean_ccc"] if self.dims else [])
        return {
            "step": self.state.step,
            "epoch": self.state.epoch,
            "split": name,
            **{k: metrics.get(k) for k in keys},
        }

    def _dev_eval(self) -> None:
        metrics, _ = self.evaluate("dev")
        s = self.state
        s.last_eval_step = s.step
        self.runlog.eval_row(self._eval_row("dev", metrics))
        value = metrics.get(self.monitor)
        better = value is not None and (
            s.best_value is None
            or (
                value > s.best_value + self.cfg.min_delta
                if self.maximize
                else value < s.best_value - self.cfg.min_delta
            )
        )
        shown = "n/a" if value is None else f"{value:.4f}"
        if better:
            s.best_value, s.best_step, s.best_epoch, s.bad_evals = float(value), s.step, s.epoch, 0  # type: ignore[arg-type]
            if self.info.is_main:
                save_atomic(
                    self.best_dir / self._best_name(s.step),
                    {"model": self.module.state_dict(), "step": s.step},
                )
                for old in self.best_dir.glob("step-*.pt"):
                    if old.name != self._best_name(s.step):
                        old.unlink()
            D.barrier(self.info)
            self.log(f"step {s.step}: dev {self.monitor} {shown} (best)")
        else:
            s.bad_evals += 1
            best = "n/a" if s.best_value is None else f"{s.best_value:.4f}"
            self.log(f"step {s.step}: dev {self.monitor} {shown} (best {best} at step {s.best_step})")
            if self.cfg.patience is not None and s.bad_evals >= self.cfg.patience:
                s.stopped = "early_stopping"

    # ------------------------------------------------------------------------------------- training
    def _raise_nonfinite(self, what: str, ids: list[str]) -> None:
        latest = self.ckpts.latest()
        raise NonFiniteLossError(self.state.step + 1, ids, what, str(latest) if latest else None)

    def _global(self, out: dict[str, torch.Tensor], batch: Any) -> tuple[dict[str, torch.Tensor], Any]:
        """Under DDP, outputs and targets of every rank (see distributed.gather_with_grad): the loss is the
        global batch's, and every rank computes the same value."""
        if not self.info.distributed:
            return out, batch
        keys = sorted(out)
        fields = ("labels", "soft", "soft_mask", "dims", "dims_mask")
        joined = D.gather_with_grad(self.info, [out[k] for k in keys] + [getattr(batch, f) for f in fields])
        outputs = dict(zip(keys, joined[: len(keys)], strict=True))
        return outputs, SimpleNamespace(**dict(zip(fields, joined[len(keys) :], strict=True)))

    def _optimizer_step(self, window_ids: list[str]) -> float:
        clip = self.cfg.clip_grad_norm if self.cfg.clip_grad_norm is not None else float("inf")
        norm = float(torch.nn.utils.clip_grad_norm_(self.params, clip))
        if D.any_rank(self.info, not math.isfinite(norm)):
            self._raise_nonfinite("gradient", window_ids)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.state.step += 1
        return norm

    def _after_step(self, norm: float, bar: Progress) -> None:
        s = self.state
        logged = s.step % self.cfg.log_every == 0 or s.step == 1
        if logged:
            n = max(s.log_count, 1)
            row = {
                "step": s.step,
                "epoch": s.epoch,
                "loss": s.log_sums.get("loss", 0.0) / n,
                **{k: v / n for k, v in sorted(s.log_sums.items()) if k != "loss"},
                "lr": self.scheduler.get_last_lr()[0],
                "grad_norm": norm,
            }
            self.runlog.train_row(row)
            s.log_sums, s.log_count = {}, 0
        rate = self.seen_utts * self.info.world_size / max(self.train_time, 1e-9)
        bar.update(
            s.step, f"epoch {s.epoch + 1} step {s.step} loss {self._last_loss:.4f} ({rate:.1f} utt/s)", logged
        )
        if self.cfg.eval_every is not None and s.step % self.cfg.eval_every == 0:
            self._dev_eval()
        if s.step % self.cfg.checkpoint_every == 0:
            self._checkpoint()
        if self.on_step is not None:
            self.on_step(s.step)

    def fit(self) -> dict[str, Any]:
        s = self.state
        cfg = self.cfg
        total = cfg.max_steps or (cfg.epochs * self.steps_per_epoch if self.steps_per_epoch else None)
        bar = Progress(cfg.progress and self.info.is_main, self.log, total, self.recipe.name)
        self._last_loss = float("nan")
        try:
            self.module.train()
            resume_mid_epoch = s.in_epoch
            while s.stopped is None and s.epoch < cfg.epochs:
                if not resume_mid_epoch:
                    self.train_source.set_epoch(s.epoch)
                resume_mid_epoch = False
                s.in_epoch = True
                self._run_epoch(bar)
                if s.stopped is not None:
                    break
                s.epoch += 1
                s.in_epoch = False
                if cfg.eval_every is None:
                    self._dev_eval()
                self._checkpoint()
            stopped = s.stopped or "epochs"
            if s.last_eval_step != s.step:
                self._dev_eval()  # the final weights are candidates too
            s.stopped = stopped
        finally:
            bar.close()
        return self.finish()

    def _run_epoch(self, bar: Progress) -> None:
        s, cfg = self.state, self.cfg
        micro = 0
        window: list[str] = []
        started = time.perf_counter()
        for batch in self.train_source:
            b = batch.to(self.device)
            x, lengths = model_inputs(b)
            final = micro + 1 == cfg.grad_accum
            quiet = self.info.distributed and not final  # gradients are reduced on the window's last batch
            window.extend(batch.ids)
            with self.model.no_sync() if quiet else contextlib.nullcontext():  # type: ignore[operator]
                with autocast(self.precision, self.device):
                    out = self.model(x, lengths)
                loss, parts = self.loss(*self._global(out, b))
                value = float(loss.detach())
                if D.any_rank(self.info, not math.isfinite(value)):
                    self._raise_nonfinite("loss", list(batch.ids))
                (loss / cfg.grad_accum).backward()
            self._last_loss = value
            for k, v in {"loss": value, **parts}.items():
                s.log_sums[k] = s.log_sums.get(k, 0.0) + v
            s.log_count += 1
            micro += 1
            self.seen_utts += len(batch.ids)
            self.seen_seconds += batch_seconds(batch)
            if micro == cfg.grad_accum:
                norm = self._optimizer_step(window)
                self.train_time += time.perf_counter() - started
                micro, window = 0, []
                if cfg.max_steps is not None and s.step >= cfg.max_steps:
                    s.stopped = "max_steps"
                self._after_step(norm, bar)
                started = time.perf_counter()
                if s.stopped is not None:
                    return
        if micro:  # a short accumulation window at the end of the epoch still counts
            norm = self._optimizer_step(window)
            if cfg.max_steps is not None and s.step >= cfg.max_steps:
                s.stopped = "max_steps"
            self._after_step(norm, bar)
        self.train_time += time.perf_counter() - started

    # --------------------------------------------------------------------------------------- finish
    def finish(self) -> dict[str, Any]:
        s = self.state
        best = self.best_dir / self._best_name(s.best_step) if s.best_step is not None else None
        if best is not None and best.is_file():
            self.module.load_state_dict(load_state(best)["model"])
        results: dict[str, Any] = {}
        for name in self.eval_sources:
            metrics, rows = self.evaluate(name)
            results[name] = metrics
            if self.info.is_main:
                self.runlog.eval_row(
                    {**self._eval_row(name, metrics), "step": s.step, "split": f"final/{name}"}
                )
                write_predictions(
                    self.run_dir / "predictions" / f"{name.replace('/', '-')}.csv",
                    rows,
                    self.classes,
                    self.dims,
                    self.dim_index,
                )
        summary = {
            "recipe": self.recipe.name,
            "monitor": self.monitor,
            "best": {"step": s.best_step, "epoch": s.best_epoch, "value": s.best_value},
            "stopped": s.stopped,
            "steps": s.step,
            "epochs_completed": s.epoch,
            "world_size": self.info.world_size,
            "precision": self.precision,
            "splits": results,
        }
        if self.info.is_main:
            if best is not None and best.is_file():
                shutil.copyfile(best, self.run_dir / "best.pt")
            write_text(
                self.run_dir / "metrics.json",
                json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n",
            )
            timing = {
                "train_seconds": self.train_time,
                "utterances_per_second": self.seen_utts * self.info.world_size / max(self.train_time, 1e-9),
                "audio_seconds_per_second": self.seen_seconds
                * self.info.world_size
                / max(self.train_time, 1e-9),
                "utterances_seen": self.seen_utts * self.info.world_size,
                "note": "this process's steps only (a resumed run counts from the resume)",
            }
            write_text(self.run_dir / "timing.json", json.dumps(timing, indent=2, sort_keys=True) + "\n")
        self.runlog.close()
        D.barrier(self.info)
        return summary
