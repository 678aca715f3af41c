"""M8: wind-up of a WDR neuron: frequency dependence and NMDA dependence.

Protocol: 15 C-strength shocks (2 x C threshold) at 0.5, 1 and 2 Hz and 6 at 0.1 Hz
(aguiar2010 reruns; dickenson1987 used 16 at 0.5 Hz), each with and without NMDA receptors
(AP5-like full block, ``nmda_scale = 0``). Responses per shock are WDR spikes 100-400 ms
(C response) plus 400-1000 ms (after-discharge), windows cut at the next shock (cuellar2005).

Summary keys (JSON):
- ``per_frequency``: {"<f> Hz": {"spikes_per_stimulus": [...], "after_discharge": [...],
  "windup_ratio": last/first, "first": n, "last": n, "absolute_windup": sum(r_i - r_1),
  "ap5_spikes_per_stimulus": [...], "ap5_windup_ratio": ..., "ap5_first_fraction":
  first response with AP5 / control}}
- ``targets``: the published targets checked (text).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ketasim.core.record import Record
from ketasim.core.validation import Each, Instance, validate_params
from ketasim.experiments._spinal_common import (
    FREQ_HZ,
    INTENSITY,
    N_STIMULI,
    SEED,
    stamp_experiment,
    windup_metrics,
)
from ketasim.experiments._story import pct
from ketasim.experiments.registry import register
from ketasim.spinal import Condition, SpinalParams, simulate, train
from ketasim.spinal import sources as S

_TRACES = ("v", "v_dend", "i_nmda", "i_cal", "ca_i", "i_can")


@validate_params({"frequencies_Hz": Each(FREQ_HZ, max_len=20), "n_stimuli": N_STIMULI,
                  "n_stimuli_slow": N_STIMULI, "intensity": INTENSITY, "seed": SEED,
                  "traces": Instance(bool)})
def run(frequencies_Hz: tuple = (0.1, 0.5, 1.0, 2.0), n_stimuli: int = 15, n_stimuli_slow: int = 6,
        intensity: float = 2.0, seed: int = 0, traces: bool = True) -> xr.Dataset:
    """Run the wind-up protocol at each frequency, control and AP5-like NMDA block.

    Returns ``response``, ``c_response``, ``after_discharge`` on (frequency_Hz, condition,
    stimulus) and, with ``traces``, the control traces at 1 Hz on ``time`` (ms).
    """
    frequencies_Hz = tuple(float(f) for f in np.atleast_1d(frequencies_Hz))
    p = SpinalParams()
    conds = [Condition(p, label="control"), Condition(p.replace(nmda_scale=0.0), label="ap5")]
    nmax = max(n_stimuli, n_stimuli_slow)
    shape = (len(frequencies_Hz), 2, nmax)
    resp = np.full(shape, np.nan)
    cresp = np.full(shape, np.nan)
    ad = np.full(shape, np.nan)
    tr = None
    runs = []
    for i, f in enumerate(frequencies_Hz):
        n = n_stimuli_slow if f < 0.25 else n_stimuli
        rec = traces and abs(f - 1.0) < 1e-9
        ds = simulate(train(n, f, intensity), conds, seed=seed,
                      record=Record(0.5, _TRACES) if rec else None)
        runs.append(ds)
        resp[i, :, :n] = ds.response.values
        cresp[i, :, :n] = ds.c_response.values
        ad[i, :, :n] = ds.after_discharge.values
        if rec:
            tr = ds[list(_TRACES)].isel(condition=0)
            tr = tr.drop_vars([c for c in tr.coords if c != "time"])
    dims = ("frequency_Hz", "condition", "stimulus")
    out = xr.Dataset(
        {"response": (dims, resp, {"units": "spikes"}),
         "c_response": (dims, cresp, {"units": "spikes"}),
         "after_discharge": (dims, ad, {"units": "spikes"})},
        coords={"frequency_Hz": ("frequency_Hz", np.asarray(frequencies_Hz, float),
                                 {"units": "Hz"}),
                "condition": np.arange(2), "label": ("condition", ["control", "ap5"]),
                "stimulus": np.arange(nmax)})
    if tr is not None:
        out = out.merge(tr)
    return stamp_experiment(out, runs, "m08-windup",
                            {"frequencies_Hz": list(frequencies_Hz), "n_stimuli": n_stimuli,
                             "n_stimuli_slow": n_stimuli_slow, "intensity": intensity,
                             "seed": seed, "traces": traces},
                            citations=(S.DICKENSON1987, S.MENDELL1966), seed=seed)


def summary(ds: xr.Dataset) -> dict:
    per = {}
    for f in ds.frequency_Hz.values:
        r = ds.response.sel(frequency_Hz=f)
        c = r.sel(condition=0).values
        a = r.sel(condition=1).values
        mc, ma = windup_metrics(c), windup_metrics(a)
        adc = ds.after_discharge.sel(frequency_Hz=f, condition=0).values
        per[f"{f:g} Hz"] = {
            "spikes_per_stimulus": [int(x) for x in c[np.isfinite(c)]],
            "after_discharge": [int(x) for x in adc[np.isfinite(adc)]],
            "windup_ratio": mc["ratio"], "first": mc["first"], "last": mc["last"],
            "absolute_windup": mc["absolute_windup"],
            "ap5_spikes_per_stimulus": [int(x) for x in a[np.isfinite(a)]],
            "ap5_windup_ratio": ma["ratio"],
            "ap5_first_fraction": ma["first"] / mc["first"] if mc["first"] else None,
        }
    return {"per_frequency": per,
            "targets": "rise at 0.5-2 Hz, flat at 0.1 Hz (aguiar2010, mendell1966); AP5 flattens "
                       "wind-up, first C response >= 70 % (dickenson1987)"}


def figure(ds: xr.Dataset):
    from matplotlib.figure import Figure

    has_tr = "v" in ds
    fig = Figure(figsize=(12, 9 if has_tr else 3.5))
    axs = fig.subplots(3 if has_tr else 1, 2, squeeze=False)
    ax = axs[0, 0]
    for n, f in enumerate(ds.frequency_Hz.values):
        r = ds.response.sel(frequency_Hz=f, condition=0)
        ax.plot(r.stimulus + 1, r, "o-", color=f"C{n}", label=f"{f:g} Hz")
    ax.set_xlabel("stimulus #")
    ax.set_ylabel("spikes (100-1000 ms)")
    ax.set_title("M8 wind-up: frequency dependence (control)")
    ax.set_ylim(top=1.3 * float(ds.response.max()))
    ax.legend(fontsize=9, loc="upper center", ncol=4)
    ax = axs[0, 1]
    for n, f in enumerate(ds.frequency_Hz.values):
        for j, ls in enumerate(("-", "--")):  # control, NMDA blocked
            r = ds.response.sel(frequency_Hz=f, condition=j)
            ax.plot(r.stimulus + 1, r, ls, color=f"C{n}",
                    label=f"{f:g} Hz" if j == 0 else None)
    ax.set_xlabel("stimulus #")
    ax.set_title("NMDA block (AP5-like, dashed) flattens wind-up")
    ax.set_ylim(top=1.3 * float(ds.response.max()))
    ax.legend(fontsize=9, loc="upper center", ncol=4)
    if has_tr:
        t = ds.time.values / 1000.0
        sel = (t >= 0.8) & (t <= 6.0)  # the build-up: first five shocks at 1 Hz
        t = t[sel]
        a = axs[1, 0]
        a.plot(t, ds.v.values[sel], lw=0.3, label="soma")
        a.plot(t, ds.v_dend.values[sel], lw=0.6, label="dendrite")
        a.set_ylabel("Vm (mV)")
        a.set_title("1 Hz train, control: shocks at 1, 2, 3, 4, 5 s")
        a.set_ylim(top=80.0)
        a.legend(fontsize=9, loc="upper left", ncol=2)
        a = axs[1, 1]
        a.plot(t, ds.i_nmda.values[sel], lw=0.5, label="I_NMDA (dendrite)")
        a.plot(t, ds.i_can.values[sel], lw=0.8, label="I_CAN")
        a.set_ylabel("current (pA)")
        a.set_ylim(top=max(0.0, float(a.get_ylim()[1])) + 0.45 * float(np.ptp(a.get_ylim())))
        a.set_title("NMDA Ca2+ (10 % of I_NMDA) and CaL charge I_CAN,\nwhich builds up")
        a.legend(fontsize=9, loc="upper left", ncol=2)
        a = axs[2, 0]
        a.plot(t, ds.ca_i.values[sel], lw=0.4)
        a.set_ylabel("[Ca]i, dendritic pool (uM)")
        a.set_xlabel("time (s)")
        a = axs[2, 1]
        a.plot(t, ds.i_cal.values[sel], lw=0.3, color="C3")
        a.set_ylabel("I_CaL (pA)")
        a.set_xlabel("time (s)")
        a.set_title("I_CAN (seconds) bridges the 1 s intervals;\nfrom shock 3 the cell "
                    "fires through them", fontsize=10)
    fig.tight_layout()
    return fig



def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    pf = s["per_frequency"]
    fast = [k for k in pf if float(k.split()[0]) >= 0.5]
    slow = [k for k in pf if float(k.split()[0]) < 0.5]
    nums = [(f"wind-up ratio at {k} (last / first)", pf[k]["windup_ratio"], "x") for k in pf]
    nums += [(f"wind-up ratio at {k} with NMDA blocked", pf[k]["ap5_windup_ratio"], "x")
             for k in fast]
    comps = [(f"wind-up at {k}", f"x{pf[k]['windup_ratio']:.2f}", ">= x2",
              "aguiar2010; mendell1966", pf[k]["windup_ratio"] >= 2.0) for k in fast]
    comps += [(f"no wind-up at {k}", f"x{pf[k]['windup_ratio']:.2f}", "x0.7-1.3",
               "mendell1966", 0.7 <= pf[k]["windup_ratio"] <= 1.3) for k in slow]
    comps += [(f"NMDA block (AP5) flattens wind-up, {k}",
               f"x{pf[k]['ap5_windup_ratio']:.2f}", "<= x1.3", "dickenson1987",
               pf[k]["ap5_windup_ratio"] <= 1.3) for k in fast]
    comps += [(f"first C response kept with AP5, {k}", pct(pf[k]["ap5_first_fraction"], 0),
               ">= 70 %", "dickenson1987", pf[k]["ap5_first_fraction"] >= 0.7)
              for k in fast[:1]]
    return {
        "shows": "Top: spikes of the projection neuron to each C-fibre shock of a train, at "
                 "0.1-2 Hz (left) and with NMDA receptors blocked (right, dashed). Below: "
                 "the membrane potential, the NMDA and Ca2+-activated (CAN) currents, "
                 "dendritic Ca2+ and the L-type current during the 1 Hz train: the slow "
                 "currents bridge the 1 s gaps and the cell fires more at every shock.",
        "numbers": nums,
        "comparisons": comps,
        "deviations": [
            f"At {k} wind-up with NMDA blocked is not flat (x{pf[k]['ap5_windup_ratio']:.2f}):"
            " a slower NMDA-independent build-up remains." for k in fast
            if pf[k]["ap5_windup_ratio"] > 1.3],
    }


register("m08-windup", claim="M8", title="Wind-up: frequency and NMDA dependence", run=run,
         figure=figure, summary=summary,
         story=story)
