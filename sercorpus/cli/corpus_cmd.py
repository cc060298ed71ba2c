"""``sercorpus prepare`` and ``sercorpus synth``."""

from pathlib import Path
from typing import Annotated, Any

import typer

from sercorpus.cli.common import console, parse_options, print_wide, user_errors
from sercorpus.corpora import CORPORA, get_corpus
from sercorpus.corpora.decodecheck import MAX_DEFAULT_WORKERS
from sercorpus.corpora.prepare import prepare, report_path_for
from sercorpus.selection.summary import overview_table, report_table


def register(app: typer.Typer) -> None:
    names = ", ".join(sorted(CORPORA))

    @app.command("prepare")
    @user_errors
    def prepare_cmd(
        corpus: Annotated[str, typer.Argument(help=f"corpus name: {names}")],
        root: Annotated[Path, typer.Argument(help="corpus root, as shipped")],
        out: Annotated[Path, typer.Option("-o", "--out", help="output manifest (.parquet or .jsonl)")],
        strict: Annotated[bool, typer.Option(help="turn every skip into an error")] = False,
        opt: Annotated[
            list[str] | None,
            typer.Option(
                "--opt",
                help="loader option KEY=VALUE (repeatable; VALUE converted to the declared type; a wrong name or "
                "type lists the valid options), e.g. multi_label=first",
            ),
        ] = None,
        key_env: Annotated[
            str | None,
            typer.Option(
                "--key-env",
                help="env var holding the pseudonymisation key (default SERCORPUS_KEY; calls, csv, folder)",
            ),
        ] = None,
        no_transcripts: Annotated[
            bool,
            typer.Option(
                "--no-transcripts", help="leave transcripts out of the manifest (calls, csv, folder)"
            ),
        ] = False,
        redact: Annotated[
            Path | None,
            typer.Option(
                "--redact",
                help="file of words/phrases to replace by [REDACTED] in transcripts (calls, csv, folder)",
            ),
        ] = None,
        check_audio: Annotated[
            bool,
            typer.Option(
                "--check-audio",
                help="decode every file (in parallel) and skip, counted and named, undecodable, empty or "
                "NaN/inf audio before it reaches later stages",
            ),
        ] = False,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers",
                min=1,
                help=f"decoding threads for --check-audio (default: CPUs, at most {MAX_DEFAULT_WORKERS})",
            ),
        ] = None,
    ) -> None:
        """Read a corpus in its native release layout into a unified manifest, with a report of skips."""
        options = with_privacy(parse_options(opt), key_env, no_transcripts, redact)
        records, report = prepare(
            corpus,
            root,
            out,
            strict=strict,
            options=options,
            progress=True,
            check_audio=check_audio,
            workers=workers,
        )
        print_wide(overview_table(records, title=f"{corpus}: {out}"))
        print_wide(report_table(report))
        console.print(f"report: {report_path_for(out)}")

    @app.command("synth")
    @user_errors
    def synth_cmd(
        corpus: Annotated[str, typer.Argument(help=f"corpus name: {names}")],
        out: Annotated[Path, typer.Argument(help="folder to write the miniature corpus into")],
        seed: Annotated[int, typer.Option(help="seed: the same seed writes byte-identical files")] = 0,
    ) -> None:
        """Write a miniature corpus in the corpus's exact native layout (fixtures, demo data)."""
        root = get_corpus(corpus).writer_function()(out, seed=seed)
        console.print(f"wrote miniature {corpus} to {root}")


def with_privacy(
    options: dict[str, Any], key_env: str | None, no_transcripts: bool, redact: Path | None
) -> dict[str, Any]:
    """Map the privacy flags onto loader options (prepare's option check rejects loaders without them)."""
    flags: dict[str, Any] = {}
    if key_env is not None:
        flags["key_env"] = key_env  # the variable's name, never its value
    if no_transcripts:
        flags["no_transcripts"] = True
    if redact is not None:
        flags["redact"] = str(redact.resolve())  # relative to the working directory, as users expect
    twice = sorted(set(flags) & set(options))
    if twice:
        raise ValueError(f"option(s) {twice} given both as a flag and as --opt")
    return {**options, **flags}
