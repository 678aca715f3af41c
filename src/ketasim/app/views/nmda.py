"""NMDA block by site: spinal subunit sets, cortical interneurons, trapping."""

import numpy as np
import streamlit as st

from ketasim.app import core, ui

ui.setup("nmda", "NMDA block by site")
with ui.guard():
    c = ui.cfg()
    ds = ui.timeline()
    lv = core.levels_at(ds, float(c["time_h"]))
    k, nk = round(lv["ketamine_uM"], 4), round(lv["norketamine_uM"], 4)
    v = st.slider("holding voltage (mV)", -100, 0, -60, 5, key="nm_voltage",
                  help="Mg2+ (1 mM) corks the pore at negative voltages; depolarisation "
                       "relieves it.")
    m1, m2 = st.columns(2)
    m1.metric(f"free ketamine at {c['time_h']:g} h (umol/L)", f"{k:.4g}")
    m2.metric(f"free norketamine at {c['time_h']:g} h (umol/L)", f"{nk:.4g}")
    b = ui.cached_block(k, nk, float(v))
    cols = st.columns(4)
    for i, site in enumerate(core.SITES):
        cols[i % 4].metric(f"block: {site}", f"{float(b.block.sel(site=site)):.1%}")
    fig, (a1, a2) = ui.figure(10, 3.4, 2, left=0.17)
    sites = list(core.SITES)
    a1.barh(sites, b.block.values * 100, color=["C0"] * 4 + ["C7"] * 4)
    a1.set(xlabel=f"NMDA block (%) at {v} mV, 1 mM Mg2+", xlim=(0, 100))
    a1.invert_yaxis()
    for site in sites[:4]:
        a2.semilogx(b.ketamine_conc_uM, b.curve.sel(site=site) * 100, label=site)
    if k > 0:
        a2.axvline(k, color="grey", lw=0.8, label="now")
    a2.set(xlabel="free ketamine (umol/L)", ylabel="block (%)", ylim=(0, 100))
    a2.legend(fontsize=7)
    png = ui.show_figure(fig)
    ui.exports(b, png, "nmda_block")

    st.subheader("Trapping at the receptor (virtual clamp)")
    site = st.selectbox("site", core.SITES, 0, key="nm_site")
    conc = k if k > 0 else 1.0
    if k <= 0:
        st.caption("No ketamine at this moment: the clamp uses 1 umol/L.")
    tr = ui.cached_trapping(conc, nk, site, float(v))
    fig2, (b1, b2) = ui.figure(10, 3.0, 2)
    fig2.subplots_adjust(wspace=0.3)
    b1.plot(tr.time, tr.open_blocked, label="open-blocked (K:O)")
    b1.plot(tr.time, tr.trapped, label="trapped (closed, K:C/D)")
    b1.plot(tr.time, tr.open, label="open, conducting", lw=0.8)
    b1.axvspan(0, float(tr.time.values[np.argmax(tr.glutamate_uM.values == 0)]),
               color="C2", alpha=0.1, label="glutamate on")
    b1.set(xlabel="time (s)", ylabel="fraction of channels")
    b1.legend(fontsize=7)
    b2.plot(tr.time, tr.i_nmda)
    b2.set(xlabel="time (s)", ylabel="NMDA current (pA, 1 nS)")
    png2 = ui.show_figure(fig2)
    end = float(tr.trapped.values[-1])
    st.metric("still trapped at the end of the washout", f"{end:.1%}")
    ui.exports(tr, png2, "nmda_trapping")
