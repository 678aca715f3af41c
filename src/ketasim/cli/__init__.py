"""Command line interface: `ketasim --help`. Each command module registers on `app`."""

from ketasim.cli import (
    clamp,  # noqa: F401
    experiment,  # noqa: F401
    pk,  # noqa: F401
)
from ketasim.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
