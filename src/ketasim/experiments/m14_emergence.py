"""M14: emergence: a window of disintegrated but responsive cortex as ketamine wears off.

Three arms, each on the PK layer's default models (ketamine: Kamp 2020; midazolam: Zomorodi
1998 with the Buhrer 1990 ke0) for the default 70-kg adult; ketamine starts at 5 min (the
premedication slot at 0 min is empty except in the midazolam arm):

* ``bolus``: ketamine ``dose_mg_kg`` IV at 5 min;
* ``infusion``: the same dose infused over ``infusion_min`` from 5 min;
* ``bolus+midazolam``: the bolus, with midazolam ``midazolam_mg_kg`` IV at 0 min.

The free effect-site concentrations (total x free fraction, `ketasim.pk.free_fraction`)
drive the reduced cortical map (`ketasim.brain.maps.cortical_state`) every ``step_min``;
`ketasim.brain.emergence.emergence` finds the window (responsiveness >= 0.5, relative
integration < 0.5, free ketamine falling) and its psychotomimetic-weighted exposure and risk
index. Midazolam enters only through the map (GABA-A decay multiplier of the network).

It also gives the cortical factor of perceived pain at low ketamine doses
(`ketasim.brain.perception`): the perceived NRS over the spinal NRS at free ketamine
`LOW_DOSE_UM` (the share of low-dose analgesia that comes from the brain, for the same
spinal signal).

Summary (``--json``) keys: per arm (``bolus``, ``infusion``, ``bolus+midazolam``) a dict
with ``peak_ketamine_free_uM``, ``t_peak_min``, ``t_unresponsive_min`` (minutes with
responsiveness < 0.5), ``t_wake_min`` (first time after the peak with responsiveness >= 0.5,
None if never unresponsive or not awake within the horizon), ``window_min``,
``window_start_min``, ``window_end_min`` (None without a window), ``exposure_min``,
``risk`` (0-1 index), ``psychotomimetic_exposure_min`` (graded: psychotomimetic intensity
integrated over the responsive minutes while ketamine falls, no integration threshold),
``psychotomimetic_max``, ``integration_rel_min``; ``midazolam_peak_free_uM``;
``low_dose_report_factor`` (list of {``ketamine_uM``, ``responsiveness``, ``dissociation``,
``factor``}); ``definition`` (the emergence rule in words).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ketasim.brain.emergence import EmergenceSpec, emergence
from ketasim.brain.maps import cortical_state
from ketasim.brain.perception import perceived_pain
from ketasim.core.provenance import stamp
from ketasim.core.validation import Interval, validate_params
from ketasim.experiments._story import g
from ketasim.experiments.registry import register
from ketasim.pk import free_concentration_umol
from ketasim.pk import simulate as pk_simulate

ARMS = ("bolus", "infusion", "bolus+midazolam")
KETAMINE_START_MIN = 5.0
#: Free ketamine (uM) of the low-dose perceived-pain factor (sub-anaesthetic range).
LOW_DOSE_UM = (0.1, 0.2, 0.3, 0.5)
_VARS = ("responsiveness", "integration", "dissociation", "psychotomimetic")


def _free(drug: str, regimen: dict, times: np.ndarray) -> np.ndarray:
    ds = pk_simulate(drug, None, regimen, times=times)
    ce = np.maximum(ds[f"{drug}_effect_ng_mL"].values[0], 0.0)
    return np.asarray(free_concentration_umol(ce, drug), float), ds


@validate_params({"dose_mg_kg": Interval(0.5, 3.0), "infusion_min": Interval(5, 240),
                  "midazolam_mg_kg": Interval(0.005, 0.05), "horizon_min": Interval(30, 600),
                  "step_min": Interval(0.25, 5)})
def run(dose_mg_kg: float = 2.0, infusion_min: float = 30.0, midazolam_mg_kg: float = 0.03,
        horizon_min: float = 180.0, step_min: float = 1.0) -> xr.Dataset:
    """Three arms -> free effect-site levels -> cortical map -> emergence window and risk.

    Returns a Dataset on (arm, time) with ``ketamine_free_uM``, ``midazolam_free_uM``,
    the map's ``responsiveness``, ``integration``, ``integration_rel``, ``dissociation``,
    ``psychotomimetic``, ``in_window`` and ``emergence_risk`` (cumulative), and per arm
    ``window_min``, ``window_start_min``, ``window_end_min``, ``exposure_min``, ``risk``.

    Examples
    --------
    >>> ds = run(horizon_min=60.0, step_min=2.0)   # doctest: +SKIP
    >>> ds.sizes["arm"]   # doctest: +SKIP
    3
    """
    t = np.arange(0.0, horizon_min + 1e-9, step_min)
    t0 = KETAMINE_START_MIN
    bolus = {"bolus": [f"{dose_mg_kg} mg/kg at {t0} min"]}
    rate = dose_mg_kg / (infusion_min / 60.0)
    infusion = {"infusion": [f"{rate:.6g} mg/kg/h at {t0} min for {infusion_min} min"]}
    k_b, pk_b = _free("ketamine", bolus, t)
    k_i, pk_i = _free("ketamine", infusion, t)
    m_m, pk_m = _free("midazolam", {"bolus": [f"{midazolam_mg_kg} mg/kg"]}, t)
    ket = np.stack([k_b, k_i, k_b])
    mdz = np.stack([np.zeros_like(t), np.zeros_like(t), m_m])
    st = cortical_state(ketamine_uM=ket, midazolam_uM=mdz)
    awake = float(cortical_state().integration)
    out = xr.Dataset({"ketamine_free_uM": (("arm", "time"), ket, {"units": "umol/L"}),
                      "midazolam_free_uM": (("arm", "time"), mdz, {"units": "umol/L"})},
                     coords={"arm": list(ARMS), "time": ("time", t, {"units": "min"})})
    for v in _VARS:
        out[v] = (("arm", "time"), st[v].values)
    out["integration_rel"] = out.integration / awake
    em = emergence(out.rename({"ketamine_free_uM": "ketamine_uM"}), concentration="ketamine_uM")
    for v in ("in_window", "emergence_risk", "window_min", "window_start_min",
              "window_end_min", "exposure_min", "risk", "psychotomimetic_exposure_min"):
        out[v] = em[v]
    out.attrs["integration_awake"] = awake
    return stamp(out, model="m14-emergence", citations=[pk_b, pk_i, pk_m, st, em],
                 params={"dose_mg_kg": dose_mg_kg, "infusion_min": infusion_min,
                         "midazolam_mg_kg": midazolam_mg_kg, "horizon_min": horizon_min,
                         "step_min": step_min, "ketamine_start_min": t0,
                         "emergence": EmergenceSpec().__dict__})


def _none(x):
    x = float(x)
    return x if np.isfinite(x) else None


def low_dose_report_factor() -> list[dict]:
    """Perceived NRS / spinal NRS at `LOW_DOSE_UM` free ketamine (no other drug).

    Examples
    --------
    >>> [r["ketamine_uM"] for r in low_dose_report_factor()]   # doctest: +SKIP
    [0.1, 0.2, 0.3, 0.5]
    """
    st = cortical_state(ketamine_uM=list(LOW_DOSE_UM))
    p = perceived_pain(np.full(len(LOW_DOSE_UM), 10.0), st.responsiveness.values.clip(0, 1),
                       st.dissociation.values.clip(0, 1))
    return [{"ketamine_uM": c, "responsiveness": float(r), "dissociation": float(d),
             "factor": _none(f / 10.0)} for c, r, d, f in
            zip(LOW_DOSE_UM, st.responsiveness.values, st.dissociation.values,
                p.perceived_nrs.values, strict=True)]


def summary(ds: xr.Dataset) -> dict:
    t = ds.time.values
    dt = float(t[1] - t[0]) if t.size > 1 else 1.0
    arms = {}
    for a in ds.arm.values:
        x = ds.sel(arm=a)
        k = x.ketamine_free_uM.values
        ipk = int(np.argmax(k))
        resp = x.responsiveness.values
        unresp = resp < 0.5
        wake = None
        if unresp.any():
            after = np.nonzero(~unresp[ipk:])[0]
            last_unresp = ipk + int(np.nonzero(unresp[ipk:])[0][-1]) if unresp[ipk:].any() \
                else None
            if last_unresp is not None and last_unresp + 1 < t.size:
                wake = float(t[last_unresp + 1])
            elif last_unresp is None and after.size:
                wake = float(t[ipk + after[0]])
        arms[str(a)] = {"peak_ketamine_free_uM": float(k[ipk]), "t_peak_min": float(t[ipk]),
                        "t_unresponsive_min": float(unresp.sum() * dt),
                        "t_wake_min": wake,
                        "window_min": float(x.window_min),
                        "window_start_min": _none(x.window_start_min),
                        "window_end_min": _none(x.window_end_min),
                        "exposure_min": float(x.exposure_min), "risk": float(x.risk),
                        "psychotomimetic_exposure_min": float(x.psychotomimetic_exposure_min),
                        "psychotomimetic_max": float(x.psychotomimetic.max()),
                        "integration_rel_min": float(x.integration_rel.min())}
    return {**arms,
            "midazolam_peak_free_uM": float(ds.midazolam_free_uM.max()),
            "low_dose_report_factor": low_dose_report_factor(),
            "definition": "window: responsiveness >= 0.5 and integration_rel < 0.5 while "
                          "free ketamine falls; exposure: psychotomimetic intensity "
                          "integrated over the window (min); risk = 1 - exp(-exposure / "
                          "10 min), an index, not a probability [estimate]"}


def figure(ds: xr.Dataset):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 8), layout="constrained")
    axs = fig.subplots(2, 2)
    t = ds.time.values
    colours = dict(zip(ARMS, ("tab:red", "tab:blue", "tab:green"), strict=True))
    for a in ARMS:
        x = ds.sel(arm=a)
        axs[0, 0].plot(t, x.ketamine_free_uM, color=colours[a], label=a)
    axs[0, 0].plot(t, ds.sel(arm="bolus+midazolam").midazolam_free_uM * 100, "g:",
                   label="midazolam free x100")
    axs[0, 0].set_ylabel("free effect-site (uM)")
    axs[0, 0].set_title("Free effect-site ketamine (and midazolam x100)")
    axs[0, 0].legend(fontsize=8)
    for a in ARMS:
        x = ds.sel(arm=a)
        axs[0, 1].plot(t, x.responsiveness, color=colours[a], label=f"{a}: responsiveness")
        axs[0, 1].plot(t, x.integration_rel, color=colours[a], ls="--",
                       label=f"{a}: integration (rel.)")
    axs[0, 1].axhline(0.5, color="gray", lw=0.8, ls=":")
    axs[0, 1].set_title("Responsiveness (solid), relative integration (dashed)")
    axs[0, 1].legend(fontsize=6)
    for j, a in enumerate(ARMS):
        x = ds.sel(arm=a)
        w = x.in_window.values.astype(bool)
        axs[1, 0].fill_between(t, j, j + 0.8 * w, step="mid", color=colours[a], alpha=0.6)
        axs[1, 0].plot(t, j + 0.8 * x.psychotomimetic.values, color="k", lw=0.8)
    axs[1, 0].set_yticks([0.4, 1.4, 2.4], list(ARMS))
    axs[1, 0].set_xlabel("time (min)")
    axs[1, 0].set_title("Emergence window (filled) and psychotomimetic intensity (line)")
    graded = [float(ds.sel(arm=a).psychotomimetic_exposure_min) for a in ARMS]
    bars = axs[1, 1].bar(list(ARMS), graded, color=[colours[a] for a in ARMS])
    for b_, a in zip(bars, ARMS, strict=True):
        axs[1, 1].annotate(f"risk {float(ds.sel(arm=a).risk):.2f}\nwindow "
                           f"{float(ds.sel(arm=a).window_min):.0f} min",
                           (b_.get_x() + b_.get_width() / 2, b_.get_height()),
                           ha="center", va="bottom", fontsize=8)
    axs[1, 1].set_ylim(0, 1.3 * max(max(graded), 1e-9))  # room for the labels under the title
    axs[1, 1].set_ylabel("graded psychotomimetic exposure (min)")
    axs[1, 1].set_title("Emergence by regimen (bars: graded exposure; text: risk index)")
    for a in axs[0]:
        a.set_xlabel("time (min)")
    return fig


def story(s: dict) -> dict:
    b, i, m = s["bolus"], s["infusion"], s["bolus+midazolam"]
    low = s["low_dose_report_factor"]
    numbers = [(f"{a}: emergence window", s[a]["window_min"], "min") for a in ARMS]
    numbers += [(f"{a}: risk index", s[a]["risk"], "") for a in ARMS]
    numbers += [(f"{a}: graded psychotomimetic exposure", s[a]["psychotomimetic_exposure_min"],
                 "min") for a in ARMS]
    numbers += [(f"{a}: minimum relative integration", s[a]["integration_rel_min"], "")
                for a in ARMS]
    numbers += [(f"perceived / spinal NRS at {r['ketamine_uM']} uM free ketamine",
                 r["factor"] if r["factor"] is not None else float("nan"), "") for r in low]
    return {"shows": "After a ketamine bolus the cortex passes, as the effect-site level "
                     "falls, through a phase that is responsive but disintegrated; the "
                     "psychotomimetic-weighted time spent there is the emergence-risk index, "
                     "compared between a bolus, the same dose infused, and the bolus with "
                     "midazolam premedication.",
            "numbers": numbers,
            "comparisons": [
                ("a disintegrated-but-responsive window opens after the bolus",
                 f"{g(b['window_min'])} min", "> 0 min", "seed claim M14",
                 b["window_min"] > 0),
                ("midazolam changes emergence risk", f"{g(m['risk'])} vs {g(b['risk'])}",
                 "different from the bolus alone", "seed claim M14",
                 abs(m["risk"] - b["risk"]) > 0.01),
                ("infusion vs bolus", f"{g(i['risk'])} vs {g(b['risk'])}",
                 "different", "seed claim M14", abs(i["risk"] - b["risk"]) > 0.01),
                ("midazolam lowers the graded psychotomimetic exposure (no integration "
                 "threshold)", f"{g(m['psychotomimetic_exposure_min'])} vs "
                 f"{g(b['psychotomimetic_exposure_min'])} min", "lower with midazolam",
                 "seed claim M14 (graded measure)",
                 m["psychotomimetic_exposure_min"] < b["psychotomimetic_exposure_min"])],
            "deviations": [
                *([f"With the current cortical network no window opens: after the bolus "
                   f"responsiveness stays >= 0.5 for all but {g(b['t_unresponsive_min'])} min "
                   f"and relative integration falls only to {g(b['integration_rel_min'])} "
                   "(threshold 0.5); the graded exposure ranks the regimens instead."]
                  if b["window_min"] == 0 else []),
                "The thresholds (0.5 responsiveness, 0.5 relative integration) and the 10-min "
                "risk scale are our estimates; the index ranks regimens and is not a "
                "calibrated probability of emergence reactions.",
                "Midazolam acts only through the network's GABA-A decay multiplier; its "
                "anxiolytic/amnestic actions, which clinical studies credit for fewer "
                "emergence reactions, are not modelled."]}


register("m14-emergence", claim="M14", title="Emergence: disintegrated but responsive "
         "cortex after a ketamine bolus; bolus vs infusion vs bolus+midazolam", run=run,
         figure=figure, summary=summary, story=story)
