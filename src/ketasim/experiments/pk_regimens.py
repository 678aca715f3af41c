"""pk-regimens: ketamine concentration courses of the seed's two regimens under each model.

Regimens (the project's claims M12/M13): sub-anaesthetic IV infusions (default 0.05, 0.15
and 0.3 mg/kg/h for ``infusion_h`` hours) and anaesthetic IV boluses (default 1 and 2 mg/kg),
simulated exactly with each published racemic ketamine model. The adult models (Domino,
Clements, Hijazi, Kamp) run on the reference adult; the paediatric models (Herd 1-14 y,
Hornik 1-18 y) would be outside their validated range for an adult, so they run on the
reference child (``child_*`` parameters) with the same mg/kg doses. Effect site: ke0 of
each model (1-min time to peak effect, see `ketasim.pk.models.ketamine`).

Parameters (``-p name=value``): ``infusion_rates_mg_kg_h``, ``bolus_doses_mg_kg``
(comma-separated lists), ``infusion_h`` (<= ``horizon_h``, and a whole number of
``dt_min`` steps, so that the end of the infusion is a grid point), ``horizon_h``
(>= 0.5 h: the summary reads the effect site 30 min after each bolus), ``dt_min``,
``models``, the adult's ``weight_kg``, ``age_yr``, ``height_cm``, ``sex`` and the child's
``child_weight_kg``, ``child_age_yr``, ``child_height_cm``; ``max_points`` caps
models x regimens x time points.

Dataset: ``ketamine_plasma_ng_mL``, ``ketamine_effect_ng_mL``, ``ketamine_effect_uM``
(model, regimen, time; time in min) and ``ketamine_steady_state_ng_mL`` (model, regimen).

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

import math

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.validation import (
    Constraint,
    Each,
    Interval,
    Options,
    check_finite,
    check_work,
    validate_params,
)
from ketasim.experiments._story import span
from ketasim.experiments.registry import register
from ketasim.pk import Covariates, get_model, simulate

PAEDIATRIC = ("herd", "hornik")
KETAMINE_MODELS = ("domino", "clements", "hijazi", "kamp", "herd", "hornik")
MOLAR_MASS = 237.73  # ketamine free base, g/mol (ketasim.core.units.MOLAR_MASS)


class _Empty(Constraint):
    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, tuple | list) and len(value) == 0

    def __str__(self) -> str:
        return "an empty list"


_EMPTY = _Empty()


def _check_regimens(infusion_rates_mg_kg_h, bolus_doses_mg_kg, infusion_h, horizon_h,
                    dt_min, models, max_points):
    if not infusion_rates_mg_kg_h and not bolus_doses_mg_kg:
        raise InputError("infusion_rates_mg_kg_h", list(infusion_rates_mg_kg_h),
                         "at least one infusion rate or bolus dose")
    if len(set(models)) != len(models):
        raise InputError("models", list(models), "distinct model names")
    if infusion_rates_mg_kg_h and infusion_h > horizon_h:
        raise InputError("infusion_h", infusion_h, f"at most horizon_h = {horizon_h:g} h "
                         "(the end of the infusion must be simulated)")
    if infusion_rates_mg_kg_h:
        steps = infusion_h * 60 / dt_min
        if abs(steps - round(steps)) > 1e-9 * max(steps, 1):
            raise InputError("dt_min", dt_min, f"a step that divides infusion_h = "
                             f"{infusion_h:g} h ({infusion_h * 60:g} min) into whole steps")
    if bolus_doses_mg_kg and horizon_h * 60 < 30:
        raise InputError("horizon_h", horizon_h, ">= 0.5 h (effect 30 min after the bolus)")
    n_t = math.floor(horizon_h * 60 / dt_min + 0.5) + 1
    check_work("models x regimens x time points",
               len(models) * (len(infusion_rates_mg_kg_h) + len(bolus_doses_mg_kg)) * n_t,
               max_points, "pass max_points=... (-p max_points=...) to go past it")


@validate_params({
    "infusion_rates_mg_kg_h": (Each(Interval(0, 10, closed="right"), max_len=20),
                               _EMPTY),
    "bolus_doses_mg_kg": (Each(Interval(0, 20, closed="right"), max_len=20),
                          _EMPTY),
    "infusion_h": Interval(0, 720, closed="right"),
    "horizon_h": Interval(0, 720, closed="right"),
    "dt_min": Interval(1e-3, 600),
    "models": Each(Options(KETAMINE_MODELS), max_len=len(KETAMINE_MODELS)),
    "weight_kg": Interval(0.3, 400), "age_yr": Interval(0, 120),
    "height_cm": Interval(30, 250), "sex": Options(("male", "female")),
    "child_weight_kg": Interval(0.3, 400), "child_age_yr": Interval(0, 120),
    "child_height_cm": Interval(30, 250),
    "max_points": Interval(1, None, integer=True),
})
def run(infusion_rates_mg_kg_h: tuple = (0.05, 0.15, 0.3),
        bolus_doses_mg_kg: tuple = (1.0, 2.0), infusion_h: float = 4.0,
        horizon_h: float = 6.0, dt_min: float = 1.0, models: tuple = KETAMINE_MODELS,
        weight_kg: float = 70.0, age_yr: float = 40.0, height_cm: float = 175.0,
        sex: str = "male", child_weight_kg: float = 25.0, child_age_yr: float = 8.0,
        child_height_cm: float = 128.0, max_points: int = 10_000_000) -> xr.Dataset:
    """Simulate the regimens under each model (parameters: see the module docstring).

    Examples
    --------
    >>> ds = run(infusion_rates_mg_kg_h=(0.15,), bolus_doses_mg_kg=(), infusion_h=1,
    ...          horizon_h=1, models=("kamp",))
    >>> float(ds["ketamine_plasma_ng_mL"].sel(time=60).item()) > 50
    True
    """
    # Each() accepts a scalar too: a single rate or model given alone is a list of one
    infusion_rates_mg_kg_h = tuple(float(x) for x in np.atleast_1d(infusion_rates_mg_kg_h))
    bolus_doses_mg_kg = tuple(float(x) for x in np.atleast_1d(bolus_doses_mg_kg))
    models = tuple(str(m) for m in np.atleast_1d(np.asarray(models, dtype=object)))
    _check_regimens(infusion_rates_mg_kg_h, bolus_doses_mg_kg, infusion_h, horizon_h,
                    dt_min, models, max_points)
    times = np.arange(0.0, horizon_h * 60 + dt_min / 2, dt_min)
    regimens = ([(f"inf {r:g} mg/kg/h", {"infusion": [f"{r} mg/kg/h for {infusion_h} h"]})
                 for r in infusion_rates_mg_kg_h]
                + [(f"bolus {d:g} mg/kg", {"bolus": [f"{d} mg/kg"]})
                   for d in bolus_doses_mg_kg])
    labels = [r for r, _ in regimens]
    if len(set(labels)) != len(labels):
        raise InputError("infusion_rates_mg_kg_h/bolus_doses_mg_kg", labels,
                         "distinct rates and doses")
    adult = dict(weight_kg=weight_kg, age_yr=age_yr, height_cm=height_cm, sex=sex)
    child = dict(weight_kg=child_weight_kg, age_yr=child_age_yr, height_cm=child_height_cm,
                 sex=sex)
    cp = np.zeros((len(models), len(regimens), len(times)))
    ce = np.zeros_like(cp)
    css = np.full((len(models), len(regimens)), np.nan)
    cites: list[str] = []
    who = []
    runs = {}
    for i, m in enumerate(models):
        pat = child if m in PAEDIATRIC else adult
        who.append("child" if m in PAEDIATRIC else "adult")
        cl = get_model("ketamine", m).parameters(Covariates.from_arrays(**pat))["CL"][0]
        for j, (label, sched) in enumerate(regimens):
            ds = simulate("ketamine", m, sched, pat, times, molar=False,
                          max_points=max(len(times), 1))
            cp[i, j] = ds["ketamine_plasma_ng_mL"].values[0]
            ce[i, j] = ds["ketamine_effect_ng_mL"].values[0]
            cites += ds.attrs["citations"].split(";")
            runs[f"{m}|{label}"] = ds.attrs["params_hash"]
            if "infusion" in sched:
                rate = infusion_rates_mg_kg_h[j] * pat["weight_kg"] / 60.0  # mg/min
                css[i, j] = rate / cl * 1000.0  # ng/mL
    check_finite("ketamine_plasma_ng_mL", cp)
    check_finite("ketamine_effect_ng_mL", ce)
    dims = ("model", "regimen", "time")
    out = xr.Dataset(
        {"ketamine_plasma_ng_mL": (dims, cp, {"units": "ng/mL"}),
         "ketamine_effect_ng_mL": (dims, ce, {"units": "ng/mL"}),
         "ketamine_effect_uM": (dims, ce / MOLAR_MASS, {"units": "umol/L"}),
         "ketamine_steady_state_ng_mL": (("model", "regimen"), css, {"units": "ng/mL"})},
        coords={"model": list(models), "regimen": labels,
                "time": ("time", times, {"units": "min"}), "patient": ("model", who)})
    out.attrs["infusion_h"] = infusion_h
    return stamp(out, model="pk-regimens", citations=cites, params=dict(
        infusion_rates_mg_kg_h=list(infusion_rates_mg_kg_h),
        bolus_doses_mg_kg=list(bolus_doses_mg_kg), infusion_h=infusion_h,
        horizon_h=horizon_h, dt_min=dt_min, models=list(models), adult=adult, child=child,
        simulations=runs))


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
            cp = ds["ketamine_plasma_ng_mL"].sel(model=m, regimen=r).values
            ce = ds["ketamine_effect_ng_mL"].sel(model=m, regimen=r).values
            if str(r).startswith("inf"):
                css = float(ds["ketamine_steady_state_ng_mL"].sel(model=m, regimen=r))
                res["plasma_end_of_infusion_ng_ml"][str(m)][str(r)] = round(float(cp[k_end]), 2)
                res["steady_state_ng_ml"][str(m)][str(r)] = round(css, 2)
                res["fraction_of_steady_state"][str(m)][str(r)] = round(float(cp[k_end]) / css,
                                                                        3)
            else:
                kp = int(np.argmax(ce))
                res["peak_effect_ng_ml"][str(m)][str(r)] = round(float(ce[kp]), 1)
                res["peak_effect_uM"][str(m)][str(r)] = round(float(ce[kp]) / MOLAR_MASS, 3)
                res["time_to_peak_effect_min"][str(m)][str(r)] = float(t[kp])
                res["effect_at_30min_ng_ml"][str(m)][str(r)] = round(float(ce[k30]), 1)
    return res


def figure(ds: xr.Dataset):
    from matplotlib import rcParams
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(11, 5.6), layout="constrained")
    axes = fig.subplots(1, 2)
    colors = rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ["-", "--", ":", "-."]
    t_h = ds["time"].values / 60
    inf = [r for r in ds.regimen.values if str(r).startswith("inf")]
    bol = [r for r in ds.regimen.values if str(r).startswith("bolus")]
    for i, m in enumerate(ds.model.values):
        for j, r in enumerate(inf):
            axes[0].plot(t_h, ds["ketamine_plasma_ng_mL"].sel(model=m, regimen=r),
                         color=colors[i % 10], ls=styles[j % 4], lw=1.5)
        for j, r in enumerate(bol):
            axes[1].plot(t_h, ds["ketamine_effect_ng_mL"].sel(model=m, regimen=r),
                         color=colors[i % 10], ls=styles[j % 4], lw=1.5)
    axes[0].set(title="infusions: plasma ketamine", xlabel="time (h)", ylabel="ng/mL")
    # log axis down to the lowest concentration any model reaches, so that none leaves it
    eff = ds["ketamine_effect_ng_mL"].sel(regimen=bol).values if bol else np.array([1.0])
    after = eff[..., t_h > 0.05] if eff.ndim == 3 else eff
    low = float(np.nanmin(np.where(after > 0, after, np.nan))) if np.any(after > 0) else 1.0
    axes[1].set(title="boluses: effect-site ketamine", xlabel="time (h)", ylabel="ng/mL",
                yscale="log", ylim=(10 ** np.floor(np.log10(low)), None))
    for ax, regs, pre in ((axes[0], inf, "inf "), (axes[1], bol, "bolus ")):
        ax.grid(alpha=0.3)
        ax.legend(handles=[Line2D([], [], color="0.2", ls=styles[j % 4], lw=1.5,
                                  label=str(r).removeprefix(pre)) for j, r in enumerate(regs)],
                  fontsize=10, loc="upper right", title="line style", title_fontsize=10)
    fig.legend(handles=[Line2D([], [], color=colors[i % 10], lw=2.5,
                               label=f"{m} ({ds.patient.values[i]})")
                        for i, m in enumerate(ds.model.values)],
               loc="outside lower center", ncol=min(6, ds.sizes["model"]), fontsize=10,
               title="model (colour)", title_fontsize=10, frameon=False)
    return fig

def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    adults = [m for m in s["models"] if s["patient"][m] == "adult"]
    inf = [r for r in s["regimens"] if r.startswith("inf")]
    bol = [r for r in s["regimens"] if r.startswith("bolus")]
    end, peak = s["plasma_end_of_infusion_ng_ml"], s["peak_effect_ng_ml"]
    nums = [(f"plasma at the end of {r.removeprefix('inf ')}, adult models",
             span([end[m][r] for m in adults], "{:.0f}"), "ng/mL") for r in inf]
    nums += [(f"peak effect site after {r.removeprefix('bolus ')}, adult models",
              span([peak[m][r] for m in adults], "{:.0f}"), "ng/mL") for r in bol]
    nums += [(f"effect site 30 min after {r.removeprefix('bolus ')}, adult models",
              span([s["effect_at_30min_ng_ml"][m][r] for m in adults], "{:.0f}"), "ng/mL")
             for r in bol]
    comps = []
    if inf:
        top = max(inf, key=lambda r: float(r.split()[1]))
        hi = max(end[m][top] for m in adults)
        comps.append((f"infusions up to {top.removeprefix('inf ')} stay sub-anaesthetic",
                      f"at most {hi:.0f} ng/mL", "< 1000 ng/mL (anaesthesia ~1000-5000)",
                      "[estimate, order of magnitude; see m15-transporters]", hi < 1000))
        mid = sorted(end[m][top] for m in adults)[len(adults) // 2]
        comps.append((f"{top.removeprefix('inf ')} reaches analgesic plasma levels",
                      f"median {mid:.0f} ng/mL", "100-200 ng/mL",
                      "[estimate, order of magnitude; see m15-transporters]",
                      100 <= mid <= 200))
    for r in bol:
        vals = sorted(peak[m][r] for m in adults)
        med = float(np.median(vals))
        comps.append((f"{r.removeprefix('bolus ')}: anaesthetic effect-site level",
                      f"median {med:.0f} ({span(vals, '{:.0f}')}) ng/mL", "1000-5000 ng/mL",
                      "[estimate, order of magnitude; see m15-transporters]",
                      1000 <= med <= 5000))
    return {
        "shows": "Left: plasma ketamine during and after the sub-anaesthetic infusions; "
                 "colour = published model, line style = infusion rate. Right: effect-site "
                 "ketamine after the anaesthetic boluses (log scale). Adult models run on a "
                 "reference adult, paediatric models (Herd, Hornik) on a reference child.",
        "numbers": nums,
        "comparisons": comps,
        "deviations": [
            "The published models disagree widely after a bolus (peak effect-site levels "
            f"span {span([peak[m][r] for m in adults for r in bol], '{:.0f}')} ng/mL "
            "across adult models and doses): the effect-site ke0 comes from a 1-min time to "
            "peak effect for all models, not from each study.",
        ] if bol else [],
    }


register("pk-regimens", claim="PK",
         title="Ketamine concentrations of the seed regimens under each published model",
         run=run, figure=figure, summary=summary,
         story=story)
