"""`ketasim app`: the web explorer (Streamlit), bound to localhost unless told otherwise."""

from __future__ import annotations

import typer

from ketasim.cli.app import app
from ketasim.cli.errors import as_flags, friendly


@app.command("app")
@friendly
def app_cmd(
    port: int = typer.Option(8501, "--port", help="TCP port (1024-65535)"),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="address to bind; anything but localhost needs "
                             "--allow-remote"),
    allow_remote: bool = typer.Option(False, "--allow-remote",
                                      help="allow binding beyond localhost (prints a "
                                      "warning: the app has no authentication)"),
) -> None:
    """Start the web explorer (open the printed URL in a browser; Ctrl-C stops it)."""
    from ketasim.app import LOCAL_HOSTS, launch, streamlit_command
    from ketasim.core.errors import InputError

    if host not in LOCAL_HOSTS and not allow_remote:
        raise InputError("--host", host, "127.0.0.1 or localhost (binding beyond this "
                         "machine needs --allow-remote)")
    with as_flags({"port": "--port", "host": "--host"}):
        streamlit_command(port, host)  # validates before anything starts
    if host not in LOCAL_HOSTS:
        typer.echo(f"warning: the explorer is bound to {host}: anyone who can reach this "
                   "address can use it (there is no authentication).", err=True)
    typer.echo(f"ketasim explorer: http://{'127.0.0.1' if host in LOCAL_HOSTS else host}:"
               f"{port}/", err=True)
    raise typer.Exit(launch(port, host))
