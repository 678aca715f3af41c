"""`ketasim pk`: concentrations of one drug for one patient and a dosing schedule."""

from __future__ import annotations

import json

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from ketasim.cli.app import app
from ketasim.cli.errors import friendly

console = Console()

PK_HELP = """Plasma and effect-site concentrations of DRUG for one patient (exact solution).

Doses: --bolus "2 mg/kg" | "35 mg at 30 min" | "50 mg oral" | "1 mg/kg over 2 min";
--infusion "0.15 mg/kg/h for 2 h" | "10 ug/kg/min at 30 min for 45 min" (repeatable).
Routes for (S-)ketamine boluses: iv, im, oral, intranasal, sublingual.

JSON keys (--json), stable: drug, model, patient {weight_kg, age_y, height_cm, sex},
schedule {bolus: [...], infusion: [...]}, time_min [T], plasma_ng_ml [T],
effect_ng_ml [T] (null if no effect site), plasma_umol_l [T], effect_umol_l [T],
metabolite (null or {name, plasma_ng_ml [T], plasma_umol_l [T]}), citations (list of str).
"""


@app.command("pk", help=PK_HELP)
@friendly
def pk_cmd(
    drug: str = typer.Argument(..., help="ketamine, s-ketamine, propofol, thiopental, "
                               "fentanyl, remifentanil, morphine"),
    model: str = typer.Option(None, "--model", "-m", help="model name (default: the drug's "
                              "default; `ketasim pk DRUG --list-models`)"),
    bolus: list[str] = typer.Option([], "--bolus", "-b",  # noqa: B008
                                    help="a bolus, e.g. '2 mg/kg at 30 min' (repeatable)"),
    infusion: list[str] = typer.Option([], "--infusion", "-i",  # noqa: B008
                                       help="an infusion, e.g. '0.15 mg/kg/h for 2 h' "
                                       "(repeatable)"),
    route: str = typer.Option("iv", "--route", help="default route of boluses without one"),
    weight: float = typer.Option(70.0, "--weight", help="kg"),
    age: float = typer.Option(40.0, "--age", help="years"),
    height: float = typer.Option(170.0, "--height", help="cm"),
    sex: str = typer.Option("male", "--sex", help="male or female"),
    at: str = typer.Option("1,5,10,30,60 min", "--at", help="output times, e.g. '1,5,10 "
                           "min' or '0:24:1 h'"),
    ke0: float = typer.Option(None, "--ke0", help="override ke0 (1/min)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (keys above)"),
    plot: str = typer.Option(None, "--plot", help="write a PNG of the time course"),
    list_models_: bool = typer.Option(False, "--list-models", help="list models and exit"),
) -> None:
    from ketasim.core.citations import cite
    from ketasim.pk import list_models, simulate
    from ketasim.pk.dosing import Schedule, parse_times

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
    sched = Schedule.parse(bolus, infusion, route)
    times = parse_times(at)
    patient = dict(weight=weight, age=age, height=height, sex=sex)
    ds = simulate(drug, model, sched, patient, times, ke0=ke0)
    d = ds.attrs["drug"].replace("-", "_")

    def series(name):
        return ([round(float(v), 6) for v in ds[name].values[0]] if name in ds else None)

    met = [v for v in ds.data_vars if v.endswith("_plasma") and not v.startswith(d + "_")]
    out = {
        "drug": ds.attrs["drug"], "model": ds.attrs["pk_model"].split("/")[1],
        "patient": {"weight_kg": weight, "age_y": age, "height_cm": height, "sex": sex},
        "schedule": {"bolus": list(bolus), "infusion": list(infusion)},
        "time_min": [float(x) for x in times],
        "plasma_ng_ml": series(f"{d}_plasma"), "effect_ng_ml": series(f"{d}_effect"),
        "plasma_umol_l": series(f"{d}_plasma_uM"), "effect_umol_l": series(f"{d}_effect_uM"),
        "metabolite": ({"name": met[0].removesuffix("_plasma"),
                        "plasma_ng_ml": series(met[0]),
                        "plasma_umol_l": series(met[0] + "_uM")} if met else None),
        "citations": cite(ds),
    }
    if plot:
        _plot(drug, model, sched, patient, times, ke0, plot, d)
    if as_json:
        typer.echo(json.dumps(out, indent=1))
        return
    t = Table("time (min)", "plasma (ng/mL)", "effect (ng/mL)", "plasma (umol/L)",
              *([f"{out['metabolite']['name']} (ng/mL)"] if met else []),
              title=f"{out['drug']} / {out['model']}")
    for k, tm in enumerate(out["time_min"]):
        row = [f"{tm:g}", f"{out['plasma_ng_ml'][k]:.4g}",
               f"{out['effect_ng_ml'][k]:.4g}" if out["effect_ng_ml"] else "-",
               f"{out['plasma_umol_l'][k]:.4g}"]
        if met:
            row.append(f"{out['metabolite']['plasma_ng_ml'][k]:.4g}")
        t.add_row(*row)
    console.print(t)
    for c in out["citations"]:
        console.print(f"  {c}", style="dim", highlight=False)


def _plot(drug, model, sched, patient, times, ke0, path, d):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ketasim.pk import simulate

    t_end = max(float(np.max(times)), sched.end_time(), 1.0)
    grid = np.linspace(0, t_end, 600)
    ds = simulate(drug, model, sched, patient, grid, ke0=ke0, molar=False)
    fig, ax = plt.subplots(figsize=(7, 4))
    for v in ds.data_vars:
        ax.plot(grid, ds[v].values[0], label=v.replace("_", " "))
    pts = simulate(drug, model, sched, patient, times, ke0=ke0, molar=False)
    ax.plot(times, pts[f"{d}_plasma"].values[0], "ko", ms=4, label="requested times")
    ax.set(xlabel="time (min)", ylabel="concentration (ng/mL)",
           title=f"{ds.attrs['pk_model']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
