"""Plasma free (unbound) fractions, for layers that need free concentrations in umol/L.

Values are typical adult fractions at clinical concentrations. They are tagged
[secondary] where we took them as reported elsewhere and did not re-read the primary
source: treat them as documented defaults and override ``fu`` where better data exist.

| drug | fu | source |
|---|---|---|
| ketamine | 0.53 | Dayton 1983 (~47 % bound in plasma) [secondary]; in vitro: 0.65-0.71 |
| norketamine | 0.53 | no human value found: assumed equal to ketamine (ketasim assumption) |
| propofol | 0.015 | Mazoit & Samii 1999 (~98.5 % bound in plasma) [secondary] |
| thiopental | 0.15 | Burch & Stanski 1983 (~85 % bound) [secondary] |
| fentanyl | 0.16 | Meuldermans 1982 (~84 % bound) [secondary] |
| remifentanil | 0.30 | Egan 1993 (~70 % bound) [secondary] |
| morphine | 0.65 | Olsen 1975 (~35 % bound) [secondary] |
| midazolam | 0.03 | Hanke 2018 PBPK input [verified in the OSP model file]; Allonen 1981: 0.06 |
"""

from __future__ import annotations

import numpy as np

from ketasim.core.errors import InputError, UnknownNameError
from ketasim.core.units import MOLAR_MASS
from ketasim.core.validation import TEXT, Interval, NoneOK, validate_params
from ketasim.pk import sources as S

FREE_FRACTION = {
    "ketamine": (0.53, S.DAYTON),
    "s-ketamine": (0.53, S.DAYTON),
    "norketamine": (0.53, S.DAYTON),  # assumption: as ketamine
    "s-norketamine": (0.53, S.DAYTON),
    "propofol": (0.015, S.MAZOIT),
    "thiopental": (0.15, S.BURCH),
    "fentanyl": (0.16, S.MEULDERMANS),
    "remifentanil": (0.30, S.EGAN),
    "morphine": (0.65, S.OLSEN),
    "midazolam": (0.03, S.HANKE2018),
}


@validate_params({"drug": TEXT})
def free_fraction(drug: str) -> float:
    """Unbound fraction in plasma (dimensionless).

    Examples
    --------
    >>> free_fraction("ketamine")
    0.53
    """
    if not isinstance(drug, str):
        raise UnknownNameError("drug", drug, f"one of {sorted(FREE_FRACTION)}")
    key = drug.strip().lower().replace("_", "-")
    if key not in FREE_FRACTION:
        raise UnknownNameError("drug", drug, f"one of {sorted(FREE_FRACTION)}")
    return FREE_FRACTION[key][0]


def molar_mass(drug: str) -> float:
    """g/mol of the species (S-enantiomers share the racemate's molar mass)."""
    key = str(drug).strip().lower().replace("_", "-").removeprefix("s-")
    return MOLAR_MASS[key]


@validate_params({"drug": TEXT, "fu": (Interval(0, 1, closed="right"), NoneOK())})
def free_concentration_umol(c_ng_ml, drug: str, fu: float | None = None):
    """Free concentration in umol/L from a total plasma concentration in ng/mL.

    Works on numbers, quantities (``"237.73 ng/mL"``), numpy arrays and xarray DataArrays
    (e.g. ``ds["ketamine_plasma_ng_mL"]``); ``fu`` in (0, 1] overrides the free fraction.

    Examples
    --------
    >>> round(float(free_concentration_umol(237.73, "ketamine")), 3)
    0.53
    >>> round(float(free_concentration_umol("0.23773 ug/mL", "ketamine")), 3)
    0.53
    """
    from ketasim.core.units import as_float
    from ketasim.core.validation import Interval, check

    f = free_fraction(drug) if fu is None else check("fu", fu, Interval(0, 1, closed="right"))
    if isinstance(c_ng_ml, str) or type(c_ng_ml).__module__.startswith("pint"):
        c_ng_ml = as_float(c_ng_ml, "c_ng_ml", "ng/mL", allowed="a concentration in ng/mL")
    try:
        vals = np.asarray(getattr(c_ng_ml, "values", c_ng_ml), dtype=float)
    except (TypeError, ValueError):
        raise InputError("c_ng_ml", type(c_ng_ml).__name__, "numbers in ng/mL (scalar, "
                         "array or DataArray) or a quantity such as '200 ng/mL'") from None
    bad = ~np.isfinite(vals) | (vals < 0)
    if np.any(bad):
        raise InputError("c_ng_ml", float(vals[bad].ravel()[0]),
                         "finite concentrations >= 0 ng/mL")
    out = np.multiply(c_ng_ml, float(f) / molar_mass(drug))
    if hasattr(out, "attrs"):
        out.attrs.update(units="umol/L", long_name=f"free {drug} (fu={f})")
    return out
