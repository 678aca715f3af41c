"""`ketasim experiment list|run|show`, `ketasim demo` and `ketasim cite`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ketasim.cli.app import app
from ketasim.cli.errors import friendly, output_dir
from ketasim.core.errors import InputError

console = Console()
experiment_app = typer.Typer(help="List and run the canonical experiments (IDs start with "
                             "the claim M1..M18 they show).", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")

CITE_FORMATS = ("text", "bibtex", "csl-json")


@experiment_app.command("list")
def list_cmd() -> None:
    """List registered experiments: ID, claim, title and parameters."""
    from ketasim.experiments import experiments

    table = Table("id", "claim", "title", "parameters (name=default)")
    for exp in experiments().values():
        params = ", ".join(f"{n}={_show(p.default)}" for n, p in exp.parameters().items())
        table.add_row(exp.id, exp.claim, escape(exp.title), escape(params))
    console.print(table)


def _show(v) -> str:
    """A value as plain text: numbers as Python prints them, sequences comma-separated."""
    from ketasim.report import jsonable

    v = jsonable(v)
    if isinstance(v, list):
        return ",".join(_show(x) for x in v)
    return json.dumps(v) if isinstance(v, dict) else str(v)


def _parse_params(param: list[str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for item in param:
        if "=" not in item:
            raise InputError("--param", item, "name=value")
        k, v = item.split("=", 1)
        raw[k.strip()] = v.strip()
    return raw


@experiment_app.command("run")
@friendly
def run_cmd(
    id: str = typer.Argument(..., help="experiment ID, see `ketasim experiment list`"),
    param: list[str] = typer.Option([], "--param", "-p",
                                    help="override a parameter: name=value (repeatable); "
                                    "lists are comma-separated"),
    as_json: bool = typer.Option(False, "--json", help="print the summary metrics as JSON"),
    out: Path = typer.Option(Path("ketasim-out"), "--out",
                             help="folder for the figure (<id>.png), summary (<id>.json) and "
                             "provenance (<id>.provenance.json); created, with missing parent "
                             "folders, if it does not exist"),
) -> None:
    """Run one experiment, write its figure and print its summary metrics.

    The JSON keys of each experiment's summary are documented in its docstring, which
    `ketasim experiment show ID` prints.
    """
    from ketasim.experiments import get
    from ketasim.report import jsonable, run_and_write

    exp = get(id)
    params = exp.coerce_params(_parse_params(param))
    out = output_dir("--out", out)  # before the work starts
    _, summary = run_and_write(exp, out, params)
    summary = jsonable(summary)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        table = Table("metric", "value", title=f"{exp.id}: {escape(exp.title)}")
        for k, v in summary.items():
            table.add_row(escape(str(k)), escape(json.dumps(v)))
        console.print(table)
        console.print(f"figure: {escape(str(out / (exp.id + '.png')))}")


@experiment_app.command("show")
@friendly
def show_cmd(id: str = typer.Argument(..., help="experiment ID")) -> None:
    """Print an experiment's documentation, including its JSON summary keys."""
    from ketasim.experiments import get

    typer.echo(get(id).doc)


@app.command()
@friendly
def demo(
    out: Path = typer.Option(Path("ketasim-demo"), "--out",
                             help="output folder; created, with missing parent folders, if "
                             "it does not exist"),
) -> None:
    """Write the demo report to OUT/index.html: the story of one post-operative patient with
    and without ketamine, then every demo experiment on its defaults (PK, then M1..M18)."""
    from ketasim.report import build_demo

    out = output_dir("--out", out)
    path = build_demo(out, progress=lambda msg: console.print(escape(msg)))
    console.print(f"report: {escape(str(path))}")


def result_citations(path: Path) -> list[str]:
    """Citation keys of a saved result: netCDF (``.nc``), zarr (``.zarr``) or JSON.

    A JSON file is read by its ``"citations"`` (or ``["attrs"]["citations"]``); a summary
    ``<id>.json`` without them is read through its ``<id>.provenance.json`` next to it.
    """
    from ketasim.core.citations import keys_of

    p = Path(path)
    if not p.exists():
        raise InputError("--result", str(path), "an existing .nc, .zarr or .json file")
    suffix = p.suffix.lower()
    if suffix == ".json":
        try:
            obj = json.loads(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError("--result", str(path), f"a JSON file ({exc})") from None
        keys = keys_of(obj) if isinstance(obj, dict) else []
        side = p.with_name(p.stem + ".provenance.json")
        if not keys and side.exists() and side != p:
            return result_citations(side)
    elif suffix in (".nc", ".nc4", ".netcdf", ".zarr", ".h5"):
        import xarray as xr

        try:
            ds = xr.open_zarr(p) if suffix == ".zarr" else xr.open_dataset(p)
        except (ImportError, ValueError, OSError) as exc:
            raise InputError("--result", str(path), f"a dataset xarray can open ({exc})"
                             ) from None
        with ds:
            keys = keys_of(ds)
    else:
        raise InputError("--result", str(path), "a file ending in .nc, .zarr or .json")
    if not keys:
        raise InputError("--result", str(path), "a saved result whose attrs hold "
                         "'citations' (ketasim results are stamped with them)")
    return keys


@app.command()
@friendly
def cite(
    key: list[str] = typer.Argument(None, help="citation keys; all if omitted (and no "
                                    "--result)"),
    fmt: str = typer.Option("text", "--format", "-f",
                            help="output format: " + ", ".join(CITE_FORMATS)),
    result: Path = typer.Option(None, "--result",
                                help="cite what a saved result rests on (.nc, .zarr, or the "
                                ".json/.provenance.json that `experiment run` writes)"),
) -> None:
    """Print the references ketasim's parameters rest on (text, BibTeX or CSL-JSON)."""
    from ketasim.core.citations import all_citations, get, keys_of, to_bibtex, to_csl_json

    if fmt not in CITE_FORMATS:
        raise InputError("--format", fmt, "one of " + ", ".join(CITE_FORMATS))
    keys = keys_of(key or [])
    if result is not None:
        keys = keys_of([keys, result_citations(result)])
    if not keys and result is None:
        keys = list(all_citations())
    for k in keys:
        get(k)  # unknown keys: UnknownNameError before any output
    if fmt == "bibtex":
        typer.echo(to_bibtex(keys), nl=False)
    elif fmt == "csl-json":
        typer.echo(to_csl_json(keys))
    else:
        for k in keys:
            typer.echo(f"[{k}] {get(k).format()}")
