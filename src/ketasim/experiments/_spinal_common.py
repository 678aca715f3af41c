"""Helpers shared by the spinal wind-up experiments (m08, m10, m01)."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ketasim.core.provenance import stamp
from ketasim.core.validation import Interval

# constraints shared by the run functions' @validate_params
N_STIMULI = Interval(1, 1000, integer=True)
FREQ_HZ = Interval(0, 1000, closed="right")
SEED = Interval(0, 2**63 - 1, integer=True)
LEVEL_UM = Interval(0, 1e4)
INTENSITY = Interval(0, 100)


def windup_metrics(resp: np.ndarray) -> dict:
    """First, last, ratio (last/first) and absolute wind-up sum_i (r_i - r_1) (cuellar2005).

    >>> windup_metrics([4, 6, 11])["absolute_windup"]
    9.0
    """
    r = np.asarray(resp, float)
    r = r[np.isfinite(r)]
    first, last = float(r[0]), float(r[-1])
    return {"first": first, "last": last,
            "ratio": (last / first) if first > 0 else None,
            "absolute_windup": float(np.sum(r - r[0]))}


def stamp_experiment(out: xr.Dataset, runs: list[xr.Dataset], experiment: str, params: dict,
                     citations=(), seed: int | None = None) -> xr.Dataset:
    """Stamp an experiment's result with its own inputs, the complete inputs of every
    `ketasim.spinal.simulate` call it made (``runs``) and the union of their citations."""
    cites = list(citations)
    for r in runs:
        cites += [k for k in r.attrs.get("citations", "").split(";") if k]
    out.attrs.pop("citations", None)
    return stamp(out, model=f"ketasim experiment {experiment} (spinal WDR circuit)",
                 citations=cites,
                 params={"experiment": experiment, "run": params,
                         "simulate": [json.loads(r.attrs["params"]) for r in runs]},
                 seed=seed)
