"""`ketasim pk`: concentrations of one drug for one patient and a dosing schedule."""

from __future__ import annotations

import json

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from ketasim.cli.app import app
from ketasim.cli.errors import friendly
from ketasim.pk.models import drugs

#: the DRUG argument's help: every drug with a registered PK model
DRUG_HELP = ", ".join(drugs())

console = Console()

PK_HELP = """Plasma and effect-site concentrations of DRUG for one patient (exact solution).

Doses: --bolus "2 mg/kg" | "35 mg at 30 min" | "50 mg oral" | "1 mg/kg over 2 min";
--infusion "0.15 mg/kg/h for 2 h" | "10 ug/kg/min at 30 min for 45 min" (repeatable).
Routes for (S-)ketamine boluses: iv, im, oral, intranasal, sublingual.

Patient: --weight-kg, --age-yr, --height-cm take a number in that unit or a quantity
("154 lb", "1.75 m").

JSON keys (--json), stable: drug, model, patient {weight_kg, age_yr, height_cm, sex},
schedule {bolus: [...], infusion: [...]}, time_min [T], plasma_ng_mL [T],
effect_ng_mL [T] (null if no effect site), plasma_uM [T], effect_uM [T] (null if no
effect site), metabolite (null or {name, plasma_ng_mL [T], plasma_uM [T]}), citations
(list of str), params_hash.
"""


# The patient flags, shared by the one-patient commands (pk, tci, export); see `_patient`.
WEIGHT_OPT = typer.Option("70", "--weight-kg", "--weight", help="kg (or a quantity)")
AGE_OPT = typer.Option("40", "--age-yr", "--age", help="years (or a quantity)")
HEIGHT_OPT = typer.Option("170", "--height-cm", "--height", help="cm (or a quantity)")
SEX_OPT = typer.Option("male", "--sex", help="male or female")


@app.command("pk", help=PK_HELP)
@friendly
def pk_cmd(
    drug: str = typer.Argument(..., help=DRUG_HELP),
    model: str = typer.Option(None, "--model", "-m", help="model name (default: the drug's "
                              "default; `ketasim pk DRUG --list-models`)"),
    bolus: list[str] = typer.Option([], "--bolus", "-b",  # noqa: B008
                                    help="a bolus, e.g. '2 mg/kg at 30 min' (repeatable)"),
    infusion: list[str] = typer.Option([], "--infusion", "-i",  # noqa: B008
                                       help="an infusion, e.g. '0.15 mg/kg/h for 2 h' "
                                       "(repeatable)"),
    route: str = typer.Option("iv", "--route", help="default route of boluses without one"),
    weight: str = WEIGHT_OPT, age: str = AGE_OPT, height: str = HEIGHT_OPT,
    sex: str = SEX_OPT,
    at: str = typer.Option("1,5,10,30,60 min", "--at", help="output times, e.g. '1,5,10 "
                           "min' or '0:24:1 h'"),
    ke0: str = typer.Option(None, "--ke0", help="override ke0 (1/min, or e.g. '0.3 1/min')"),
    max_points: int = typer.Option(1_000_000, "--max-points",
                                   help="cap on the number of output times"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (keys above)"),
    plot: str = typer.Option(None, "--plot", help="write a PNG of the time course"),
    list_models_: bool = typer.Option(False, "--list-models", help="list models and exit"),
) -> None:
    from ketasim.core.citations import cite
    from ketasim.pk import list_models, simulate
    from ketasim.pk.dosing import CLI, Schedule, parse_times

    if list_models_:
        t = Table("model", "title", "validity", "citation")
        for m in list_models(drug):
            t.add_row(m.name, m.title, ", ".join(f"{k} {a}-{b}" for k, (a, b) in
                                                 m.validity.items()), m.citation)
        console.print(t)
        return
    if plot:  # checked before the work; the folder must exist (it is not created)
        from ketasim.cli.errors import figure_suffixes, output_file
        plot = str(output_file("--plot", plot, figure_suffixes()))
    sched = Schedule.parse(bolus, infusion, route, dialect=CLI)
    from ketasim.core.validation import Interval, check

    check("--max-points", max_points, Interval(1, None, integer=True))
    times = parse_times(at, field="--at", max_points=max_points)
    patient = _patient(weight, age, height, sex)
    kw = dict(ke0=None if ke0 is None else _flag_number(ke0), max_points=max_points,
              _dialect=CLI)
    ds = simulate(drug, model, sched, patient, times, **kw)
    d = ds.attrs["drug"].replace("-", "_")

    def series(name):
        return ([round(float(v), 6) for v in ds[name].values[0]] if name in ds else None)

    met = [v for v in ds.data_vars
           if v.endswith("_plasma_ng_mL") and not v.startswith(d + "_")]
    cov = {k: float(ds[k].values[0]) for k in ("weight_kg", "age_yr", "height_cm")}
    out = {
        "drug": ds.attrs["drug"], "model": ds.attrs["pk_model"].split("/")[1],
        "patient": {**cov, "sex": sex},
        "schedule": {"bolus": list(bolus), "infusion": list(infusion)},
        "time_min": [float(x) for x in times],
        "plasma_ng_mL": series(f"{d}_plasma_ng_mL"),
        "effect_ng_mL": series(f"{d}_effect_ng_mL"),
        "plasma_uM": series(f"{d}_plasma_uM"), "effect_uM": series(f"{d}_effect_uM"),
        "metabolite": ({"name": met[0].removesuffix("_plasma_ng_mL"),
                        "plasma_ng_mL": series(met[0]),
                        "plasma_uM": series(met[0].replace("_ng_mL", "_uM"))}
                       if met else None),
        "citations": cite(ds), "params_hash": ds.attrs["params_hash"],
    }
    if plot:
        _plot(drug, model, sched, patient, times, kw, plot, d)
    if as_json:
        typer.echo(json.dumps(out, indent=1))
        return
    t = Table("time (min)", "plasma (ng/mL)", "effect (ng/mL)", "plasma (uM)",
              *([f"{out['metabolite']['name']} (ng/mL)"] if met else []),
              title=f"{out['drug']} / {out['model']}")
    for k, tm in enumerate(out["time_min"]):
        row = [f"{tm:g}", f"{out['plasma_ng_mL'][k]:.4g}",
               f"{out['effect_ng_mL'][k]:.4g}" if out["effect_ng_mL"] else "-",
               f"{out['plasma_uM'][k]:.4g}"]
        if met:
            row.append(f"{out['metabolite']['plasma_ng_mL'][k]:.4g}")
        t.add_row(*row)
    console.print(t)
    for c in out["citations"]:
        console.print(f"  {c}", style="dim", highlight=False)


def _flag_number(text: str):
    """A flag's text: a plain number stays a number, anything else is parsed downstream as
    a quantity (and refused there with the flag's name)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


_FLAGS = {"weight_kg": "--weight-kg", "age_yr": "--age-yr", "height_cm": "--height-cm",
          "sex": "--sex"}


def _patient(weight, age, height, sex):
    """The patient of the flags, with errors naming the flags."""
    from ketasim.core.errors import InputError
    from ketasim.pk import Covariates

    try:
        cov = Covariates.single(_flag_number(weight), _flag_number(age),
                                _flag_number(height), sex)
    except InputError as exc:
        flag = _FLAGS.get(exc.field.split("[")[0].split(".")[-1], exc.field)
        raise type(exc)(flag, exc.value, exc.allowed) from None
    return cov


def _plot(drug, model, sched, patient, times, kw, path, d):
    from matplotlib.figure import Figure

    from ketasim.pk import simulate

    t_end = max(float(np.max(times)), sched.end_time(), 1.0)
    grid = np.linspace(0, t_end, 600)
    ds = simulate(drug, model, sched, patient, grid, molar=False, **kw)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for v in ds.data_vars:
        ax.plot(grid, ds[v].values[0], label=v.replace("_", " "))
    pts = simulate(drug, model, sched, patient, times, molar=False, **kw)
    ax.plot(times, pts[f"{d}_plasma_ng_mL"].values[0], "ko", ms=4, label="requested times")
    ax.set(xlabel="time (min)", ylabel="concentration (ng/mL)",
           title=f"{ds.attrs['pk_model']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
