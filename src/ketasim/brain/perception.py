"""Perceived pain: the spinal pain signal as the cortex reports it.

Input: the pain intensity the spinal projection output encodes (0-10 NRS from
`ketasim.clinical.pain.nrs_from_output`, calibrated drug-free) and the cortical state at
that moment (`ketasim.brain.maps.cortical_state`: ``responsiveness``, ``dissociation``).
The rule, ours [estimate] [ketasim_emergence_estimate]:

* **no report** when the cortex is unresponsive: ``responsiveness < 0.5`` (the threshold of
  `ketasim.brain.emergence`). The perceived NRS is then NaN and ``reports`` is False; NaN,
  not 0, because an unresponsive patient does not say "no pain": nothing is reported, and
  the spinal signal may still be large (propofol/thiopental: M1).
* **responsiveness scales the report**: ``perceived = NRS_spinal * responsiveness * (1 -
  0.5 * dissociation)``. A sedated but responsive cortex (responsiveness 0.5-1) represents
  a fraction of the input; dissociation (awake-like activity with broken integration)
  halves the report at its maximum, the "distant", detached pain described under
  dissociative doses. The factor 0.5 is our estimate; no dose-response data calibrate it.

How much of low-dose analgesia comes from here: `analgesia_split` divides the NRS
reduction into a spinal part (the spinal signal falls) and a cortical part (the same spinal
signal is reported lower), from the drug-free and drugged cortical states.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from ketasim.brain.emergence import OWN_ESTIMATE
from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.validation import (
    Instance,
    Interval,
    NoneOK,
    check_fields,
    validate_params,
)


@dataclass(frozen=True)
class PerceptionSpec:
    """Parameters of the perceived-pain rule (module docstring; [estimate]).

    Examples
    --------
    >>> PerceptionSpec().responsive, PerceptionSpec().dissociation_weight
    (0.5, 0.5)
    """

    responsive: float = 0.5           # below: no report [estimate]
    dissociation_weight: float = 0.5  # report x (1 - w * dissociation) [estimate]

    def __post_init__(self):
        check_fields(self, {"responsive": Interval(0, 1, closed="neither"),
                            "dissociation_weight": Interval(0, 1)},
                     prefix="PerceptionSpec.")


DEFAULT_PERCEPTION = PerceptionSpec()
_ARR = Instance(int, float, np.ndarray, list, tuple, xr.DataArray)


def _arr(field: str, x, lo: float, hi: float, nan_ok: bool = False) -> xr.DataArray:
    try:
        a = x.astype(float) if isinstance(x, xr.DataArray) else xr.DataArray(
            np.asarray(x, dtype=float))
    except (TypeError, ValueError):
        raise InputError(field, type(x).__name__, "numbers (array or DataArray)") from None
    v = a.values
    bad = ~np.isfinite(v) if not nan_ok else np.isinf(v)
    with np.errstate(invalid="ignore"):
        bad |= (v < lo) | (v > hi)
    if np.any(bad):
        i = int(np.argmax(bad.ravel()))
        raise InputError(f"{field}[{i}]" if v.ndim else field, float(v.ravel()[i]),
                         f"a number in [{lo:g}, {hi:g}]" + (" or NaN" if nan_ok else ""))
    return a


def _perceived(nrs, resp, dis, spec):
    reports = resp >= spec.responsive
    val = nrs * resp * (1.0 - spec.dissociation_weight * dis)
    val, reports = xr.broadcast(val, reports)
    return val.where(reports), reports


@validate_params({"nrs": _ARR, "responsiveness": _ARR, "dissociation": _ARR,
                  "spec": (NoneOK(), Instance(PerceptionSpec))})
def perceived_pain(nrs, responsiveness, dissociation=0.0,
                   spec: PerceptionSpec | None = None) -> xr.Dataset:
    """Perceived pain (0-10 NRS, NaN = no report) from the spinal NRS and the cortical state.

    Parameters
    ----------
    nrs : number, array or DataArray
        Spinal pain signal as NRS 0-10 (NaN allowed: passed through).
    responsiveness, dissociation : number, array or DataArray (0-1)
        Cortical state; broadcast against ``nrs`` (DataArrays by dimension name).
    spec : PerceptionSpec, optional

    Returns
    -------
    xarray.Dataset with ``perceived_nrs`` (NaN where no report) and ``reports`` (bool).

    Examples
    --------
    >>> ds = perceived_pain([6.0, 6.0, 6.0], [1.0, 0.8, 0.2], [0.0, 0.5, 0.0])
    >>> ds.perceived_nrs.values.round(2).tolist(), ds.reports.values.tolist()
    ([6.0, 3.6, nan], [True, True, False])
    """
    spec = spec or DEFAULT_PERCEPTION
    nrs_a = _arr("nrs", nrs, 0.0, 10.0, nan_ok=True)
    resp = _arr("responsiveness", responsiveness, 0.0, 1.0)
    dis = _arr("dissociation", dissociation, 0.0, 1.0)
    val, rep = _perceived(nrs_a, resp, dis, spec)
    out = xr.Dataset({"perceived_nrs": val.assign_attrs(units="NRS 0-10",
                                                        long_name="perceived pain"),
                      "reports": rep})
    return stamp(out, model="ketasim.brain.perception", citations=[OWN_ESTIMATE],
                 params={"spec": asdict(spec)})


@validate_params({"nrs_drug_free": _ARR, "nrs_spinal_drug": _ARR,
                  "responsiveness": _ARR, "dissociation": _ARR,
                  "responsiveness_awake": Interval(0, 1), "dissociation_awake": Interval(0, 1),
                  "spec": (NoneOK(), Instance(PerceptionSpec))})
def analgesia_split(nrs_drug_free, nrs_spinal_drug, responsiveness, dissociation=0.0,
                    responsiveness_awake: float = 1.0, dissociation_awake: float = 0.0,
                    spec: PerceptionSpec | None = None) -> xr.Dataset:
    """Split the reduction of perceived pain into a spinal and a cortical part.

    ``perceived(nrs, state)`` is `perceived_pain`'s rule. With P0 = perceived(drug-free NRS,
    awake state), Ps = perceived(drugged spinal NRS, awake state) and P = perceived(drugged
    spinal NRS, drugged state): spinal part P0 - Ps, cortical part Ps - P, total P0 - P,
    ``cortical_fraction`` = cortical / total (NaN when the total is 0 or there is no
    report).

    Parameters
    ----------
    nrs_drug_free, nrs_spinal_drug : numbers/arrays/DataArrays (NRS 0-10)
        Spinal NRS without and with the drug.
    responsiveness, dissociation : cortical state with the drug (0-1).
    responsiveness_awake, dissociation_awake : float
        Drug-free cortical state (default 1 and 0).
    spec : PerceptionSpec, optional

    Returns
    -------
    xarray.Dataset: ``perceived_drug_free``, ``perceived``, ``spinal_part``,
    ``cortical_part``, ``total_reduction``, ``cortical_fraction``.

    Examples
    --------
    >>> s = analgesia_split(6.0, 5.0, 0.9, 0.2)
    >>> round(float(s.spinal_part), 2), round(float(s.cortical_part), 2)
    (1.0, 0.95)
    >>> round(float(s.cortical_fraction), 2)
    0.49
    """
    spec = spec or DEFAULT_PERCEPTION
    n0 = _arr("nrs_drug_free", nrs_drug_free, 0.0, 10.0)
    n1 = _arr("nrs_spinal_drug", nrs_spinal_drug, 0.0, 10.0)
    resp = _arr("responsiveness", responsiveness, 0.0, 1.0)
    dis = _arr("dissociation", dissociation, 0.0, 1.0)
    ra = xr.DataArray(float(responsiveness_awake))
    da = xr.DataArray(float(dissociation_awake))
    p0, _ = _perceived(n0, ra, da, spec)
    ps, _ = _perceived(n1, ra, da, spec)
    p, _ = _perceived(n1, resp, dis, spec)
    total = p0 - p
    frac = ((ps - p) / total).where(np.abs(total) > 1e-12)
    out = xr.Dataset({"perceived_drug_free": p0, "perceived": p, "spinal_part": p0 - ps,
                      "cortical_part": ps - p, "total_reduction": total,
                      "cortical_fraction": frac})
    for v in out.data_vars:
        out[v].attrs["units"] = "1" if v == "cortical_fraction" else "NRS 0-10"
    return stamp(out, model="ketasim.brain.perception.analgesia_split",
                 citations=[OWN_ESTIMATE], params={"spec": asdict(spec),
                                                   "responsiveness_awake": responsiveness_awake,
                                                   "dissociation_awake": dissociation_awake})
