"""AMPA receptor: fast, desensitising three-state kinetic scheme.

``C --a[Glu]--> O --kdes--> D --krec--> C`` and ``O --b--> C``. Binding/closing are Destexhe,
Mainen & Sejnowski's two-state AMPA rates [destexhe_mainen_sejnowski_1998]; desensitisation
and recovery are our estimates [ketasim_receptors_estimate] chosen for a ~10 ms onset of
desensitisation in saturating glutamate and ~100 ms recovery (typical of native AMPA
receptors; not fitted). E_rev 0 mV. Units ms, uM, mV, nS, pA. No drug of the mission acts on
AMPA directly in the model (ketamine's AMPA effects are downstream and out of scope).

Kernel API (njit)::

    q = ampa_params_array(AMPAParams())        # float64[5]
    x = ampa_rest_state()                       # float64[3]: C, O, D
    ampa_step(x, dt_ms, glu_uM, q)              # backward Euler, in place
    i = ampa_current(x, v_mV, gmax_nS, q)       # pA
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ketasim.core.errors import InputError
from ketasim.core.validation import POSITIVE, VOLTAGE_MV, check_fields
from ketasim.receptors import sources as S


@dataclass(frozen=True)
class AMPAParams:
    """AMPA rates. Examples: ``AMPAParams().beta`` -> 0.19 (/ms).

    Examples
    --------
    >>> AMPAParams().beta
    0.19
    """

    alpha: float = 1.1e-3   # /uM/ms (1.1 /mM/ms) [destexhe_mainen_sejnowski_1998]
    beta: float = 0.19      # /ms [destexhe_mainen_sejnowski_1998]
    kdes: float = 0.1       # /ms, own estimate [ketasim_receptors_estimate]
    krec: float = 0.01      # /ms, own estimate [ketasim_receptors_estimate]
    e_rev: float = 0.0      # mV [destexhe_mainen_sejnowski_1998]
    citations: tuple = (S.DESTEXHE_1996, S.OWN_ESTIMATE)

    def __post_init__(self):
        check_fields(self, {"alpha": POSITIVE, "beta": POSITIVE, "kdes": POSITIVE,
                            "krec": POSITIVE, "e_rev": VOLTAGE_MV}, prefix="AMPAParams.")


def ampa_params_array(p: AMPAParams | None = None) -> np.ndarray:
    """Pack `AMPAParams` for the kernels.

    Examples
    --------
    >>> ampa_params_array().shape
    (5,)
    """
    if p is not None and not isinstance(p, AMPAParams):
        raise InputError("p", p, "an AMPAParams or None")
    p = p or AMPAParams()
    return np.array([p.alpha, p.beta, p.kdes, p.krec, p.e_rev])


@njit(cache=True)
def ampa_rest_state():
    """All receptors closed and resensitised.

    Examples
    --------
    >>> ampa_rest_state().tolist()
    [1.0, 0.0, 0.0]
    """
    x = np.zeros(3)
    x[0] = 1.0
    return x


@njit(cache=True)
def ampa_step(x, dt_ms, glu_uM, q):
    """Advance (C, O, D) in place by backward Euler (exact sum, non-negative).

    Examples
    --------
    >>> x = ampa_rest_state(); ampa_step(x, 1.0, 1000.0, ampa_params_array())
    >>> bool(x[1] > 0.4 and abs(x.sum() - 1) < 1e-12)
    True
    """
    a = q[0] * glu_uM * dt_ms
    b = q[1] * dt_ms
    kd = q[2] * dt_ms
    kr = q[3] * dt_ms
    # (I - dt Q) y = x with Q columns: C: -a, +a ; O: +b, -(b+kd), +kd ; D: +kr, -kr
    # solve via elimination of D then C
    c0, o0, d0 = x[0], x[1], x[2]
    # D: (1+kr) D = d0 + kd O  -> D = (d0 + kd O)/(1+kr)
    # C: (1+a) C = c0 + b O + kr D
    # O: (1+b+kd) O = o0 + a C
    # substitute: C = (c0 + b O + kr (d0 + kd O)/(1+kr)) / (1+a)
    r = 1.0 / (1.0 + kr)
    c_const = (c0 + kr * d0 * r) / (1.0 + a)
    c_slope = (b + kr * kd * r) / (1.0 + a)
    o = (o0 + a * c_const) / (1.0 + b + kd - a * c_slope)
    c = c_const + c_slope * o
    d = (d0 + kd * o) * r
    s = c + o + d
    x[0] = c / s
    x[1] = o / s
    x[2] = d / s


@njit(cache=True)
def ampa_current(x, v_mV, gmax_nS, q):
    """AMPA current in pA (negative inward).

    Examples
    --------
    >>> import numpy as np
    >>> ampa_current(np.array([0.0, 1.0, 0.0]), -70.0, 2.0, ampa_params_array())
    -140.0
    """
    return gmax_nS * x[1] * (v_mV - q[4])
