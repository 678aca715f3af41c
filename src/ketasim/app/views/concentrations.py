"""Concentrations: plasma, effect site and free level of every drug given."""

import numpy as np
import streamlit as st
import xarray as xr

from ketasim.app import ui

ui.setup("concentrations", "Concentrations: plasma, effect site, free")
with ui.guard():
    c = ui.cfg()
    ds = ui.timeline()
    t = ds.time.values
    species = [v[: -len("_plasma_ng_mL")] for v in ds.data_vars
               if v.endswith("_plasma_ng_mL") and ds[v].dims == ("time",)]
    free_vars = [v for v in ("ketamine_uM", "norketamine_uM", "propofol_uM", "thiopental_uM",
                             "midazolam_uM", "morphine_uM", "fentanyl_uM", "remifentanil_uM")
                 if v in ds and float(ds[v].max()) > 0]
    if not species:
        st.info("No drug is given: choose a regimen on the Choices page.")
    th = float(c["time_h"])
    cols = st.columns(max(len(species), 1))
    for col, sp in zip(cols, species, strict=False):
        pl = float(np.interp(th, t, ds[f"{sp}_plasma_ng_mL"].values))
        col.metric(f"{sp} plasma at {th:g} h (ng/mL)", f"{pl:.4g}")
        if f"{sp}_effect_ng_mL" in ds:
            ef = float(np.interp(th, t, ds[f"{sp}_effect_ng_mL"].values))
            col.metric(f"{sp} effect site at {th:g} h (ng/mL)", f"{ef:.4g}")
        s_form = sp.replace("_", "-") == "s-ketamine"
        fv = "ketamine_uM" if s_form else f"{sp}_uM"
        if fv in ds:  # S-ketamine reaches the receptor as its racemic-equivalent level
            col.metric(f"{sp} free at {th:g} h (umol/L{', racemic-equivalent' if s_form else ''})",
                       f"{float(np.interp(th, t, ds[fv].values)):.4g}")
    if species:
        fig, (a1, a2) = ui.figure(10, 3.4, 2)
        for sp in species:
            ln, = a1.plot(t, ds[f"{sp}_plasma_ng_mL"], label=f"{sp} plasma")
            if f"{sp}_effect_ng_mL" in ds:
                a1.plot(t, ds[f"{sp}_effect_ng_mL"], "--", color=ln.get_color(),
                        label=f"{sp} effect site")
        a1.set(xlabel="time (h)", ylabel="total (ng/mL)", yscale="symlog")
        a1.axvline(th, color="grey", lw=0.8)
        a1.legend(fontsize=7)
        for v in free_vars:
            a2.plot(t, ds[v], label=f"free {v[:-3]}")
        a2.set(xlabel="time (h)", ylabel="free at the receptor (umol/L)")
        a2.axvline(th, color="grey", lw=0.8)
        if free_vars:
            a2.legend(fontsize=7)
        png = ui.show_figure(fig)
        keep = [v for v in ds.data_vars if v.endswith("_ng_mL") and ds[v].dims == ("time",)]
        keep += free_vars + ["nmda_block"]
        view = ds[keep]
        view.attrs = {k: ds.attrs[k] for k in ("scenario_hash", "citations", "ketasim_version")
                      if k in ds.attrs}
        ui.exports(view, png, "concentrations")
        if len(species) and isinstance(view, xr.Dataset):
            st.caption("Free = effect-site total x the free (unbound) fraction "
                       "(`ketasim.pk.binding`); a metabolite uses its plasma level.")
