"""M15 (receptor side): ketamine occupies NET/SERT weakly, shown honestly.

Occupancy of the noradrenaline (NET), serotonin (SERT) and dopamine (DAT) transporters, c/(c
+ Ki) with Nishimura 1998's Ki (66.8, 162, 62.9 uM), next to the equilibrium NMDA block of
the same free ketamine concentration (20-state model, saturating glutamate: -60 mV and -30
mV (an active, depolarised neuron) in 1 mM Mg2+, and -60 mV in 0 Mg2+ as the upper bound;
block = fraction of the current flowing in the same Mg2+ that ketamine removes). In 1 mM
Mg2+ at rest Mg2+ out-competes ketamine, so at analgesic levels the NMDA block of a resting
channel is of the same small size as NET occupancy: ketamine's NMDA action needs use and
depolarisation (M10), its transporter action does not, and both are weak. Shaded: free
concentrations in analgesic (~0.1-1 uM) and anaesthetic (~5-20 uM) use [estimate, order of
magnitude; total plasma 0.1-0.2 and 1-5 ug/mL, 1 ug/mL = 4.21 uM, about half free].

Summary keys:
- ``net_at``, ``sert_at``, ``dat_at``: {uM: occupancy} at 0.5, 1, 10 uM
- ``nmda_block_1mg_at``, ``nmda_block_1mg_active_at``, ``nmda_block_0mg_at``: {uM: equilibrium
  block} at the same points (-60 mV / -30 mV in 1 mM Mg2+, -60 mV in 0 Mg2+)
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.validation import Interval, check_finite, validate_params
from ketasim.experiments._story import pct
from ketasim.experiments.registry import register
from ketasim.receptors import nmda as N
from ketasim.receptors import transporters as T

POINTS = (0.5, 1.0, 10.0)


@validate_params({"ketamine_min_uM": Interval(0, 1e6, closed="right"),
                  "ketamine_max_uM": Interval(0, 1e6, closed="right"),
                  "n_points": Interval(2, 10_000, integer=True),
                  "voltage_mV": Interval(-200, 200), "voltage_active_mV": Interval(-200, 200)})
def run(ketamine_min_uM: float = 0.01, ketamine_max_uM: float = 1000.0, n_points: int = 61,
        voltage_mV: float = -60.0, voltage_active_mV: float = -30.0) -> xr.Dataset:
    if ketamine_max_uM <= ketamine_min_uM:
        raise InputError("ketamine_max_uM", ketamine_max_uM,
                         f"a concentration above ketamine_min_uM={ketamine_min_uM:g}")
    c = np.unique(np.concatenate([np.geomspace(ketamine_min_uM, ketamine_max_uM, n_points),
                                  POINTS]))
    occ = np.array([T.transporter_occupancy(c, k) for k in ("NET", "SERT", "DAT")])
    # ketamine's block of the current flowing in the same Mg2+ (not counting the Mg2+ block)
    conds = ((voltage_mV, 1.0), (voltage_active_mV, 1.0), (voltage_mV, 0.0))
    nm = np.array([1 - (1 - N.nmda_steady_state_block(v, 1000.0, m, c))
                   / (1 - N.nmda_steady_state_block(v, 1000.0, m, 0.0)) for v, m in conds])
    check_finite("nmda_block", nm)
    ds = xr.Dataset(
        {"occupancy": (("transporter", "ketamine_uM"), occ, {"units": "1"}),
         "nmda_block": (("condition", "ketamine_uM"), nm, {"units": "1"})},
        coords={"transporter": ["NET", "SERT", "DAT"],
                "condition": [f"{v:g} mV, {m:g} mM Mg2+" for v, m in conds],
                "voltage_mV": ("condition", [v for v, _ in conds], {"units": "mV"}),
                "mg_mM": ("condition", [m for _, m in conds], {"units": "mmol/L"}),
                "ketamine_uM": ("ketamine_uM", c, {"units": "umol/L"})})
    ds.attrs.update(voltage_mV=voltage_mV, voltage_active_mV=voltage_active_mV)
    return stamp(ds, model="m15-transporters", citations=(*T.CITATIONS,
                 *N.NMDAParams().citations),
                 params=dict(ketamine_min_uM=ketamine_min_uM, ketamine_max_uM=ketamine_max_uM,
                             n_points=n_points, voltage_mV=voltage_mV,
                             voltage_active_mV=voltage_active_mV, glutamate_uM=1000.0,
                             ki_uM=T.KI_UM, nmda=N.NMDAParams().to_dict()))


def summary(ds: xr.Dataset) -> dict:
    def at(da):
        return {f"{p:g}": round(float(da.sel(ketamine_uM=p)), 4) for p in POINTS}
    return {"net_at": at(ds.occupancy.sel(transporter="NET")),
            "sert_at": at(ds.occupancy.sel(transporter="SERT")),
            "dat_at": at(ds.occupancy.sel(transporter="DAT")),
            "nmda_block_1mg_at": at(ds.nmda_block.isel(condition=0)),
            "nmda_block_1mg_active_at": at(ds.nmda_block.isel(condition=1)),
            "nmda_block_0mg_at": at(ds.nmda_block.isel(condition=2))}


def figure(ds: xr.Dataset):
    fig = Figure(figsize=(10, 4.4))
    ax = fig.subplots()
    c = ds.ketamine_uM.values
    for t in ds.transporter.values:
        ax.semilogx(c, ds.occupancy.sel(transporter=t), label=f"{t} occupancy (Nishimura 1998)")
    for k, ls in enumerate(("k-", "k-.", "k:")):
        ax.semilogx(c, ds.nmda_block.isel(condition=k), ls,
                    label=f"NMDA block, {ds.condition.values[k]}")
    ax.axvspan(0.1, 1.0, color="g", alpha=0.1, label="analgesic (free, approx.)")
    ax.axvspan(5.0, 20.0, color="r", alpha=0.1, label="anaesthetic (free, approx.)")
    ax.set(xlabel="free ketamine (uM)", ylabel="occupancy / block", ylim=(0, 1),
           title="Monoamine transporters: weak at analgesic levels")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    return fig



def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    return {
        "shows": "Occupancy of the NET, SERT and DAT transporters against free ketamine, "
                 "next to the NMDA block of the same concentration at rest (-60 mV) and in "
                 "an active neuron (-30 mV) in 1 mM Mg2+, and without Mg2+ (the upper bound). "
                 "Shaded: analgesic and anaesthetic free levels.",
        "numbers": [
            ("NET / SERT occupancy at 1 uM",
             f"{pct(s['net_at']['1'])} / {pct(s['sert_at']['1'])}", ""),
            ("NMDA block at 1 uM, -60 mV, 1 mM Mg2+", 100 * s["nmda_block_1mg_at"]["1"], "%"),
            ("NMDA block at 1 uM, -30 mV, 1 mM Mg2+", 100 * s["nmda_block_1mg_active_at"]["1"],
             "%"),
            ("NMDA block at 1 uM, no Mg2+", 100 * s["nmda_block_0mg_at"]["1"], "%"),
            ("NET occupancy at 10 uM", 100 * s["net_at"]["10"], "%"),
        ],
        "comparisons": [
            ("NET occupancy at 1 uM", pct(s["net_at"]["1"]), "1/67.8 = 1.5 %",
             "nishimura_1998", abs(s["net_at"]["1"] * 67.8 - 1) <= 0.01),
            ("SERT occupancy at 1 uM", pct(s["sert_at"]["1"]), "1/163 = 0.6 %",
             "nishimura_1998", abs(s["sert_at"]["1"] * 163 - 1) <= 0.02),
            ("transporters weak at analgesic levels", f"NET {pct(s['net_at']['10'])} at 10 uM",
             "< 15 %", "seed claim M15", s["net_at"]["10"] < 0.15),
        ],
        "deviations": [
            "Occupancy is c/(c + Ki) at equilibrium; no transporter kinetics.",
        ],
    }


register("m15-transporters", claim="M15", title="NET/SERT/DAT occupancy by ketamine, shown "
         "next to its NMDA block", run=run, figure=figure, summary=summary,
         story=story)
