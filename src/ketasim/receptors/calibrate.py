"""Reproducible fit of ketamine's NMDA rates to Mealing et al. 1999 (the only fit in the layer).

Fitted: ``ket_koff0``, ``ket_kd0`` (open-state affinity at 0 mV) and ``ket_esc0``
(closed-channel egress), with the Woodhull split (0.5 entry + 0.3 exit) held fixed. Targets
(Mealing 1999, cultured cortical neurons; holding potential assumed -60 mV, 0 Mg2+,
saturating agonist) [mealing_1999]:

1. 10 uM ketamine co-applied with agonist for 30 s from drug-free rest: 80 % block;
2. after 120 s washout without agonist, 86 % of the ketamine-bound receptors remain;
3. on agonist re-application the bound fraction relaxes with tau = 10 s ("fully relieved after
   50 s"; tau is our reading of that statement).

Nothing measured in Mg2+ and no IC50 enters the fit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.linalg import expm
from scipy.optimize import least_squares

from ketasim.receptors import nmda as N

TARGETS = {"block_30s": 0.80, "retained_120s": 0.86, "relief_tau_ms": 10000.0}
V_MEALING = -60.0  # mV, assumed


def _Q(p, v, glu, mg, ket):
    Q = np.zeros((N.NMDA_N_STATES, N.NMDA_N_STATES))
    N.nmda_fill_rate_matrix(Q, v, glu, mg, ket, 0.0, p)
    return Q


def mealing_protocol(params: N.NMDAParams, v_mV: float = V_MEALING) -> dict:
    """Block after 30 s, retained bound fraction after 120 s washout, bound fraction 10 s into
    re-application (relative), computed with exact propagators.

    Examples
    --------
    >>> r = mealing_protocol(N.NMDAParams())
    >>> round(float(r["block_30s"]), 2), round(float(r["retained_120s"]), 2)
    (0.8, 0.86)
    """
    p = N.nmda_params_array(params)
    x0 = N.nmda_equilibrium(v_mV, 0.0, 0.0, 0.0, 0.0, p)
    o_ss = N.nmda_equilibrium(v_mV, 1000.0, 0.0, 0.0, 0.0, p)[N.OPEN]
    x30 = expm(_Q(p, v_mV, 1000.0, 0.0, 10.0) * 30000.0) @ x0
    k30 = x30[10:15].sum()
    xw = expm(_Q(p, v_mV, 0.0, 0.0, 0.0) * 120000.0) @ x30
    xr = expm(_Q(p, v_mV, 1000.0, 0.0, 0.0) * TARGETS["relief_tau_ms"]) @ xw
    return {"block_30s": float(1 - x30[N.OPEN] / o_ss),
            "retained_120s": float(xw[10:15].sum() / k30),
            "relief_at_tau": float(xr[10:15].sum() / xw[10:15].sum())}


def fit_ketamine_mealing(start: N.NMDAParams | None = None) -> N.NMDAParams:
    """Least-squares fit of (koff0, kd0, esc0) to the three Mealing targets.

    Examples
    --------
    >>> p = fit_ketamine_mealing()
    >>> bool(abs(p.ket_kd0 / N.NMDAParams().ket_kd0 - 1) < 1e-3)
    True
    """
    base = start or N.NMDAParams()

    def make(th):
        koff0, kd0, esc0 = np.exp(th)
        return dataclasses.replace(base, ket_koff0=koff0, ket_kd0=kd0, ket_esc0=esc0)

    def res(th):
        r = mealing_protocol(make(th))
        return [(r["block_30s"] - TARGETS["block_30s"]) / 0.01,
                (r["retained_120s"] - TARGETS["retained_120s"]) / 0.01,
                (r["relief_at_tau"] - np.exp(-1.0)) / 0.01]

    th0 = np.log([base.ket_koff0, base.ket_kd0, base.ket_esc0])
    sol = least_squares(res, th0, xtol=1e-12, ftol=1e-12)
    return make(sol.x)
