"""Sensitization and pain: gain over time; heat, pin-prick and touch NRS, normal skin and
sensitized area."""

import numpy as np
import streamlit as st
import xarray as xr

from ketasim.app import ui
from ketasim.scenarios import canonical_json

ui.setup("pain", "Sensitization and pain")
with ui.guard():
    c = ui.cfg()
    th = float(c["time_h"])
    ds = ui.timeline()
    s = ui.scenario()
    placebo = st.checkbox("also run without the drugs (placebo)", False, key="pa_placebo")
    with st.spinner("running the stimulus tests on the spiking model"):
        res = ui.cached_pain(canonical_json(s), False)
        ref = ui.cached_pain(canonical_json(s), True) if placebo else None
    g = float(np.interp(th, ds.time.values, ds.gain.values))
    m = st.columns(3)
    m[0].metric(f"spinal gain at {th:g} h", f"{g:.3f}")
    m[1].metric(f"ongoing pain at {th:g} h (NRS)",
                f"{float(np.interp(th, ds.time.values, ds.ongoing_nrs.values)):.2f}")
    m[2].metric("peak gain", f"{float(ds.gain.max()):.3f}")
    kinds = res.test_kind.values.tolist()
    sites = res.test_site.values.tolist()
    rows = []
    for kind in ("heat", "pinprick", "touch"):
        row = {"stimulus": kind}
        for site in ("normal", "secondary"):
            idx = [i for i in range(len(kinds)) if kinds[i] == kind and sites[i] == site]
            if idx:
                label = "normal skin" if site == "normal" else "sensitized (secondary)"
                row[f"NRS, {label}"] = round(float(res.test_nrs.values[idx[0]]), 2)
                if ref is not None:
                    row[f"NRS placebo, {label}"] = round(float(ref.test_nrs.values[idx[0]]), 2)
        rows.append(row)
    st.dataframe(rows, hide_index=True)
    cols = st.columns(len(rows))
    for col, row in zip(cols, rows, strict=True):
        key = "NRS, sensitized (secondary)" if "NRS, sensitized (secondary)" in row else \
            "NRS, normal skin"
        col.metric(f"{row['stimulus']} NRS ({key[5:]})", f"{row[key]:.2f}")
    fig, (a1, a2) = ui.figure(10, 3.2, 2)
    a1.plot(ds.time, ds.gain, label="gain")
    a1.set(xlabel="time (h)", ylabel="central gain (1 = normal)")
    a1.axvline(th, color="grey", lw=0.8)
    a2.plot(ds.time, ds.ongoing_nrs, label="ongoing pain")
    a2.plot(ds.time, ds.c_rate_Hz / max(float(ds.c_rate_Hz.max()), 1e-9) * 10, ":",
            label="C drive (scaled to 10)")
    a2.set(xlabel="time (h)", ylabel="NRS 0-10", ylim=(0, 10))
    a2.axvline(th, color="grey", lw=0.8)
    a2.legend(fontsize=7)
    png = ui.show_figure(fig)
    view = xr.merge([ds[["gain", "ongoing_nrs", "c_rate_Hz"]],
                     res[["test_nrs", "test_gain", "test_output_Hz"]]],
                    combine_attrs="drop")
    view.attrs["citations"] = res.attrs.get("citations", "")
    ui.exports(view, png, "pain")
