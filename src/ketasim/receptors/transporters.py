"""Monoamine transporter (NET, SERT, DAT) occupancy by ketamine.

Occupancy ``c / (c + Ki)`` at the free ketamine concentration (uM), racemic Ki from HEK-293
cells expressing the human transporters: NET 66.8, DAT 62.9, SERT 162 uM [nishimura_1998];
no stereoselectivity at NET/SERT (Nishimura & Sato 1999, not checked at the source [secondary]).
Hara 1998 found non-competitive inhibition of bovine NAT (IC50 97 uM); a Ki-based occupancy is
then also the fractional inhibition. Norketamine transporter affinities were not found; none
is modelled. At analgesic free concentrations (~0.5-2 uM) occupancy is ~1-3 % (NET) and <1 %
(SERT): the effect is real but weak, shown honestly in m15-transporters.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ketasim.core.errors import UnknownNameError
from ketasim.core.units import as_float, as_floats
from ketasim.core.validation import NONNEG, TEXT, check_finite, validate_params
from ketasim.receptors import sources as S

KI_UM = {"NET": 66.8, "DAT": 62.9, "SERT": 162.0}  # [nishimura_1998]
CITATIONS = (S.NISHIMURA_1998,)


@njit(cache=True)
def occupancy_nb(c_uM, ki_uM):
    """Simple one-site occupancy.

    Examples
    --------
    >>> occupancy_nb(162.0, KI_UM["SERT"])
    0.5
    """
    return c_uM / (c_uM + ki_uM)


@validate_params({"transporter": TEXT})
def transporter_occupancy(ketamine_uM, transporter: str = "NET"):
    """Fractional occupancy (= inhibition) of a monoamine transporter by ketamine.

    Examples
    --------
    >>> round(float(transporter_occupancy(66.8, "NET")), 2)
    0.5
    """
    if transporter not in KI_UM:
        raise UnknownNameError("transporter", transporter, f"one of {sorted(KI_UM)}")
    if isinstance(ketamine_uM, str) or np.ndim(ketamine_uM) == 0:
        c = as_float(ketamine_uM, "ketamine_uM", "uM", NONNEG)
    else:
        c = as_floats(ketamine_uM, "ketamine_uM", "uM", NONNEG).reshape(np.shape(ketamine_uM))
    out = c / (c + KI_UM[transporter])
    check_finite("transporter_occupancy", out)
    return out
