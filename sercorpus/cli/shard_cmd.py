"""``sercorpus shard``: write (the default), ``verify`` and ``merge`` training shards."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn
from rich.text import Text
from typer.core import TyperGroup

from sercorpus.cli.common import console, err_console, parse_roots, user_errors, warn


class _WriteByDefault(TyperGroup):
    """``sercorpus shard M.parquet -o OUT`` means ``sercorpus shard write M.parquet -o OUT``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["write", *args]
        return super().parse_args(ctx, args)


shard_app = typer.Typer(
    cls=_WriteByDefault,
    help="Training shards: `shard MANIFEST... -o OUT` writes, `shard verify OUT`, `shard merge PARTS... -o OUT`.",
    no_args_is_help=True,
)


def _io_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Disk full, permissions: say what happened and that a rerun continues (finished shards stay valid)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OSError as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            err_console.print(
                f"[bold red]error:[/bold red] {exc}. Finished shards are kept and valid; fix the cause and "
                "rerun the same command to continue.",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper


class _AudioHours(ProgressColumn):
    def render(self, task: Any) -> Text:
        speed = f", {task.speed:.0f}x realtime" if task.speed else ""
        return Text(f"{task.completed / 3600:.2f}/{(task.total or 0) / 3600:.2f} h{speed}")


class _Eta(ProgressColumn):
    def render(self, task: Any) -> Text:
        left = task.time_remaining
        if left is None:
            return Text("ETA -:--:--")
        return Text(f"ETA {int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}")


class _BarProgress:
    """rich bar in audio hours: started once per part, advanced per row group (per shard with --workers)."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task = bar.add_task("sharding", total=0.0)

    def start(self, total_seconds: float, done_seconds: float) -> None:
        """Add a part's remaining audio (finished shards do not count as work done now)."""
        total = self.bar.tasks[0].total or 0.0
        self.bar.update(self.task, total=total + total_seconds - done_seconds)

    def advance(self, seconds: float) -> None:
        self.bar.advance(self.task, seconds)


@shard_app.command("write")
@user_errors
@_io_errors
def write(
    manifests: Annotated[list[Path], typer.Argument(help="input manifests (.parquet/.jsonl)")],
    out: Annotated[Path, typer.Option("-o", "--out", help="output folder (RUN.json, shards/, index.json)")],
    augment: Annotated[Path | None, typer.Option(help="augmentation YAML (see recipes/augment)")] = None,
    copies: Annotated[int, typer.Option(help="augmented copies per selected training utterance")] = 1,
    rate: Annotated[float, typer.Option(help="share of training utterances augmented (0..1)")] = 1.0,
    keep_clean: Annotated[
        bool, typer.Option("--keep-clean", help="also write copy 0 of augmented ones")
    ] = False,
    seed: Annotated[int, typer.Option(help="seed; with id and copy it fixes every augmentation")] = 0,
    sample_rate: Annotated[int, typer.Option(help="output sample rate (Hz)")] = 16000,
    target_lufs: Annotated[float | None, typer.Option(help="normalise loudness to this LUFS")] = None,
    max_duration: Annotated[float | None, typer.Option(help="cap in seconds (see --long)")] = None,
    long: Annotated[str, typer.Option(help="over --max-duration: crop (first part) or split")] = "crop",
    shard_mb: Annotated[float, typer.Option(help="approximate shard size in MB")] = 256.0,
    rows_per_group: Annotated[int, typer.Option(help="samples per Parquet row group (read unit)")] = 64,
    batch_size: Annotated[
        int, typer.Option(help="augmentation batch (memory only: changes no byte on CPU)")
    ] = 32,
    workers: Annotated[int, typer.Option(help="processes writing shards in parallel")] = 1,
    device: Annotated[str, typer.Option(help="torch device for augmentation (cpu, cuda)")] = "cpu",
    view: Annotated[str | None, typer.Option(help="project labels through a view (e.g. 4class)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="parquet or webdataset")] = "parquet",
    train_splits: Annotated[
        str, typer.Option(help="splits that get augmented ('none' = no split)")
    ] = "train,none",
    transcripts: Annotated[bool, typer.Option("--transcripts/--no-transcripts")] = True,
    bits: Annotated[int, typer.Option(help="FLAC bits per sample (16 or 24)")] = 16,
    part: Annotated[
        str | None, typer.Option(help="write slice I/N only (Slurm array, torchrun rank)")
    ] = None,
    parts: Annotated[int | None, typer.Option(help="number of parts when writing all here")] = None,
    executor: Annotated[
        str, typer.Option(help="local or ray (pip install 'sercorpus[distributed]')")
    ] = "local",
    noise_root: Annotated[Path | None, typer.Option(help="ESC-50 root for background_noise ops")] = None,
    rir_dir: Annotated[Path | None, typer.Option(help="impulse responses for rir_reverb ops")] = None,
    root: Annotated[
        list[str] | None, typer.Option(help="CORPUS=DIR for a corpus that moved (repeatable)")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="empty OUT if it was made with other settings")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Write training shards (FLAC in Parquet) with K augmented copies; rerunning resumes."""
    from sercorpus.shards.run import write_shards
    from sercorpus.shards.settings import ShardSettings

    settings = ShardSettings(
        sample_rate=sample_rate,
        copies=copies,
        rate=rate,
        keep_clean=keep_clean,
        seed=seed,
        target_lufs=target_lufs,
        max_duration=max_duration,
        long=long,
        shard_mb=shard_mb,
        rows_per_group=rows_per_group,
        batch_size=batch_size,
        format=fmt,
        view=view,
        train_splits=tuple(s.strip() for s in train_splits.split(",") if s.strip()),
        transcripts=transcripts,
        bits=bits,
    )
    kwargs: dict[str, Any] = dict(
        augment=augment,
        resources={"noise_root": noise_root, "rir_dir": rir_dir},
        roots=parse_roots(root),
        part=part,
        parts=parts,
        workers=workers,
        executor=executor,
        device=device,
        overwrite=overwrite,
    )
    if progress and executor == "local":
        columns = (TextColumn("{task.description}"), BarColumn(), _AudioHours(), _Eta())
        with Progress(*columns, console=err_console, transient=True) as bar:
            summary = write_shards(manifests, out, settings, progress=_BarProgress(bar), **kwargs)
    else:
        summary = write_shards(manifests, out, settings, **kwargs)
    console.print(f"[green]sharded[/green] {summary}", highlight=False)
    if summary.index is not None and summary.index["skipped"]:
        import json

        report = json.loads((summary.out_dir / summary.index["report"]).read_text(encoding="utf-8"))
        warn([f"{n} input(s) skipped: {reason}" for reason, n in report["skipped_by_reason"].items()])
        warn([f"  {s['file']} ({s['id']}): {s['detail']}" for s in report["skipped"][:10]])


@shard_app.command("verify")
@user_errors
def verify(out: Annotated[Path, typer.Argument(help="a shard folder")]) -> None:
    """Check every shard's SHA-256 and sample count against index.json, and the manifest's total."""
    from sercorpus.shards.index import verify as verify_dir

    found = verify_dir(out)
    warn(found.warnings)
    for problem in found.problems:
        err_console.print(f"[bold red]problem:[/bold red] {problem}", highlight=False, soft_wrap=True)
    if not found.ok:
        raise typer.Exit(1)
    console.print(
        f"[green]ok[/green]: {found.shards} shard(s), {found.samples} samples, checksums match",
        highlight=False,
    )


@shard_app.command("merge")
@user_errors
@_io_errors
def merge(
    part_dirs: Annotated[list[Path], typer.Argument(help="folders holding finished parts")],
    out: Annotated[Path, typer.Option("-o", "--out", help="the joined dataset (may be one of the inputs)")],
    overwrite: Annotated[bool, typer.Option(help="empty OUT if it was made with other settings")] = False,
) -> None:
    """Join parts written by `shard --part I/N` (in one shared folder or in several) into one dataset."""
    from sercorpus.shards.index import merge as merge_dirs

    index = merge_dirs(list(part_dirs), out, overwrite=overwrite)
    console.print(
        f"[green]merged[/green] {index['parts']} part(s): {index['samples']} samples, {index['hours']:.3f} h "
        f"in {len(index['shards'])} shard(s), in {out}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(shard_app, name="shard")
