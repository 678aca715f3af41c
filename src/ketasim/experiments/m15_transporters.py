"""M15 (receptor side): ketamine occupies NET/SERT weakly, shown honestly.

Occupancy of the noradrenaline (NET), serotonin (SERT) and dopamine (DAT) transporters,
c/(c + Ki) with Nishimura 1998's Ki (66.8, 162, 62.9 uM), next to the equilibrium NMDA block
of the same free ketamine concentration (20-state model, saturating glutamate: -60 mV and
-30 mV (an active, depolarised neuron) in 1 mM Mg2+, and -60 mV in 0 Mg2+ as the upper
bound; block = fraction of the current flowing in the same Mg2+ that ketamine removes). In
1 mM Mg2+ at rest Mg2+ out-competes ketamine, so at analgesic levels the NMDA block of a
resting channel is of the same small size as NET occupancy: ketamine's NMDA action needs
use and depolarisation (M10), its transporter action does not, and both are weak.
Shaded: free concentrations in analgesic (~0.1-1 uM) and anaesthetic (~5-20 uM) use
[M, order of magnitude; total plasma 0.1-0.2 and 1-5 ug/mL, 1 ug/mL = 4.21 uM, about half free].

Summary keys:
- ``net_at``, ``sert_at``, ``dat_at``: {uM: occupancy} at 0.5, 1, 10 uM
- ``nmda_block_1mg_at``, ``nmda_block_1mg_active_at``, ``nmda_block_0mg_at``: {uM: equilibrium
  block} at the same points (-60 mV / -30 mV in 1 mM Mg2+, -60 mV in 0 Mg2+)
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from ketasim.core.provenance import stamp
from ketasim.experiments.registry import register
from ketasim.receptors import nmda as N
from ketasim.receptors import transporters as T

POINTS = (0.5, 1.0, 10.0)


def run(c_min: float = 0.01, c_max: float = 1000.0, n: int = 61, v_mV: float = -60.0,
        v_active: float = -30.0) -> xr.Dataset:
    c = np.unique(np.concatenate([np.geomspace(c_min, c_max, n), POINTS]))
    occ = np.array([T.transporter_occupancy(c, k) for k in ("NET", "SERT", "DAT")])
    # ketamine's block of the current flowing in the same Mg2+ (not counting the Mg2+ block)
    conds = ((v_mV, 1.0), (v_active, 1.0), (v_mV, 0.0))
    nm = np.array([1 - (1 - N.nmda_steady_state_block(v, 1000.0, m, c))
                   / (1 - N.nmda_steady_state_block(v, 1000.0, m, 0.0)) for v, m in conds])
    ds = xr.Dataset(
        {"occupancy": (("transporter", "ketamine"), occ, {"units": "1"}),
         "nmda_block": (("nmda_cond", "ketamine"), nm, {"units": "1"})},
        coords={"transporter": ["NET", "SERT", "DAT"],
                "nmda_cond": [f"{v:g} mV, {m:g} mM Mg2+" for v, m in conds],
                "ketamine": ("ketamine", c, {"units": "umol/L"})})
    ds.attrs.update(v_mV=v_mV, v_active=v_active)
    return stamp(ds, model="m15-transporters", citations=(*T.CITATIONS,
                 *N.NMDAParams().citations), params=dict(c_min=c_min, c_max=c_max, n=n,
                                                         v_mV=v_mV))


def summary(ds: xr.Dataset) -> dict:
    def at(da):
        return {f"{p:g}": round(float(da.sel(ketamine=p)), 4) for p in POINTS}
    return {"net_at": at(ds.occupancy.sel(transporter="NET")),
            "sert_at": at(ds.occupancy.sel(transporter="SERT")),
            "dat_at": at(ds.occupancy.sel(transporter="DAT")),
            "nmda_block_1mg_at": at(ds.nmda_block.isel(nmda_cond=0)),
            "nmda_block_1mg_active_at": at(ds.nmda_block.isel(nmda_cond=1)),
            "nmda_block_0mg_at": at(ds.nmda_block.isel(nmda_cond=2))}


def figure(ds: xr.Dataset):
    fig, ax = plt.subplots(figsize=(7, 4.2))
    c = ds.ketamine.values
    for t in ds.transporter.values:
        ax.semilogx(c, ds.occupancy.sel(transporter=t), label=f"{t} occupancy (Nishimura 1998)")
    for k, ls in enumerate(("k-", "k-.", "k:")):
        ax.semilogx(c, ds.nmda_block.isel(nmda_cond=k), ls,
                    label=f"NMDA block, {ds.nmda_cond.values[k]}")
    ax.axvspan(0.1, 1.0, color="g", alpha=0.1, label="analgesic (free, approx.)")
    ax.axvspan(5.0, 20.0, color="r", alpha=0.1, label="anaesthetic (free, approx.)")
    ax.set(xlabel="free ketamine (uM)", ylabel="occupancy / block", ylim=(0, 1),
           title="Monoamine transporters: weak at analgesic levels")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


register("m15-transporters", claim="M15", title="NET/SERT/DAT occupancy by ketamine, shown "
         "next to its NMDA block", run=run, figure=figure, summary=summary)
