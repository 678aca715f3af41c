"""GABA-A and glycine receptors with anaesthetic modulation (propofol, thiopental, pentobarbital,
midazolam).

Two-state kinetic scheme ``R <-> O``: opening ``alpha [GABA] + gamma(drugs)`` (gamma = direct
activation), closing ``beta / m(drugs)``. The drugs act on the kinetics, so prolonged
deactivation and increased charge transfer *emerge*: for a brief pulse the decay time and the
charge scale with ``m``, the peak barely changes (Bai 1999: peak +8 %, charge +62 %).

Decay multiplier (sum of fractional prolongations; our modelling choice [estimate])::

    m = 1 + sum_i (mmax_i - 1) c_i / (c_i + EC50_i)

* propofol: EC50 2 uM free [estimate, reference range 1-3 uM], mmax 1.83 fitted so that m(10 uM) =
  255/151 = 1.69 (Bai 1999 deactivation tau 151 -> 255 ms at 10 uM) [bai_1999]
* thiopental: EC50 30 uM [estimate], mmax 2.0 [estimate]
* pentobarbital: EC50 41 uM (Mathers 2007 IPSC decay) [mathers_2007], mmax 2.0 [estimate]
* ketamine: EC50 500 uM, mmax 2.3 so that m(500 uM) = 1.65 (Gage & Robertson 1985:
  0.5 mM ketamine prolonged IPSC decay 50-80 %) [gage_robertson_1985]; negligible (< 3 %) at
  clinical (<= 10 uM) concentrations.
* midazolam (benzodiazepine site, a positive allosteric modulator, no direct gating): it
  raises the receptor's affinity for GABA, here the binding (opening) rate
  ``alpha * a(c)``, ``a = 1 + (amax - 1) c / (c + EC50)``, and it prolongs deactivation
  through the same ``m`` term. EC50 0.05 uM free [estimate: benzodiazepine-site
  potentiation is nanomolar (Walters 2000)] [walters2000]; mmax 1.6 fitted so that
  m(0.1 uM) = 1.40 (Poncer 1996: 100 nM midazolam prolonged mIPSC decay ~40 % without
  changing amplitude at saturating quantal GABA) [poncer1996]; amax 2.0 [estimate: the
  usual ~2-fold leftward shift of the GABA concentration-response by benzodiazepines].
  Clinical free concentrations are low: 100-500 ng/mL total x fu 0.03 = 0.01-0.05 uM.
* direct activation gamma = gmax_direct * sum_i c_i^2/(c_i^2 + EC50d_i^2): propofol EC50d 50 uM,
  barbiturates 500 uM [estimate], gmax_direct = 0.1 beta (tonic open fraction <= ~9 %).
  Bai 1999: no direct agonism at 10 uM (model: 0.6 % tonic open fraction).

Base GABA-A rates: Destexhe/Mainen two-state GABAA, alpha 5 /mM/ms, beta 0.18 /ms, E -80 mV.
Glycine receptor: same scheme, beta 0.15 /ms [estimate, own estimate for ~7 ms spinal glycinergic
IPSC decay]; propofol has NO effect on it (Wang 2004: no effect on glycinergic IPSCs up to
50 uM) [wang_2004_propofol_glycine], and we model none of the drugs on it.

Kernel API (njit)::

    q = gabaa_params_array(propofol_uM=1.0)    # float64[GABAA_N_PARAMS] with drugs applied
    gabaa_set_drugs(q, prop, thio, pento, ket)  # njit, update q in place when drugs change
                                                 # (midazolam, set by gabaa_params_array,
                                                 # is kept in q and stays applied)
    o = 0.0                                      # open fraction
    o = two_state_step(o, dt_ms, gaba_uM, q)     # exact for piecewise-constant input
    i = two_state_current(o, v_mV, gmax_nS, q)
    qg = glycine_params_array()                  # same kernels for glycine
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numba import njit

from ketasim.core.errors import InputError
from ketasim.core.units import as_float
from ketasim.core.validation import (
    NONNEG,
    POSITIVE,
    VOLTAGE_MV,
    Instance,
    NoneOK,
    Quantity,
    check_fields,
    check_finite,
    validate_params,
)
from ketasim.receptors import sources as S

# layout: 0 alpha (effective), 1 beta_base, 2 e_rev, 3 beta_eff, 4 gamma, 5 gmax_direct_ratio,
# then per drug d (0 propofol, 1 thiopental, 2 pentobarbital, 3 ketamine) at 6 + 4 d:
# mmax, EC50 (uM), EC50 direct (uM), direct on/off (1/0);
# then midazolam at 22: mmax, EC50 (uM), affinity amax, concentration (uM), 26: alpha_base
GABAA_N_PARAMS = 6 + 4 * 4 + 5
_MDZ = 22
DRUGS = ("propofol", "thiopental", "pentobarbital", "ketamine", "midazolam")


@dataclass(frozen=True)
class GABAAParams:
    """GABA-A rates and modulator parameters (uM, ms, mV).

    Examples
    --------
    >>> round(GABAAParams().prop_mmax, 2)
    1.83
    """

    alpha: float = 5e-3      # /uM/ms [destexhe_mainen_sejnowski_1998]
    beta: float = 0.18       # /ms [destexhe_mainen_sejnowski_1998]
    e_rev: float = -80.0     # mV [destexhe_mainen_sejnowski_1998]
    gmax_direct_ratio: float = 0.1  # own estimate [ketasim_receptors_estimate]
    prop_ec50: float = 2.0          # uM [estimate] (reference range 1-3 uM)
    prop_mmax: float = 1.0 + (255.0 / 151.0 - 1.0) * (10.0 + 2.0) / 10.0  # [fitted] to [bai_1999]
    prop_ec50_direct: float = 50.0  # uM [estimate]
    thio_ec50: float = 30.0         # uM [estimate]
    thio_mmax: float = 2.0          # [estimate]
    thio_ec50_direct: float = 500.0  # uM [estimate]
    pento_ec50: float = 41.0        # uM [mathers_2007]
    pento_mmax: float = 2.0         # [estimate]
    pento_ec50_direct: float = 500.0  # uM [estimate]
    ket_ec50: float = 500.0         # uM [gage_robertson_1985]
    ket_mmax: float = 1.0 + 0.65 * (500.0 + 500.0) / 500.0  # m(500 uM)=1.65 [gage_robertson_1985]
    mdz_ec50: float = 0.05          # uM free [estimate] (nanomolar BZ-site action [walters2000])
    mdz_mmax: float = 1.0 + 0.40 * (0.1 + 0.05) / 0.1  # m(0.1 uM)=1.40 [fitted] to [poncer1996]
    mdz_amax: float = 2.0           # GABA affinity (binding-rate) factor at saturation [estimate]
    citations: tuple = (S.DESTEXHE_1996, S.BAI_1999, S.MATHERS_2007, S.GAGE_ROBERTSON_1985,
                        S.PONCER_1996, S.WALTERS_2000, S.OWN_ESTIMATE)

    def __post_init__(self):
        cons = {f.name: POSITIVE for f in fields(self) if f.name not in ("citations", "e_rev",
                                                                          "gmax_direct_ratio")}
        check_fields(self, {**cons, "e_rev": VOLTAGE_MV, "gmax_direct_ratio": NONNEG},
                     prefix="GABAAParams.")


@njit(cache=True)
def gabaa_decay_multiplier_nb(q, prop, thio, pento, ket):
    """Decay (deactivation) multiplier m for free concentrations in uM.

    Examples
    --------
    >>> round(gabaa_decay_multiplier_nb(gabaa_params_array(), 10.0, 0.0, 0.0, 0.0), 2)
    1.69
    """
    concs = (float(prop), float(thio), float(pento), float(ket))
    m = 1.0
    for d in range(4):
        c = concs[d]
        base = 6 + 4 * d
        m += (q[base] - 1.0) * c / (c + q[base + 1])
    c = q[_MDZ + 3]  # midazolam, stored by gabaa_params_array
    if c > 0.0:
        m += (q[_MDZ] - 1.0) * c / (c + q[_MDZ + 1])
    return m


@njit(cache=True)
def gabaa_set_drugs(q, prop, thio, pento, ket):
    """Update ``q`` in place for the drug concentrations (uM free): beta_eff and gamma.

    Midazolam is not an argument (the signature predates it): its concentration is stored in
    ``q`` by `gabaa_params_array` (or `gabaa_set_midazolam`) and stays applied.

    Examples
    --------
    >>> q = gabaa_params_array(); gabaa_set_drugs(q, 0.0, 0.0, 41.0, 0.0)  # pentobarbital EC50
    >>> round(float(q[1] / q[3]), 3)
    1.5
    """
    concs = (float(prop), float(thio), float(pento), float(ket))
    m = gabaa_decay_multiplier_nb(q, prop, thio, pento, ket)
    q[3] = q[1] / m
    c = q[_MDZ + 3]
    q[0] = q[_MDZ + 4] * (1.0 + (q[_MDZ + 2] - 1.0) * c / (c + q[_MDZ + 1]))
    act = 0.0
    for d in range(4):
        c = concs[d]
        base = 6 + 4 * d
        if q[base + 3] > 0.0:
            act += c * c / (c * c + q[base + 2] * q[base + 2])
    q[4] = q[5] * q[1] * act


@njit(cache=True)
def gabaa_set_midazolam(q, mdz, prop, thio, pento, ket):
    """Update ``q`` in place for a midazolam concentration (uM free) and the other drugs.

    Examples
    --------
    >>> q = gabaa_params_array(); gabaa_set_midazolam(q, 0.05, 0.0, 0.0, 0.0, 0.0)
    >>> round(float(q[0] / q[26]), 2)   # GABA binding rate x1.5 at the EC50
    1.5
    """
    q[_MDZ + 3] = mdz
    gabaa_set_drugs(q, prop, thio, pento, ket)


#: built once: validating a spec costs more than packing it (the brain map packs ~1e5)
_DEFAULT_PARAMS = GABAAParams()


def _check(name, val):
    return as_float(val, name, "uM", NONNEG)


def gabaa_params_array(propofol_uM=0.0, thiopental_uM=0.0, pentobarbital_uM=0.0,
                       ketamine_uM=0.0, params: GABAAParams | None = None, *,
                       midazolam_uM=0.0) -> np.ndarray:
    """Packed GABA-A parameters with the drug modulation applied.

    Examples
    --------
    >>> q = gabaa_params_array(propofol_uM=10.0)
    >>> round(float(q[1] / q[3]), 2)   # deactivation prolonged x1.69 (Bai 1999)
    1.69
    >>> q = gabaa_params_array(midazolam_uM=0.1)
    >>> round(float(q[1] / q[3]), 2), round(float(q[0] / q[26]), 2)  # Poncer 1996 decay
    (1.4, 1.67)
    """
    if params is not None and not isinstance(params, GABAAParams):
        raise InputError("params", params, "a GABAAParams or None")
    p = params or _DEFAULT_PARAMS
    q = np.zeros(GABAA_N_PARAMS)
    q[0], q[1], q[2], q[5] = p.alpha, p.beta, p.e_rev, p.gmax_direct_ratio
    rows = [(p.prop_mmax, p.prop_ec50, p.prop_ec50_direct, 1.0),
            (p.thio_mmax, p.thio_ec50, p.thio_ec50_direct, 1.0),
            (p.pento_mmax, p.pento_ec50, p.pento_ec50_direct, 1.0),
            (p.ket_mmax, p.ket_ec50, 1.0, 0.0)]
    for d, r in enumerate(rows):
        q[6 + 4 * d: 10 + 4 * d] = r
    q[_MDZ: _MDZ + 5] = (p.mdz_mmax, p.mdz_ec50, p.mdz_amax,
                         _check("midazolam_uM", midazolam_uM), p.alpha)
    gabaa_set_drugs(q, _check("propofol_uM", propofol_uM),
                    _check("thiopental_uM", thiopental_uM),
                    _check("pentobarbital_uM", pentobarbital_uM),
                    _check("ketamine_uM", ketamine_uM))
    return q


@validate_params({**{k: Quantity("uM", NONNEG) for k in ("propofol_uM", "thiopental_uM",
                                                         "pentobarbital_uM", "ketamine_uM",
                                                         "midazolam_uM")},
                  "params": (Instance(GABAAParams), NoneOK())})
def gabaa_decay_multiplier(propofol_uM=0.0, thiopental_uM=0.0, pentobarbital_uM=0.0,
                           ketamine_uM=0.0, params: GABAAParams | None = None, *,
                           midazolam_uM=0.0) -> float:
    """Deactivation-time (and brief-pulse charge) multiplier at free concentrations in uM.

    Examples
    --------
    >>> round(gabaa_decay_multiplier(propofol_uM=10.0), 2)
    1.69
    >>> round(gabaa_decay_multiplier(midazolam_uM=0.1), 2)   # Poncer 1996: +40 %
    1.4
    """
    q = gabaa_params_array(propofol_uM, thiopental_uM, pentobarbital_uM, ketamine_uM, params,
                           midazolam_uM=midazolam_uM)
    out = float(q[1] / q[3])
    check_finite("gabaa_decay_multiplier", out)
    return out


def glycine_params_array(beta: float = 0.15, alpha: float = 5e-3, e_rev: float = -80.0):
    """Packed glycine-receptor parameters (same layout as GABA-A, no drug modulation).

    Propofol does not modulate glycine receptors (Wang 2004, up to 50 uM), so no drug input.
    ``beta`` 0.15 /ms is our estimate (~7 ms IPSC decay) [estimate].

    Examples
    --------
    >>> float(glycine_params_array()[3])
    0.15
    """
    beta = as_float(beta, "beta", "1/ms", POSITIVE)
    alpha = as_float(alpha, "alpha", "1/uM/ms", POSITIVE)
    e_rev = as_float(e_rev, "e_rev", "mV", VOLTAGE_MV)
    q = np.zeros(GABAA_N_PARAMS)
    q[0], q[1], q[2], q[3] = alpha, beta, e_rev, beta
    return q


@njit(cache=True)
def two_state_step(o, dt_ms, ligand_uM, q):
    """Exact update of the open fraction over dt for constant ligand (GABA-A or glycine).

    Examples
    --------
    >>> round(two_state_step(1.0, 5.556, 0.0, gabaa_params_array()), 3)  # one tau
    0.368
    """
    r = q[0] * ligand_uM + q[4]
    k = r + q[3]
    o_inf = r / k
    return o_inf + (o - o_inf) * np.exp(-k * dt_ms)


@njit(cache=True)
def two_state_current(o, v_mV, gmax_nS, q):
    """Chloride current in pA (gmax * o * (V - E_rev)).

    Examples
    --------
    >>> two_state_current(0.5, -60.0, 2.0, gabaa_params_array())
    20.0
    """
    return gmax_nS * o * (v_mV - q[2])
