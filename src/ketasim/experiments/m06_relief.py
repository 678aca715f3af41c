"""M6: AMPA receptors depolarise the cell and expel the Mg2+ cork from NMDA receptors.

A passive single compartment (C 100 pF, g_leak 10 nS, E_leak -70 mV; illustrative values,
own choice) receives a glutamate barrage (``n_pulses`` 1 ms pulses of 1 mM at
``frequency_Hz``) onto one AMPA and one NMDA synapse group (gmax ``g_ampa_nS`` /
``g_nmda_nS``), with ``mg_mM`` Mg2+. Conditions, integrated together in one compiled loop
(dt 0.025 ms, the receptor kernels of `ketasim.receptors`):

* control: AMPA + NMDA, current clamp;
* AMPA blocked (as with CNQX): NMDA alone, current clamp;
* the same NMDA group voltage-clamped at rest (-70 mV) and at ``clamp_voltage_mV``
  (-20 mV), to show the
  conductance relief itself;
* the kinetics of relief (Kampa et al. 2004 protocol, virtual nucleated patch, 1 mM Mg2+):
  a step from -60 to +40 mV 10 ms after a 1 ms glutamate pulse ("early") or after 3.5 s of
  glutamate ("late"); relief = open fraction in Mg2+ / open fraction in 0 Mg2+. Kampa 2004
  found a prominent fast component (~100 us) and slower ones (4 and ~300 ms), the slow ones
  larger for later depolarisations: a prediction of the trapping topology here (not fitted).

Summary keys:
- ``nmda_charge_ampa_blocked_ratio``: NMDA charge during the barrage with AMPA blocked /
  control (small: most NMDA current needs the AMPA depolarisation)
- ``peak_depolarisation_mV``: peak V - E_leak in control
- ``mean_unblocked_control`` / ``mean_unblocked_ampa_blocked``: mean free (not Mg-bound)
  fraction of glutamate-bound NMDA channels during the barrage (relief of block)
- ``nmda_conductance_ratio_m20_vs_m70``: NMDA conductance integral during the barrage,
  clamped at -20 vs -70 mV
- ``relief_fast_fraction_early`` / ``_late``: fraction of the relief complete 0.5 ms after
  the step (fast component), early and late protocols
- ``relief_t90_early_ms`` / ``_late_ms``: time to 90 % of the relief
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from numba import njit

from ketasim.core.provenance import stamp
from ketasim.core.validation import Interval, check_finite, check_work, validate_params
from ketasim.experiments._story import pct
from ketasim.experiments.registry import register
from ketasim.receptors import ampa as A
from ketasim.receptors import nmda as N
from ketasim.receptors import sources as S
from ketasim.receptors.clamp import Segment, clamp_nmda


@njit(cache=True)
def _simulate(n_steps, dt, glu, g_ampa, g_nmda, clamp_v, mg, pn, qa, cm, gl, el):
    """Conditions: 0 control, 1 AMPA blocked, 2 clamp at el, 3 clamp at clamp_v."""
    nc = 4
    v_tr = np.zeros((nc, n_steps))
    i_n = np.zeros((nc, n_steps))
    g_n = np.zeros((nc, n_steps))
    free = np.zeros((nc, n_steps))
    ws = N.nmda_workspace()
    for c in range(nc):
        v = el
        x = N.nmda_equilibrium(el, 0.0, mg, 0.0, 0.0, pn)
        xa = A.ampa_rest_state()
        ga = g_ampa if c == 0 else 0.0
        for k in range(n_steps):
            if c == 2:
                v = el
            elif c == 3:
                v = clamp_v
            N.nmda_step_ws(x, dt, v, glu[k], mg, 0.0, 0.0, pn, ws)
            A.ampa_step(xa, dt, glu[k], qa)
            inm = N.nmda_current(x, v, g_nmda, pn)
            iam = A.ampa_current(xa, v, ga, qa)
            if c < 2:
                v += dt * (-gl * (v - el) - inm - iam) / cm
            v_tr[c, k] = v
            i_n[c, k] = inm
            g_n[c, k] = g_nmda * x[N.OPEN]
            bound_open = x[N.OPEN] + x[5 + N.OPEN]
            free[c, k] = x[N.OPEN] / bound_open if bound_open > 1e-9 else np.nan
    return v_tr, i_n, g_n, free


@validate_params({"n_pulses": Interval(1, 10_000, integer=True),
                  "frequency_Hz": Interval(0, 500, closed="right"),
                  "g_ampa_nS": Interval(0, 10_000), "g_nmda_nS": Interval(0, 10_000),
                  "mg_mM": Interval(0, 100), "clamp_voltage_mV": Interval(-200, 200),
                  "tail_ms": Interval(0, 600_000)})
def run(n_pulses: int = 20, frequency_Hz: float = 50.0, g_ampa_nS: float = 60.0,
        g_nmda_nS: float = 3.0, mg_mM: float = 1.0, clamp_voltage_mV: float = -20.0,
        tail_ms: float = 300.0) -> xr.Dataset:
    dt = 0.025
    period = 1000.0 / frequency_Hz
    total = n_pulses * period + tail_ms
    check_work("time steps (duration / 0.025 ms)", total / dt, 4_000_000,
               "shorten the barrage: fewer n_pulses, a higher frequency_Hz or a shorter "
               "tail_ms")
    n = int(round(total / dt))
    t = np.arange(n) * dt
    glu = np.where((t % period < 1.0) & (t < n_pulses * period), 1000.0, 0.0)
    cm, gl, el = 100.0, 10.0, -70.0  # pF, nS, mV (illustrative passive cell, own choice)
    v_tr, i_n, g_n, free = _simulate(n, dt, glu, g_ampa_nS, g_nmda_nS, clamp_voltage_mV,
                                     mg_mM, N.nmda_params_array(), A.ampa_params_array(), cm,
                                     gl, el)
    for name, val in (("v", v_tr), ("i_nmda", i_n), ("g_nmda", g_n)):
        check_finite(name, val)
    cond = ["control", "AMPA blocked", "clamp -70 mV", f"clamp {clamp_voltage_mV:g} mV"]
    # Kampa 2004 step protocols, 1 mM vs 0 Mg2+ (exact clamp, 10 us sampling)
    early = [[Segment(1.0, -60.0, 1000.0, m), Segment(9.0, -60.0, 0.0, m),
              Segment(60.0, 40.0, 0.0, m)] for m in (1.0, 0.0)]
    late = [[Segment(3430.0, -60.0, 1000.0, m), Segment(70.0, 40.0, 1000.0, m)]
            for m in (1.0, 0.0)]
    relief = []
    for prot, t_step in ((early, 10.0), (late, 3430.0)):
        dk = clamp_nmda(prot, dt_ms=0.01)
        k0 = int(round(t_step / 0.01))
        o = dk.open.values[:, k0:k0 + 6001]
        relief.append(o[0] / o[1])
    check_finite("relief", relief)
    ds = xr.Dataset(
        {"voltage": (("condition", "time"), v_tr, {"units": "mV"}),
         "i_nmda": (("condition", "time"), i_n, {"units": "pA"}),
         "g_nmda": (("condition", "time"), g_n, {"units": "nS"}),
         "unblocked": (("condition", "time"), free, {"units": "1"}),
         "relief": (("step_protocol", "step_time"), np.array(relief),
                    {"units": "1", "long_name": "open fraction 1 mM / 0 mM Mg2+ after step"})},
        coords={"condition": cond, "time": ("time", t, {"units": "ms"}),
                "step_protocol": ["early (10 ms after 1 ms pulse)", "late (3.5 s glutamate)"],
                "step_time": ("step_time", np.arange(6001) * 0.01, {"units": "ms"})})
    ds.attrs.update(el=el, barrage_ms=n_pulses * period, dt_ms=dt)
    cites = (*N.NMDAParams().citations, *A.AMPAParams().citations, S.KAMPA_2004)
    return stamp(ds, model="m06-relief", citations=cites,
                 params=dict(n_pulses=n_pulses, frequency_Hz=frequency_Hz,
                             g_ampa_nS=g_ampa_nS, g_nmda_nS=g_nmda_nS, mg_mM=mg_mM,
                             clamp_voltage_mV=clamp_voltage_mV, tail_ms=tail_ms, dt_ms=dt,
                             cell=dict(c_pF=cm, g_leak_nS=gl, e_leak_mV=el),
                             nmda=N.NMDAParams().to_dict(),
                             ampa=dataclasses.asdict(A.AMPAParams())))


def summary(ds: xr.Dataset) -> dict:
    dt = ds.attrs["dt_ms"]
    bar = ds.time.values < ds.attrs["barrage_ms"]
    q = -ds.i_nmda.values[:, bar].sum(axis=1) * dt
    g = ds.g_nmda.values[:, bar].sum(axis=1) * dt
    fr = ds.unblocked.values[:, bar]
    out = {
        "nmda_charge_ampa_blocked_ratio": float(q[1] / q[0]),
        "peak_depolarisation_mV": float(ds.voltage.values[0].max() - ds.attrs["el"]),
        "mean_unblocked_control": float(np.nanmean(fr[0])),
        "mean_unblocked_ampa_blocked": float(np.nanmean(fr[1])),
        "nmda_conductance_ratio_m20_vs_m70": float(g[3] / g[2]),
    }
    ts = ds.step_time.values
    for k, tag in enumerate(("early", "late")):
        r = ds.relief.values[k]
        frac = (r - r[0]) / (r[-1] - r[0])
        out[f"relief_fast_fraction_{tag}"] = float(frac[np.searchsorted(ts, 0.5)])
        out[f"relief_t90_{tag}_ms"] = float(ts[np.argmax(frac >= 0.9)])
    return out


def figure(ds: xr.Dataset):
    fig = Figure(figsize=(11, 7.5))
    ax = fig.subplots(2, 2).ravel()
    t = ds.time.values
    for c in ds.condition.values[:2]:
        ax[0].plot(t, ds.voltage.sel(condition=c), label=c)
        ax[1].plot(t, ds.i_nmda.sel(condition=c), label=c)
    ax[0].set(xlabel="time (ms)", ylabel="V (mV)", title="AMPA-driven depolarisation")
    ax[1].set(xlabel="time (ms)", ylabel="NMDA current (pA)",
              title="NMDA current needs the depolarisation")
    for c in ds.condition.values[2:]:
        ax[2].plot(t, ds.g_nmda.sel(condition=c), label=c)
    ax[2].set(xlabel="time (ms)", ylabel="NMDA conductance (nS)",
              title="same barrage, voltage-clamped (1 mM Mg2+)")
    for k, lab in enumerate(ds.step_protocol.values):
        ax[3].semilogx(ds.step_time.values[1:], ds.relief.values[k, 1:], label=str(lab))
    ax[3].set(xlabel="time after step to +40 mV (ms)", ylabel="unblocked fraction",
              title="kinetics of relief (Kampa 2004 protocol)")
    for a in ax:
        a.legend(fontsize=9)
    fig.tight_layout()
    return fig



def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    return {
        "shows": "Top left: a glutamate barrage depolarises the cell through AMPA receptors; "
                 "with AMPA blocked the membrane barely moves. Top right: the NMDA current "
                 "follows the depolarisation. Bottom left: the same NMDA receptors clamped at "
                 "-70 and -20 mV: depolarisation itself relieves the Mg2+ block. Bottom "
                 "right: how fast the block is relieved after a step to +40 mV (Kampa 2004 "
                 "protocol).",
        "numbers": [
            ("NMDA charge with AMPA blocked / control",
             100 * s["nmda_charge_ampa_blocked_ratio"], "%"),
            ("peak depolarisation (control)", s["peak_depolarisation_mV"], "mV"),
            ("unblocked NMDA channels, control / AMPA blocked",
             f"{pct(s['mean_unblocked_control'])} / {pct(s['mean_unblocked_ampa_blocked'])}",
             ""),
            ("NMDA conductance at -20 vs -70 mV", s["nmda_conductance_ratio_m20_vs_m70"], "x"),
            ("relief complete within 0.5 ms, early / late",
             f"{pct(s['relief_fast_fraction_early'], 0)} / "
             f"{pct(s['relief_fast_fraction_late'], 0)}", ""),
            ("time to 90 % relief, early", s["relief_t90_early_ms"], "ms"),
        ],
        "comparisons": [
            ("blocking AMPA abolishes most NMDA charge",
             pct(s["nmda_charge_ampa_blocked_ratio"], 0) + " left", "< 60 % left",
             "seed claim M6", s["nmda_charge_ampa_blocked_ratio"] < 0.6),
            ("fast component of relief (early step)", pct(s["relief_fast_fraction_early"], 0),
             "prominent (> 50 %)", "kampa_2004", s["relief_fast_fraction_early"] > 0.5),
            ("slow components larger for later steps",
             f"fast share {pct(s['relief_fast_fraction_late'], 0)} late vs "
             f"{pct(s['relief_fast_fraction_early'], 0)} early", "smaller late",
             "kampa_2004",
             s["relief_fast_fraction_late"] < s["relief_fast_fraction_early"] - 0.1),
        ],
        "deviations": [
            "The cell is a passive single compartment with illustrative values (own "
            "choice), not a fitted neuron: the sizes are qualitative.",
        ],
    }


register("m06-relief", claim="M6", title="AMPA depolarisation relieves the NMDA Mg2+ block",
         run=run, figure=figure, summary=summary,
         story=story)
