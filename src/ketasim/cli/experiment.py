"""`ketasim experiment list|run`, `ketasim demo` and `ketasim cite`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ketasim.cli.app import app
from ketasim.cli.errors import friendly
from ketasim.core.errors import InputError

console = Console()
experiment_app = typer.Typer(help="List and run the canonical experiments (IDs start with "
                             "the MISSION.md claim they show).", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")


@experiment_app.command("list")
def list_cmd() -> None:
    """List registered experiments: ID, claim, title and parameters."""
    from ketasim.experiments import experiments

    table = Table("id", "claim", "title", "parameters (name=default)")
    for exp in experiments().values():
        params = ", ".join(f"{n}={p.default}" for n, p in exp.parameters().items())
        table.add_row(exp.id, exp.claim, exp.title, params)
    console.print(table)


@experiment_app.command("run")
@friendly
def run_cmd(
    id: str = typer.Argument(..., help="experiment ID, see `ketasim experiment list`"),
    param: list[str] = typer.Option([], "--param", "-p",
                                    help="override a parameter: name=value (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary metrics as JSON"),
    out: Path = typer.Option(Path("ketasim-out"), "--out",
                             help="folder for the figure (<id>.png) and summary (<id>.json)"),
) -> None:
    """Run one experiment, write its figure and print its summary metrics.

    The JSON keys of each experiment's summary are documented in its docstring, which
    `ketasim experiment show ID` prints.
    """
    from ketasim.experiments import get
    from ketasim.report import run_and_write

    exp = get(id)
    raw = {}
    for item in param:
        if "=" not in item:
            raise InputError("--param", item, "name=value")
        k, v = item.split("=", 1)
        raw[k.strip()] = v.strip()
    _, summary = run_and_write(exp, out, exp.coerce_params(raw))
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=float))
    else:
        table = Table("metric", "value", title=f"{exp.id}: {exp.title}")
        for k, v in summary.items():
            table.add_row(k, json.dumps(v, default=float))
        console.print(table)
        console.print(f"figure: {out / (exp.id + '.png')}")


@experiment_app.command("show")
@friendly
def show_cmd(id: str = typer.Argument(..., help="experiment ID")) -> None:
    """Print an experiment's documentation, including its JSON summary keys."""
    from ketasim.experiments import get

    typer.echo(get(id).doc)


@app.command()
@friendly
def demo(
    out: Path = typer.Option(Path("ketasim-demo"), "--out", help="output folder"),
) -> None:
    """Run every demo experiment on its defaults and write an HTML report to OUT/index.html."""
    from ketasim.experiments import experiments
    from ketasim.report import run_and_write, write_report

    results = []
    for exp in experiments().values():
        if exp.in_demo:
            console.print(f"running {exp.id} ...")
            ds, summary = run_and_write(exp, out)
            results.append((exp, ds, summary))
    path = write_report(results, out)
    console.print(f"report: {path}")


@app.command()
@friendly
def cite(key: list[str] = typer.Argument(None, help="citation keys; all if omitted")) -> None:
    """Print the references ketasim's parameters rest on."""
    import ketasim  # noqa: F401  (registers every layer's sources)
    from ketasim.core.citations import all_citations, get

    for k in key or sorted(all_citations()):
        typer.echo(f"[{k}] {get(k).format()}")
