"""Intrinsic channels of the WDR neuron and the interneuron (compiled helpers of the engine).

Gate kinetics: Traub & Miles fast Na/K (traub1991), persistent Na (prescott2005 as
parametrised by aguiar2010), L-type Ca2+ (mccormick1992) with a GHK current, I_CAN and K(Ca)
gated by [Ca]i (destexhe1994 retuned by aguiar2010). Gates are tabulated every 0.01 mV as
(x_inf, exp(-dt/tau)) pairs for a Rush-Larsen step (`gate_table`, `gates`), or evaluated in
closed form (`gates_exact`, used by the Brian2 cross-check).

The ``*_currents`` helpers return, for one compartment, the total conductance ``g_tot`` (nS)
and ``g_tot * E`` summed over channels (``ge``, nS mV), from which the engine advances V by
exponential Euler; they are inlined into the engine's loop (``inline="always"``), and each
keeps the engine's order of floating-point operations (spike counts are compared bit for bit).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ketasim.spinal.layout import (
    P_CA_O_MM,
    P_CAN_BETA,
    P_CAN_CAC_UM,
    P_CAN_TAU_FACTOR,
    P_E_AMPA,
    P_E_CAN,
    P_E_CL,
    P_E_K,
    P_E_NA,
    P_E_NK1,
    P_G_CAN,
    P_G_K,
    P_G_KCA_DEND,
    P_G_KCA_SOMA,
    P_G_NA,
    P_G_NAP,
    P_INT_G_K,
    P_INT_G_LEAK,
    P_INT_G_NA,
    P_KCA_BETA,
    P_KCA_CAC_UM,
    P_P_CAL_DEND,
    P_P_CAL_SOMA,
)

FARADAY = 96485.33212  # C/mol
R_GAS = 8.314462618  # J/(mol K)

# gate lookup: columns (inf, exp(-dt/tau)) for m, h, n (Traub), mp, hp (NaP), ml (CaL)
N_GATE_COLS = 12
V_MIN, V_MAX, DV = -150.0, 100.0, 0.01


@njit(cache=True, inline="always")
def _vtrap(x, y):
    """x / (exp(x / y) - 1) with its limit y (1 - x / 2y) near x = 0."""
    if abs(x / y) < 1e-6:
        return y * (1.0 - 0.5 * x / y)
    return x / (math.exp(x / y) - 1.0)


@njit(cache=True, inline="always")
def relax(x, xinf, tau, dt):
    """Rush-Larsen / exponential-Euler step of dx/dt = (xinf - x) / tau."""
    return xinf + (x - xinf) * math.exp(-dt / tau)


@njit(cache=True, inline="always")
def relax_f(x, xinf, decay):
    """The same step with a precomputed decay factor exp(-dt / tau)."""
    return xinf + (x - xinf) * decay


@njit(cache=True, inline="always")
def voltage_step(v, ge, g_tot, c_m, dt):
    """Exponential Euler for C dV/dt = ge - g_tot V (conductances frozen over the step)."""
    vinf = ge / g_tot
    return vinf + (v - vinf) * math.exp(-dt * g_tot / c_m)


@njit(cache=True)
def hh_rates(v, vtraub):
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
def nap_rates(v, vtraub):
    """Persistent Na: Traub kinetics shifted (vsm -2, vsh -5, gamma 0.5; prescott2005 as
    parametrised by aguiar2010)."""
    v2 = v - vtraub
    am = 0.32 * _vtrap(-2.0 + 13.0 - v2, 4.0)
    bm = 0.28 * _vtrap(-2.0 + v2 - 40.0, 5.0)
    ah = 0.128 * math.exp((-5.0 + 17.0 - v2) / 18.0)
    bh = 4.0 / (1.0 + math.exp((-5.0 + 40.0 - v2) / 5.0 * 0.5))
    return am, bm, ah, bh


@njit(cache=True)
def cal_rates(v):
    """L-type Ca activation (mccormick1992): m_inf, and tau (ms) at 23.5 C."""
    a = 1.6 / (1.0 + math.exp(-0.072 * (v - 5.0)))
    b = 0.02 * _vtrap(v - 1.31, 5.36)
    minf = 1.0 / (1.0 + math.exp(-(v + 10.0) / 10.0))
    return minf, 1.0 / (a + b)


@njit(cache=True, inline="always")
def hh_steady(v, vtraub):
    """Steady-state (m, h, n) of the Traub Na/K channels at ``v``."""
    am, bm, ah, bh, an, bn = hh_rates(v, vtraub)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


@njit(cache=True, inline="always")
def nap_steady(v, vtraub):
    """Steady-state (m, h) of the persistent Na channel at ``v``."""
    am, bm, ah, bh = nap_rates(v, vtraub)
    return am / (am + bm), ah / (ah + bh)


@njit(cache=True)
def ghk_ca_pA(v, perm_um3_ms, ca_i_um, ca_o_mm, temp_c):
    """GHK Ca2+ current (pA, outward positive) for a permeability in um3/ms.

    >>> round(ghk_ca_pA(-65.0, 1.0, 0.05, 2.0, 36.0), 1)   # inward at rest
    -1897.7
    """
    w = 2.0 * FARADAY * v * 1e-3 / (R_GAS * (temp_c + 273.15))
    ci = ca_i_um * 1e-3  # mM
    if abs(w) < 1e-6:
        e = 1.0 - 0.5 * w
        return perm_um3_ms * 2.0 * FARADAY * 1e-3 * (ci - ca_o_mm * (1.0 - w)) * e
    # I = P z F w (ci - co e^-w) / (1 - e^-w); P um3/ms -> cm3/s 1e-9, mM -> mol/cm3 1e-6,
    # A -> pA 1e12: factor 1e-3
    return perm_um3_ms * 2.0 * FARADAY * 1e-3 * w * (ci - ca_o_mm * math.exp(-w)) / (
        1.0 - math.exp(-w))


@njit(cache=True)
def gates_exact(v, vtraub, tadj_hh, tadj_cal, dt, out):
    """Closed-form gate (inf, exp(-dt/tau)) pairs at ``v`` into ``out[:N_GATE_COLS]``."""
    am, bm, ah, bh, an, bn = hh_rates(v, vtraub)
    out[0] = am / (am + bm)
    out[1] = math.exp(-dt * (am + bm) * tadj_hh)
    out[2] = ah / (ah + bh)
    out[3] = math.exp(-dt * (ah + bh) * tadj_hh)
    out[4] = an / (an + bn)
    out[5] = math.exp(-dt * (an + bn) * tadj_hh)
    am, bm, ah, bh = nap_rates(v, vtraub)
    out[6] = am / (am + bm)
    out[7] = math.exp(-dt * (am + bm) * tadj_hh)
    out[8] = ah / (ah + bh)
    out[9] = math.exp(-dt * (ah + bh) * tadj_hh)
    minf, tm = cal_rates(v)
    out[10] = minf
    out[11] = math.exp(-dt * tadj_cal / tm)


@njit(cache=True)
def gate_table(vtraub, tadj_hh, tadj_cal, dt):
    """`gates_exact` every ``DV`` mV from ``V_MIN`` to ``V_MAX`` (rows) for one step ``dt``."""
    n = int(round((V_MAX - V_MIN) / DV)) + 1
    T = np.empty((n, N_GATE_COLS))
    for i in range(n):
        gates_exact(V_MIN + i * DV, vtraub, tadj_hh, tadj_cal, dt, T[i])
    return T


@njit(cache=True, inline="always")
def gates(v, T, exact, vtraub, tadj_hh, tadj_cal, dt, out, j0=0, j1=N_GATE_COLS):
    """Gate (inf, decay) at v: linear interpolation in a 0.01 mV table (as NEURON's usetable;
    relative error < 1e-6) or, with ``exact`` (or off the table), the closed-form rates.
    Only columns ``j0:j1`` are interpolated (a compartment that needs only some gates; the
    closed-form branch fills them all)."""
    x = (v - V_MIN) / DV
    # ``not x >= 0``: a NaN voltage takes the closed-form branch, never an index
    if exact or not (x >= 0.0) or x >= T.shape[0] - 1:
        gates_exact(v, vtraub, tadj_hh, tadj_cal, dt, out)
        return
    i = int(x)
    fr = x - i
    for j in range(j0, j1):
        out[j] = T[i, j] + fr * (T[i + 1, j] - T[i, j])


@njit(cache=True, inline="always")
def ca_gate(ca, cac, beta, tau_factor, tadj):
    """Ca2+-gated channel (I_CAN, K(Ca); destexhe1994): steady state and tau (>= 0.1 ms)."""
    r = (ca / cac) ** 2
    tau = tau_factor / (beta * (1.0 + r)) / tadj
    if tau < 0.1:
        tau = 0.1
    return r / (1.0 + r), tau


@njit(cache=True, inline="always")
def ca_gate_steady(ca, cac):
    """Steady state of a Ca2+-gated channel at ``ca``."""
    r = (ca / cac) ** 2
    return r / (1.0 + r)


@njit(cache=True, inline="always")
def can_gate(cad, p, tadj_ca):
    """I_CAN gate: steady state and tau at the dendritic [Ca]i."""
    return ca_gate(cad, p[P_CAN_CAC_UM], p[P_CAN_BETA], p[P_CAN_TAU_FACTOR], tadj_ca)


@njit(cache=True, inline="always")
def kca_gate(ca, p, tadj_ca):
    """K(Ca) gate: steady state and tau at [Ca]i."""
    return ca_gate(ca, p[P_KCA_CAC_UM], p[P_KCA_BETA], 1.0, tadj_ca)


@njit(cache=True, inline="always")
def soma_currents(p, v, vd, m, h, n, mp, hp, ml, mks, ca, temp, gl, e_l, gc, g_girk, gbe,
                  gbi):
    """WDR soma at t: L-type Ca2+ current (pA) and (g_tot, ge) of leak, Na, K, NaP, K(Ca),
    GIRK, somatic background synapses and the coupling to the dendrite."""
    i_cal = ghk_ca_pA(v, p[P_P_CAL_SOMA] * ml * ml, ca, p[P_CA_O_MM], temp)
    g_na = p[P_G_NA] * m * m * m * h
    g_k = p[P_G_K] * n * n * n * n
    g_nap = p[P_G_NAP] * mp * hp
    g_ks = p[P_G_KCA_SOMA] * mks * mks * mks
    g_tot = gl + g_na + g_k + g_nap + g_ks + g_girk + gbe + gbi + gc
    ge = (gl * e_l + (g_na + g_nap) * p[P_E_NA] + (g_k + g_ks + g_girk) * p[P_E_K]
          + gbe * p[P_E_AMPA] + gbi * p[P_E_CL] + gc * vd)
    return i_cal, g_tot, ge


@njit(cache=True, inline="always")
def dendrite_currents(p, vd, v, mld, mcan, mkd, cad, temp, gl, e_l, gc, g_ampa, g_nk1,
                      g_nmda, e_nmda, g_inh_gaba, g_inh_gly):
    """WDR dendrite at t: L-type Ca2+ current, I_CAN conductance, NMDA and NK1 currents (pA)
    and (g_tot, ge) of leak, K(Ca), I_CAN, the synapses and the coupling to the soma."""
    i_cal = ghk_ca_pA(vd, p[P_P_CAL_DEND] * mld * mld, cad, p[P_CA_O_MM], temp)
    g_can = p[P_G_CAN] * mcan * mcan
    g_kd = p[P_G_KCA_DEND] * mkd * mkd * mkd
    i_nmda = g_nmda * (vd - e_nmda)
    i_nk1 = g_nk1 * (vd - p[P_E_NK1])
    g_tot = (gl + g_can + g_kd + g_ampa + g_nk1 + g_nmda + g_inh_gaba + g_inh_gly + gc)
    ge = (gl * e_l + g_kd * p[P_E_K] + g_can * p[P_E_CAN] + g_ampa * p[P_E_AMPA]
          + g_nk1 * p[P_E_NK1] + g_nmda * e_nmda + (g_inh_gaba + g_inh_gly) * p[P_E_CL]
          + gc * v)
    return i_cal, g_can, i_nmda, i_nk1, g_tot, ge


@njit(cache=True, inline="always")
def interneuron_currents(p, mi, hi, ni, e_l, gi_ampa, gi_nk1, gi_nmda, e_nmda):
    """Excitatory interneuron at t (passive + Traub Na/K + its synapses): (g_tot, ge)."""
    g_na = p[P_INT_G_NA] * mi * mi * mi * hi
    g_k = p[P_INT_G_K] * ni * ni * ni * ni
    g_tot = p[P_INT_G_LEAK] + g_na + g_k + gi_ampa + gi_nk1 + gi_nmda
    ge = (p[P_INT_G_LEAK] * e_l + g_na * p[P_E_NA] + g_k * p[P_E_K] + gi_ampa * p[P_E_AMPA]
          + gi_nk1 * p[P_E_NK1] + gi_nmda * e_nmda)
    return g_tot, ge
