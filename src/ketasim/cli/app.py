"""The typer application object shared by the command modules.

Errors: every `ketasim.core.errors.KetasimError` raised by a command (and an `OSError` on a
path the user named) becomes one line ``error: <message>`` on stderr and exit code 2
(`ketasim.cli.errors.KetasimGroup`); a traceback means a bug.
"""

import typer

from ketasim.cli.errors import KetasimGroup

app = typer.Typer(
    name="ketasim",
    cls=KetasimGroup,
    help="ketasim: a mechanistic, multi-scale simulator of ketamine in pain management.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
