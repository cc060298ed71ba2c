"""``sercorpus`` command line: a thin typer layer; every command parses arguments and calls the library."""

from __future__ import annotations

import typer

from sercorpus.cli import (
    augment_cmd,
    corpus_cmd,
    demo_cmd,
    evaluate_cmd,
    label_cmd,
    manifest_cmd,
    profile_cmd,
    shard_cmd,
    subset_cmd,
    train_cmd,
)

app = typer.Typer(
    help="Trustworthy cross-corpus speech-emotion-recognition data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (
    manifest_cmd,
    corpus_cmd,
    demo_cmd,
    subset_cmd,
    label_cmd,
    augment_cmd,
    profile_cmd,
    shard_cmd,
    train_cmd,
    evaluate_cmd,
):
    _module.register(app)


def main() -> None:
    app()
