"""Wind-up at the current free drug levels: spikes per stimulus, membrane trace."""

import json

import numpy as np
import streamlit as st

from ketasim.app import core, ui

ui.setup("windup", "Wind-up at the current concentrations")
with ui.guard():
    c = ui.cfg()
    ds = ui.timeline()
    th = float(c["time_h"])
    lv = {k: round(v, 4) for k, v in core.levels_at(ds, th).items() if v > 0}
    g_now = float(np.interp(th, ds.time.values, ds.gain.values))
    a, b, d = st.columns(3)
    n = a.number_input("shocks", 1, core.MAX_SHOCKS, 15, 1, key="wu_n")
    f = b.select_slider("frequency (Hz)", (0.1, 0.2, 0.5, 1.0, 2.0), 1.0, key="wu_f")
    inten = d.number_input("intensity (x C threshold)", 0.5, 5.0, 2.0, 0.5, key="wu_i")
    sens = st.checkbox(f"apply the spinal gain at {th:g} h ({g_now:.2f})", False, key="wu_g")
    trace = st.checkbox("show the membrane trace", False, key="wu_trace")
    if n / f > core.MAX_TRAIN_S:
        st.warning(f"A train of {n} shocks at {f} Hz lasts {n / f:g} s; the explorer runs "
                   f"trains of at most {core.MAX_TRAIN_S:g} s. Fewer shocks or a higher "
                   "frequency, please.")
        st.stop()
    st.caption("Free levels used: " + (", ".join(f"{k[:-3]} {v:.3g} umol/L"
                                                 for k, v in lv.items()) or "none"))
    with st.spinner("running the spinal model"):
        w = ui.cached_windup(json.dumps(lv, sort_keys=True), int(n), float(f), float(inten),
                             g_now if sens else 1.0, bool(trace))
    resp = w.response.values
    m = st.columns(3)
    m[0].metric("spikes, last stimulus (drug-free)", f"{int(resp[0, -1])}")
    m[1].metric("spikes, last stimulus (with drugs)", f"{int(resp[1, -1])}",
                delta=int(resp[1, -1] - resp[0, -1]))
    m[2].metric("wind-up ratio with drugs (last / first)",
                ui.fmt(float(w.windup_ratio.values[1]), "{:.2f}"))
    fig, ax = ui.figure(8, 3.0)
    s = np.arange(1, resp.shape[1] + 1)
    ax.plot(s, resp[0], "o-", label="drug-free")
    ax.plot(s, resp[1], "s-", label="with drugs")
    ax.set(xlabel="stimulus", ylabel="WDR spikes per stimulus")
    ax.legend(fontsize=8)
    png = ui.show_figure(fig)
    view = w[["response", "windup_ratio"]]
    if trace and "v" in w:
        fig2, ax2 = ui.figure(10, 3.0)
        tt = w.time.values / 1000.0
        ax2.plot(tt, w.v.values[0], lw=0.4, label="drug-free")
        ax2.plot(tt, w.v.values[1], lw=0.4, label="with drugs")
        ax2.set(xlabel="time (s)", ylabel="WDR soma (mV)")
        ax2.legend(fontsize=8)
        ui.show_figure(fig2)
        view = w[["response", "windup_ratio", "v"]]
    view.attrs = {k: w.attrs[k] for k in ("citations", "ketasim_version") if k in w.attrs}
    ui.exports(view, png, "windup")
