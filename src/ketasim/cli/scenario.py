"""`ketasim scenario list|show|init` and `ketasim simulate FILE.yaml`.

`ketasim simulate` runs a scenario (`ketasim.scenarios.runner.simulate`) with a progress
bar, writes ``scenario.nc``, ``scenario.json``, ``scenario.png`` and ``scenario.html`` into
``--out`` and prints the JSON summary (``--json``) or a table of the stimulus tests. The
JSON keys are documented in `ketasim.scenarios.runner.summary`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ketasim.cli.app import app
from ketasim.cli.errors import friendly, output_dir

console = Console()
err_console = Console(stderr=True)
scenario_app = typer.Typer(help="Preset scenarios: list them, show one, or start your own "
                           "from one (`ketasim scenario init NAME > my.yaml`).",
                           no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("list")
@friendly
def list_cmd(as_json: bool = typer.Option(False, "--json", help="print a JSON list")) -> None:
    """List the preset scenarios, one name a line."""
    from ketasim.scenarios import list_presets

    names = list_presets()
    typer.echo(json.dumps(names) if as_json else "\n".join(names))


@scenario_app.command("show")
@friendly
def show_cmd(name: str = typer.Argument(..., help="preset name (`ketasim scenario list`)")
             ) -> None:
    """Print a preset as normalised YAML (every default spelled out)."""
    from ketasim.scenarios import show_preset

    typer.echo(show_preset(name), nl=False)


@scenario_app.command("init")
@friendly
def init_cmd(name: str = typer.Argument(..., help="preset name (`ketasim scenario list`)")
             ) -> None:
    """Print a preset as commented YAML to edit: `ketasim scenario init NAME > my.yaml`."""
    from ketasim.scenarios import init_preset

    typer.echo(init_preset(name), nl=False)


@app.command("simulate")
@friendly
def simulate_cmd(
    file: Path = typer.Argument(..., help="scenario YAML file (`ketasim scenario init` "
                                "writes one)"),
    out: Path = typer.Option(Path("ketasim-scenario"), "--out",
                             help="folder for scenario.nc, scenario.json, scenario.png and "
                             "scenario.html; created, with missing parents, if needed"),
    as_json: bool = typer.Option(False, "--json", help="print the JSON summary"),
) -> None:
    """Run a scenario: PK -> NMDA block -> spinal gain -> spiking tests -> pain."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ketasim.core.errors import InputError
    from ketasim.scenarios import load_scenario
    from ketasim.scenarios.report import write_outputs
    from ketasim.scenarios.runner import simulate, summary

    if not str(file).lower().endswith((".yaml", ".yml")):
        raise InputError("FILE", str(file), "a scenario file ending in .yaml or .yml")
    if not Path(file).is_file():
        raise InputError("FILE", str(file), "an existing scenario YAML file")
    scenario = load_scenario(Path(file))
    out = output_dir("--out", out)  # before the work starts
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True,
                  disable=not err_console.is_terminal) as bar:
        task = bar.add_task("starting", total=1.0)

        def progress(step: str, frac: float) -> None:
            bar.update(task, description=step, completed=frac)

        ds = simulate(scenario, progress=progress)
    s = summary(ds)
    paths = write_outputs(ds, out, s)
    if as_json:
        typer.echo(json.dumps(s, indent=2))
        return
    table = Table("time (h)", "test", "site", "ketamine (ng/mL, plasma)", "free (uM)",
                  "NMDA block", "gain", "spikes/stimulus", "NRS", "perceived NRS",
                  title=f"scenario {escape(s['scenario'])} ({s['scenario_hash']})")
    for t in s["tests"]:
        table.add_row(f"{t['time_h']:g}", t["kind"], t["site"],
                      f"{t['ketamine_plasma_ng_mL']:.3g}" if t["ketamine_plasma_ng_mL"]
                      is not None else "", _f(t["ketamine_uM"]), _f(t["nmda_block"], "{:.1%}"),
                      _f(t["gain"]), " ".join(map(str, t["spikes_per_stimulus"] or [])),
                      _f(t["nrs"], "{:.1f}"), _f(t.get("perceived_nrs"), "{:.1f}"))
    console.print(table)
    fl = s["flags"]
    if "emergence_risk_total" in fl:
        console.print(f"emergence window {_f(fl['emergence_window_min'], '{:.0f}')} min, "
                      f"risk index {_f(fl['emergence_risk_total'], '{:.2f}')} (0-1; "
                      "perceived NRS empty = no report)")
    for kind, p in paths.items():
        console.print(f"{kind}: {escape(str(p))}")


def _f(x, fmt: str = "{:.3g}") -> str:
    return "" if x is None else fmt.format(x)
