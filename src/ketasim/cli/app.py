"""The typer application object shared by the command modules."""

import typer

app = typer.Typer(
    name="ketasim",
    help="ketasim: a mechanistic, multi-scale simulator of ketamine in pain management.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
