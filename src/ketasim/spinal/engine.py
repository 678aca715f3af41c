"""Compiled engine: afferent events -> excitatory interneuron -> two-compartment WDR neuron.

One numba kernel integrates a batch of conditions (``prange`` over conditions, a plain loop over
fixed time steps inside; no Python per step). Scheme (identical for every state variable, so
that it can be reproduced in Brian2's ``exponential_euler``): at each step all right-hand sides
are evaluated from the state at t, and each variable is advanced by the exact solution of its
own linear ODE with the coefficients frozen over the step (Rush-Larsen for gates, exponential
Euler for V and [Ca]i; the L-type GHK current is evaluated at t and held over the step). NMDA
receptors are advanced by the receptor layer's own kernel (`ketasim.receptors`), the one NMDA
model of the codebase. Order inside a step, as in Brian2: integrate t -> t + dt, detect
spikes (upward crossing of ``v_spike``), then deliver the synaptic events of that step.

Pathways (lumped synapse groups: all synapses of one pathway see the same presynaptic spike
train, so one state vector times the summed conductance is exact for identical inputs):
channel 0 A-beta, 1 A-delta, 2 C, 3 background excitation, 4 background inhibition,
5 afferent-driven feed-forward inhibition, 6 interneuron -> WDR, 7 interneuron-driven
feed-forward inhibition (delayed).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ketasim.spinal._rx import (
    NMDA_N_STATES,
    P_CAFRAC,
    P_EREV,
    nmda_equilibrium,
    nmda_fill_rate_matrix,
    nmda_step_ws,
    nmda_workspace,
)

# channels (presynaptic spike trains)
CH_AB, CH_AD, CH_C, CH_BGE, CH_BGI, CH_FFI, CH_INT, CH_INT_FFI = range(8)
N_CH = 8
CHANNEL_NAMES = ("abeta", "adelta", "c", "bg_exc", "bg_inh", "ffi_aff", "int", "ffi_int")
# synapse types (columns of the weight matrix)
S_W_AMPA, S_W_NMDA, S_W_NK1, S_W_GABA, S_W_GLY, S_I_AMPA, S_I_NMDA, S_I_NK1 = range(8)
N_SYN = 8
# modulator columns (drug inputs, piecewise constant on a coarse grid)
M_MG, M_KET, M_NK, M_GABA_TAU, M_GABA_G, M_GABA_TONIC, M_GLY_G, M_MU = range(8)
N_MOD = 8
# recorded trace variables
R_V, R_V_DEND, R_I_NMDA, R_I_CAL, R_CA, R_I_CAN, R_I_AMPA, R_I_GABA, R_V_INT = range(9)
N_REC = 9
TRACE_NAMES = ("v", "v_dend", "i_nmda", "i_cal", "ca_i", "i_can", "i_ampa", "i_inh", "v_int")
TRACE_UNITS = ("mV", "mV", "pA", "pA", "umol/L", "pA", "pA", "pA", "mV")

FARADAY = 96485.33212  # C/mol
R_GAS = 8.314462618  # J/(mol K)

# --- parameter indices (generated from ketasim.spinal.params.FIELDS; checked by a test)
# BEGIN PARAM INDEX
P_TEMPERATURE_C = 0
P_AREA_SOMA_UM2 = 1
P_AREA_DEND_UM2 = 2
P_CM_UF_CM2 = 3
P_G_LEAK_S_CM2 = 4
P_E_LEAK = 5
P_G_COUPLE = 6
P_G_NA = 7
P_G_K = 8
P_E_NA = 9
P_E_K = 10
P_VTRAUB = 11
P_G_NAP = 12
P_P_CAL_SOMA = 13
P_P_CAL_DEND = 14
P_CA_O_MM = 15
P_CA_DEPTH_UM = 16
P_CA_TAU_SOMA_MS = 17
P_CA_TAU_DEND_MS = 18
P_CA_REST_UM = 19
P_CA_DEND_POOL_FRAC = 20
P_NK1_CA_FRAC = 21
P_G_CAN = 22
P_E_CAN = 23
P_CAN_CAC_UM = 24
P_CAN_BETA = 25
P_CAN_TAU_FACTOR = 26
P_G_KCA_SOMA = 27
P_G_KCA_DEND = 28
P_KCA_CAC_UM = 29
P_KCA_BETA = 30
P_INT_C_M_PF = 31
P_INT_G_LEAK = 32
P_INT_G_NA = 33
P_INT_G_K = 34
P_AMPA_TAU_RISE = 35
P_AMPA_TAU_DECAY = 36
P_NK1_INT_TAU_RISE = 37
P_NK1_INT_TAU_DECAY = 38
P_NK1_WDR_TAU_RISE = 39
P_NK1_WDR_TAU_DECAY = 40
P_GABA_TAU_RISE = 41
P_GABA_TAU_DECAY = 42
P_GLY_TAU_RISE = 43
P_GLY_TAU_DECAY = 44
P_E_AMPA = 45
P_E_NK1 = 46
P_E_CL = 47
P_GLU_PULSE_UM = 48
P_GLU_PULSE_MS = 49
P_MG_MM = 50
P_W_AB_AMPA = 51
P_W_AD_AMPA = 52
P_W_AD_NMDA = 53
P_W_C_INT_AMPA = 54
P_W_C_INT_NMDA = 55
P_W_C_INT_NK1 = 56
P_W_C_WDR_NK1 = 57
P_W_INT_WDR_AMPA = 58
P_W_INT_WDR_NMDA = 59
P_W_INT_FFI_GABA = 60
P_W_INT_FFI_GLY = 61
P_W_AFF_FFI_GABA = 62
P_W_AFF_FFI_GLY = 63
P_W_BG_AMPA = 64
P_W_BG_GABA = 65
P_DELAY_INT_MS = 66
P_DELAY_FFI_MS = 67
P_NMDA_SCALE = 68
P_AMPA_SCALE = 69
P_NK1_SCALE = 70
P_INH_SCALE = 71
P_MU_PRESYN_MAX = 72
P_G_GIRK_MAX = 73
P_V_SPIKE = 74
# END PARAM INDEX


@njit(cache=True, inline="always")
def _vtrap(x, y):
    """x / (exp(x / y) - 1) with its limit y (1 - x / 2y) near x = 0."""
    if abs(x / y) < 1e-6:
        return y * (1.0 - 0.5 * x / y)
    return x / (math.exp(x / y) - 1.0)


@njit(cache=True, inline="always")
def _rl(x, xinf, tau, dt):
    """Rush-Larsen / exponential-Euler step of dx/dt = (xinf - x) / tau."""
    return xinf + (x - xinf) * math.exp(-dt / tau)


@njit(cache=True)
def _hh_rates(v, vtraub):
    """Traub & Miles fast Na (m, h) and K (n) rates, ms^-1 (traub1991, 36 C)."""
    v2 = v - vtraub
    am = 0.32 * _vtrap(13.0 - v2, 4.0)
    bm = 0.28 * _vtrap(v2 - 40.0, 5.0)
    ah = 0.128 * math.exp((17.0 - v2) / 18.0)
    bh = 4.0 / (1.0 + math.exp((40.0 - v2) / 5.0))
    an = 0.032 * _vtrap(15.0 - v2, 5.0)
    bn = 0.5 * math.exp((10.0 - v2) / 40.0)
    return am, bm, ah, bh, an, bn


@njit(cache=True)
def _nap_rates(v, vtraub):
    """Persistent Na: Traub kinetics shifted (vsm -2, vsh -5, gamma 0.5; prescott2005 as
    parametrised by aguiar2010)."""
    v2 = v - vtraub
    am = 0.32 * _vtrap(-2.0 + 13.0 - v2, 4.0)
    bm = 0.28 * _vtrap(-2.0 + v2 - 40.0, 5.0)
    ah = 0.128 * math.exp((-5.0 + 17.0 - v2) / 18.0)
    bh = 4.0 / (1.0 + math.exp((-5.0 + 40.0 - v2) / 5.0 * 0.5))
    return am, bm, ah, bh


@njit(cache=True)
def _cal_rates(v):
    """L-type Ca activation (mccormick1992): m_inf, and rates at 23.5 C."""
    a = 1.6 / (1.0 + math.exp(-0.072 * (v - 5.0)))
    b = 0.02 * _vtrap(v - 1.31, 5.36)
    minf = 1.0 / (1.0 + math.exp(-(v + 10.0) / 10.0))
    return minf, 1.0 / (a + b)


@njit(cache=True)
def ghk_ca_pA(v, perm_um3_ms, ca_i_um, ca_o_mm, temp_c):
    """GHK Ca2+ current (pA, outward positive) for a permeability in um3/ms."""
    w = 2.0 * FARADAY * v * 1e-3 / (R_GAS * (temp_c + 273.15))
    ci = ca_i_um * 1e-3  # mM
    if abs(w) < 1e-6:
        e = 1.0 - 0.5 * w
        return perm_um3_ms * 2.0 * FARADAY * 1e-3 * (ci - ca_o_mm * (1.0 - w)) * e
    # I = P z F w (ci - co e^-w) / (1 - e^-w); P um3/ms -> cm3/s 1e-9, mM -> mol/cm3 1e-6,
    # A -> pA 1e12: factor 1e-3
    return perm_um3_ms * 2.0 * FARADAY * 1e-3 * w * (ci - ca_o_mm * math.exp(-w)) / (
        1.0 - math.exp(-w))



# gate lookup: columns (inf, exp(-dt/tau)) for m, h, n (Traub), mp, hp (NaP), ml (CaL)
N_GATE_COLS = 12
V_MIN, V_MAX, DV = -150.0, 100.0, 0.01


@njit(cache=True)
def _gates_exact(v, vtraub, tadj_hh, tadj_cal, dt, out):
    am, bm, ah, bh, an, bn = _hh_rates(v, vtraub)
    out[0] = am / (am + bm)
    out[1] = math.exp(-dt * (am + bm) * tadj_hh)
    out[2] = ah / (ah + bh)
    out[3] = math.exp(-dt * (ah + bh) * tadj_hh)
    out[4] = an / (an + bn)
    out[5] = math.exp(-dt * (an + bn) * tadj_hh)
    am, bm, ah, bh = _nap_rates(v, vtraub)
    out[6] = am / (am + bm)
    out[7] = math.exp(-dt * (am + bm) * tadj_hh)
    out[8] = ah / (ah + bh)
    out[9] = math.exp(-dt * (ah + bh) * tadj_hh)
    minf, tm = _cal_rates(v)
    out[10] = minf
    out[11] = math.exp(-dt * tadj_cal / tm)


@njit(cache=True)
def _gate_table(vtraub, tadj_hh, tadj_cal, dt):
    n = int(round((V_MAX - V_MIN) / DV)) + 1
    T = np.empty((n, N_GATE_COLS))
    for i in range(n):
        _gates_exact(V_MIN + i * DV, vtraub, tadj_hh, tadj_cal, dt, T[i])
    return T


@njit(cache=True, inline="always")
def _gates(v, T, exact, vtraub, tadj_hh, tadj_cal, dt, out):
    """Gate (inf, decay) at v: linear interpolation in a 0.01 mV table (as NEURON's usetable;
    relative error < 1e-6) or, with ``exact``, the closed-form rates."""
    x = (v - V_MIN) / DV
    if exact or x < 0.0 or x >= T.shape[0] - 1:
        _gates_exact(v, vtraub, tadj_hh, tadj_cal, dt, out)
        return
    i = int(x)
    fr = x - i
    for j in range(N_GATE_COLS):
        out[j] = T[i, j] + fr * (T[i + 1, j] - T[i, j])


@njit(cache=True)
def _dexp_norm(tr, td):
    """Factor making the peak of exp(-t/td) - exp(-t/tr) equal to 1."""
    if td <= tr * 1.000001:
        return math.e  # alpha function limit
    tp = tr * td / (td - tr) * math.log(td / tr)
    return 1.0 / (math.exp(-tp / td) - math.exp(-tp / tr))



@njit(cache=True)
def nmda_step_expeuler(x, dt, v, glu, mg, ket, nk, p, Q):
    """Cross-check integrator: the receptor layer's NMDA rate matrix (same model, same rates,
    `ketasim.receptors.nmda.nmda_fill_rate_matrix`) advanced by exponential Euler per state,
    i.e. Brian2's ``exponential_euler`` for these equations. Not used by default (the default
    is the receptor layer's backward Euler, `nmda_step_ws`)."""
    nmda_fill_rate_matrix(Q, v, glu, mg, ket, nk, p)
    n = x.shape[0]
    xo = x.copy()
    for i in range(n):
        inflow = 0.0
        for j in range(n):
            if j != i:
                inflow += Q[i, j] * xo[j]
        a = Q[i, i]
        if a < 0.0:
            e = math.exp(a * dt)
            x[i] = -inflow / a + (xo[i] + inflow / a) * e
        else:
            x[i] = xo[i] + inflow * dt


@njit(cache=True, parallel=True)
def run_batch(P, W, ev_ptr, ev_step, ev_ch, ev_w, mod, mod_every, n_steps, dt, rec_every,
              rec, spk_t, spk_n, ispk_t, ispk_n, nmda_p, exact=False, nmda_sub=0,
              nmda_ee=False):
    """Integrate ``n_cond`` conditions for ``n_steps`` steps of ``dt`` ms (see module doc).

    P (n_cond, n_param) parameters; W (n_cond, N_CH, N_SYN) lumped conductances (nS);
    events of condition c are ev_step/ev_ch/ev_w[ev_ptr[c]:ev_ptr[c+1]] sorted by step;
    mod (n_cond, n_mod_steps, N_MOD) drug inputs, row k // mod_every applies at step k;
    rec (n_cond, n_rec, N_REC) traces every rec_every steps (n_rec may be 0);
    spk_t / ispk_t (n_cond, max_spikes) WDR / interneuron spike times (ms), counts in
    spk_n / ispk_n (counts beyond capacity are kept, times dropped). ``exact`` evaluates the
    gate rates in closed form at every step instead of the 0.01 mV lookup table;
    ``nmda_sub`` > 0 advances the NMDA receptors every ``nmda_sub`` steps (default: 0.1 ms);
    ``nmda_ee`` uses `nmda_step_expeuler` (Brian2 cross-check) instead of the receptor kernel.
    """
    n_cond = P.shape[0]
    for c in prange(n_cond):
        _run_one(c, P[c], W[c], ev_ptr, ev_step, ev_ch, ev_w, mod[c], mod_every, n_steps, dt,
                 rec_every, rec[c], spk_t[c], spk_n, ispk_t[c], ispk_n, nmda_p, exact,
                 nmda_sub, nmda_ee)


@njit(cache=True)
def _run_one(c, p, w, ev_ptr, ev_step, ev_ch, ev_w, md, mod_every, n_steps, dt, rec_every,
             rec, spk_t, spk_n, ispk_t, ispk_n, nmda_p, exact, nmda_sub, nmda_ee):
    temp = p[P_TEMPERATURE_C]
    tadj_hh = 3.0 ** ((temp - 36.0) / 10.0)
    tadj_cal = 3.0 ** ((temp - 23.5) / 10.0)
    tadj_ca = 3.0 ** ((temp - 22.0) / 10.0)
    a_s = p[P_AREA_SOMA_UM2]
    a_d = p[P_AREA_DEND_UM2]
    cm_s = p[P_CM_UF_CM2] * a_s * 1e-2  # pF (1 uF/cm2 = 0.01 pF/um2)
    cm_d = p[P_CM_UF_CM2] * a_d * 1e-2
    gl_s = p[P_G_LEAK_S_CM2] * a_s * 10.0  # nS (1 S/cm2 over 1 um2 = 10 nS)
    gl_d = p[P_G_LEAK_S_CM2] * a_d * 10.0
    gc = p[P_G_COUPLE]
    e_l = p[P_E_LEAK]
    # Ca2+ shells: uM/ms per pA of inward current
    k_ca_s = 1e-9 / (2.0 * FARADAY * a_s * p[P_CA_DEPTH_UM] * 1e-15)
    k_ca_d = 1e-9 / (2.0 * FARADAY * a_d * p[P_CA_DEND_POOL_FRAC] * p[P_CA_DEPTH_UM] * 1e-15)
    ca_rest = p[P_CA_REST_UM]
    tau_cs = p[P_CA_TAU_SOMA_MS]
    tau_cd = p[P_CA_TAU_DEND_MS]
    vtr = p[P_VTRAUB]
    T = _gate_table(vtr, tadj_hh, tadj_cal, dt) if not exact else np.zeros((2, N_GATE_COLS))
    gs = np.empty(N_GATE_COLS)  # soma gates
    gd = np.empty(N_GATE_COLS)  # dendrite (CaL)
    gi = np.empty(N_GATE_COLS)  # interneuron
    # --- state at rest
    v = e_l
    vd = e_l
    am, bm, ah, bh, an, bn = _hh_rates(v, p[P_VTRAUB])
    m = am / (am + bm)
    h = ah / (ah + bh)
    n = an / (an + bn)
    am, bm, ah, bh = _nap_rates(v, p[P_VTRAUB])
    mp = am / (am + bm)
    hp = ah / (ah + bh)
    minf, _tm = _cal_rates(v)
    ml = minf
    mld = minf
    ca = ca_rest
    cad = ca_rest
    r = (ca_rest / p[P_CAN_CAC_UM]) ** 2
    mcan = r / (1.0 + r)
    r = (ca_rest / p[P_KCA_CAC_UM]) ** 2
    mks = r / (1.0 + r)
    mkd = mks
    # interneuron
    vi = e_l
    am, bm, ah, bh, an, bn = _hh_rates(vi, p[P_VTRAUB])
    mi = am / (am + bm)
    hi = ah / (ah + bh)
    ni = an / (an + bn)
    # synapses: dual exponential (a: rise, b: decay) per channel and type
    sa = np.zeros((N_CH, N_SYN))
    sb = np.zeros((N_CH, N_SYN))
    taur = np.ones(N_SYN)
    taud = np.full(N_SYN, 2.0)  # NMDA columns unused (Markov)
    taur[S_W_AMPA] = p[P_AMPA_TAU_RISE]
    taud[S_W_AMPA] = p[P_AMPA_TAU_DECAY]
    taur[S_I_AMPA] = p[P_AMPA_TAU_RISE]
    taud[S_I_AMPA] = p[P_AMPA_TAU_DECAY]
    taur[S_W_NK1] = p[P_NK1_WDR_TAU_RISE]
    taud[S_W_NK1] = p[P_NK1_WDR_TAU_DECAY]
    taur[S_I_NK1] = p[P_NK1_INT_TAU_RISE]
    taud[S_I_NK1] = p[P_NK1_INT_TAU_DECAY]
    taur[S_W_GABA] = p[P_GABA_TAU_RISE]
    taud[S_W_GABA] = p[P_GABA_TAU_DECAY]
    taur[S_W_GLY] = p[P_GLY_TAU_RISE]
    taud[S_W_GLY] = p[P_GLY_TAU_DECAY]
    fa = np.zeros(N_SYN)
    fb = np.zeros(N_SYN)
    norm = np.zeros(N_SYN)
    # NMDA Markov states per channel on the WDR dendrite (0) and the interneuron (1)
    xn = np.zeros((2, N_CH, NMDA_N_STATES))
    ws = nmda_workspace()
    Q = np.zeros((NMDA_N_STATES, NMDA_N_STATES))
    f_rel = np.zeros((2, N_CH))  # recruitment x release of the last event (lumping factor)
    glu_left = np.zeros(N_CH, np.int64)
    # receptors start at equilibrium with the initial drug levels (drug given long before)
    x0 = nmda_equilibrium(e_l, 0.0, md[0, M_MG], md[0, M_KET], md[0, M_NK], nmda_p)
    for ch in range(N_CH):
        xn[0, ch, :] = x0
        xn[1, ch, :] = x0
    e_nmda = nmda_p[P_EREV]
    ca_frac_nmda = nmda_p[P_CAFRAC]
    n_glu = max(1, int(round(p[P_GLU_PULSE_MS] / dt)))
    glu_c = p[P_GLU_PULSE_UM]
    # two FIFO queues (constant delays keep them sorted): IN -> WDR and IN-driven inhibition
    RB = 1024
    q_int = np.zeros(RB, np.int64)
    q_ffi = np.zeros(RB, np.int64)
    qi_h = 0
    qi_t = 0
    qf_h = 0
    qf_t = 0
    # NMDA receptors are advanced every n_sub steps (receptor-layer backward Euler at
    # n_sub * dt <= 0.1 ms, its stated accuracy limit) with the glutamate averaged over it
    n_sub = nmda_sub if nmda_sub > 0 else max(1, int(0.1 / dt + 1e-9))
    dt_sub = n_sub * dt
    glu_acc = np.zeros(N_CH)
    d_int = max(1, int(round(p[P_DELAY_INT_MS] / dt)))
    d_ffi = d_int + max(1, int(round(p[P_DELAY_FFI_MS] / dt)))
    nmda_sc = p[P_NMDA_SCALE]
    ampa_sc = p[P_AMPA_SCALE]
    nk1_sc = p[P_NK1_SCALE]
    inh_sc = p[P_INH_SCALE]
    e_k = p[P_E_K]
    e_na = p[P_E_NA]
    e_cl = p[P_E_CL]
    vthr = p[P_V_SPIKE]
    cmi = p[P_INT_C_M_PF]
    fcs = math.exp(-dt / tau_cs)
    fcd = math.exp(-dt / tau_cd)
    e0 = ev_ptr[c]
    e1 = ev_ptr[c + 1]
    mrow = -1
    mg = 1.0
    ket = 0.0
    nk = 0.0
    gaba_g = 1.0
    gaba_tonic = 0.0
    gly_g = 1.0
    mu = 0.0
    nsp = 0
    nisp = 0
    ir = 0
    for k in range(n_steps):
        # --- drug inputs for this step
        row = k // mod_every
        if row >= md.shape[0]:
            row = md.shape[0] - 1
        if row != mrow:
            mrow = row
            mg = md[row, M_MG]
            ket = md[row, M_KET]
            nk = md[row, M_NK]
            gaba_g = md[row, M_GABA_G]
            gaba_tonic = md[row, M_GABA_TONIC]
            gly_g = md[row, M_GLY_G]
            mu = md[row, M_MU]
            taud[S_W_GABA] = p[P_GABA_TAU_DECAY] * md[row, M_GABA_TAU]
            for s in range(N_SYN):
                fa[s] = math.exp(-dt / taur[s])
                fb[s] = math.exp(-dt / taud[s])
                norm[s] = _dexp_norm(taur[s], taud[s])
        # --- synaptic conductances at t (WDR dendrite, WDR soma background, interneuron)
        g_ampa = 0.0
        g_nk1 = 0.0
        g_gaba = 0.0
        g_gly = 0.0
        g_nmda = 0.0
        gi_ampa = 0.0
        gi_nk1 = 0.0
        gi_nmda = 0.0
        for ch in range(N_CH):
            g_ampa += w[ch, S_W_AMPA] * (sb[ch, S_W_AMPA] - sa[ch, S_W_AMPA])
            g_nk1 += w[ch, S_W_NK1] * (sb[ch, S_W_NK1] - sa[ch, S_W_NK1])
            g_gaba += w[ch, S_W_GABA] * (sb[ch, S_W_GABA] - sa[ch, S_W_GABA])
            g_gly += w[ch, S_W_GLY] * (sb[ch, S_W_GLY] - sa[ch, S_W_GLY])
            gi_ampa += w[ch, S_I_AMPA] * (sb[ch, S_I_AMPA] - sa[ch, S_I_AMPA])
            gi_nk1 += w[ch, S_I_NK1] * (sb[ch, S_I_NK1] - sa[ch, S_I_NK1])
            if w[ch, S_W_NMDA] > 0.0:
                g_nmda += w[ch, S_W_NMDA] * f_rel[0, ch] * xn[0, ch, 3]
            if w[ch, S_I_NMDA] > 0.0:
                gi_nmda += w[ch, S_I_NMDA] * f_rel[1, ch] * xn[1, ch, 3]
        # background synapses sit on the soma (aguiar2010), all others on the dendrite
        gbe = w[CH_BGE, S_W_AMPA] * (sb[CH_BGE, S_W_AMPA] - sa[CH_BGE, S_W_AMPA]) * ampa_sc
        gbi = w[CH_BGI, S_W_GABA] * (sb[CH_BGI, S_W_GABA] - sa[CH_BGI, S_W_GABA]) * inh_sc
        g_ampa = g_ampa * ampa_sc - gbe
        g_inh_gaba = (g_gaba * gaba_g + gaba_tonic) * inh_sc - gbi * gaba_g
        gbi *= gaba_g
        gi_ampa *= ampa_sc
        g_nk1 *= nk1_sc
        gi_nk1 *= nk1_sc
        g_nmda *= nmda_sc
        gi_nmda *= nmda_sc
        g_inh_gly = g_gly * gly_g * inh_sc
        g_girk = p[P_G_GIRK_MAX] * mu
        # --- WDR soma intrinsic currents at t
        _gates(v, T, exact, vtr, tadj_hh, tadj_cal, dt, gs)
        i_cal_s = ghk_ca_pA(v, p[P_P_CAL_SOMA] * ml * ml, ca, p[P_CA_O_MM], temp)
        g_na = p[P_G_NA] * m * m * m * h
        g_k = p[P_G_K] * n * n * n * n
        g_nap = p[P_G_NAP] * mp * hp
        g_ks = p[P_G_KCA_SOMA] * mks * mks * mks
        gs_tot = gl_s + g_na + g_k + g_nap + g_ks + g_girk + gbe + gbi + gc
        ges = (gl_s * e_l + (g_na + g_nap) * e_na + (g_k + g_ks + g_girk) * e_k
               + gbe * p[P_E_AMPA] + gbi * e_cl + gc * vd)
        # --- WDR dendrite currents at t
        _gates(vd, T, exact, vtr, tadj_hh, tadj_cal, dt, gd)
        i_cal_d = ghk_ca_pA(vd, p[P_P_CAL_DEND] * mld * mld, cad, p[P_CA_O_MM], temp)
        g_can = p[P_G_CAN] * mcan * mcan
        g_kd = p[P_G_KCA_DEND] * mkd * mkd * mkd
        i_nmda = g_nmda * (vd - e_nmda)
        i_nk1 = g_nk1 * (vd - p[P_E_NK1])
        gd_tot = (gl_d + g_can + g_kd + g_ampa + g_nk1 + g_nmda + g_inh_gaba + g_inh_gly + gc)
        ged = (gl_d * e_l + g_kd * e_k + g_can * p[P_E_CAN] + g_ampa * p[P_E_AMPA]
               + g_nk1 * p[P_E_NK1] + g_nmda * e_nmda + (g_inh_gaba + g_inh_gly) * e_cl
               + gc * v)
        # Ca2+ influx (uM/ms): soma L-type; dendrite L-type + Ca2+ fractions of NMDA and NK1
        drive_s = -k_ca_s * i_cal_s
        if drive_s < 0.0:
            drive_s = 0.0
        drive_d = -k_ca_d * (i_cal_d + ca_frac_nmda * i_nmda + p[P_NK1_CA_FRAC] * i_nk1)
        if drive_d < 0.0:
            drive_d = 0.0
        r = (cad / p[P_CAN_CAC_UM]) ** 2
        tau_can = p[P_CAN_TAU_FACTOR] / (p[P_CAN_BETA] * (1.0 + r)) / tadj_ca
        if tau_can < 0.1:
            tau_can = 0.1
        mcan_inf = r / (1.0 + r)
        r = (ca / p[P_KCA_CAC_UM]) ** 2
        tau_ks = 1.0 / (p[P_KCA_BETA] * (1.0 + r)) / tadj_ca
        if tau_ks < 0.1:
            tau_ks = 0.1
        mks_inf = r / (1.0 + r)
        r = (cad / p[P_KCA_CAC_UM]) ** 2
        tau_kd = 1.0 / (p[P_KCA_BETA] * (1.0 + r)) / tadj_ca
        if tau_kd < 0.1:
            tau_kd = 0.1
        mkd_inf = r / (1.0 + r)
        # --- record (state at t)
        if rec.shape[0] > 0 and k % rec_every == 0 and ir < rec.shape[0]:
            rec[ir, R_V] = v
            rec[ir, R_V_DEND] = vd
            rec[ir, R_I_NMDA] = i_nmda
            rec[ir, R_I_CAL] = i_cal_s + i_cal_d
            rec[ir, R_CA] = cad
            rec[ir, R_I_CAN] = g_can * (vd - p[P_E_CAN])
            rec[ir, R_I_AMPA] = g_ampa * (vd - p[P_E_AMPA])
            rec[ir, R_I_GABA] = (g_inh_gaba + g_inh_gly) * (vd - e_cl)
            rec[ir, R_V_INT] = vi
            ir += 1
        # --- interneuron at t
        _gates(vi, T, exact, vtr, tadj_hh, tadj_cal, dt, gi)
        gi_na = p[P_INT_G_NA] * mi * mi * mi * hi
        gi_k = p[P_INT_G_K] * ni * ni * ni * ni
        gi_tot = p[P_INT_G_LEAK] + gi_na + gi_k + gi_ampa + gi_nk1 + gi_nmda
        gei = (p[P_INT_G_LEAK] * e_l + gi_na * e_na + gi_k * e_k + gi_ampa * p[P_E_AMPA]
               + gi_nk1 * p[P_E_NK1] + gi_nmda * e_nmda)
        # --- advance t -> t + dt (every variable from the state at t)
        v_old = v
        vd_old = vd
        vinf = (ges - i_cal_s) / gs_tot
        v = vinf + (v - vinf) * math.exp(-dt * gs_tot / cm_s)
        vinf = (ged - i_cal_d) / gd_tot
        vd = vinf + (vd - vinf) * math.exp(-dt * gd_tot / cm_d)
        # Rush-Larsen: x <- x_inf + (x - x_inf) exp(-dt / tau)
        m = gs[0] + (m - gs[0]) * gs[1]
        h = gs[2] + (h - gs[2]) * gs[3]
        n = gs[4] + (n - gs[4]) * gs[5]
        mp = gs[6] + (mp - gs[6]) * gs[7]
        hp = gs[8] + (hp - gs[8]) * gs[9]
        ml = gs[10] + (ml - gs[10]) * gs[11]
        mld = gd[10] + (mld - gd[10]) * gd[11]
        cinf = ca_rest + drive_s * tau_cs
        ca = cinf + (ca - cinf) * fcs
        cinf = ca_rest + drive_d * tau_cd
        cad_new = cinf + (cad - cinf) * fcd
        mcan = _rl(mcan, mcan_inf, tau_can, dt)
        mks = _rl(mks, mks_inf, tau_ks, dt)
        mkd = _rl(mkd, mkd_inf, tau_kd, dt)
        cad = cad_new
        vi_old = vi
        vinf = gei / gi_tot
        vi = vinf + (vi - vinf) * math.exp(-dt * gi_tot / cmi)
        mi = gi[0] + (mi - gi[0]) * gi[1]
        hi = gi[2] + (hi - gi[2]) * gi[3]
        ni = gi[4] + (ni - gi[4]) * gi[5]
        do_nmda = (k + 1) % n_sub == 0
        for ch in range(N_CH):
            if glu_left[ch] > 0:
                glu_acc[ch] += glu_c
                glu_left[ch] -= 1
            if do_nmda:
                glu = glu_acc[ch] / n_sub
                glu_acc[ch] = 0.0
                if w[ch, S_W_NMDA] > 0.0:
                    if nmda_ee:
                        nmda_step_expeuler(xn[0, ch], dt_sub, vd_old, glu, mg, ket, nk, nmda_p, Q)
                    else:
                        nmda_step_ws(xn[0, ch], dt_sub, vd_old, glu, mg, ket, nk, nmda_p, ws)
                if w[ch, S_I_NMDA] > 0.0:
                    if nmda_ee:
                        nmda_step_expeuler(xn[1, ch], dt_sub, vi_old, glu, mg, ket, nk, nmda_p, Q)
                    else:
                        nmda_step_ws(xn[1, ch], dt_sub, vi_old, glu, mg, ket, nk, nmda_p, ws)
            for s in range(N_SYN):
                if w[ch, s] != 0.0:
                    sa[ch, s] *= fa[s]
                    sb[ch, s] *= fb[s]
        # --- spikes (upward crossing during the step, time stamped t as in Brian2)
        t = k * dt
        if v > vthr and v_old <= vthr:
            if nsp < spk_t.shape[0]:
                spk_t[nsp] = t
            nsp += 1
        if vi > vthr and vi_old <= vthr:
            if nisp < ispk_t.shape[0]:
                ispk_t[nisp] = t
            nisp += 1
            q_int[qi_t % RB] = k + d_int
            qi_t += 1
            q_ffi[qf_t % RB] = k + d_ffi
            qf_t += 1
        # --- deliver this step's events
        while e0 < e1 and ev_step[e0] <= k:
            ch = ev_ch[e0]
            fr = ev_w[e0]
            if ch == CH_C:
                fr *= 1.0 - p[P_MU_PRESYN_MAX] * mu
            _deliver(ch, fr, sa, sb, norm, f_rel, glu_left, n_glu, w)
            e0 += 1
        while qi_h < qi_t and q_int[qi_h % RB] <= k:
            _deliver(CH_INT, 1.0, sa, sb, norm, f_rel, glu_left, n_glu, w)
            qi_h += 1
        while qf_h < qf_t and q_ffi[qf_h % RB] <= k:
            _deliver(CH_INT_FFI, 1.0, sa, sb, norm, f_rel, glu_left, n_glu, w)
            qf_h += 1
    spk_n[c] = nsp
    ispk_n[c] = nisp


@njit(cache=True)
def _deliver(ch, fr, sa, sb, norm, f_rel, glu_left, n_glu, w):
    for s in range(N_SYN):
        if w[ch, s] != 0.0 and s != S_W_NMDA and s != S_I_NMDA:
            sa[ch, s] += fr * norm[s]
            sb[ch, s] += fr * norm[s]
    if w[ch, S_W_NMDA] > 0.0 or w[ch, S_I_NMDA] > 0.0:
        glu_left[ch] = n_glu
        f_rel[0, ch] = fr
        f_rel[1, ch] = fr
