"""M1 at the cell level: GABA-A hypnotics leave wind-up, ketamine flattens it.

Protocol: 15 C-strength shocks at 1 Hz. Conditions: control; propofol 1 uM free (hypnotic free
concentration ~0.4-1 uM, franks1994 [secondary]; 0.63 uM in the bath enhances inhibition in
brain slices, Gredell et al. 2004 Br J Anaesth [secondary]); thiopental 25 uM free
(franks1994 [secondary]); ketamine 30 and 100 uM free (the model needs such
levels to flatten wind-up, see m10-windup-ketamine). Propofol/thiopental act through the
receptor layer's GABA-A deactivation multiplier on the feed-forward and background
inhibition; ketamine through the NMDA model.

Summary keys (JSON): per condition ``{"spikes_per_stimulus", "windup_ratio", "first",
"absolute_windup", "gaba_decay_multiplier", "inhibitory_charge_rel"}``; the inhibitory charge
(integral of the inhibitory current in the first 1 s after the first shock) relative to
control shows the prolonged inhibition.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ketasim.core.record import Record
from ketasim.core.validation import validate_params
from ketasim.experiments._spinal_common import (
    FREQ_HZ,
    LEVEL_UM,
    N_STIMULI,
    SEED,
    stamp_experiment,
    windup_metrics,
)
from ketasim.experiments.registry import register
from ketasim.spinal import Condition, simulate, train
from ketasim.spinal import sources as S
from ketasim.spinal.circuit import gaba_modulation

_CONDS = (("control", {}), ("propofol 1 uM", {"propofol_uM": 1.0}),
          ("thiopental 25 uM", {"thiopental_uM": 25.0}),
          ("ketamine 30 uM", {"ketamine_uM": 30.0}), ("ketamine 100 uM", {"ketamine_uM": 100.0}))


@validate_params({"n_stimuli": N_STIMULI, "frequency_Hz": FREQ_HZ, "propofol_uM": LEVEL_UM,
                  "thiopental_uM": LEVEL_UM, "seed": SEED})
def run(n_stimuli: int = 15, frequency_Hz: float = 1.0, propofol_uM: float = 1.0,
        thiopental_uM: float = 25.0, seed: int = 0) -> xr.Dataset:
    """Wind-up under control, propofol, thiopental and ketamine (one batch, with traces)."""
    conds = []
    for label, kw in _CONDS:
        kw = dict(kw)
        if "propofol_uM" in kw:
            kw["propofol_uM"] = propofol_uM
            label = f"propofol {propofol_uM:g} uM"
        if "thiopental_uM" in kw:
            kw["thiopental_uM"] = thiopental_uM
            label = f"thiopental {thiopental_uM:g} uM"
        conds.append(Condition(label=label, **kw))
    ds = simulate(train(n_stimuli, frequency_Hz), conds, seed=seed,
                  record=Record(1.0, ("i_inh", "v")))
    keep = ["response", "c_response", "after_discharge", "windup_ratio", "i_inh", "v"]
    return stamp_experiment(ds[keep], [ds], "m01-propofol-windup",
                            {"n_stimuli": n_stimuli, "frequency_Hz": frequency_Hz,
                             "propofol_uM": propofol_uM, "thiopental_uM": thiopental_uM,
                             "seed": seed}, citations=(S.FRANKS1994,), seed=seed)


def summary(ds: xr.Dataset) -> dict:
    out = {}
    t = ds.time.values
    st0 = float(ds.stim_time.values[0])
    win = (t >= st0) & (t < st0 + 1000.0)
    q0 = None
    for i, lab in enumerate(ds.label.values):
        m = windup_metrics(ds.response.values[i])
        q = float(np.trapezoid(ds.i_inh.values[i][win], t[win]))
        q0 = q if q0 is None else q0
        tau = gaba_modulation([float(ds.propofol_uM.values[i])],
                              [float(ds.thiopental_uM.values[i])],
                              [float(ds.ketamine_uM.values[i])])[0][0]
        out[str(lab)] = {"spikes_per_stimulus": [int(x) for x in ds.response.values[i]],
                         "windup_ratio": m["ratio"], "first": m["first"],
                         "absolute_windup": m["absolute_windup"],
                         "gaba_decay_multiplier": float(tau),
                         "inhibitory_charge_rel": q / q0 if q0 else None}
    return out


def figure(ds: xr.Dataset):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    axs = fig.subplots(1, 2)
    for i, lab in enumerate(ds.label.values):
        r = ds.response.values[i]
        axs[0].plot(np.arange(1, r.size + 1), r, "o-", ms=3, label=str(lab))
    axs[0].set_xlabel("stimulus # (1 Hz)")
    axs[0].set_ylabel("spikes (100-1000 ms)")
    axs[0].set_title("M1: GABA-A hypnotics keep wind-up; ketamine delays/flattens it")
    axs[0].legend(fontsize=7)
    t = ds.time.values
    st0 = float(ds.stim_time.values[0])
    win = (t >= st0) & (t < st0 + 600.0)
    for i, lab in enumerate(ds.label.values[:3]):
        axs[1].plot(t[win] - st0, ds.i_inh.values[i][win], lw=0.7, label=str(lab))
    axs[1].set_xlabel("time after first shock (ms)")
    axs[1].set_ylabel("inhibitory current, dendrite (pA)")
    axs[1].set_title("shunting inhibition prolonged by propofol/thiopental")
    axs[1].legend(fontsize=7)
    fig.tight_layout()
    return fig



def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    ctrl = s["control"]
    hyp = [k for k in s if k.startswith(("propofol", "thiopental"))]
    ket = [k for k in s if k.startswith("ketamine")]
    rel = {k: s[k]["absolute_windup"] / ctrl["absolute_windup"] for k in s
           if k != "control" and ctrl["absolute_windup"]}
    nums = [("wind-up ratio, control (last / first)", ctrl["windup_ratio"], "x")]
    nums += [(f"absolute wind-up, {k} / control", 100 * rel[k], "%") for k in hyp + ket]
    nums += [(f"inhibitory charge, {k} / control", s[k]["inhibitory_charge_rel"], "x")
             for k in hyp]
    comps = [(f"wind-up kept under {k}", f"{100 * rel[k]:.0f} % of control",
              "almost unchanged (>= 80 %)", "franks1994; seed claim M1", rel[k] >= 0.8)
             for k in hyp]
    comps += [(f"wind-up flattened by {k}", f"{100 * rel[k]:.0f} % of control",
               "strongly reduced (<= 30 %)", "dickenson1987; seed claim M1", rel[k] <= 0.3)
              for k in ket]
    return {
        "shows": "Left: spikes of the projection neuron for each of 15 C-fibre shocks at "
                 "1 Hz: control, the hypnotics propofol and thiopental at hypnotic free "
                 "levels, and ketamine. Right: the inhibitory current after the first "
                 "shocks, prolonged by the hypnotics.",
        "numbers": nums,
        "comparisons": comps,
        "deviations": [
            f"Ketamine is shown at {', '.join(k.removeprefix('ketamine ') for k in ket)} free, "
            "far above the 0.2-1 uM of analgesic use: the model needs such levels to flatten "
            "wind-up (see M10: the block is weak in 1 mM Mg2+ at clinical levels).",
            "The cortex is not modelled yet: the hypnotic half of the claim (unconsciousness) "
            "waits for the brain layer.",
        ],
    }


register("m01-propofol-windup", claim="M1", title="Propofol/thiopental vs ketamine on wind-up",
         run=run, figure=figure, summary=summary,
         story=story)
