"""Command line interface: `ketasim --help`. Each command module registers on `app`.

Bad input gives a one-line ``error: ...`` message and exit code 2, never a traceback.
"""

import sys

from ketasim.cli import (
    clamp,  # noqa: F401
    experiment,  # noqa: F401
    export,  # noqa: F401
    export_neuro,  # noqa: F401
    nonmem,  # noqa: F401
    pk,  # noqa: F401
    scenario,  # noqa: F401
    tci,  # noqa: F401
    trial,  # noqa: F401
    web,  # noqa: F401
)
from ketasim.cli.app import app
from ketasim.cli.errors import _escape, _fail, _os_message
from ketasim.core.errors import KetasimError


def main() -> None:
    """Entry point of the ``ketasim`` command."""
    try:
        app()
    except KetasimError as exc:  # raised outside a command (e.g. while parsing)
        _fail(_escape(str(exc)))
        sys.exit(2)
    except OSError as exc:
        _fail(_escape(_os_message(exc)))
        sys.exit(2)


__all__ = ["app", "main"]
