"""mu-opioid receptor occupancy and downstream effects for morphine, fentanyl, remifentanil.

Competitive occupancy of one receptor pool by several agonists (free concentrations, uM)::

    theta_i = (c_i/K_i) / (1 + sum_j c_j/K_j)
    r = sum_i e_i theta_i                         (activation, 0..1)
    release_factor = 1 - pre_max * r              (presynaptic glutamate release, C-fibre)
    gk_factor = r                                  (fraction of maximal GIRK conductance)

K are receptor binding constants ([3H]DAMGO displacement): morphine 1.2 nM (Chen 1991, rat
brain) [chen_1991_mu_binding, verified]; fentanyl 1.35 nM (Volpe 2011, recombinant human MOR;
the abstract places fentanyl and morphine in the 1-100 nM class, the value is from memory)
[volpe_2011, estimate]; remifentanil 2 nM [estimate, unverified]. Binding K of full and partial
agonists are similar, so the clinical potency gap (fentanyl ~100x morphine) must come from the
biophase concentration (brain/spinal penetration: the PK layer's effect site) and efficacy, not
from here. Give these functions the FREE biophase concentration. Intrinsic efficacy e: morphine
0.7 (partial), fentanyl and remifentanil 1.0 [estimate]; pre_max 0.6 (opioids reduce primary-
afferent EPSCs in the superficial dorsal horn by ~50-70 %) [estimate]. Ketamine's own mu
affinity (Hirota 1999: pKi 4.38, ~42 uM) [hirota_1999] is included as a very weak partial
agonist-free occupant (e = 0), i.e. it only competes, and only at tens of uM.

Kernel API (njit)::

    q = opioid_params_array()
    theta, r, release_factor, gk_factor = opioid_effects_nb(morphine, fentanyl, remi, ket, q)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ketasim.core.errors import InputError
from ketasim.core.units import as_float
from ketasim.core.validation import (
    NONNEG,
    POSITIVE,
    Instance,
    Interval,
    NoneOK,
    Quantity,
    check_fields,
    check_finite,
    validate_params,
)
from ketasim.receptors import sources as S

OPIOIDS = ("morphine", "fentanyl", "remifentanil", "ketamine")


@dataclass(frozen=True)
class OpioidParams:
    """mu-opioid parameters (uM).

    Examples
    --------
    >>> OpioidParams().k_fentanyl
    0.00135
    """

    k_morphine: float = 0.0012     # uM [chen_1991_mu_binding]
    k_fentanyl: float = 0.00135    # uM [volpe_2011] (value [estimate])
    k_remifentanil: float = 0.002  # uM [estimate]
    k_ketamine: float = 10 ** (-4.38) * 1e6  # uM, pKi 4.38 [hirota_1999]
    e_morphine: float = 0.7        # [estimate]
    e_fentanyl: float = 1.0        # [estimate]
    e_remifentanil: float = 1.0    # [estimate]
    pre_max: float = 0.6           # [estimate]
    citations: tuple = (S.CHEN_1991, S.VOLPE_2011, S.HIROTA_1999, S.OWN_ESTIMATE)

    def __post_init__(self):
        frac = Interval(0.0, 1.0)
        check_fields(self, {"k_morphine": POSITIVE, "k_fentanyl": POSITIVE,
                            "k_remifentanil": POSITIVE, "k_ketamine": POSITIVE,
                            "e_morphine": frac, "e_fentanyl": frac, "e_remifentanil": frac,
                            "pre_max": frac}, prefix="OpioidParams.")


def opioid_params_array(p: OpioidParams | None = None) -> np.ndarray:
    """Packed: K (4), e (4), pre_max.

    Examples
    --------
    >>> opioid_params_array().shape
    (9,)
    """
    if p is not None and not isinstance(p, OpioidParams):
        raise InputError("p", p, "an OpioidParams or None")
    p = p or OpioidParams()
    return np.array([p.k_morphine, p.k_fentanyl, p.k_remifentanil, p.k_ketamine,
                     p.e_morphine, p.e_fentanyl, p.e_remifentanil, 0.0, p.pre_max])


@njit(cache=True)
def opioid_effects_nb(morphine, fentanyl, remi, ket, q):
    """(total occupancy, activation r, release factor, GIRK factor).

    Examples
    --------
    >>> occ, r, rel, gk = opioid_effects_nb(0.0, 0.00135, 0.0, 0.0, opioid_params_array())
    >>> round(occ, 2), round(rel, 2)
    (0.5, 0.7)
    """
    c = (float(morphine), float(fentanyl), float(remi), float(ket))
    s = 1.0
    for i in range(4):
        s += c[i] / q[i]
    occ = 0.0
    r = 0.0
    for i in range(4):
        th = c[i] / q[i] / s
        occ += th
        r += q[4 + i] * th
    return occ, r, 1.0 - q[8] * r, r


@validate_params({**{k: Quantity("uM", NONNEG) for k in ("morphine_uM", "fentanyl_uM",
                                                         "remifentanil_uM", "ketamine_uM")},
                  "params": (Instance(OpioidParams), NoneOK())})
def opioid_effects(morphine_uM=0.0, fentanyl_uM=0.0, remifentanil_uM=0.0, ketamine_uM=0.0,
                   params: OpioidParams | None = None) -> dict:
    """Occupancy and downstream factors at free concentrations (uM).

    Examples
    --------
    >>> round(opioid_effects(fentanyl_uM=0.00135)["occupancy"], 2)
    0.5
    """
    vals = dict(morphine=morphine_uM, fentanyl=fentanyl_uM, remifentanil=remifentanil_uM,
                ketamine=ketamine_uM)
    c = {k: as_float(v, f"{k}_uM", "uM", NONNEG) for k, v in vals.items()}
    occ, r, rel, gk = opioid_effects_nb(c["morphine"], c["fentanyl"], c["remifentanil"],
                                        c["ketamine"], opioid_params_array(params))
    out = dict(occupancy=occ, activation=r, release_factor=rel, gk_factor=gk)
    check_finite("opioid_effects", list(out.values()))
    return out
