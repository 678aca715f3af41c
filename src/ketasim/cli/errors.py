"""Errors at the CLI edge: a one-line message and exit code 2, never a traceback.

Every command runs inside `KetasimGroup`, which turns any `KetasimError` (and an `OSError`
on a file the user named) into ``error: <message>`` on stderr and exit code 2. Output
locations are checked before the work starts by `output_dir` (``--out``: the folder and
its missing parents are created) and `output_file` (``--plot``: the folder must exist, it
is not created).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from typer.core import TyperGroup

from ketasim.core.errors import InputError, KetasimError

err_console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True,
                      soft_wrap=True)
    return typer.Exit(code=2)


def _os_message(exc: OSError) -> str:
    where = f" {exc.filename!s}" if exc.filename else ""
    return f"cannot access{where}: {exc.strerror or exc}"


class KetasimGroup(TyperGroup):
    """Top-level command group: reports `KetasimError`/`OSError` as one line, exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KetasimError as exc:
            raise _fail(_escape(str(exc))) from None
        except OSError as exc:
            raise _fail(_escape(_os_message(exc))) from None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(" ".join(text.split()))  # one line


def friendly(fn):
    """Decorator: report `KetasimError` as ``error: <message>`` and exit 2, no traceback.

    `KetasimGroup` already does this for every command; the decorator keeps a command
    friendly when it is called on its own (e.g. from another typer app).
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KetasimError as exc:
            raise _fail(_escape(str(exc))) from None
        except OSError as exc:
            raise _fail(_escape(_os_message(exc))) from None

    return wrapper


@contextlib.contextmanager
def as_flags(flags: dict[str, str]):
    """Re-raise input errors of the Python API in a command's language: a field named in
    ``flags`` (argument name -> flag, e.g. ``{"port": "--port"}``; also as the head of a
    field such as ``ketamine_uM[2]``) is reported as its flag, in the message too."""
    try:
        yield
    except InputError as exc:
        head = re.match(r"[A-Za-z_.]+", exc.field)
        name = head.group(0) if head else exc.field
        if name not in flags:
            raise
        allowed = exc.allowed
        for arg, flag in flags.items():  # code-like names only: 'data' stays a word
            allowed = re.sub(rf"\b{re.escape(arg)}=", f"{flag} ", allowed)
            if "_" in arg:
                allowed = re.sub(rf"\b{re.escape(arg)}\b", flag, allowed)
        raise type(exc)(flags[name] + exc.field[len(name):], exc.value, allowed) from None


def _probe_writable(flag: str, folder: Path, shown) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ketasim-probe-"):
            pass
    except OSError as exc:
        raise InputError(flag, str(shown), f"a writable location ({folder}: "
                         f"{exc.strerror or exc})") from None


def output_dir(flag: str, path: str | os.PathLike) -> Path:
    """Check (creating it and its missing parents) an output folder given as ``flag``.

    Raises `InputError` naming the flag and the path when the folder cannot be created or
    written to, before any work starts.

    Examples
    --------
    >>> output_dir("--out", "/dev/null/x")
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: --out: got '/dev/null/x'; allowed: a folder that can be ...
    """
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise InputError(flag, str(path), "a folder (this path is a file)")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(flag, str(path), f"a folder that can be created ({exc.strerror or exc})"
                         ) from None
    _probe_writable(flag, p, path)
    return p


def output_file(flag: str, path: str | os.PathLike, suffixes: tuple[str, ...] = ()) -> Path:
    """Check an output file given as ``flag``: its folder must exist (it is not created) and
    be writable, the path must not be a folder, and its suffix one of ``suffixes`` if given.

    Examples
    --------
    >>> output_file("--plot", "/no/such/folder/pk.png")
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: --plot: got '/no/such/folder/pk.png'; allowed: ...
    (/no/such/folder does not exist; it is not created)
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise InputError(flag, str(path), "a file name (this path is a folder)")
    parent = p.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist; it is not created"
        raise InputError(flag, str(path), f"a file in an existing folder ({parent} {what})")
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(flag, str(path), f"a file name ending in one of {', '.join(suffixes)}")
    _probe_writable(flag, parent, path)
    return p


def figure_suffixes() -> tuple[str, ...]:
    """File suffixes matplotlib can write (``.png``, ``.pdf``, ``.svg``, ...)."""
    from matplotlib.figure import Figure

    return tuple(sorted("." + s for s in Figure().canvas.get_supported_filetypes()))
