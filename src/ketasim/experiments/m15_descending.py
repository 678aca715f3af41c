"""M15: ketamine's weak monoamine reuptake inhibition and descending inhibition, shown honestly.

Free ketamine occupies NET and SERT (receptor layer, `ketasim.receptors.transporters`:
Ki 66.8 and 162 uM, nishimura_1998); the extracellular NE / 5-HT level rises as
1/(1 - f occ); descending alpha-2 (presynaptic, on C and A-delta release) and 5-HT
(postsynaptic) inhibition follow (`ketasim.spinal.descending`). On the spiking WDR model the
47 degC heat response is computed for each ketamine concentration twice: with ketamine's full
action (NMDA trapping block + reuptake inhibition) and with the reuptake part switched off.
The difference is the descending contribution. A spinalized cord (no descending tone) shows
how large the whole descending system is at rest.

Summary keys
------------
ketamine_uM : free concentrations (uM).
net_occupancy, sert_occupancy : transporter occupancies.
ne_level, ht_level : monoamine level / baseline.
extra_inhibition_pct : descending inhibition added by ketamine (percentage points of drive).
nrs_full, nrs_nmda_only : 47 degC pain with full ketamine vs without its reuptake inhibition.
descending_share_pct : 100 (nrs_nmda_only - nrs_full) / (nrs_0 - nrs_full) (share of the
    analgesia due to descending control), NaN where there is no analgesia.
nrs_spinalized : pain with the descending tone removed (drug-free).
at_1uM : the same numbers at 1 uM (a sub-anaesthetic analgesic free level).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ketasim.clinical.pain import PAIN_CITATIONS, heat_to_c_rate, nrs_from_output
from ketasim.core.provenance import stamp
from ketasim.core.validation import Each, Interval, validate_params
from ketasim.experiments._pain_common import (
    TEST_TEMPERATURE_C,
    json_clean,
    pain_model,
    spiking_steady,
)
from ketasim.experiments._story import pct
from ketasim.experiments.registry import register
from ketasim.receptors.transporters import transporter_occupancy
from ketasim.spinal.circuit import Condition
from ketasim.spinal.descending import DEFAULT_DESCENDING, DescendingSpec, descending_factors
from ketasim.spinal.modulation import (
    CircuitModulation,
    descending_modulation,
    modulated_params,
)
from ketasim.spinal.params import DEFAULT
from ketasim.spinal.sensitization_sources import (
    KAWASAKI2003,
    MILLAN2002,
    NISHIMURA1998,
    PERTOVAARA2006,
)


@validate_params({"ketamine_uM": Each(Interval(0, 1000), max_len=30),
                  "duration_ms": Interval(7000, 120_000), "seed": Interval(0, None, integer=True)})
def run(ketamine_uM: tuple = (0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
        duration_ms: float = 12000.0, seed: int = 5) -> xr.Dataset:
    _, transfer = pain_model()
    k = np.atleast_1d(np.asarray(ketamine_uM, float))
    net = np.asarray(transporter_occupancy(k, "NET"), float)
    sert = np.asarray(transporter_occupancy(k, "SERT"), float)
    d = descending_factors(net, sert)
    full = [Condition(params=modulated_params(DEFAULT, descending_modulation(n, s)),
                      ketamine_uM=float(c)) for c, n, s in zip(k, net, sert, strict=True)]
    nmda_only = [Condition(ketamine_uM=float(c)) for c in k]
    # spinalized: the ratio of no-tone to resting-tone factors
    d0 = descending_factors(0.0, 0.0)
    ds_sp = descending_factors(0.0, 0.0, DescendingSpec(tone_scale=0.0))
    spinal = Condition(params=modulated_params(DEFAULT, CircuitModulation(
        release_factor=float(ds_sp.release_factor[0] / d0.release_factor[0]),
        postsyn_factor=float(ds_sp.postsyn_factor[0] / d0.postsyn_factor[0]))),
        label="spinalized")
    r = float(heat_to_c_rate(TEST_TEMPERATURE_C))
    out = spiking_steady(full + nmda_only + [spinal], c_rate_Hz=r, duration_ms=duration_ms,
                         seed=seed)
    n = k.size
    ds = xr.Dataset(
        {"net_occupancy": ("ketamine_uM", net, {"units": "1"}),
         "sert_occupancy": ("ketamine_uM", sert, {"units": "1"}),
         "ne_level": ("ketamine_uM", d.ne_level.values, {"units": "1"}),
         "ht_level": ("ketamine_uM", d.ht_level.values, {"units": "1"}),
         "inhibition_pct": ("ketamine_uM", d.inhibition_pct.values, {"units": "%"}),
         "out_full": ("ketamine_uM", out[:n], {"units": "spikes/s"}),
         "out_nmda_only": ("ketamine_uM", out[n:2 * n], {"units": "spikes/s"}),
         "nrs_full": ("ketamine_uM", nrs_from_output(out[:n], transfer), {"units": "NRS"}),
         "nrs_nmda_only": ("ketamine_uM", nrs_from_output(out[n:2 * n], transfer),
                           {"units": "NRS"})},
        coords={"ketamine_uM": ("ketamine_uM", k, {"units": "umol/L"})})
    ds.attrs.update(out_spinalized=float(out[-1]),
                    nrs_spinalized=float(nrs_from_output(out[-1], transfer)))
    return stamp(ds, model="m15-descending",
                 citations=[NISHIMURA1998, MILLAN2002, PERTOVAARA2006, KAWASAKI2003,
                            *PAIN_CITATIONS, *d.attrs["citations"].split(";")],
                 params={"ketamine_uM": list(map(float, k)), "duration_ms": float(duration_ms),
                         "seed": int(seed), "descending": asdict(DEFAULT_DESCENDING),
                         "transfer": asdict(transfer),
                         "temperature_c": TEST_TEMPERATURE_C}, seed=seed)


def _summary(ds: xr.Dataset) -> dict:
    k = ds.ketamine_uM.values
    full, only = ds.nrs_full.values, ds.nrs_nmda_only.values
    n0 = full[0]
    share = [float(100 * (o - f) / (n0 - f)) if (n0 - f) > 0.05 else float("nan")
             for f, o in zip(full, only, strict=True)]
    extra = ds.inhibition_pct.values - ds.inhibition_pct.values[0]
    i1 = int(np.argmin(np.abs(k - 1.0)))
    return {
        "ketamine_uM": [float(x) for x in k],
        "net_occupancy": [float(x) for x in ds.net_occupancy.values],
        "sert_occupancy": [float(x) for x in ds.sert_occupancy.values],
        "ne_level": [float(x) for x in ds.ne_level.values],
        "ht_level": [float(x) for x in ds.ht_level.values],
        "extra_inhibition_pct": [float(x) for x in extra],
        "nrs_full": [float(x) for x in full],
        "nrs_nmda_only": [float(x) for x in only],
        "descending_share_pct": share,
        "nrs_spinalized": ds.attrs["nrs_spinalized"],
        "at_1uM": {"ketamine_uM": float(k[i1]), "net_occupancy": float(ds.net_occupancy[i1]),
                   "extra_inhibition_pct": float(extra[i1]),
                   "nrs_full": float(full[i1]), "nrs_nmda_only": float(only[i1]),
                   "descending_share_pct": share[i1]},
    }


def summary(ds: xr.Dataset) -> dict:
    return json_clean(_summary(ds))


def figure(ds: xr.Dataset):
    s = summary(ds)
    k = np.asarray(s["ketamine_uM"])
    xk = np.where(k > 0, k, k[k > 0].min() / 3 if np.any(k > 0) else 0.1)
    fig = Figure(figsize=(13, 3.6))
    ax = fig.subplots(1, 3)
    ax[0].semilogx(xk, 100 * np.asarray(s["net_occupancy"]), "o-", label="NET")
    ax[0].semilogx(xk, 100 * np.asarray(s["sert_occupancy"]), "s-", label="SERT")
    ax[0].axvspan(0.3, 3, color="tab:green", alpha=0.1, label="analgesic free levels")
    ax[0].set(xlabel="free ketamine (uM; leftmost = 0)", ylabel="occupancy (%)",
              title="transporter occupancy")
    ax[0].legend(fontsize=7)
    ax[1].semilogx(xk, s["extra_inhibition_pct"], "o-")
    ax[1].axvspan(0.3, 3, color="tab:green", alpha=0.1)
    ax[1].set(xlabel="free ketamine (uM)", ylabel="extra descending inhibition (% points)",
              title="descending inhibition added")
    ax[2].semilogx(xk, s["nrs_nmda_only"], "o-", label="ketamine without reuptake effect")
    ax[2].semilogx(xk, s["nrs_full"], "s-", label="ketamine, full")
    ax[2].axhline(s["nrs_spinalized"], color="gray", ls=":", label="no descending tone")
    ax[2].axvspan(0.3, 3, color="tab:green", alpha=0.1)
    ax[2].set(xlabel="free ketamine (uM)", ylabel=f"pain {TEST_TEMPERATURE_C:g} degC (NRS)",
              title="contribution to analgesia")
    ax[2].legend(fontsize=7)
    fig.suptitle("M15: descending monoaminergic inhibition with ketamine's reuptake block")
    fig.tight_layout()
    return fig



def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    a = s["at_1uM"]
    k = s["ketamine_uM"]
    return {
        "shows": "Left: occupancy of the noradrenaline (NET) and serotonin (SERT) "
                 "transporters by free ketamine (green: analgesic free levels). Middle: the "
                 "descending inhibition this adds. Right: 47 degC pain with ketamine's full "
                 "action and without its reuptake part; the dotted line is pain with no "
                 "descending tone at all.",
        "numbers": [
            ("NET occupancy at 1 uM", 100 * a["net_occupancy"], "%"),
            ("descending inhibition added at 1 uM", a["extra_inhibition_pct"],
             "% points"),
            ("47 degC pain at 1 uM: full / without reuptake",
             f"{a['nrs_full']:.2f} / {a['nrs_nmda_only']:.2f}", "NRS"),
            (f"descending inhibition added at {k[-1]:g} uM", s["extra_inhibition_pct"][-1],
             "% points"),
            ("pain without descending tone (drug-free)", s["nrs_spinalized"], "NRS"),
        ],
        "comparisons": [
            ("NET occupancy at 1 uM", pct(a["net_occupancy"]), "1/(1 + 66.8) = 1.5 %",
             "nishimura_1998", abs(a["net_occupancy"] * 67.8 - 1) <= 0.02),
            ("reuptake share of analgesia at 1 uM", f"{a['extra_inhibition_pct']:.2f} % points",
             "weak (< 1 % point)", "seed claim M15", 0 < a["extra_inhibition_pct"] < 1.0),
            ("removing descending tone raises pain",
             f"NRS {s['nrs_spinalized']:.2f} vs {s['nrs_full'][0]:.2f}", "higher",
             "millan2002", s["nrs_spinalized"] >= s["nrs_full"][0]),
        ],
        "deviations": [
            "Only NET and SERT occupancy is modelled (no alpha-2 or 5-HT receptor "
            "subtypes); the size of descending inhibition is an estimate.",
        ],
    }


register("m15-descending", claim="M15",
         title="Descending NE/5-HT inhibition: ketamine's reuptake block, size shown honestly",
         run=run, figure=figure, summary=summary,
         story=story)
