"""The per-scenario outputs: NetCDF result, HTML report with one timeline, JSON summary.

`write_outputs(ds, out)` writes ``scenario.nc`` (every time course, labelled, with units and
provenance), ``scenario.json`` (`ketasim.scenarios.runner.summary`), ``scenario.png`` and
``scenario.html`` (the figure and the table of stimulus tests). The figure is built on a
`matplotlib.figure.Figure` (no pyplot global state).

Examples
--------
>>> from ketasim.scenarios import Scenario
>>> from ketasim.scenarios.runner import simulate
>>> fig = figure(simulate(Scenario(name="x", horizon="30 min")))
>>> len(fig.axes)   # five panels (the fifth: the cortex), two with a second y axis
7
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

__all__ = ["figure", "html_report", "write_outputs", "write_netcdf"]

_KIND_MARK = {"heat": "o", "pinprick": "^", "touch": "s", "windup": "D"}


def figure(ds: xr.Dataset) -> Figure:
    """Concentrations, free levels and NMDA block, gain, pain and (when present) the brain
    readouts on one shared timeline."""
    brain = "responsiveness" in ds
    fig = Figure(figsize=(10, 12.5 if brain else 10), layout="constrained")
    ax = fig.subplots(5 if brain else 4, 1, sharex=True)
    t = ds.time.values
    tt = ds.test_time_h.values if "test_time_h" in ds.coords else np.array([])
    for n in ds.data_vars:
        if ds[n].dims == ("time",) and n.endswith("_ng_mL"):
            ax[0].plot(t, ds[n].values, ls="-" if "plasma" in n else "--",
                       label=n.replace("_ng_mL", "").replace("_", " "))
    ax[0].set_ylabel("total (ng/mL)")
    ax[0].set_title("Drug concentrations: plasma (solid) and effect site (dashed)")
    a1 = ax[1]
    for n in ds.data_vars:
        if ds[n].dims == ("time",) and n.endswith("_uM") and float(np.max(ds[n].values)) > 0:
            a1.plot(t, ds[n].values, label=f"free {n[:-3]}")
    a1.set_ylabel("free at receptor (uM)")
    if "nmda_block" in ds:
        a1b = a1.twinx()
        a1b.plot(t, 100 * ds.nmda_block.values, color="k", ls=":", label="NMDA block")
        a1b.set_ylabel(f"NMDA block (%, {ds.attrs.get('reference_voltage_mV', -60):g} mV)")
        a1b.set_ylim(bottom=0)
        a1b.legend(loc="upper right", fontsize=9)
    a1.set_title("Free drug at the receptor and NMDA block")
    if "gain" in ds:
        ax[2].plot(t, ds.gain.values, color="tab:red", label="central gain (slow model)")
    ax[2].axhline(1.0, color="gray", lw=0.8, ls=":")
    a2b = ax[2].twinx()
    a2b.fill_between(t, ds.c_rate_Hz.values, color="tab:orange", alpha=0.15, step="mid")
    a2b.set_ylabel("C-fibre drive (Hz)")
    ax[2].set_ylabel("gain")
    ax[2].set_title("Sensitization: central gain under the afferent drive")
    if "ongoing_nrs" in ds:
        ax[3].plot(t, ds.ongoing_nrs.values, color="tab:purple", label="ongoing pain")
    if "test_nrs" in ds:
        keys = sorted({(str(k), str(s)) for k, s in zip(ds.test_kind.values,
                                                         ds.test_site.values, strict=True)})
        colour = {k: f"C{j + 1}" for j, k in enumerate(keys)}
        for i in range(len(tt)):
            y = float(ds.test_nrs.values[i])
            if np.isfinite(y):
                kind, site = str(ds.test_kind.values[i]), str(ds.test_site.values[i])
                ax[3].plot(tt[i], y, _KIND_MARK.get(kind, "o"), ms=8, ls="none",
                           color=colour[(kind, site)], label=f"{kind} ({site})")
                yp = float(ds.test_perceived_nrs.values[i]) if "test_perceived_nrs" in ds \
                    else np.nan
                if np.isfinite(yp):
                    ax[3].plot(tt[i], yp, _KIND_MARK.get(kind, "o"), ms=8, ls="none", mfc="none",
                               color=colour[(kind, site)], label="perceived (open)")
    ax[3].set_ylim(0, 10)
    ax[3].set_ylabel("pain (NRS 0-10)")
    ax[-1].set_xlabel("time (h)")
    ax[3].set_title("Pain: ongoing, and at each stimulus test (open: as reported by the "
                    "cortex)" if brain else "Pain: ongoing, and at each stimulus test")
    if brain:
        for n, c in (("responsiveness", "tab:green"), ("integration", "tab:blue"),
                     ("dissociation", "tab:orange"), ("psychotomimetic", "tab:red"),
                     ("emergence_risk", "k")):
            if n in ds:
                ax[4].plot(t, ds[n].values, color=c, label=n.replace("_", " "))
        ax[4].set_ylim(-0.02, 1.02)
        ax[4].set_ylabel("0-1")
        ax[4].set_title("Brain: cortical state (reduced map) and cumulative emergence risk")
    for a in ax:
        h, lab = a.get_legend_handles_labels()
        if h:
            uniq = dict(zip(lab, h, strict=True))
            a.legend(uniq.values(), uniq.keys(), fontsize=9, loc="upper left")
        for x in tt:
            a.axvline(x, color="gray", lw=0.5, alpha=0.4)
    fig.suptitle(f"Scenario {ds.attrs.get('scenario_name', '')}", fontsize=13)
    return fig


def _emergence_html(a: dict) -> str:
    """The brain readouts' paragraph: perceived NRS rule and the emergence totals."""
    if "emergence_risk_total" not in a:
        return ""
    start, end = float(a["emergence_window_start_h"]), float(a["emergence_window_end_h"])
    when = (f"from {start:.2f} h to {end:.2f} h" if np.isfinite(start) else "none")
    return (f"<h2>Brain</h2><p>Perceived NRS: the test's spinal NRS as the cortex reports it "
            f"(empty: unresponsive, no report). Emergence window (responsive but "
            f"disintegrated cortex while free ketamine falls): "
            f"{float(a['emergence_window_min']):.0f} min ({when}); psychotomimetic-weighted "
            f"exposure {float(a['emergence_exposure_min']):.1f} min; emergence-risk index "
            f"{float(a['emergence_risk_total']):.2f} (0-1, not a probability).</p>")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def html_report(ds: xr.Dataset, summary: dict, png: bytes | None = None) -> str:
    """A self-contained HTML page: the figure, the test table and the provenance."""
    png = _png(figure(ds)) if png is None else png
    img = base64.b64encode(png).decode()
    rows = []
    for t in summary["tests"]:
        def f(x, fmt="{:.3g}"):
            return "" if x is None else fmt.format(x)
        spikes = "" if t["spikes_per_stimulus"] is None else " ".join(
            map(str, t["spikes_per_stimulus"]))
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in (
            f(t["time_h"], "{:g}"), t["kind"], t["site"], f(t["ketamine_plasma_ng_mL"]),
            f(t["ketamine_effect_ng_mL"]), f(t["ketamine_uM"]), f(t["nmda_block"], "{:.1%}"),
            f(t["gain"]), f(t["output_Hz"]), spikes, f(t["windup_ratio"]), f(t["nrs"], "{:.1f}"),
            f(t.get("perceived_nrs"), "{:.1f}")))
            + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in (
        "time (h)", "test", "site", "ketamine plasma (ng/mL)", "effect site (ng/mL)",
        "free (uM)", "NMDA block", "gain", "WDR output (spikes/s)", "spikes per stimulus",
        "wind-up ratio", "NRS", "perceived NRS"))
    a = ds.attrs
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>ketasim scenario {html.escape(str(a.get('scenario_name', '')))}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 6px;font-size:14px}}
</style></head><body>
<h1>Scenario {html.escape(str(a.get('scenario_name', '')))}</h1>
<p>Dose &rarr; plasma &rarr; free drug at the receptor &rarr; NMDA block &rarr; central gain
(slow model) &rarr; spiking model at each test &rarr; pain (NRS). Site mapping:
{html.escape(str(a.get('site_mapping', '')))}.</p>
<img src="data:image/png;base64,{img}" style="width:100%">
<h2>Stimulus tests</h2><table><tr>{head}</tr>{''.join(rows)}</table>
<p>Wind-up trains get no NRS (the pain transfer is calibrated on steady heat responses).
Share of the horizon where free ketamine exceeded the slow model's table (clipped there):
{float(a.get('slow_ketamine_clipped_fraction', 0.0)):.1%}.</p>{_emergence_html(a)}
<h2>Provenance</h2><p>scenario hash {html.escape(str(a.get('scenario_hash')))}, seed
{html.escape(str(a.get('seed')))}, ketasim {html.escape(str(a.get('ketasim_version')))};
citations: {html.escape(str(a.get('citations', '')).replace(';', ', '))}</p>
</body></html>"""


def write_netcdf(ds: xr.Dataset, path: Path) -> Path:
    """Write the result as NetCDF (string coordinates and attributes kept).

    The writer available everywhere (scipy's, NetCDF3) reads a zero-length dimension as an
    unlimited one, so variables on an empty dimension (no tests, no wind-up test) are left
    out of the file (nothing is lost: they hold no values).
    """
    empty = [d for d, n in ds.sizes.items() if n == 0]
    out = ds.drop_vars([v for v in ds.variables if set(ds[v].dims) & set(empty)])
    for c in ("test_kind", "test_site"):
        if c in out.coords:
            out.coords[c] = out.coords[c].astype(str)
    out.to_netcdf(path)
    return path


def write_outputs(ds: xr.Dataset, out: Path, summary: dict | None = None) -> dict[str, Path]:
    """Write ``scenario.nc``, ``scenario.json``, ``scenario.png`` and ``scenario.html`` into
    the folder ``out``; return their paths by kind."""
    from ketasim.scenarios.runner import summary as make_summary

    out = Path(out)
    summary = make_summary(ds) if summary is None else summary
    paths = {"netcdf": out / "scenario.nc", "json": out / "scenario.json",
             "png": out / "scenario.png", "html": out / "scenario.html"}
    write_netcdf(ds, paths["netcdf"])
    paths["json"].write_text(json.dumps(summary, indent=2), encoding="utf-8")
    png = _png(figure(ds))
    paths["png"].write_bytes(png)
    paths["html"].write_text(html_report(ds, summary, png), encoding="utf-8")
    return paths
