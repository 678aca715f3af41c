"""`ketasim trial list|init|run`: virtual trials (`ketasim.trials`).

`trial run` runs a trial into ``--out`` (``trial.zarr``, ``summary.json``, ``bands.png``,
``report.md``) with a progress bar (patients done, rate, time left) and prints the JSON
summary (``--json``; keys in `ketasim.trials.summary`) or the comparison table.
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
trial_app = typer.Typer(help="Virtual trials: list the presets, start your own from one "
                        "(`ketasim trial init NAME > trial.yaml`), run one.",
                        no_args_is_help=True)
app.add_typer(trial_app, name="trial")


@trial_app.command("list")
@friendly
def list_cmd(as_json: bool = typer.Option(False, "--json", help="print a JSON list")) -> None:
    """List the preset trials, one name a line."""
    from ketasim.trials import list_trial_presets

    names = list_trial_presets()
    typer.echo(json.dumps(names) if as_json else "\n".join(names))


@trial_app.command("init")
@friendly
def init_cmd(name: str = typer.Argument(..., help="preset trial (`ketasim trial list`)")) -> None:
    """Print a preset trial as commented YAML: `ketasim trial init NAME > trial.yaml`."""
    from ketasim.trials import init_trial

    typer.echo(init_trial(name), nl=False)


@trial_app.command("run")
@friendly
def run_cmd(
    file: Path = typer.Argument(..., help="trial YAML file (`ketasim trial init` writes one)"),
    patients: int = typer.Option(None, "--patients", help="population size (overrides the "
                                 "file's population.size)"),
    workers: int = typer.Option(None, "--workers", help="local processes, or with --dask "
                                "the workers of a local Dask cluster (default: CPU count)"),
    scheduler: str = typer.Option(None, "--scheduler", help="address of a running Dask "
                                  "scheduler, e.g. tcp://127.0.0.1:8786"),
    dask: bool = typer.Option(False, "--dask", help="run on a local Dask cluster of "
                              "--workers workers"),
    out: Path = typer.Option(Path("ketasim-trial"), "--out", help="folder for trial.zarr, "
                             "summary.json, bands.png, report.md"),
    resume: bool = typer.Option(False, "--resume", help="continue the store in --out"),
    as_json: bool = typer.Option(False, "--json", help="print the JSON summary"),
) -> None:
    """Run a trial: population -> arms -> batched chain -> Zarr store -> summary."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from ketasim.core.errors import InputError
    from ketasim.trials import load_trial
    from ketasim.trials.runner import run_trial
    from ketasim.trials.summary import write_report

    if not str(file).lower().endswith((".yaml", ".yml")):
        raise InputError("FILE", str(file), "a trial file ending in .yaml or .yml")
    if not file.is_file():
        raise InputError("FILE", str(file), "an existing trial YAML file")
    if workers is not None and scheduler is not None:
        raise InputError("--workers", workers, "not together with --scheduler (the cluster "
                         "has its own workers)")
    if patients is not None and not 1 <= patients <= 1_000_000:
        raise InputError("--patients", patients, "an integer in [1, 1000000]")
    if workers is not None and not 1 <= workers <= 1024:
        raise InputError("--workers", workers, "an integer in [1, 1024]")
    trial = load_trial(file, patients=patients)
    folder = output_dir("--out", out)
    backend = "dask" if (dask or scheduler) else None
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                  console=err_console, transient=as_json) as bar:
        task = bar.add_task(f"{trial.name}: patients", total=trial.population.size, rate="")
        import time
        t0, first = time.time(), [None]

        def progress(done, total):
            if first[0] is None:
                first[0] = done
            el = time.time() - t0
            rate = (done - first[0]) / el if el > 0 else 0.0
            bar.update(task, completed=done, rate=f"{rate:.1f} patients/s")

        try:
            store = run_trial(trial, folder, workers=workers, scheduler=scheduler,
                              backend=backend, resume=resume, progress=progress)
        except InputError as exc:
            if exc.field in ("out", "resume"):
                raise InputError("--out" if exc.field == "out" else "--resume", exc.value,
                                 exc.allowed.replace("resume=True / ", "")) from None
            raise
    write_report(store, folder)
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    if as_json:
        typer.echo(json.dumps(s, indent=1))
        return
    t = Table(title=f"{escape(trial.name)}: {s['n_patients']} patients "
              f"({s['allocation']}), differences with {int(s['ci'] * 100)} % CI")
    for c in ("outcome", "arm", "reference", "difference", "CI"):
        t.add_column(c)
    for c in s["comparisons"]:
        t.add_row(c["outcome"], c["arm"], c["reference"], f"{c['difference']:.3g}",
                  f"[{c['ci_low']:.3g}, {c['ci_high']:.3g}]")
    console.print(t)
    console.print(f"wrote {escape(str(folder))}/trial.zarr, summary.json, bands.png, report.md")
