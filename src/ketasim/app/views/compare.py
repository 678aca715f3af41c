"""Side by side: ketamine vs propofol vs an opioid on the same patient."""

import json

import numpy as np
import streamlit as st

from ketasim.app import core, ui

ui.setup("compare", "Side by side: ketamine, propofol, an opioid")
with ui.guard():
    c = ui.cfg()
    th = float(c["time_h"])
    opioid = st.selectbox("opioid", core.OPIOIDS, 0, key="cp_opioid")
    regs = {}
    cols = st.columns(3)
    for col, drug in zip(cols, ("ketamine", "propofol", opioid), strict=True):
        b0, i0 = core.SIDE_DEFAULTS[drug]
        col.markdown(f"**{drug}**")
        regs[drug] = (col.text_input(f"{drug} bolus", b0, max_chars=64, key=f"cp_b_{drug}"),
                      col.text_input(f"{drug} infusion", i0, max_chars=64,
                                     key=f"cp_i_{drug}"))
    st.caption(f"Same patient, condition and horizon as Choices; infusions last "
               f"{c['infusion_duration'] or 'to the horizon'}; values at {th:g} h.")
    with st.spinner("running three regimens and one spinal batch"):
        tls, ds = ui.cached_side(json.dumps(c, sort_keys=True), json.dumps(regs), 15)
    rows = []
    for d in ds.drug.values.tolist():
        i = ds.drug.values.tolist().index(d)
        sp = ds.spikes_per_stimulus.values[i]
        rows.append({"drug": d, "free at receptor (umol/L)": round(float(ds.free_uM[i]), 4),
                     "NMDA block": round(float(ds.nmda_block[i]), 3),
                     "spikes, 1st stimulus": int(sp[0]), "spikes, last stimulus": int(sp[-1]),
                     "gain": ui.fmt(float(ds.gain[i]), "{:.3f}"),
                     "ongoing NRS": ui.fmt(float(ds.ongoing_nrs[i]), "{:.2f}")})
    st.dataframe(rows, hide_index=True)
    m = st.columns(len(rows))
    for col, r in zip(m, rows, strict=True):
        col.metric(f"{r['drug']}: spikes, last stimulus", r["spikes, last stimulus"])
    fig, (a1, a2) = ui.figure(10, 3.2, 2)
    for d, tl in tls.items():
        v = "ketamine_uM" if "ketamine" in d else f"{d}_uM"
        a1.plot(tl.time, tl[v] / max(float(tl[v].max()), 1e-12), label=f"{d} (peak "
                f"{float(tl[v].max()):.3g} uM)")
    a1.axvline(th, color="grey", lw=0.8)
    a1.set(xlabel="time (h)", ylabel="free level / its peak")
    a1.legend(fontsize=7)
    s = np.arange(1, ds.sizes["stimulus"] + 1)
    for i, d in enumerate(ds.drug.values.tolist()):
        a2.plot(s, ds.spikes_per_stimulus.values[i], "o-", ms=3, label=d)
    a2.set(xlabel="stimulus (1 Hz, 2 x C threshold)", ylabel="WDR spikes")
    a2.legend(fontsize=7)
    png = ui.show_figure(fig)
    ui.exports(ds, png, "side_by_side")
