"""Small virtual trials: placebo vs the configured regimen, with bands and progress."""

import json

import numpy as np
import streamlit as st

from ketasim.app import core, ui

ui.setup("trials", "Small virtual trials")
with ui.guard():
    c = ui.cfg()
    a, b, d = st.columns(3)
    n = a.number_input(f"patients (at most {core.MAX_PATIENTS})", 2, core.MAX_PATIENTS, 200,
                       10, key="tr_n")
    seed = b.number_input("seed", 0, 2**31 - 1, 1, 1, key="tr_seed")
    design = d.selectbox("design", ("all_arms", "randomised"), 0, key="tr_design",
                         format_func={"all_arms": "paired: every patient in both arms",
                                      "randomised": "randomised: one arm each"}.get)
    doc = core.trial_doc(c, n_patients=int(n), seed=int(seed), allocation=design)
    key = json.dumps(doc, sort_keys=True)
    store = st.session_state.setdefault("trial_results", {})
    if st.button("Run the trial", type="primary", key="tr_run"):
        bar = st.progress(0.0, text="starting")

        def progress(done, total):
            bar.progress(done / total, text=f"{done} / {total} patients")

        store.clear()
        store[key] = core.run_trial_blocks(doc, block=25, progress=progress)
        bar.progress(1.0, text=f"{int(n)} patients done")
    ds = store.get(key)
    if ds is None:
        st.info("Set the size and press *Run the trial* (placebo vs the regimen of Choices; "
                "outcomes at the moment chosen in the sidebar).")
    else:
        bands = core.trial_bands(ds)
        outs = [v for v in ds.data_vars if not v.startswith("course_")]
        rows = []
        for arm in ds.arm.values.tolist():
            row = {"arm": arm}
            for o in outs:
                x = ds[o].sel(arm=arm).values
                x = x[np.isfinite(x)]
                row["patients"] = int(x.size)
                if x.size:
                    lo, hi = np.quantile(x, [0.05, 0.95])
                    row[o] = f"{x.mean():.3g} ({lo:.3g}-{hi:.3g})"
            rows.append(row)
        st.caption("mean (5-95 % of patients)")
        st.dataframe(rows, hide_index=True)
        m = st.columns(len(rows))
        for col, arm in zip(m, ds.arm.values.tolist(), strict=True):
            x = ds["ongoing_pain"].sel(arm=arm).values
            col.metric(f"{arm}: mean ongoing pain (NRS)", f"{np.nanmean(x):.2f}")
        fig, ax = ui.figure(9, 3.2)
        for i, arm in enumerate(ds.arm.values.tolist()):
            q = bands.band.sel(arm=arm).values
            t = bands.time.values
            ax.fill_between(t, q[0], q[4], color=f"C{i}", alpha=0.15)
            ax.fill_between(t, q[1], q[3], color=f"C{i}", alpha=0.3)
            ax.plot(t, q[2], color=f"C{i}", label=f"{arm} (median, 25-75 %, 5-95 %)")
        ax.axvline(float(c["time_h"]), color="grey", lw=0.8)
        ax.set(xlabel="time (h)", ylabel="ongoing pain (NRS)", ylim=(0, 10))
        ax.legend(fontsize=7)
        png = ui.show_figure(fig)
        ui.exports(ds, png, "trial")
        with st.expander("The trial as YAML (`ketasim trial run`)"):
            import yaml

            st.code(yaml.safe_dump(doc, sort_keys=False), language="yaml")
