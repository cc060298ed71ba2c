"""``sercorpus augment``: apply an augmentation config to a manifest or a folder of wavs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sercorpus.cli.common import console, user_errors


def register(app: typer.Typer) -> None:
    @app.command("augment")
    @user_errors
    def augment(
        source: Annotated[
            Path, typer.Argument(help="manifest (.parquet/.jsonl) or folder of .wav/.flac files")
        ],
        config: Annotated[
            Path, typer.Option("--config", "-c", help="augmentation YAML (see recipes/augment)")
        ],
        out: Annotated[Path, typer.Option("-o", "--out", help="output folder for wavs + JSON")],
        copies: Annotated[int, typer.Option(help="augmented copies per input")] = 1,
        seed: Annotated[
            int, typer.Option(help="seed; with the id and copy index it fixes every parameter")
        ] = 0,
        noise_root: Annotated[Path | None, typer.Option(help="ESC-50 root for background_noise ops")] = None,
        rir_dir: Annotated[
            Path | None, typer.Option(help="folder of impulse responses for rir_reverb ops")
        ] = None,
        batch_size: Annotated[int, typer.Option(help="utterances per batch")] = 8,
        device: Annotated[str, typer.Option(help="torch device, e.g. cpu or cuda")] = "cpu",
        limit: Annotated[int | None, typer.Option(help="only the first N inputs")] = None,
    ) -> None:
        """Write augmented wavs plus a JSON of every applied parameter per output; re-running resumes."""
        from sercorpus.augment.files import augment_files

        summary = augment_files(
            source,
            config,
            out,
            copies=copies,
            seed=seed,
            noise_root=noise_root,
            rir_dir=rir_dir,
            batch_size=batch_size,
            device=device,
            limit=limit,
        )
        console.print(f"[green]augmented[/green] {summary}")
        if summary.achieved_snr_db:
            snrs = summary.achieved_snr_db
            console.print(f"measured SNR: {min(snrs):.1f} to {max(snrs):.1f} dB over {len(snrs)} mixes")
