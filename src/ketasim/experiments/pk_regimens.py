"""pk-regimens: ketamine concentration courses of the seed's two regimens under each model.

Regimens (MISSION.md M12/M13): sub-anaesthetic IV infusions (default 0.05, 0.15 and
0.3 mg/kg/h for ``infusion_h`` hours) and anaesthetic IV boluses (default 1 and 2 mg/kg),
simulated exactly with each published racemic ketamine model. The adult models (Domino,
Clements, Hijazi, Kamp) run on the reference adult; the paediatric models (Herd 1-14 y,
Hornik 1-18 y) would be outside their validated range for an adult, so they run on the
reference child (``child_*`` parameters) with the same mg/kg doses. Effect site: ke0 of
each model (1-min time to peak effect, see `ketasim.pk.models.ketamine`).

Summary keys (JSON):
- ``models``: model names; ``regimens``: regimen labels (e.g. ``"inf 0.15 mg/kg/h"``,
  ``"bolus 2 mg/kg"``); ``patient``: the covariates each model ran on (adult/child).
- ``plasma_end_of_infusion_ng_ml[model][regimen]``: plasma ketamine at the end of each
  infusion (ng/mL).
- ``steady_state_ng_ml[model][regimen]``: rate / clearance, the analytical plateau each
  infusion tends to (ng/mL).
- ``fraction_of_steady_state[model][regimen]``: the first divided by the second.
- ``peak_effect_ng_ml[model][regimen]`` and ``peak_effect_uM[model][regimen]``: maximal
  effect-site ketamine after each bolus.
- ``time_to_peak_effect_min[model][regimen]``: time of that maximum (grid resolution).
- ``effect_at_30min_ng_ml[model][regimen]``: effect-site ketamine 30 min after each bolus.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ketasim.core.provenance import stamp
from ketasim.experiments.registry import register
from ketasim.pk import get_model, simulate
from ketasim.pk.models.base import Covariates

PAEDIATRIC = ("herd", "hornik")


def run(infusion_rates: tuple = (0.05, 0.15, 0.3), bolus_doses: tuple = (1.0, 2.0),
        infusion_h: float = 4.0, horizon_h: float = 6.0, dt_min: float = 1.0,
        models: tuple = ("domino", "clements", "hijazi", "kamp", "herd", "hornik"),
        weight: float = 70.0, age: float = 40.0, height: float = 175.0, sex: str = "male",
        child_weight: float = 25.0, child_age: float = 8.0,
        child_height: float = 128.0) -> xr.Dataset:
    times = np.arange(0.0, horizon_h * 60 + dt_min / 2, dt_min)
    regimens = ([(f"inf {r:g} mg/kg/h", {"infusion": [f"{r} mg/kg/h for {infusion_h} h"]})
                 for r in infusion_rates]
                + [(f"bolus {d:g} mg/kg", {"bolus": [f"{d} mg/kg"]}) for d in bolus_doses])
    adult = dict(weight=weight, age=age, height=height, sex=sex)
    child = dict(weight=child_weight, age=child_age, height=child_height, sex=sex)
    cp = np.zeros((len(models), len(regimens), len(times)))
    ce = np.zeros_like(cp)
    css = np.full((len(models), len(regimens)), np.nan)
    cites: list[str] = []
    who = []
    for i, m in enumerate(models):
        pat = child if m in PAEDIATRIC else adult
        who.append("child" if m in PAEDIATRIC else "adult")
        cl = get_model("ketamine", m).parameters(Covariates.from_arrays(**pat))["CL"][0]
        for j, (_, sched) in enumerate(regimens):
            ds = simulate("ketamine", m, sched, pat, times, molar=False)
            cp[i, j] = ds["ketamine_plasma"].values[0]
            ce[i, j] = ds["ketamine_effect"].values[0]
            cites += ds.attrs["citations"].split(";")
            if "infusion" in sched:
                rate = infusion_rates[j] * pat["weight"] / 60.0  # mg/min
                css[i, j] = rate / cl * 1000.0  # ng/mL
    out = xr.Dataset(
        {"plasma": (("model", "regimen", "time"), cp, {"units": "ng/mL"}),
         "effect": (("model", "regimen", "time"), ce, {"units": "ng/mL"}),
         "effect_uM": (("model", "regimen", "time"), ce / 237.73, {"units": "umol/L"}),
         "steady_state": (("model", "regimen"), css, {"units": "ng/mL"})},
        coords={"model": list(models), "regimen": [r for r, _ in regimens],
                "time": ("time", times, {"units": "min"}), "patient": ("model", who)})
    out.attrs["infusion_h"] = infusion_h
    return stamp(out, model="pk-regimens", citations=cites, params=dict(
        infusion_rates=list(infusion_rates), bolus_doses=list(bolus_doses),
        infusion_h=infusion_h, models=list(models), adult=adult, child=child))


def summary(ds: xr.Dataset) -> dict:
    t = ds["time"].values
    t_end = ds.attrs.get("infusion_h", 4.0) * 60
    k_end = int(np.argmin(np.abs(t - t_end)))
    res = {"models": [str(m) for m in ds.model.values],
           "regimens": [str(r) for r in ds.regimen.values],
           "patient": {str(m): str(p) for m, p in zip(ds.model.values, ds.patient.values,
                                                      strict=True)}}
    keys = ("plasma_end_of_infusion_ng_ml", "steady_state_ng_ml", "fraction_of_steady_state",
            "peak_effect_ng_ml", "peak_effect_uM", "time_to_peak_effect_min",
            "effect_at_30min_ng_ml")
    for k in keys:
        res[k] = {}
    k30 = int(np.argmin(np.abs(t - 30)))
    for m in ds.model.values:
        for k in keys:
            res[k][str(m)] = {}
        for r in ds.regimen.values:
            cp = ds["plasma"].sel(model=m, regimen=r).values
            ce = ds["effect"].sel(model=m, regimen=r).values
            if str(r).startswith("inf"):
                css = float(ds["steady_state"].sel(model=m, regimen=r))
                res["plasma_end_of_infusion_ng_ml"][str(m)][str(r)] = round(float(cp[k_end]), 2)
                res["steady_state_ng_ml"][str(m)][str(r)] = round(css, 2)
                res["fraction_of_steady_state"][str(m)][str(r)] = round(float(cp[k_end]) / css,
                                                                        3)
            else:
                kp = int(np.argmax(ce))
                res["peak_effect_ng_ml"][str(m)][str(r)] = round(float(ce[kp]), 1)
                res["peak_effect_uM"][str(m)][str(r)] = round(float(ce[kp]) / 237.73, 3)
                res["time_to_peak_effect_min"][str(m)][str(r)] = float(t[kp])
                res["effect_at_30min_ng_ml"][str(m)][str(r)] = round(float(ce[k30]), 1)
    return res


def figure(ds: xr.Dataset):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ["-", "--", ":", "-."]
    t_h = ds["time"].values / 60
    inf = [r for r in ds.regimen.values if str(r).startswith("inf")]
    bol = [r for r in ds.regimen.values if str(r).startswith("bolus")]
    for i, m in enumerate(ds.model.values):
        tag = f"{m} ({ds.patient.values[i]})"
        for j, r in enumerate(inf):
            axes[0].plot(t_h, ds["plasma"].sel(model=m, regimen=r), color=colors[i % 10],
                         ls=styles[j % 4], lw=1.3, label=tag if j == len(inf) - 1 else None)
        for j, r in enumerate(bol):
            axes[1].plot(t_h, ds["effect"].sel(model=m, regimen=r), color=colors[i % 10],
                         ls=styles[j % 4], lw=1.3, label=tag if j == 0 else None)
    axes[0].set(title="infusions: plasma ketamine (" + ", ".join(
        str(r).removeprefix("inf ") for r in inf) + " as - -- :)",
        xlabel="time (h)", ylabel="ng/mL")
    axes[1].set(title="boluses: effect-site ketamine (" + ", ".join(
        str(r).removeprefix("bolus ") for r in bol) + " as - --)",
        xlabel="time (h)", ylabel="ng/mL", yscale="log", ylim=(10, None))
    for ax in axes:
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


register("pk-regimens", claim="PK",
         title="Ketamine concentrations of the seed regimens under each published model",
         run=run, figure=figure, summary=summary)
