"""Synapses of the spinal circuit (compiled helpers of the engine, inlined into its loop).

Every pathway x synapse type is a dual exponential (rise state ``sa``, decay state ``sb``,
conductance ``w (sb - sa)``, peak-normalised; aguiar2010) except NMDA receptors, which are
the receptor layer's 20-state Markov model (`ketasim.receptors.nmda`, the one NMDA model of
the codebase) driven by a glutamate pulse (``glu_pulse_um`` for ``glu_pulse_ms``;
destexhe_mainen_sejnowski_1998, clements1992). A delivered event of weight ``fr`` (fraction
of the pathway recruited x release) adds ``fr`` to the dual-exponential states and scales
the pathway's NMDA conductance by ``fr`` (lumping factor). An NMDA synapse holds the K
receptor populations of its model (`ketasim.receptors.populations`): normalised states
``x_k`` and masses ``m_k`` (conductance shares; `populations_step`, `pair_rates`).

Each helper keeps the engine's order of floating-point operations (spike counts are compared
bit for bit before and after changes).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ketasim.spinal._rx import NMDA_N_POS, NMDA_N_STATES, nmda_fill_rate_matrix, nmda_step_ws
from ketasim.spinal.layout import (
    CH_BGE,
    CH_BGI,
    N_CH,
    N_SYN,
    P_AMPA_TAU_DECAY,
    P_AMPA_TAU_RISE,
    P_GABA_TAU_DECAY,
    P_GABA_TAU_RISE,
    P_GLY_TAU_DECAY,
    P_GLY_TAU_RISE,
    P_NK1_INT_TAU_DECAY,
    P_NK1_INT_TAU_RISE,
    P_NK1_WDR_TAU_DECAY,
    P_NK1_WDR_TAU_RISE,
    S_I_AMPA,
    S_I_NK1,
    S_I_NMDA,
    S_W_AMPA,
    S_W_GABA,
    S_W_GLY,
    S_W_NK1,
    S_W_NMDA,
)

# a decaying synaptic trace (peak-normalised to ~1) below this is zero (see `decay`)
TINY = 1e-200


@njit(cache=True)
def dexp_norm(tr, td):
    """Factor making the peak of exp(-t/td) - exp(-t/tr) equal to 1.

    >>> round(dexp_norm(0.1, 5.0), 4)
    1.1052
    """
    if td <= tr * 1.000001:
        return math.e  # alpha function limit
    tp = tr * td / (td - tr) * math.log(td / tr)
    return 1.0 / (math.exp(-tp / td) - math.exp(-tp / tr))


@njit(cache=True, inline="always")
def set_kinetics(taur, taud, dt, fa, fb, norm):
    """Per-step decay factors and peak normalisation of every synapse type."""
    for s in range(N_SYN):
        fa[s] = math.exp(-dt / taur[s])
        fb[s] = math.exp(-dt / taud[s])
        norm[s] = dexp_norm(taur[s], taud[s])


@njit(cache=True, inline="always")
def conductances(w, sa, sb, f_rel, xn, mn, ca_frac, ca_uniform, ampa_sc, nk1_sc, nmda_sc,
                 inh_sc, gaba_g, gaba_tonic, gly_g):
    """Synaptic conductances (nS) at t, scaled and drug-modulated.

    Returns, on the WDR soma, background excitation and inhibition (``gbe``, ``gbi``; the
    background synapses sit on the soma, aguiar2010); on the WDR dendrite AMPA, NK1, NMDA,
    GABA-A (with the tonic part) and glycine; on the interneuron AMPA, NK1 and NMDA; and the
    WDR's NMDA conductance weighted by each population's Ca2+ fraction (``g_nmda_ca``;
    computed only when the fractions differ, ``ca_uniform`` False, else 0). NMDA: ``xn``
    (2, N_CH, K, 20) normalised population states, ``mn`` (2, N_CH, K) their masses.
    """
    g_ampa = 0.0
    g_nk1 = 0.0
    g_gaba = 0.0
    g_gly = 0.0
    n_pop = xn.shape[2]
    g_nmda = 0.0
    g_nmda_ca = 0.0
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
            if n_pop == 1:  # one population: its mass is 1
                o = xn[0, ch, 0, 3]
            else:
                o = 0.0
                for k in range(n_pop):
                    o += mn[0, ch, k] * xn[0, ch, k, 3]
            g_nmda += w[ch, S_W_NMDA] * f_rel[0, ch] * o
            if not ca_uniform:
                oc = 0.0
                for k in range(n_pop):
                    oc += ca_frac[k] * mn[0, ch, k] * xn[0, ch, k, 3]
                g_nmda_ca += w[ch, S_W_NMDA] * f_rel[0, ch] * oc
        if w[ch, S_I_NMDA] > 0.0:
            if n_pop == 1:
                o = xn[1, ch, 0, 3]
            else:
                o = 0.0
                for k in range(n_pop):
                    o += mn[1, ch, k] * xn[1, ch, k, 3]
            gi_nmda += w[ch, S_I_NMDA] * f_rel[1, ch] * o
    gbe = w[CH_BGE, S_W_AMPA] * (sb[CH_BGE, S_W_AMPA] - sa[CH_BGE, S_W_AMPA]) * ampa_sc
    gbi = w[CH_BGI, S_W_GABA] * (sb[CH_BGI, S_W_GABA] - sa[CH_BGI, S_W_GABA]) * inh_sc
    g_ampa = g_ampa * ampa_sc - gbe
    g_inh_gaba = (g_gaba * gaba_g + gaba_tonic) * inh_sc - gbi * gaba_g
    gbi *= gaba_g
    gi_ampa *= ampa_sc
    g_nk1 *= nk1_sc
    gi_nk1 *= nk1_sc
    g_nmda *= nmda_sc
    g_nmda_ca *= nmda_sc
    gi_nmda *= nmda_sc
    g_inh_gly = g_gly * gly_g * inh_sc
    return (gbe, gbi, g_ampa, g_nk1, g_nmda, g_inh_gaba, g_inh_gly, gi_ampa, gi_nk1, gi_nmda,
            g_nmda_ca)


@njit(cache=True, inline="always")
def decay(ch, act_n, act_s, sa, sb, fa, fb):
    """One step of decay of the dual-exponential synapses of pathway ``ch``: its
    ``act_n[ch]`` synapse types with a non-zero weight, ``act_s[ch, :act_n[ch]]``
    (`active_synapses`). A trace below ``TINY`` is set to 0: left to decay it would spend
    thousands of steps as a subnormal float, whose arithmetic is ~100x slower on x86 (a
    quarter of a wind-up run's time); at that size it changes no sum it enters (spikes and
    traces bit-identical, `benchmarks/bench_spinal.py`)."""
    for q in range(act_n[ch]):
        s = act_s[ch, q]
        a = sa[ch, s] * fa[s]
        b = sb[ch, s] * fb[s]
        sa[ch, s] = a if abs(a) > TINY else 0.0
        sb[ch, s] = b if abs(b) > TINY else 0.0


@njit(cache=True)
def active_synapses(w):
    """Per pathway, the count and the indices of the synapse types with a non-zero weight
    in ``w`` (N_CH, N_SYN), the ones `decay` advances.

    >>> import numpy as np
    >>> w = np.zeros((N_CH, N_SYN)); w[2, 3] = 1.0
    >>> n, s = active_synapses(w); int(n[2]), int(s[2, 0]), int(n.sum())
    (1, 3, 1)
    """
    act_n = np.zeros(N_CH, np.int64)
    act_s = np.zeros((N_CH, N_SYN), np.int64)
    for ch in range(N_CH):
        for s in range(N_SYN):
            if w[ch, s] != 0.0:
                act_s[ch, act_n[ch]] = s
                act_n[ch] += 1
    return act_n, act_s


@njit(cache=True)
def deliver(ch, fr, sa, sb, norm, f_rel, glu_left, n_glu, w):
    """A presynaptic event of weight ``fr`` on pathway ``ch``."""
    for s in range(N_SYN):
        if w[ch, s] != 0.0 and s != S_W_NMDA and s != S_I_NMDA:
            sa[ch, s] += fr * norm[s]
            sb[ch, s] += fr * norm[s]
    if w[ch, S_W_NMDA] > 0.0 or w[ch, S_I_NMDA] > 0.0:
        glu_left[ch] = n_glu
        f_rel[0, ch] = fr
        f_rel[1, ch] = fr


@njit(cache=True)
def pair_rates(pair, kon, koff, ket, dt, fx, ex):
    """Exact exchange factors of every site pair over a step ``dt`` at ketamine ``ket`` (uM):
    per population k (the site-empty member of a pair) and gating position j, the occupied
    share at equilibrium ``fx = kon c / r`` and the decay ``ex = exp(-r dt)``, with
    ``r = kon c + koff`` (`ketasim.receptors.populations`). ``pair`` (K, 2): partner
    (-1: none) and occupied flag.

    >>> import numpy as np
    >>> fx, ex = np.zeros((2, 5)), np.ones((2, 5))
    >>> pair_rates(np.array([[1, 0], [0, 1]]), np.full((2, 5), 1e-3), np.full((2, 5), 1e-4),
    ...            0.1, 0.1, fx, ex)
    >>> round(float(fx[0, 0]), 3)
    0.5
    """
    for k in range(pair.shape[0]):
        if pair[k, 0] >= 0 and pair[k, 1] == 0:
            for j in range(NMDA_N_POS):
                kc = kon[k, j] * ket
                r = kc + koff[k, j]
                fx[k, j] = kc / r
                ex[k, j] = math.exp(-r * dt)


@njit(cache=True)
def pair_exchange(xe, xo, m, k, j, f, e):
    """The contract's exact per-state exchange between the site-empty population ``k`` and
    its occupied partner ``j`` (normalised states ``xe``, ``xo``; masses ``m[k]``, ``m[j]``):
    per state s, ``T = m_k xe_s + m_j xo_s`` is kept and the occupied part relaxes as
    ``f T + (occ - f T) e`` (``f``, ``e`` of s's gating position, `pair_rates`); the states
    are renormalised and the masses updated. Nothing moves (not a bit) when ketamine is 0
    and the site empty.
    """
    me = m[k]
    mo = m[j]
    if mo == 0.0:
        still = True
        for q in range(NMDA_N_POS):
            if f[q] != 0.0:
                still = False
        if still:
            return
    se = 0.0
    so = 0.0
    for s in range(NMDA_N_STATES):
        q = s % NMDA_N_POS
        a = me * xe[s]
        b = mo * xo[s]
        tot = a + b
        ft = f[q] * tot
        b2 = ft + (b - ft) * e[q]
        if b2 < 0.0:
            b2 = 0.0
        a2 = tot - b2
        if a2 < 0.0:
            a2 = 0.0
        xe[s] = a2
        xo[s] = b2
        se += a2
        so += b2
    m[k] = se
    m[j] = so
    if se > 0.0:
        for s in range(NMDA_N_STATES):
            xe[s] /= se
    if so > 0.0:
        for s in range(NMDA_N_STATES):
            xo[s] /= so


@njit(cache=True, inline="always")
def populations_step(xs, ms, dt, v, glu, mg, ket, nk, ps, pair, fx, ex, ws, skip=0):
    """One NMDA sub-step of a synapse's K populations: each population with its own
    parameter row (`ketasim.receptors.nmda.nmda_step_ws`, with its ``skip`` mask of absent
    blocker arms; a pair member of zero mass is skipped), then every pair's exchange
    (`pair_exchange`; split step)."""
    for k in range(xs.shape[0]):
        if ms[k] > 0.0:
            nmda_step_ws(xs[k], dt, v, glu, mg, ket, nk, ps[k], ws, skip)
    for k in range(xs.shape[0]):
        j = pair[k, 0]
        if j >= 0 and pair[k, 1] == 0:
            pair_exchange(xs[k], xs[j], ms, k, j, fx[k], ex[k])


@njit(cache=True)
def nmda_step_expeuler(x, dt, v, glu, mg, ket, nk, p, Q):
    """The receptor layer's NMDA rate matrix (same model, same rates,
    `ketasim.receptors.nmda.nmda_fill_rate_matrix`) advanced by exponential Euler per state,
    i.e. Brian2's ``exponential_euler`` for these equations.

    Used only for the Brian2 cross-check (``simulate(..., nmda_expeuler=True)``); the default
    is the receptor layer's backward Euler, `ketasim.receptors.nmda.nmda_step_ws`.
    """
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


@njit(cache=True, inline="always")
def time_constants(p):
    """(rise, decay) time constants (ms) per synapse type from a parameter vector (NMDA
    columns unused: Markov)."""
    taur = np.ones(N_SYN)
    taud = np.full(N_SYN, 2.0)
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
    return taur, taud
