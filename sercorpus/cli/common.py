"""Shared CLI plumbing: one place that turns library errors into a clean message and exit code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from sercorpus.core.audio import AudioError
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.manifest import ManifestError

console = Console(soft_wrap=True)
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

#: Exceptions that are the user's input being wrong: print the message, no traceback, exit 1. OSError covers
#: paths that cannot be written (an existing file where a folder must go, no permission); its message names
#: the path.
USER_ERRORS = (ManifestError, CorpusFormatError, AudioError, OSError, ValueError)


def user_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as exc:
            err_console.print("[bold red]error:[/bold red] ", end="")
            err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def parse_options(values: list[str] | None) -> dict[str, str]:
    """``--opt key=value`` pairs -> dict of text; each corpus's declared option types convert the text
    (``prepare`` refuses unknown names and values that are not of the declared type)."""
    options: dict[str, str] = {}
    for value in values or []:
        key, sep, raw = value.partition("=")
        if not sep or not key:
            raise ValueError(f"--opt expects KEY=VALUE, got {value!r}")
        options[key.strip().replace("-", "_")] = raw.strip()
    return options


def parse_roots(values: list[str] | None) -> dict[str, str]:
    """``--root corpus=DIR`` pairs -> dict."""
    roots: dict[str, str] = {}
    for value in values or []:
        corpus, sep, path = value.partition("=")
        if not sep or not corpus or not path:
            raise ValueError(f"--root expects CORPUS=DIR, got {value!r}")
        roots[corpus] = path
    return roots


def print_wide(table: Table) -> None:
    """Print a table at its natural width when output is not a terminal (files, pipes, tests), so wide
    stats tables are not squeezed into 80 columns of ellipses; a terminal still gets rich's fitting."""
    if console.is_terminal:
        console.print(table)
        return
    width = Measurement.get(console, console.options.update_width(10_000), table).maximum
    Console(file=console.file, width=max(console.width, width), highlight=False).print(table)


def warn(lines: list[str]) -> None:
    for line in lines:
        err_console.print(f"[yellow]warning:[/yellow] {line}", highlight=False, soft_wrap=True)


# record filters shared by ``subset`` and ``filter``
CorpusOpt = Annotated[list[str] | None, typer.Option("--corpus", help="keep only this corpus (repeatable)")]
SplitOpt = Annotated[list[str] | None, typer.Option("--split", help="keep only this split (repeatable)")]
MinAgreeOpt = Annotated[float | None, typer.Option(help="keep records whose top vote share is >= this")]
MinDurOpt = Annotated[float | None, typer.Option(help="minimum duration in seconds")]
MaxDurOpt = Annotated[float | None, typer.Option(help="maximum duration in seconds")]
