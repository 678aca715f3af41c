"""The cortex: integration, dissociation, responsiveness and emergence risk over time
(`ketasim.brain`: the reduced map of its cortical network, driven by the free
effect-site levels of ketamine, propofol, thiopental and midazolam)."""

import numpy as np
import streamlit as st
import xarray as xr

from ketasim.app import ui
from ketasim.scenarios import canonical_json

ui.setup("cortex", "The cortex: integration, dissociation, emergence")
with ui.guard():
    c = ui.cfg()
    th = float(c["time_h"])
    s = ui.scenario(tests=False)
    with st.spinner("cortical state along the scenario (reduced network map)"):
        ds = ui.cached_cortex(canonical_json(s))
        curve = ui.cached_cortical_curve()
    t = ds.time.values

    def at(v):
        return float(np.interp(th, t, ds[v].values))

    awake = float(curve.integration.values[0])
    m = st.columns(5)
    m[0].metric(f"responsiveness at {th:g} h", f"{at('responsiveness'):.3f}")
    m[1].metric(f"integration at {th:g} h (of awake)", f"{at('integration') / awake:.1%}")
    m[2].metric(f"dissociation at {th:g} h", f"{at('dissociation'):.3f}")
    m[3].metric(f"psychotomimetic at {th:g} h", f"{at('psychotomimetic'):.3f}")
    m[4].metric("emergence risk (whole course)",
                f"{float(ds.attrs.get('emergence_risk_total', ds.emergence_risk.values[-1])):.3f}")
    win = ds.attrs.get("emergence_window_min")
    if win is not None:
        st.caption(f"Emergence window (responsive, disintegrated, ketamine falling): "
                   f"{float(win):.0f} min in total. The risk index ranks regimens; it is not "
                   "a calibrated probability.")
    fig, (a1, a2) = ui.figure(11, 3.4, 2)
    a1.plot(t, ds.responsiveness, label="responsiveness")
    a1.plot(t, ds.integration / awake, label="integration (of awake)")
    a1.plot(t, ds.dissociation, label="dissociation")
    a1.plot(t, ds.psychotomimetic, label="psychotomimetic")
    a1.plot(t, ds.emergence_risk, "k--", label="emergence risk (cumulative)")
    a1.axvline(th, color="grey", lw=0.8)
    a1.set(xlabel="time (h)", ylabel="0-1", ylim=(-0.02, 1.1))
    a1.legend(fontsize=7)
    k = curve.ketamine_uM.values
    a2.semilogx(np.maximum(k, 0.03), curve.responsiveness, label="responsiveness")
    a2.semilogx(np.maximum(k, 0.03), curve.integration / awake, label="integration (of awake)")
    a2.semilogx(np.maximum(k, 0.03), curve.dissociation, label="dissociation")
    kn = at("ketamine_uM")
    if kn > 0:
        a2.axvline(kn, color="grey", lw=0.8, label="now")
    a2.set(xlabel="free ketamine (umol/L; no GABA-A drug)", ylabel="0-1", ylim=(-0.02, 1.1))
    a2.legend(fontsize=7)
    png = ui.show_figure(fig)
    keep = [v for v in ("ketamine_uM", "propofol_uM", "thiopental_uM", "midazolam_uM",
                        "responsiveness", "integration", "dissociation", "psychotomimetic",
                        "emergence_risk") if v in ds]
    view = xr.Dataset({v: ds[v] for v in keep})
    view.attrs = {k: ds.attrs[k] for k in ds.attrs if str(k).startswith("emergence")
                  or k in ("citations", "scenario_hash", "ketasim_version")}
    ui.exports(view, png, "cortex")
