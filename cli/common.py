"""Shared CLI helpers: settings, console, progress bars, friendly errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from lovemachine.config import Settings

console = Console(stderr=True)


def settings(**overrides: object) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except Exception as exc:
        fail(f"invalid configuration: {exc}")


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("google", "grpc", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def step(message: str) -> Iterator[None]:
    with console.status(message):
        yield
    console.print(f"[green]✓[/] {message}")


DbUrl = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL [env: LOVEMACHINE_DATABASE_URL]")
]
"""The ``--database-url`` option every command that opens the database takes."""


def shown_url(url: str) -> str:
    """A database URL safe to print: the password masked (logs of a migrations Job are read widely)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable database URL)"
