"""M1 with the cortex: propofol/thiopental silence cortical responsiveness, not wind-up.

At each hypnotic's effect-site concentration for 50 % loss of responsiveness (propofol
2.8 ug/mL, Milne 2003 [milne_2003]; thiopental 15.6 ug/mL, Hung 1992 [hung_1992]) and at
1.5 x that level, the brain map (`ketasim.brain.maps.cortical_state`) gives the cortex's
responsiveness, and the spinal circuit (`ketasim.spinal`) gives C-fibre wind-up (15
shocks at 1 Hz) at the same free concentrations (pk free fractions). Ketamine 2 ug/mL
(anaesthetic range) is the contrast. The spinal circuit sees the receptor-level GABA-A
prolongation only (no cortical network gain), which is the point of the claim: the
hypnotic concentrations barely touch the spinal GABA-A synapses' effect on wind-up.

Caveat, stated rather than hidden: the network's GABA-A gains were FITTED so that
responsiveness is 0.5 at the two Ce50s (see `ketasim.brain.params`); the cortical half of
this experiment is therefore the calibration seen from the map, and the test of the claim
is the spinal half (wind-up kept) next to it.

Summary keys: per condition label ``{"effect_ng_mL", "free_uM", "responsiveness",
"integration", "windup_ratio", "absolute_windup", "absolute_windup_rel"}``
(``absolute_windup_rel``: over control).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ketasim.brain import sources as BS
from ketasim.brain.maps import cortical_state
from ketasim.core.validation import validate_params
from ketasim.experiments._spinal_common import SEED, windup_metrics
from ketasim.experiments.registry import register
from ketasim.pk import free_concentration_umol
from ketasim.spinal import Condition, simulate, train

_CONDS = (("control", None, 0.0), ("propofol 2.8 ug/mL", "propofol", 2800.0),
          ("propofol 4.2 ug/mL", "propofol", 4200.0),
          ("thiopental 15.6 ug/mL", "thiopental", 15600.0),
          ("thiopental 23.4 ug/mL", "thiopental", 23400.0),
          ("ketamine 2 ug/mL", "ketamine", 2000.0))


@validate_params({"seed": SEED})
def run(seed: int = 0) -> xr.Dataset:
    """Cortical responsiveness (map) and spinal wind-up at the hypnotics' Ce50 and 1.5 x."""
    labels, ng, free, kw = [], [], [], []
    for lab, drug, c in _CONDS:
        u = 0.0 if drug is None else float(free_concentration_umol(c, drug))
        labels.append(lab)
        ng.append(c)
        free.append(u)
        kw.append({} if drug is None else {f"{drug}_uM": u})
    st = [cortical_state(**k) if k else cortical_state() for k in kw]
    sp = simulate(train(15, 1.0), [Condition(label=lab, **k) for lab, k in zip(labels, kw,
                                                                                strict=True)],
                  seed=seed)
    out = xr.Dataset(
        {"responsiveness": ("label", [float(s.responsiveness) for s in st]),
         "integration": ("label", [float(s.integration) for s in st]),
         "response": (("label", "stimulus"), sp.response.values),
         "windup_ratio": ("label", sp.windup_ratio.values)},
        coords={"label": labels, "effect_ng_mL": ("label", ng, {"units": "ng/mL"}),
                "free_uM": ("label", free, {"units": "umol/L"})})
    out.attrs["citations"] = ";".join(dict.fromkeys(
        [c for r in [*st, sp] for c in r.attrs.get("citations", "").split(";") if c]
        + [BS.MILNE_2003, BS.HUNG_1992]))
    return out


def summary(ds: xr.Dataset) -> dict:
    out = {}
    ctrl = None
    for i, lab in enumerate(ds.label.values):
        m = windup_metrics(ds.response.values[i])
        ctrl = m["absolute_windup"] if ctrl is None else ctrl
        out[str(lab)] = {"effect_ng_mL": float(ds.effect_ng_mL.values[i]),
                         "free_uM": float(ds.free_uM.values[i]),
                         "responsiveness": float(ds.responsiveness.values[i]),
                         "integration": float(ds.integration.values[i]),
                         "windup_ratio": m["ratio"], "absolute_windup": m["absolute_windup"],
                         "absolute_windup_rel": (m["absolute_windup"] / ctrl) if ctrl else None}
    return out


def figure(ds: xr.Dataset):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    axs = fig.subplots(1, 2)
    x = np.arange(ds.sizes["label"])
    axs[0].bar(x, ds.responsiveness.values)
    axs[0].set_xticks(x, [str(v) for v in ds.label.values], rotation=30, ha="right",
                      fontsize=7)
    axs[0].set_ylabel("cortical responsiveness (0-1)")
    axs[0].axhline(0.5, color="k", lw=0.5, ls="--")
    axs[0].set_title("cortex (brain map)")
    for i, lab in enumerate(ds.label.values):
        r = ds.response.values[i]
        axs[1].plot(np.arange(1, r.size + 1), r, "o-", ms=3, label=str(lab))
    axs[1].set_xlabel("C-fibre shock # (1 Hz)")
    axs[1].set_ylabel("projection-neuron spikes")
    axs[1].set_title("spinal wind-up at the same free concentrations")
    axs[1].legend(fontsize=6)
    fig.tight_layout()
    return fig


def story(s: dict) -> dict:
    hyp = [k for k in s if k.startswith(("propofol", "thiopental"))]
    nums = [(f"{k}: responsiveness", s[k]["responsiveness"], "") for k in s]
    nums += [(f"{k}: absolute wind-up / control", s[k]["absolute_windup_rel"], "x")
             for k in s if k != "control"]
    comps = [(f"wind-up kept under {k}", f"{100 * s[k]['absolute_windup_rel']:.0f} %",
              ">= 80 % of control", "seed claim M1", (s[k]["absolute_windup_rel"] or 0) >= 0.8)
             for k in hyp]
    comps += [(f"cortex unresponsive at {k}", f"{s[k]['responsiveness']:.2f}",
               "<= 0.5 (Ce50 of loss of responsiveness and above)", "milne_2003; hung_1992",
               s[k]["responsiveness"] <= 0.6) for k in hyp]
    return {"shows": "Left: cortical responsiveness from the brain map at the hypnotics' "
                     "Ce50 for loss of responsiveness and 1.5 x; right: spinal wind-up at the "
                     "same free concentrations.",
            "numbers": nums, "comparisons": comps,
            "deviations": ["The cortical responsiveness at the Ce50s is the calibration "
                           "target of the network's GABA-A gains, not a prediction."]}


register("m01-brain-sedatives", claim="M1", title="Propofol/thiopental: unresponsive cortex, "
         "wind-up kept", run=run, figure=figure, summary=summary, story=story)
