"""``sercorpus augment``: apply an augmentation config to a manifest or a folder of wavs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sercorpus.cli.common import console, user_errors


def _list_ops(value: bool) -> None:
    if value:
        from sercorpus.augment.catalog import list_ops_text

        typer.echo(list_ops_text(), nl=False)
        raise typer.Exit()


def register(app: typer.Typer) -> None:
    @app.command("augment")
    @user_errors
    def augment(
        source: Annotated[
            Path | None, typer.Argument(help="manifest (.parquet/.jsonl) or folder of .wav/.flac files")
        ] = None,
        config: Annotated[
            Path | None, typer.Option("--config", "-c", help="augmentation YAML (see recipes/augment)")
        ] = None,
        out: Annotated[Path | None, typer.Option("-o", "--out", help="output folder for wavs + JSON")] = None,
        copies: Annotated[int, typer.Option(min=1, help="augmented copies per input")] = 1,
        seed: Annotated[
            int, typer.Option(help="seed; with the id and copy index it fixes every parameter")
        ] = 0,
        noise_root: Annotated[
            Path | None, typer.Option(help="ESC-50 root for background_noise ops (relative to the CWD)")
        ] = None,
        rir_dir: Annotated[
            Path | None,
            typer.Option(help="folder of impulse responses for rir_reverb ops (relative to the CWD)"),
        ] = None,
        batch_size: Annotated[int, typer.Option(min=1, help="utterances per batch")] = 8,
        workers: Annotated[
            int, typer.Option(min=1, help="CPU threads working on examples in parallel (same bytes for any)")
        ] = 1,
        device: Annotated[str, typer.Option(help="torch device, e.g. cpu or cuda")] = "cpu",
        limit: Annotated[int | None, typer.Option(min=0, help="only the first N inputs")] = None,
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="replace an output folder made with other settings")
        ] = False,
        list_ops: Annotated[
            bool,
            typer.Option(
                "--list-ops",
                is_eager=True,
                callback=_list_ops,
                help="list every op and its parameters, then exit",
            ),
        ] = False,
    ) -> None:
        """Write augmented wavs plus a JSON of every applied parameter per output; re-running resumes."""
        from sercorpus.augment.files import augment_files

        missing = [
            name for name, value in (("SOURCE", source), ("--config", config), ("-o", out)) if value is None
        ]
        if missing:
            raise ValueError(f"augment needs {', '.join(missing)} (or --list-ops)")
        summary = augment_files(
            source,  # type: ignore[arg-type]
            config,  # type: ignore[arg-type]
            out,  # type: ignore[arg-type]
            copies=copies,
            seed=seed,
            noise_root=noise_root,
            rir_dir=rir_dir,
            batch_size=batch_size,
            workers=workers,
            device=device,
            limit=limit,
            overwrite=overwrite,
        )
        console.print(f"[green]augmented[/green] {summary}")
        if summary.achieved_snr_db:
            snrs = summary.achieved_snr_db
            console.print(f"measured SNR: {min(snrs):.1f} to {max(snrs):.1f} dB over {len(snrs)} mixes")
