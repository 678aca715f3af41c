"""M5: the NMDA receptor needs glutamate AND depolarisation: Mg2+ block and the I-V curve.

Protocol: at each holding potential (``v_min``..``v_max``) saturating glutamate
(``glu_uM``) is applied for ``duration_ms`` from rest to the 20-state kinetic NMDA model in
0 and 1 mM Mg2+ (virtual voltage clamp, exact propagator); the current at the end is the
steady-state I-V. The unblocked fraction I(1 mM)/I(0 mM) is compared with Jahr & Stevens
1990, B(V) = 1/(1 + [Mg]/3.57 exp(-0.062 V)). Note: the open-state Mg2+ affinity was scaled
so that the *equilibrium* block at saturating glutamate equals Jahr & Stevens (Mg2+ is
calibrated at its own level); what this experiment checks is that the kinetic simulation
reaches it, the negative-slope region that follows, and the glutamate-alone-at-rest result.

Summary keys:
- ``max_abs_dev_js``: max |B_model - B_JS| over -80..+20 mV (target <= 0.05, issue M5)
- ``max_rel_dev_js``: max relative deviation over -80..+20 mV
- ``b_model_at``: {V: B_model} at -80, -60, -40, -20, 0, 20 mV; ``b_js_at``: same for JS
- ``negative_slope``: true if dI/dV < 0 somewhere in 1 mM Mg2+ between -80 and -20 mV
- ``v_peak_inward_mV``: voltage of the most inward current in 1 mM Mg2+
- ``rest_fraction_of_max``: |I(-65 mV)| / max |I| in 1 mM Mg2+ (glutamate alone at rest)
- ``rest_vs_no_mg``: I(-65 mV, 1 mM) / I(-65 mV, 0 mM)
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from ketasim.core.provenance import stamp
from ketasim.experiments.registry import register
from ketasim.receptors.clamp import Segment, clamp_nmda
from ketasim.receptors.nmda import NMDAParams, jahr_stevens_unblocked

V_CHECK = (-80.0, -60.0, -40.0, -20.0, 0.0, 20.0)


def run(v_min: float = -100.0, v_max: float = 60.0, n_v: int = 33, glu_uM: float = 1000.0,
        duration_ms: float = 2000.0, mg_mM: float = 1.0, v_rest: float = -65.0) -> xr.Dataset:
    v = np.unique(np.concatenate([np.linspace(v_min, v_max, n_v), V_CHECK, [v_rest]]))
    mgs = (0.0, mg_mM)
    prots, lab_v, lab_mg = [], [], []
    for m in mgs:
        for vv in v:
            prots.append([Segment(duration_ms, vv, glu_uM, m)])
            lab_v.append(vv)
            lab_mg.append(m)
    ds = clamp_nmda(prots, dt_ms=1.0, labels={"v_hold": lab_v, "mg": lab_mg})
    i_ss = ds.current.isel(time=-1).values.reshape(len(mgs), len(v))
    o_ss = ds.open.isel(time=-1).values.reshape(len(mgs), len(v))
    out = xr.Dataset(
        {"current": (("mg", "voltage"), i_ss, {"units": "pA", "long_name": "steady current"}),
         "unblocked": ("voltage", o_ss[1] / o_ss[0],
                       {"units": "1", "long_name": "open fraction 1 mM / 0 mM Mg2+"}),
         "jahr_stevens": ("voltage", jahr_stevens_unblocked(v, mg_mM), {"units": "1"}),
         "trace_rest": ("time", ds.current.values[len(v) + int(np.argmin(abs(v - v_rest)))],
                        {"units": "pA"}),
         "trace_rest_nomg": ("time", ds.current.values[int(np.argmin(abs(v - v_rest)))],
                             {"units": "pA"})},
        coords={"mg": ("mg", list(mgs), {"units": "mmol/L"}),
                "voltage": ("voltage", v, {"units": "mV"}), "time": ds.time})
    out.attrs.update(mg_mM=mg_mM, v_rest=v_rest, glu_uM=glu_uM)
    return stamp(out, model="m05-mg-block", citations=NMDAParams().citations,
                 params=dict(v_min=v_min, v_max=v_max, n_v=n_v, glu_uM=glu_uM,
                             duration_ms=duration_ms, mg_mM=mg_mM))


def summary(ds: xr.Dataset) -> dict:
    v = ds.voltage.values
    sel = (v >= -80) & (v <= 20)
    b, js = ds.unblocked.values, ds.jahr_stevens.values
    i1 = ds.current.values[1]
    m = (v >= -80) & (v <= -20)
    slope = np.diff(i1[m]) / np.diff(v[m])
    irest = float(ds.current.sel(voltage=ds.attrs["v_rest"]).values[1])
    irest0 = float(ds.current.sel(voltage=ds.attrs["v_rest"]).values[0])
    return {
        "max_abs_dev_js": float(np.max(np.abs(b[sel] - js[sel]))),
        "max_rel_dev_js": float(np.max(np.abs(b[sel] / js[sel] - 1))),
        "b_model_at": {str(int(x)): round(float(ds.unblocked.sel(voltage=x)), 4)
                       for x in V_CHECK},
        "b_js_at": {str(int(x)): round(float(ds.jahr_stevens.sel(voltage=x)), 4)
                    for x in V_CHECK},
        "negative_slope": bool(np.any(slope < 0)),
        "v_peak_inward_mV": float(v[np.argmin(i1)]),
        "rest_fraction_of_max": float(abs(irest) / np.max(np.abs(i1[v < 0]))),
        "rest_vs_no_mg": float(irest / irest0),
    }


def figure(ds: xr.Dataset):
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    v = ds.voltage.values
    for k, m in enumerate(ds.mg.values):
        ax[0].plot(v, ds.current.values[k], "o-", ms=3, label=f"{m:g} mM Mg2+")
    ax[0].axhline(0, c="k", lw=0.5)
    ax[0].axvline(0, c="k", lw=0.5)
    ax[0].set(xlabel="holding potential (mV)", ylabel="steady NMDA current (pA, gmax 1 nS)",
              title="I-V: negative slope in Mg2+")
    ax[0].legend()
    ax[1].plot(v, ds.unblocked, "o", ms=4, label="kinetic model (clamp)")
    ax[1].plot(v, ds.jahr_stevens, "-", label="Jahr & Stevens 1990")
    ax[1].set(xlabel="mV", ylabel="unblocked fraction", title=f"{ds.attrs['mg_mM']:g} mM Mg2+")
    ax[1].legend()
    t = ds.time.values
    ax[2].plot(t, ds.trace_rest_nomg, label="0 Mg2+")
    ax[2].plot(t, ds.trace_rest, label=f"{ds.attrs['mg_mM']:g} mM Mg2+")
    ax[2].set(xlabel="time (ms)", ylabel="pA",
              title=f"glutamate alone at {ds.attrs['v_rest']:g} mV")
    ax[2].legend()
    fig.tight_layout()
    return fig


register("m05-mg-block", claim="M5", title="NMDA Mg2+ block: I-V with negative slope, "
         "Jahr & Stevens block, glutamate alone at rest", run=run, figure=figure,
         summary=summary)
