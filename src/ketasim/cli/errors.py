"""Turn ketasim errors into a one-line message and exit code 2 at the CLI edge."""

from __future__ import annotations

import functools

import typer
from rich.console import Console

from ketasim.core.errors import KetasimError

err_console = Console(stderr=True)


def friendly(fn):
    """Decorator: report `KetasimError` as ``error: <message>`` and exit 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KetasimError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper
