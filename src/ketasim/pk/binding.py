"""Plasma free (unbound) fractions, for layers that need free concentrations in umol/L.

Values are typical adult fractions at clinical concentrations. They are tagged [M] where we
could not re-read the source within this issue: treat them as documented defaults and
override ``fu`` where better data exist.

| drug | fu | source |
|---|---|---|
| ketamine | 0.53 | Dayton 1983 (~47 % bound in human plasma) [M]; later in vitro: 0.65-0.71 |
| norketamine | 0.53 | no human value found: assumed equal to ketamine (ketasim assumption) |
| propofol | 0.015 | Mazoit & Samii 1999 (~98.5 % bound in plasma) [M] |
| thiopental | 0.15 | Burch & Stanski 1983 (~85 % bound) [M] |
| fentanyl | 0.16 | Meuldermans 1982 (~84 % bound) [M] |
| remifentanil | 0.30 | Egan 1993 (~70 % bound) [M] |
| morphine | 0.65 | Olsen 1975 (~35 % bound) [M] |
"""

from __future__ import annotations

import numpy as np

from ketasim.core.errors import UnknownNameError
from ketasim.core.units import MOLAR_MASS
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
}


def free_fraction(drug: str) -> float:
    """Unbound fraction in plasma (dimensionless).

    Examples
    --------
    >>> free_fraction("ketamine")
    0.53
    """
    key = str(drug).strip().lower().replace("_", "-")
    if key not in FREE_FRACTION:
        raise UnknownNameError("drug", drug, f"one of {sorted(FREE_FRACTION)}")
    return FREE_FRACTION[key][0]


def molar_mass(drug: str) -> float:
    """g/mol of the species (S-enantiomers share the racemate's molar mass)."""
    key = str(drug).strip().lower().replace("_", "-").removeprefix("s-")
    return MOLAR_MASS[key]


def free_concentration_umol(c_ng_ml, drug: str, fu: float | None = None):
    """Free concentration in umol/L from a total plasma concentration in ng/mL.

    Works on numbers, numpy arrays and xarray DataArrays (e.g. ``ds["ketamine_plasma"]``).

    Examples
    --------
    >>> round(float(free_concentration_umol(237.73, "ketamine")), 3)
    0.53
    """
    f = free_fraction(drug) if fu is None else float(fu)
    out = np.multiply(c_ng_ml, f / molar_mass(drug))
    if hasattr(out, "attrs"):
        out.attrs.update(units="umol/L", long_name=f"free {drug} (fu={f})")
    return out
