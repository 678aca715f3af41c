"""NMDA receptor: Markov gating with explicit, competing pore blockers (Mg2+, ketamine, NK).

Scheme (20 states = 5 gating positions x 4 pore occupancies)::

    positions  C0 <-> C1 <-> C2 <-> O        (2 glutamate binding steps, then opening)
                              C2 <-> D        (desensitisation)
    pore       free | Mg2+ | ketamine | norketamine   (mutually exclusive: ONE blocker per pore)

State index ``5*arm + position`` with arms 0 free, 1 Mg, 2 ketamine (K), 3 norketamine (NK)
and positions 0 C0, 1 C1, 2 C2, 3 O, 4 D. Only ``O`` of the free arm conducts.

* Gating of the free arm: Destexhe/Mainen NMDA5 rates, fit to Hessler 1993 synaptic currents
  [destexhe_mainen_sejnowski_1998] (room temperature).
* Blocker arms use the asymmetric trapping topology of Vargas-Caballero & Robinson 2004
  [vargas_caballero_robinson_2004]: a blocked open channel ``OX`` closes to ``C2X`` (faster,
  ``alpha_b``) and reopens (slower, ``beta_b``); agonist binds/unbinds and the receptor
  desensitises in the blocked arm as in the free arm, so a channel can close and lose its
  agonist with the blocker trapped inside. Asymmetry ratios are VCR's.
* Blockers enter the open pore (``O -> OX``) with Woodhull voltage-dependent rates
  ``koff(V) = koff0 exp(zoff V)``, ``K(V) = c/Kd0 exp(-zK V)``, ``kon(V) c = koff(V) K(V)``.
  Closed blocked channels exchange the blocker slowly (``CjX <-> Cj``, rate ``esc``; entry
  follows from detailed balance), which is Mealing 1999's "closed-channel egress" for
  ketamine and Kampa 2004's slow closed-state Mg2+ exchange. Every cycle obeys detailed
  balance (tested), so equilibrium occupancies are closed-form (`nmda_equilibrium`).
* Mg2+: ``koff`` from Ascher & Nowak 1988 (via VCR); the open-state affinity is scaled so the
  steady-state block at saturating glutamate equals Jahr & Stevens 1990 exactly (Mg block is
  calibrated at its own level; see `NMDAParams`).
* Ketamine: Woodhull delta = 0.8 split 0.5 entry / 0.3 exit [estimate, plausible range 0.5-0.9; not
  constrained by the fit data, which are all at -60/-66 mV]. ``koff0``, ``Kd0`` and ``esc``
  from a joint weighted least-squares fit to receptor-level Mg2+-FREE data
  (`ketasim.receptors.calibrate.fit_ketamine_joint`): Kotermanski & Johnson 2009's IC50 at
  -66 mV (0.33 uM, GluN1/2A), Orser 1997's cell-attached Po at 1 uM (x0.24), Mealing 1999's
  trapping (86 % retained after 120 s without agonist; relief tau 10 s under agonist) and
  Mealing's 80 % block after 30 s of 10 uM (one point among several; it conflicts with the
  potency data and is missed: model 96 %). No IC50 measured in Mg2+ was used.
  Norketamine: same site, 6x lower affinity through a 6x faster exit (Ebert 1997 S-NK/S-K Ki
  ratio 1.7/0.3 = 5.7).

Units: time ms, voltage mV, glutamate/ketamine/norketamine umol/L, Mg2+ mmol/L.

Outputs (not fitted; experiments m05, m09, m10): equilibrium ketamine IC50 at -66 mV,
saturating glutamate: 0.31 uM in 0 Mg2+ (fitted) and 5.5 uM in 1 mM Mg2+ (x17.8 from pore
competition; VALIDATION: Kotermanski & Johnson 2009 report ~5 uM and ~x16 for GluN2A/2B [estimate]);
block grows with stimulation frequency and, in Mg2+, with depolarisation; excess glutamate does
not relieve it.
Known deviations: (1) Mealing 1999's 80 % block after 30 s of 10 uM is not met (96 %): with
the Mg2+-free potency the block is at equilibrium within seconds. (2) Orser 1997's single-channel
effects at 1 uM: Po x0.27 (Orser x0.24) is met, but it comes from fewer openings (x0.28, Orser
x0.44) with unchanged open time (x0.98, Orser x0.68): the blocking rate that Mealing's
seconds-long recovery implies (~1e6 /M/s at -60 mV) is far too slow to shorten openings, so one
open-channel site cannot produce Orser's open-time effect; Orser's 0.1 uM point (Po x0.53;
model x0.79) hints at a second, higher-affinity mechanism. (3) Rates are for room temperature
(the calibration data); no Q10 is applied. (4) The nanomolar allosteric site (abbott_2024) is
off by default (``allo_gating_factor`` 1); with it on, a receptor model becomes site-empty /
site-occupied pairs (`ketasim.receptors.populations`, exact in the clamp), bounded by Orser's
0.1 uM point (`ketasim.receptors.calibrate.ALLO_GATING_FACTOR_ORSER`).

Kernel API for other layers (all ``numba.njit``; call from your own njit code)::

    p  = nmda_params_array(NMDAParams())          # float64[NMDA_N_PARAMS]
    x  = nmda_equilibrium(v, glu, mg, ket, nk, p)  # float64[NMDA_N_STATES], sums to 1
    ws = nmda_workspace()                          # scratch, allocate once per thread
    nmda_step_ws(x, dt, v, glu, mg, ket, nk, p, ws)  # backward Euler, in place, no allocation
    g  = nmda_conducting_fraction(x)               # free open state
    i  = nmda_current(x, v, gmax_nS, p)            # pA = nS * mV; inward negative
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numba import njit

from ketasim.core.errors import InputError
from ketasim.core.units import as_floats as to_floats
from ketasim.core.validation import (
    NONNEG,
    POSITIVE,
    Each,
    Interval,
    check_fields,
    check_finite,
    validate_params,
)
from ketasim.core.validation import VOLTAGE_MV as VOLTAGE
from ketasim.receptors import sources as S

NMDA_N_STATES = 20
NMDA_N_POS = 5
NMDA_N_ARMS = 4
# positions
C0, C1, C2, OPEN, DES = 0, 1, 2, 3, 4
# arms
FREE, MG, KET, NK = 0, 1, 2, 3
STATE_NAMES = tuple(f"{a}{p}" for a in ("", "Mg:", "K:", "NK:")
                    for p in ("C0", "C1", "C2", "O", "D"))

# packed parameter vector layout
P_KB, P_KU, P_BETA, P_ALPHA, P_KD, P_KR, P_BETA_B, P_ALPHA_B = range(8)
P_BLK = 8  # blocker b (0 Mg, 1 K, 2 NK) at P_BLK + 6 b: koff0, zoff, Kd0, zK, esc0, zesc
P_EREV = P_BLK + 18
P_CAFRAC = P_EREV + 1
NMDA_N_PARAMS = P_CAFRAC + 1

_RT_F_22C = 25.4  # mV, RT/F at 22 C (bench temperature of the calibration data; derived)


@dataclass(frozen=True)
class NMDAParams:
    """Rate constants of the NMDA scheme (ms, mV, uM; Mg2+ Kd in mM). Sources per field.

    Examples
    --------
    >>> p = NMDAParams()
    >>> round(p.alpha, 4)
    0.0738
    """

    # --- gating, free arm: NMDA5 (Destexhe, Mainen & Sejnowski; fit to Hessler 1993)
    kb: float = 5e-3        # /uM/ms glutamate binding   [destexhe_mainen_sejnowski_1998]
    ku: float = 12.9e-3     # /ms unbinding               [destexhe_mainen_sejnowski_1998]
    beta: float = 46.5e-3   # /ms opening                 [destexhe_mainen_sejnowski_1998]
    alpha: float = 73.8e-3  # /ms closing                 [destexhe_mainen_sejnowski_1998]
    kd: float = 8.4e-3      # /ms desensitisation         [destexhe_mainen_sejnowski_1998]
    kr: float = 6.8e-3      # /ms resensitisation         [destexhe_mainen_sejnowski_1998]
    # --- blocked-arm gating: VCR 2004 asymmetry (blocked opening 41.85/46.5, closing 229/91.6
    # of their unblocked rates) applied to the NMDA5 rates [vargas_caballero_robinson_2004]
    beta_block_ratio: float = 41.85 / 46.5
    alpha_block_ratio: float = 229.0 / 91.6
    # --- Mg2+ (Kd in mM). koff = 5.4 exp(V/47) /ms (Ascher & Nowak 1988, as in VCR 2004).
    mg_koff0: float = 5.4
    mg_zoff: float = 1.0 / 47.0
    # Effective steady-state Kd of Jahr & Stevens 1990: 3.57 mM, slope 0.062 /mV. The open-state
    # Kd0 is derived from it in `nmda_params_array` so that the equilibrium block at saturating
    # glutamate reproduces B(V) exactly [jahr_stevens_1990].
    mg_kd_js: float = 3.57
    mg_zk: float = 0.062
    # closed-state Mg2+ exit 0.06 /ms at +40 mV, e-fold per 62.5 mV (Kampa 2004 NMDA_Mg, closed
    # and desensitised states) [kampa_2004]; written as esc0 at 0 mV
    mg_esc0: float = 0.06 * float(np.exp(-0.016 * 40.0))
    mg_zesc: float = 0.016
    # --- ketamine (uM). Woodhull delta 0.5 entry + 0.3 exit [estimate]. koff0, kd0, esc0:
    # [fitted] jointly
    # (`ketasim.receptors.calibrate.fit_ketamine_joint`, weighted least squares) to Mg2+-free
    # receptor data: IC50 0.33 uM at -66 mV [kotermanski_johnson_2009], Po x0.24 at 1 uM
    # [orser_1997], 86 % trapped after 120 s, relief tau 10 s, 80 % block at 30 s/10 uM
    # [mealing_1999]. Result: koff(-60 mV) = 1.08e-3 /ms (set by the relief time course),
    # open-state Kd(-60 mV) = 0.90 uM (set by the potency data; Mealing-only fit was 5.97 uM)
    ket_koff0: float = 2.1972e-3   # /ms at 0 mV
    ket_zoff: float = 0.3 / _RT_F_22C
    ket_kd0: float = 5.9414        # uM at 0 mV
    ket_zk: float = 0.8 / _RT_F_22C
    # closed-channel egress: 86 % retained after 120 s without agonist [mealing_1999] [fitted]
    ket_esc0: float = 1.1742e-6   # /ms
    ket_zesc: float = 0.0
    # --- norketamine: same site, affinity 1/6 via 6x faster exit [ebert_1997] (S-NK 1.7 uM vs
    # S-K 0.3 uM Ki; 5.7x), same voltage dependence and egress [estimate]
    nk_affinity_ratio: float = 1.7 / 0.3
    # --- membrane-accessed allosteric ketamine site (abbott_2024: EC50 ~0.1 uM, stabilises
    # pre-open states, partial reduction of gating) [verified: abstract]. An occupied site
    # slows opening (beta / ``allo_gating_factor``; 1 = site absent, the default); its maximal
    # effect is not known (two-population form: `ketasim.receptors.populations`).
    allo_kd_uM: float = 0.1          # [verified] abbott_2024, EC50 ~0.1 uM
    allo_koff_per_ms: float = 1e-4   # [estimate] membrane access: tau ~10 s, no data found
    allo_gating_factor: float = 1.0  # [estimate] 1 = off; upper bound fitted to orser_1997
    # --- permeation
    e_rev: float = 0.0      # mV [destexhe_mainen_sejnowski_1998]
    ca_fraction: float = 0.10  # of NMDA current carried by Ca2+, as in Aguiar 2010 citing
    #                            Burnashev 1995 [burnashev_1995]

    citations: tuple = (S.DESTEXHE_1996, S.VARGAS_ROBINSON_2004, S.ASCHER_NOWAK_1988,
                        S.JAHR_STEVENS_1990, S.KAMPA_2004, S.MEALING_1999, S.ORSER_1997,
                        S.ABBOTT_2024, S.KOTERMANSKI_JOHNSON_2009, S.EBERT_1997,
                        S.BURNASHEV_1995, S.OWN_ESTIMATE)

    def __post_init__(self):
        check_fields(self, _NMDA_CONSTRAINTS, prefix="NMDAParams.")

    def to_dict(self) -> dict:
        """The parameters (without citations) as a plain dict."""
        d = asdict(self)
        d.pop("citations")
        return d


_RATE = POSITIVE  # rates, dissociation constants and ratios: finite and > 0
_SLOPE = Interval(-1.0, 1.0)  # voltage dependences (/mV): finite, |z| <= 1 /mV
_NMDA_CONSTRAINTS = {
    **{f: _RATE for f in ("kb", "ku", "beta", "alpha", "kd", "kr", "beta_block_ratio",
                          "alpha_block_ratio", "mg_koff0", "mg_kd_js", "ket_koff0",
                          "ket_kd0", "nk_affinity_ratio", "allo_kd_uM", "allo_koff_per_ms")},
    "allo_gating_factor": Interval(1.0, 1000.0),
    **{f: NONNEG for f in ("mg_esc0", "ket_esc0")},
    **{f: _SLOPE for f in ("mg_zoff", "mg_zk", "mg_zesc", "ket_zoff", "ket_zk", "ket_zesc")},
    "e_rev": VOLTAGE,
    "ca_fraction": Interval(0.0, 1.0),
}


def saturating_open_fraction(p: NMDAParams) -> float:
    """Open fraction of the free arm at saturating glutamate (C2 : O : D equilibrium).

    Examples
    --------
    >>> round(saturating_open_fraction(NMDAParams()), 3)
    0.22
    """
    ro = p.beta / p.alpha
    rd = p.kd / p.kr
    return ro / (1.0 + ro + rd)


def trap_factor(p: NMDAParams) -> float:
    """Closed/open affinity ratio f = (alpha_b/beta_b)/(alpha/beta) imposed by detailed balance.

    Examples
    --------
    >>> round(trap_factor(NMDAParams()), 2)
    2.78
    """
    return p.alpha_block_ratio / p.beta_block_ratio


def nmda_params_array(params: NMDAParams | None = None) -> np.ndarray:
    """Pack `NMDAParams` into the float64 vector the njit kernels take.

    Examples
    --------
    >>> nmda_params_array().shape == (NMDA_N_PARAMS,)
    True
    """
    if params is not None and not isinstance(params, NMDAParams):
        raise InputError("params", params, "an NMDAParams or None")
    p = params or NMDAParams()  # validated when built
    out = np.zeros(NMDA_N_PARAMS)
    out[P_KB], out[P_KU] = p.kb, p.ku
    out[P_BETA], out[P_ALPHA], out[P_KD], out[P_KR] = p.beta, p.alpha, p.kd, p.kr
    out[P_BETA_B] = p.beta * p.beta_block_ratio
    out[P_ALPHA_B] = p.alpha * p.alpha_block_ratio
    # Mg: equilibrium block at saturating glutamate is 1/(1 + K (po + f (1 - po))), so the
    # open-state Kd is the Jahr-Stevens Kd times g = po + f (1 - po)  (derived)
    po = saturating_open_fraction(p)
    g = po + trap_factor(p) * (1.0 - po)
    blk = [(p.mg_koff0, p.mg_zoff, p.mg_kd_js * g, p.mg_zk, p.mg_esc0, p.mg_zesc),
           (p.ket_koff0, p.ket_zoff, p.ket_kd0, p.ket_zk, p.ket_esc0, p.ket_zesc),
           (p.ket_koff0 * p.nk_affinity_ratio, p.ket_zoff, p.ket_kd0 * p.nk_affinity_ratio,
            p.ket_zk, p.ket_esc0, p.ket_zesc)]
    for b, vals in enumerate(blk):
        out[P_BLK + 6 * b: P_BLK + 6 * b + 6] = vals
    out[P_EREV] = p.e_rev
    out[P_CAFRAC] = p.ca_fraction
    return out


@njit(cache=True)
def nmda_workspace() -> np.ndarray:
    """Scratch matrix for `nmda_step_ws` (allocate once, reuse every step).

    Examples
    --------
    >>> nmda_workspace().shape
    (20, 21)
    """
    return np.empty((NMDA_N_STATES, NMDA_N_STATES + 1))


@njit(cache=True)
def _block_rates(b, v, conc, p):
    """(on, off, closed-entry, closed-exit) rates of blocker b at voltage v and conc."""
    base = P_BLK + 6 * b
    koff = p[base] * np.exp(p[base + 1] * v)
    kk = conc / p[base + 2] * np.exp(-p[base + 3] * v)
    esc = p[base + 4] * np.exp(p[base + 5] * v)
    f = (p[P_ALPHA_B] / p[P_BETA_B]) / (p[P_ALPHA] / p[P_BETA])
    return koff * kk, koff, esc * f * kk, esc


@njit(cache=True)
def nmda_fill_rate_matrix(Q, v, glu, mg, ket, nk, p):
    """Fill Q (20x20, Q[i, j] = rate j -> i, columns sum to 0) so that dx/dt = Q x.

    Examples
    --------
    >>> import numpy as np
    >>> Q = np.zeros((20, 20)); nmda_fill_rate_matrix(Q, -60.0, 10.0, 1.0, 1.0, 0.0,
    ...                                               nmda_params_array())
    >>> bool(np.allclose(Q.sum(axis=0), 0.0))
    True
    """
    n = NMDA_N_STATES
    for i in range(n):
        for j in range(n):
            Q[i, j] = 0.0
    kb = p[P_KB] * glu
    ku = p[P_KU]
    for a in range(NMDA_N_ARMS):
        o = 5 * a
        be = p[P_BETA] if a == 0 else p[P_BETA_B]
        al = p[P_ALPHA] if a == 0 else p[P_ALPHA_B]
        Q[o + 1, o + 0] += 2.0 * kb
        Q[o + 0, o + 1] += ku
        Q[o + 2, o + 1] += kb
        Q[o + 1, o + 2] += 2.0 * ku
        Q[o + 3, o + 2] += be
        Q[o + 2, o + 3] += al
        Q[o + 4, o + 2] += p[P_KD]
        Q[o + 2, o + 4] += p[P_KR]
    concs = (float(mg), float(ket), float(nk))
    for b in range(3):
        on, off, cin, cout = _block_rates(b, v, concs[b], p)
        o = 5 * (b + 1)
        Q[o + 3, 3] += on
        Q[3, o + 3] += off
        for j in (0, 1, 2, 4):
            Q[o + j, j] += cin
            Q[j, o + j] += cout
    for j in range(n):
        s = 0.0
        for i in range(n):
            if i != j:
                s += Q[i, j]
        Q[j, j] = -s


@njit(cache=True)
def _rates(b, v, conc, f, p):
    """`_block_rates` with the exponentials that multiply zero skipped (same values)."""
    base = P_BLK + 6 * b
    koff = p[base] * np.exp(p[base + 1] * v)
    kk = 0.0
    if conc != 0.0:
        kk = conc / p[base + 2] * np.exp(-p[base + 3] * v)
    esc = p[base + 4]
    if p[base + 5] != 0.0:
        esc = esc * np.exp(p[base + 5] * v)
    return koff * kk, koff, esc * f * kk, esc


@njit(cache=True)
def nmda_step_ws(x, dt_ms, v_mV, glu_uM, mg_mM, ket_uM, nk_uM, p, ws, skip=0):
    """Advance occupancies ``x`` by ``dt_ms`` in place (backward Euler; no allocation).

    Inputs are held constant over the step. Backward Euler is L-stable for the stiff Mg2+
    rates (up to ~100 /ms at +40 mV), keeps x >= 0 (I - dt Q is an M-matrix) and conserves
    sum(x) exactly; its equilibrium is the exact one. Use dt <= 0.1 ms for synaptic
    transients (first-order error ~ dt x gating rates, < 1 %).

    The linear system ``(I - dt Q) x_new = x`` is solved exactly by block elimination:
    each blocker arm couples to the free arm only position by position, and its gating
    graph is a tree (C0-C1-C2, C2-O, C2-D), so its 5x5 block B has the closed-form inverse
    ``blockdiag(T^-1, 0) + u v^T / delta`` (T: B without C2; 2x2 and scalar blocks). The
    free arm then solves its 5x5 Schur complement (dense, no pivoting: an M-matrix), and
    each blocker arm is back-substituted as ``B^-1 (x_b - g x_free)``, a sum of non-negative
    terms. Only non-zero rates are formed; the 20x20 matrix never is. The work is split in
    `nmda_factor_ws` (everything that depends on the inputs but not on ``x``) and
    `nmda_solve_ws` (the right-hand side), so that several state vectors under the same
    inputs share one factorisation (same operations, same bits).

    Parameters
    ----------
    x : float64[20] occupancies, modified in place.
    dt_ms, v_mV, glu_uM, mg_mM, ket_uM, nk_uM : floats (ms, mV, uM, mM, uM, uM).
    p : float64[NMDA_N_PARAMS] from `nmda_params_array`.
    ws : float64[20, 21] from `nmda_workspace` (scratch).
    skip : int, bit mask of blocker arms left out (1 Mg2+, 2 ketamine, 4 norketamine). Only
        for an arm whose concentration is 0 and whose states are all 0: they then stay
        exactly 0 and every term the arm adds is an exact zero, so leaving it out changes
        no bit of the result (the caller checks both conditions; default: none).

    Examples
    --------
    >>> import numpy as np
    >>> p = nmda_params_array(); x = nmda_equilibrium(-65.0, 0.0, 1.0, 0.0, 0.0, p)
    >>> ws = nmda_workspace(); nmda_step_ws(x, 0.1, -65.0, 1000.0, 1.0, 0.0, 0.0, p, ws)
    >>> bool(abs(x.sum() - 1.0) < 1e-12)
    True
    """
    nmda_factor_ws(dt_ms, v_mV, glu_uM, mg_mM, ket_uM, nk_uM, p, ws, skip)
    nmda_solve_ws(x, ws, skip)


@njit(cache=True)
def nmda_factor_ws(dt_ms, v_mV, glu_uM, mg_mM, ket_uM, nk_uM, p, ws, skip=0):
    """The x-independent half of `nmda_step_ws`: factor ``I - dt Q`` into ``ws``.

    Rows 0-4 of ``ws`` receive the eliminated 5x5 Schur complement of the free arm (upper
    triangle; the elimination multipliers below the diagonal), rows 5-7 each blocker arm's
    closed-form inverse and couplings, row 10 the blocked-arm gating terms. Column 5 of rows
    0-4 is left for `nmda_solve_ws`'s right-hand side.

    Examples
    --------
    >>> p = nmda_params_array(); ws = nmda_workspace()
    >>> x = nmda_equilibrium(-65.0, 0.0, 1.0, 0.0, 0.0, p); y = x.copy()
    >>> nmda_factor_ws(0.1, -65.0, 1000.0, 1.0, 0.0, 0.0, p, ws)
    >>> nmda_solve_ws(x, ws); nmda_step(y, 0.1, -65.0, 1000.0, 1.0, 0.0, 0.0, p)
    >>> bool((x == y).all())
    True
    """
    dt = dt_ms
    v = v_mV
    glu = glu_uM
    S = ws  # rows 0..4: 5x5 Schur complement of the free arm
    kb = p[P_KB] * glu
    ku = p[P_KU]
    kd = p[P_KD]
    kr = p[P_KR]
    be_b = p[P_BETA_B]
    al_b = p[P_ALPHA_B]
    f = (al_b / be_b) / (p[P_ALPHA] / p[P_BETA])
    # blocked-arm gating off-diagonals of (I - dt Q) (<= 0); the same in every blocker arm
    b01 = -dt * ku
    b10 = -dt * 2.0 * kb
    b12 = -dt * 2.0 * ku
    b21 = -dt * kb
    b23 = -dt * al_b
    b32 = -dt * be_b
    b24 = -dt * kr
    b42 = -dt * kd
    ws[10, 0] = b01
    ws[10, 1] = b10
    for i in range(5):
        for j in range(5):
            S[i, j] = 0.0
    cin_sum = 0.0
    on_sum = 0.0
    for b in range(3):
        if skip & (1 << b):
            continue
        conc = mg_mM if b == 0 else (ket_uM if b == 1 else nk_uM)
        on, off, cin, cout = _rates(b, v, conc, f, p)
        cin_sum += cin
        on_sum += on
        # arm block B: gating tree C0-C1-C2, C2-O, C2-D; eliminate the leaves into C2
        d0 = 1.0 + dt * (2.0 * kb + cout)
        d1 = 1.0 + dt * (ku + kb + cout)
        d2 = 1.0 + dt * (2.0 * ku + be_b + kd + cout)
        d3 = 1.0 + dt * (al_b + off)
        d4 = 1.0 + dt * (kr + cout)
        det = 1.0 / (d0 * d1 - b01 * b10)
        i3 = 1.0 / d3
        i4 = 1.0 / d4
        # B^-1 = blockdiag(T^-1, 0) + u v^T / delta  (T: B without the root C2)
        u0 = b01 * b12 * det
        u1 = -d0 * b12 * det
        u3 = -b32 * i3
        u4 = -b42 * i4
        v0 = b21 * b10 * det
        v1 = -b21 * d0 * det
        v3 = -b23 * i3
        v4 = -b24 * i4
        idl = 1.0 / (d2 + b21 * u1 + b23 * u3 + b24 * u4)
        # coupling: free -> arm (g, column j of the arm rows), arm -> free (h)
        gin = -dt * cin
        gon = -dt * on
        hout = -dt * cout
        hoff = -dt * off
        # Schur matrix: - diag(h) B^-1 diag(g)
        hu0 = hout * u0
        hu1 = hout * u1
        hu3 = hoff * u3
        hu4 = hout * u4
        hu = ws[8]
        gv = ws[9]
        hu[0] = hu0
        hu[1] = hu1
        hu[2] = hout
        hu[3] = hu3
        hu[4] = hu4
        gv[0] = gin * v0 * idl
        gv[1] = gin * v1 * idl
        gv[2] = gin * idl
        gv[3] = gon * v3 * idl
        gv[4] = gin * v4 * idl
        for i in range(5):
            for j in range(5):
                S[i, j] -= hu[i] * gv[j]
        # keep the arm's factors for the right-hand side and the back-substitution
        w = ws[5 + b]
        w[0] = d0
        w[1] = d1
        w[2] = i3
        w[3] = i4
        w[4] = det
        w[5] = u0
        w[6] = u1
        w[7] = u3
        w[8] = u4
        w[9] = v0
        w[10] = v1
        w[11] = v3
        w[12] = v4
        w[13] = idl
        w[14] = gin
        w[15] = gon
        w[16] = hout
        w[17] = hoff
        hg = hout * gin * det
        S[0, 0] -= hg * d1
        S[0, 1] += hg * b01
        S[1, 0] += hg * b10
        S[1, 1] -= hg * d0
        S[3, 3] -= hoff * gon * i3
        S[4, 4] -= hout * gin * i4
    # free-arm block
    S[1, 0] += -dt * 2.0 * kb
    S[0, 1] += -dt * ku
    S[2, 1] += -dt * kb
    S[1, 2] += -dt * 2.0 * ku
    S[3, 2] += -dt * p[P_BETA]
    S[2, 3] += -dt * p[P_ALPHA]
    S[4, 2] += -dt * kd
    S[2, 4] += -dt * kr
    S[0, 0] += 1.0 + dt * (2.0 * kb + cin_sum)
    S[1, 1] += 1.0 + dt * (ku + kb + cin_sum)
    S[2, 2] += 1.0 + dt * (2.0 * ku + p[P_BETA] + kd + cin_sum)
    S[3, 3] += 1.0 + dt * (p[P_ALPHA] + on_sum)
    S[4, 4] += 1.0 + dt * (kr + cin_sum)
    # dense 5x5 elimination, no pivoting (M-matrix); multipliers kept below the diagonal
    for k in range(5):
        piv = 1.0 / S[k, k]
        for i in range(k + 1, 5):
            fct = S[i, k] * piv
            for c in range(k + 1, 5):
                S[i, c] -= fct * S[k, c]
            S[i, k] = fct


@njit(cache=True, inline="always")
def _arm_inverse(w, b01, b10, r0, r1, r2, r3, r4):
    """y = B^-1 r for one blocker arm, from the closed-form inverse `nmda_factor_ws` kept
    in its row ``w`` of the workspace (the leaves C0, C1, O, D eliminated into C2)."""
    y2 = (r2 + w[9] * r0 + w[10] * r1 + w[11] * r3 + w[12] * r4) * w[13]
    y0 = (w[1] * r0 - b01 * r1) * w[4] + w[5] * y2
    y1 = (w[0] * r1 - b10 * r0) * w[4] + w[6] * y2
    return y0, y1, y2, r3 * w[2] + w[7] * y2, r4 * w[3] + w[8] * y2


@njit(cache=True)
def nmda_solve_ws(x, ws, skip=0):
    """The x-dependent half of `nmda_step_ws`: advance ``x`` in place with the
    factorisation that `nmda_factor_ws` left in ``ws`` (which it does not modify except
    column 5 of rows 0-4, its right-hand side).

    Examples
    --------
    >>> p = nmda_params_array(); ws = nmda_workspace()
    >>> x = nmda_equilibrium(-65.0, 0.0, 1.0, 0.0, 0.0, p)
    >>> nmda_factor_ws(0.1, -65.0, 0.0, 1.0, 0.0, 0.0, p, ws); nmda_solve_ws(x, ws)
    >>> bool(abs(x.sum() - 1.0) < 1e-12)
    True
    """
    n = NMDA_N_STATES
    S = ws
    b01 = ws[10, 0]
    b10 = ws[10, 1]
    for i in range(5):
        S[i, 5] = 0.0
    for b in range(3):
        if skip & (1 << b):
            continue
        o = 5 * (b + 1)
        w = ws[5 + b]
        hout = w[16]
        y0, y1, y2, y3, y4 = _arm_inverse(w, b01, b10, x[o], x[o + 1], x[o + 2], x[o + 3],
                                          x[o + 4])
        # Schur rhs: r_f - h * y
        S[0, 5] -= hout * y0
        S[1, 5] -= hout * y1
        S[2, 5] -= hout * y2
        S[3, 5] -= w[17] * y3
        S[4, 5] -= hout * y4
    for i in range(5):
        S[i, 5] += x[i]
    for k in range(5):
        for i in range(k + 1, 5):
            S[i, 5] -= S[i, k] * S[k, 5]
    for k in range(4, -1, -1):
        acc = S[k, 5]
        for c in range(k + 1, 5):
            acc -= S[k, c] * x[c]
        xi = acc / S[k, k]
        if xi < 0.0:  # round-off only (the exact solution is non-negative)
            xi = 0.0
        x[k] = xi
    s = x[0] + x[1] + x[2] + x[3] + x[4]
    # blocker arms: x_b = B^-1 (r_b - g x_f)  (sums of non-negative terms)
    for b in range(3):
        if skip & (1 << b):
            continue
        o = 5 * (b + 1)
        w = ws[5 + b]
        gin = w[14]
        y0, y1, y2, y3, y4 = _arm_inverse(w, b01, b10, x[o] - gin * x[0],
                                          x[o + 1] - gin * x[1], x[o + 2] - gin * x[2],
                                          x[o + 3] - w[15] * x[3], x[o + 4] - gin * x[4])
        x[o] = y0 if y0 > 0.0 else 0.0
        x[o + 1] = y1 if y1 > 0.0 else 0.0
        x[o + 2] = y2 if y2 > 0.0 else 0.0
        x[o + 3] = y3 if y3 > 0.0 else 0.0
        x[o + 4] = y4 if y4 > 0.0 else 0.0
        s += x[o] + x[o + 1] + x[o + 2] + x[o + 3] + x[o + 4]
    for i in range(n):
        x[i] /= s


@njit(cache=True)
def nmda_step(x, dt_ms, v_mV, glu_uM, mg_mM, ket_uM, nk_uM, p):
    """`nmda_step_ws` that allocates its own scratch (convenient; ~10 % slower).

    Examples
    --------
    >>> p = nmda_params_array(); x = nmda_equilibrium(-65.0, 0.0, 1.0, 0.0, 0.0, p)
    >>> nmda_step(x, 0.1, -65.0, 1000.0, 1.0, 0.0, 0.0, p); bool(x[1] > 0)
    True
    """
    nmda_step_ws(x, dt_ms, v_mV, glu_uM, mg_mM, ket_uM, nk_uM, p, nmda_workspace())


@njit(cache=True)
def nmda_conducting_fraction(x) -> float:
    """Fraction of receptors open and unblocked (the only conducting state).

    Examples
    --------
    >>> p = nmda_params_array()
    >>> round(nmda_conducting_fraction(nmda_equilibrium(0.0, 1000.0, 0.0, 0.0, 0.0, p)), 3)
    0.219
    """
    return x[OPEN]


@njit(cache=True)
def nmda_current(x, v_mV, gmax_nS, p) -> float:
    """NMDA current in pA (nS x mV), negative = inward: ``gmax * O * (V - E_rev)``.

    Examples
    --------
    >>> p = nmda_params_array(); x = nmda_equilibrium(-60.0, 1000.0, 0.0, 0.0, 0.0, p)
    >>> round(nmda_current(x, -60.0, 1.0, p), 2)
    -13.17
    """
    return gmax_nS * x[OPEN] * (v_mV - p[P_EREV])


@njit(cache=True)
def nmda_ca_current(x, v_mV, gmax_nS, p) -> float:
    """Ca2+ part of the NMDA current in pA (fraction ``ca_fraction``, Burnashev 1995).

    Examples
    --------
    >>> p = nmda_params_array(); x = nmda_equilibrium(-60.0, 1000.0, 0.0, 0.0, 0.0, p)
    >>> round(nmda_ca_current(x, -60.0, 1.0, p), 3)
    -1.317
    """
    return p[P_CAFRAC] * gmax_nS * x[OPEN] * (v_mV - p[P_EREV])


@njit(cache=True)
def nmda_blocked_fractions(x):
    """(Mg-bound, ketamine-bound, norketamine-bound) fractions of all receptors.

    Examples
    --------
    >>> p = nmda_params_array()
    >>> m, k, q = nmda_blocked_fractions(nmda_equilibrium(-60.0, 1000.0, 0.0, 10.0, 0.0, p))
    >>> round(k, 2), q
    (0.96, 0.0)
    """
    m = 0.0
    k = 0.0
    q = 0.0
    for j in range(NMDA_N_POS):
        m += x[5 + j]
        k += x[10 + j]
        q += x[15 + j]
    return m, k, q


@njit(cache=True)
def nmda_equilibrium(v_mV, glu_uM, mg_mM, ket_uM, nk_uM, p):
    """Equilibrium occupancies (closed form; detailed balance holds in every cycle).

    This is also the steady state under constant inputs. Note for pre-equilibrating a
    neuron: without channel opening, trapped ketamine relaxes only through closed-channel
    egress (time constant ~ 1/ket_esc0 ~ 13 min), so this state is reached in vivo only after
    minutes of steady drug level; with background glutamate it is reached faster.

    Examples
    --------
    >>> p = nmda_params_array()
    >>> x = nmda_equilibrium(-60.0, 1000.0, 1.0, 0.0, 0.0, p)
    >>> round(float(x[3] / nmda_equilibrium(-60.0, 1000.0, 0.0, 0.0, 0.0, p)[3]), 3)
    0.08
    """
    w = np.zeros(NMDA_N_STATES)
    kb = p[P_KB] * glu_uM
    ku = p[P_KU]
    # free-arm weights relative to C0 (binding: 2kb/ku, kb/(2ku))
    w[0] = 1.0
    w[1] = 2.0 * kb / ku
    w[2] = w[1] * kb / (2.0 * ku)
    w[3] = w[2] * p[P_BETA] / p[P_ALPHA]
    w[4] = w[2] * p[P_KD] / p[P_KR]
    f = (p[P_ALPHA_B] / p[P_BETA_B]) / (p[P_ALPHA] / p[P_BETA])
    concs = (float(mg_mM), float(ket_uM), float(nk_uM))
    for b in range(3):
        base = P_BLK + 6 * b
        kk = concs[b] / p[base + 2] * np.exp(-p[base + 3] * v_mV)
        o = 5 * (b + 1)
        for j in range(NMDA_N_POS):
            w[o + j] = w[j] * (kk if j == OPEN else f * kk)
    s = w.sum()
    return w / s


def nmda_steady_state_block(voltage_mV, glutamate_uM=1000.0, mg_mM=0.0, ketamine_uM=0.0,
                            norketamine_uM=0.0, params=None) -> np.ndarray:
    """Fraction of the drug-free, Mg-free open probability that is lost at equilibrium.

    ``params``: `NMDAParams` (None: the defaults), a subunit or composition name, weights
    such as ``"2B=0.5,2D=0.5"`` or a `ketasim.receptors.subunits.NMDAMixture` (the
    conductance-weighted open fraction of its populations).
    Parts with the allosteric site (``allo_gating_factor`` > 1) count at the joint
    equilibrium of their pair (`ketasim.receptors.populations.pair_equilibrium`).

    Vectorised over numpy-broadcastable inputs (numbers in the unit of the suffix, or
    quantities). ``glutamate_uM`` must be > 0: without agonist no channel opens and the
    fraction is undefined.

    Examples
    --------
    >>> b = nmda_steady_state_block(-80.0, mg_mM=1.0)
    >>> bool(abs((1 - b) - 1 / (1 + np.exp(0.062 * 80) / 3.57)) < 1e-3)
    True
    >>> round(float(nmda_steady_state_block("-60 mV", ketamine_uM="1 uM")), 3)
    0.727
    """
    site = None
    if params is None or isinstance(params, NMDAParams):
        ps = [(1.0, nmda_params_array(params))]
        if params is not None and params.allo_gating_factor > 1.0:
            site = params
    else:  # a subunit / composition name or an NMDAMixture: conductance-weighted sum
        from ketasim.receptors.subunits import as_mixture

        mix = as_mixture(params)
        ps = [(w, nmda_params_array(q)) for q, w in zip(mix.params, mix.weights, strict=True)]
        if any(q.allo_gating_factor > 1.0 for q in mix.params):
            site = mix
    if site is not None:  # the allosteric site: joint equilibrium of each pair
        from ketasim.receptors.populations import nmda_populations

        pops = nmda_populations(site)
    specs = (("voltage_mV", voltage_mV, "mV", VOLTAGE), ("glutamate_uM", glutamate_uM, "uM",
             POSITIVE), ("mg_mM", mg_mM, "mM", NONNEG), ("ketamine_uM", ketamine_uM, "uM",
             NONNEG), ("norketamine_uM", norketamine_uM, "uM", NONNEG))
    vals = []
    for name, val, unit, lim in specs:
        flat = to_floats(val, name, unit, lim)
        vals.append(flat.reshape(()) if isinstance(val, str) or np.ndim(val) == 0
                    else flat.reshape(np.shape(val)))
    try:
        arrs = np.broadcast_arrays(*vals)
    except ValueError:
        raise InputError("nmda_steady_state_block", [np.shape(a) for a in vals],
                         "inputs of broadcastable shapes") from None
    out = np.empty(arrs[0].shape)
    for idx in np.ndindex(out.shape):
        v, g, m, k, q = (float(a[idx]) for a in arrs)
        if site is not None:
            from ketasim.receptors.populations import model_open_fraction

            out[idx] = 1.0 - (model_open_fraction(v, g, m, k, q, pops)
                              / model_open_fraction(v, g, 0.0, 0.0, 0.0, pops))
            continue
        o = o0 = 0.0
        for w, p in ps:
            o += w * nmda_equilibrium(v, g, m, k, q, p)[OPEN]
            o0 += w * nmda_equilibrium(v, g, 0.0, 0.0, 0.0, p)[OPEN]
        out[idx] = 1.0 - o / o0
    return out


@validate_params({"voltage_mV": Each(VOLTAGE), "mg_mM": Each(NONNEG)})
def jahr_stevens_unblocked(voltage_mV, mg_mM=1.0):
    """Jahr & Stevens 1990 unblocked fraction 1/(1 + [Mg]/3.57 exp(-0.062 V)) [jahr_stevens_1990].

    Examples
    --------
    >>> round(float(jahr_stevens_unblocked(-80.0)), 3)
    0.024
    """
    out = 1.0 / (1.0 + np.asarray(mg_mM, float) / 3.57
                 * np.exp(-0.062 * np.asarray(voltage_mV, float)))
    check_finite("jahr_stevens_unblocked", out)
    return out
