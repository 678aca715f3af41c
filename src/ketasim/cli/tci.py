"""`ketasim tci`: a target-controlled infusion pump's rates and the concentrations they give."""

from __future__ import annotations

import json

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from ketasim.cli.app import app
from ketasim.cli.errors import friendly
from ketasim.cli.pk import AGE_OPT, DRUG_HELP, HEIGHT_OPT, SEX_OPT, WEIGHT_OPT

console = Console()

TCI_HELP = """Target-controlled infusion of DRUG for one patient: the pump's rates and the
plasma and effect-site concentrations of its model (exact per pump interval).

Targets: --target "3 ug/mL" or a schedule "3 ug/mL at 0 min, 2 ug/mL at 30 min".
--site effect (Shafer & Gregg 1992: the effect site reaches the target at its peak, without
overshoot) or plasma (Jacobs 1990 / Bailey & Shafer 1991: plasma at the target at the end
of each pump interval). Pump: --update "10 s", --max-rate "1200 mL/h", --rate-step
"0.1 mL/h" (0: continuous), --syringe "10 mg/mL" (default by drug).

Patient: --weight-kg, --age-yr, --height-cm take a number in that unit or a quantity.

Rows are printed every --every (default 1 min): rate_mL_h is the pump's rate at that moment,
mean_rate_mL_h the mean rate until the next row.

JSON keys (--json), stable: drug, model, site, patient {weight_kg, age_yr, height_cm, sex},
pump {update_s, max_rate_mL_h, rate_step_mL_h, syringe_mg_mL}, targets [{time_min,
target_ng_mL}], time_min [T], target_ng_mL [T], rate_mL_h [T], mean_rate_mL_h [T],
infused_mg [T], plasma_ng_mL [T], effect_ng_mL [T] (null if no effect site), citations
(list of str), params_hash.
"""


@app.command("tci", help=TCI_HELP)
@friendly
def tci_cmd(
    drug: str = typer.Argument(..., help=DRUG_HELP),
    model: str = typer.Option(None, "--model", "-m", help="PK model (default: the drug's "
                              "default; `ketasim pk DRUG --list-models`)"),
    target: str = typer.Option(..., "--target", "-t", help="'3 ug/mL' or '3 ug/mL at 0 "
                               "min, 2 ug/mL at 30 min'"),
    site: str = typer.Option("effect", "--site", help="effect or plasma"),
    duration: str = typer.Option(None, "--duration", help="how long the pump runs (default "
                                 "60 min, or 30 min after the last target)"),
    weight: str = WEIGHT_OPT, age: str = AGE_OPT, height: str = HEIGHT_OPT,
    sex: str = SEX_OPT,
    update: str = typer.Option("10 s", "--update", help="pump update interval"),
    max_rate: str = typer.Option("1200 mL/h", "--max-rate", help="maximum pump rate"),
    rate_step: str = typer.Option("0 mL/h", "--rate-step", help="rate resolution (rates "
                                  "are rounded down to it; 0: continuous)"),
    syringe: str = typer.Option(None, "--syringe", help="drug concentration in the syringe "
                                "(default by drug, e.g. propofol 10 mg/mL)"),
    every: str = typer.Option("1 min", "--every", help="rows of the output"),
    ke0: str = typer.Option(None, "--ke0", help="override ke0 (1/min)"),
    max_updates: int = typer.Option(2_000_000, "--max-updates",
                                    help="cap on the number of pump updates"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (keys above)"),
) -> None:
    from ketasim.cli.pk import _flag_number, _patient
    from ketasim.core.citations import cite
    from ketasim.core.errors import InputError
    from ketasim.core.units import as_float
    from ketasim.core.validation import Interval, check
    from ketasim.pk.dosing import CLI
    from ketasim.pk.tci import tci

    check("--max-updates", max_updates, Interval(1, None, integer=True))
    step = as_float(every, "--every", "min", allowed="a time such as '1 min' or '30 s'")
    if not 0 < step <= 30 * 24 * 60:
        raise InputError("--every", every, "a time > 0, e.g. '1 min'")
    patient = _patient(weight, age, height, sex)
    kw = {}
    for flag, name, text, unit, ex in (("--update", "update", update, "s", "10 s"),
                                       ("--max-rate", "max_rate", max_rate, "mL/h",
                                        "1200 mL/h"),
                                       ("--rate-step", "rate_step", rate_step, "mL/h",
                                        "0.1 mL/h"),
                                       ("--syringe", "syringe", syringe, "mg/mL",
                                        "10 mg/mL")):
        if text is not None:
            kw[name] = as_float(_flag_number(text), flag, unit,
                                allowed=f"a quantity such as '{ex}'")
    try:
        ds = tci(drug, model, target, site=site, patients=patient,
                 duration=None if duration is None else _flag_number(duration),
                 ke0=None if ke0 is None else _flag_number(ke0), max_updates=max_updates,
                 _dialect=CLI, **kw)
    except InputError as exc:  # the Pump's fields, named as the flags
        names = {"Pump.update_s": "--update", "Pump.max_rate_mL_h": "--max-rate",
                 "Pump.rate_step_mL_h": "--rate-step", "Pump.syringe_mg_mL": "--syringe",
                 "duration": "--duration", "ke0": "--ke0"}
        if exc.field in names:
            raise type(exc)(names[exc.field], exc.value, exc.allowed) from None
        raise
    out = summary(ds, step)
    out["patient"]["sex"] = sex
    out["citations"] = cite(ds)
    if as_json:
        typer.echo(json.dumps(out, indent=1))
        return
    has_e = out["effect_ng_mL"] is not None
    t = Table("time (min)", "target (ng/mL)", "rate (mL/h)", "mean rate (mL/h)",
              "infused (mg)", "plasma (ng/mL)", *(["effect (ng/mL)"] if has_e else []),
              title=f"{out['drug']} / {out['model']} TCI, {out['site']} site, syringe "
              f"{out['pump']['syringe_mg_mL']:g} mg/mL")
    for k, tm in enumerate(out["time_min"]):
        row = [f"{tm:g}", f"{out['target_ng_mL'][k]:.4g}", f"{out['rate_mL_h'][k]:.4g}",
               f"{out['mean_rate_mL_h'][k]:.4g}", f"{out['infused_mg'][k]:.4g}",
               f"{out['plasma_ng_mL'][k]:.4g}"]
        if has_e:
            row.append(f"{out['effect_ng_mL'][k]:.4g}")
        t.add_row(*row)
    console.print(t)
    for c in out["citations"]:
        console.print(f"  {c}", style="dim", highlight=False)


def summary(ds, every_min: float = 1.0) -> dict:
    """The CLI's JSON of a one-patient `ketasim.pk.tci.tci` result, rows every
    ``every_min`` (pump updates at those times; the end always included).

    Examples
    --------
    >>> from ketasim.pk.tci import tci
    >>> s = summary(tci("propofol", "marsh", "2 ug/mL", site="plasma", duration="3 min"))
    >>> s["time_min"], round(s["plasma_ng_mL"][-1])
    ([0.0, 1.0, 2.0, 3.0], 2000)
    """
    import json as _json

    t = ds["time"].values
    rows = np.unique(np.concatenate([np.searchsorted(
        t, np.arange(0.0, t[-1] + 1e-9, every_min) - 1e-9), [len(t) - 1]]))
    rows = rows[rows < len(t)]
    d = ds.attrs["drug"].replace("-", "_")
    inf = ds["infused_mg"].values[0]
    conc = float(ds["rate_mL_h"].attrs["syringe_mg_mL"])
    mean = np.zeros(len(rows))
    dt = np.diff(t[rows])
    mean[:-1] = np.where(dt > 0, np.diff(inf[rows]) / np.where(dt > 0, dt, 1) * 60 / conc, 0)

    def col(name):
        return [round(float(v), 6) for v in ds[name].values[0, rows]] if name in ds else None

    p = _json.loads(ds.attrs["params"])
    return {
        "drug": ds.attrs["drug"], "model": ds.attrs["pk_model"].split("/")[1],
        "site": ds.attrs["site"],
        "patient": {k: float(ds[k].values[0]) for k in ("weight_kg", "age_yr", "height_cm")}
        | {"sex": "male" if float(ds["sex"].values[0]) == 0 else "female"},
        "pump": p["pump"], "targets": p["targets"],
        "time_min": [round(float(x), 6) for x in t[rows]],
        "target_ng_mL": [round(float(v), 6) for v in ds["target_ng_mL"].values[rows]],
        "rate_mL_h": col("rate_mL_h"), "mean_rate_mL_h": [round(float(v), 6) for v in mean],
        "infused_mg": col("infused_mg"), "plasma_ng_mL": col(f"{d}_plasma_ng_mL"),
        "effect_ng_mL": col(f"{d}_effect_ng_mL"), "citations": [],
        "params_hash": ds.attrs["params_hash"],
    }
