"""Compiled kernel of the thalamocortical network (numba; ``prange`` over conditions).

One call integrates a batch of drug conditions of the SAME network (same connectivity, same
background-noise sequence: common random numbers, so differences between conditions are the
drugs' and a condition's result does not depend on what else is in the batch). Inside a
condition: a fixed-step loop (``dt_ms``), every neuron an adaptive exponential
integrate-and-fire (AdEx) cell with conductance synapses, forward Euler for V and w (the
usual AdEx scheme at dt = 0.05-0.1 ms), exact exponential decay for the synaptic
conductances and the Ih gate. Spikes are delivered through two delay lines (local and
long-range) held as ring buffers of spike flags.

Drug effects arrive as per-condition inputs computed by `ketasim.brain.network` from the
receptor layer: NMDA unblocked fraction tables u(V) per cell type and NMDA component (Mg2+
and ketamine block at equilibrium), the GABA-A IPSC decay time constant and tonic GABA-A
conductance, and the Ih (HCN1) conductance factor.

Layout of the per-neuron arrays: ``cell[n, :]`` = C_pF, gL_nS, EL_mV, VT_mV, DT_mV, a_nS,
b_pA, tau_w_ms, v_reset_mV, t_ref_ms, g_h_nS, i_bias_pA (`CELL_COLS`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

CELL_COLS = ("C_pF", "gL_nS", "EL_mV", "VT_mV", "DT_mV", "a_nS", "b_pA", "tau_w_ms",
             "v_reset_mV", "t_ref_ms", "g_h_nS", "i_bias_pA")
N_CELL_COLS = len(CELL_COLS)
N_NMDA_COMP = 3
V_PEAK_MV = -30.0       # spike cut (AdEx: any value well above VT + 5 DT) [estimate]
E_AMPA_MV = 0.0         # [destexhe_2009]
E_NMDA_MV = 0.0
E_H_MV = -40.0          # Ih reversal [estimate; HCN channels reverse near -30 to -45 mV]
H_V_HALF_MV = -78.0     # HCN1 activation midpoint [estimate]
H_SLOPE_MV = 7.0        # [estimate]
H_TAU_MS = 40.0         # HCN1 (fast isoform) activation time constant [estimate]
TABLE_V0_MV = -100.0    # NMDA u(V) table grid: -100 .. +10 mV in 1 mV steps
TABLE_DV_MV = 1.0
TABLE_NV = 111


@njit(cache=True, inline="always")
def _rand(state):
    """xorshift64* uniform in [0, 1); ``state`` a 1-element uint64 array."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return float((x * np.uint64(2685821657736338717)) >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True)
def _seed_state(seed):
    """splitmix64 of the seed (never zero)."""
    z = np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    if z == np.uint64(0):
        z = np.uint64(88172645463325252)
    s = np.empty(1, np.uint64)
    s[0] = z
    return s


@njit(cache=True, inline="always")
def _poisson(state, lam, e_lam):
    """Poisson draw by inversion (lam small, e_lam = exp(-lam))."""
    u = _rand(state)
    k = 0
    p = e_lam
    s = p
    while u > s and k < 50:
        k += 1
        p *= lam / k
        s += p
    return k


@njit(cache=True, inline="always")
def _u_lookup(tab, v):
    x = (v - TABLE_V0_MV) / TABLE_DV_MV
    if x <= 0.0:
        return tab[0]
    if x >= TABLE_NV - 1:
        return tab[TABLE_NV - 1]
    i = int(x)
    f = x - i
    return tab[i] * (1.0 - f) + tab[i + 1] * f


@njit(cache=True, inline="always")
def _deliver(fired, ptr, tgt, wa, wg, wn, nshare, ga, gg, gn):
    """Add the AMPA, GABA and NMDA (split over the target's receptor compartments) weights
    of every synapse of the cells that ``fired`` to their targets' conductances (one
    connection set: CSR rows ``ptr``, targets ``tgt``)."""
    for j in range(fired.shape[0]):
        if fired[j]:
            for s in range(ptr[j], ptr[j + 1]):
                t = tgt[s]
                ga[t] += wa[s]
                gg[t] += wg[s]
                if wn[s] > 0.0:
                    for k in range(N_NMDA_COMP):
                        gn[t, k] += wn[s] * nshare[t, k]


@njit(cache=True)
def run_one(n_steps, dt, cell, ctype, region, pop, is_pyr, n_region, n_pop,
            ptr_l, tgt_l, wa_l, wn_l, wg_l, d_l, ptr_r, tgt_r, wa_r, wn_r, wg_r, d_r,
            nshare, ntau, u_tab, tau_gaba, tau_ampa, g_tonic, h_factor,
            bg_lam, bg_w, bg_wn, stim_on, stim_lam, stim_w, stim_pop, pulse_on, pulse_pA, pulse_pop,
            group, rec_every, seed, eeg, rates, v_trace, grates):
    """One condition. ``eeg[region, k]``, ``rates[pop, k]`` (spike counts), ``v_trace[pop, k]``
    (mean V), ``grates[group, k]`` (spike counts of the cell groups) are filled per
    recording bin of ``rec_every`` steps."""
    n = cell.shape[0]
    state = _seed_state(seed)
    v = np.empty(n)
    w = np.zeros(n)
    ga = np.zeros(n)
    gg = np.zeros(n)
    gn = np.zeros((n, N_NMDA_COMP))
    mh = np.zeros(n)
    ref = np.zeros(n)
    for i in range(n):
        v[i] = cell[i, 2] + 4.0 * (_rand(state) - 0.5)
        mh[i] = 1.0 / (1.0 + math.exp((v[i] - H_V_HALF_MV) / H_SLOPE_MV))
    dec_a = math.exp(-dt / tau_ampa)
    dec_g = math.exp(-dt / tau_gaba)
    dec_n = np.empty((n, N_NMDA_COMP))
    for i in range(n):
        for k in range(N_NMDA_COMP):
            dec_n[i, k] = math.exp(-dt / ntau[i, k]) if ntau[i, k] > 0 else 0.0
    dec_h = math.exp(-dt / H_TAU_MS)
    e_bg = np.empty(n)
    for i in range(n):
        e_bg[i] = math.exp(-bg_lam[i])
    e_stim = math.exp(-stim_lam)
    max_d = max(d_l, d_r) + 1
    ring = np.zeros((max_d, n), np.uint8)
    reg_npyr = np.zeros(n_region)
    for i in range(n):
        if is_pyr[i]:
            reg_npyr[region[i]] += 1.0
    n_rec = eeg.shape[1]
    rec_k = 0
    rec_c = 0
    e_gaba = -80.0
    for step in range(n_steps):
        slot = step % max_d
        # deliver spikes emitted d steps ago
        sl = (step - d_l) % max_d
        sr = (step - d_r) % max_d
        if step >= d_l:
            _deliver(ring[sl], ptr_l, tgt_l, wa_l, wg_l, wn_l, nshare, ga, gg, gn)
        if step >= d_r:
            _deliver(ring[sr], ptr_r, tgt_r, wa_r, wg_r, wn_r, nshare, ga, gg, gn)
        for j in range(n):
            ring[slot, j] = 0
        stim = stim_on[step]
        pulse = pulse_on[step]
        for i in range(n):
            # background and sensory Poisson input (AMPA)
            kb = _poisson(state, bg_lam[i], e_bg[i])
            if kb > 0:
                ga[i] += kb * bg_w[i]
                if bg_wn[i] > 0.0:
                    for k in range(N_NMDA_COMP):
                        gn[i, k] += kb * bg_wn[i] * nshare[i, k]
            if stim and pop[i] == stim_pop:
                ks = _poisson(state, stim_lam, e_stim)
                if ks > 0:
                    ga[i] += ks * stim_w
            vi = v[i]
            i_a = ga[i] * (vi - E_AMPA_MV)
            i_n = 0.0
            for k in range(N_NMDA_COMP):
                if gn[i, k] > 0.0:
                    i_n += gn[i, k] * _u_lookup(u_tab[ctype[i], k], vi) * (vi - E_NMDA_MV)
            i_g = (gg[i] + g_tonic) * (vi - e_gaba)
            i_h = cell[i, 10] * h_factor * mh[i] * (vi - E_H_MV)
            if is_pyr[i]:
                # LFP proxy (Mazzoni 2008): sum of absolute synaptic currents on pyramidal cells
                eeg[region[i], rec_k] += (abs(i_a + i_n) + abs(i_g)) / reg_npyr[region[i]]
            v_trace[pop[i], rec_k] += vi
            if ref[i] > 0.0:
                ref[i] -= dt
                v[i] = cell[i, 8]
            else:
                i_ext = cell[i, 11]
                if pulse and pop[i] == pulse_pop:
                    i_ext += pulse_pA
                ex = cell[i, 1] * cell[i, 4] * math.exp((vi - cell[i, 3]) / cell[i, 4])
                dv = (-cell[i, 1] * (vi - cell[i, 2]) + ex - w[i] - i_a - i_n - i_g - i_h
                      + i_ext) / cell[i, 0]
                v[i] = vi + dt * dv
            w[i] += dt * (cell[i, 5] * (vi - cell[i, 2]) - w[i]) / cell[i, 7]
            if v[i] >= V_PEAK_MV:
                v[i] = cell[i, 8]
                w[i] += cell[i, 6]
                ref[i] = cell[i, 9]
                ring[slot, i] = 1
                rates[pop[i], rec_k] += 1.0
                grates[group[i], rec_k] += 1.0
            minf = 1.0 / (1.0 + math.exp((v[i] - H_V_HALF_MV) / H_SLOPE_MV))
            mh[i] = minf + (mh[i] - minf) * dec_h
            ga[i] *= dec_a
            gg[i] *= dec_g
            for k in range(N_NMDA_COMP):
                gn[i, k] *= dec_n[i, k]
        rec_c += 1
        if rec_c == rec_every:
            rec_c = 0
            rec_k += 1
            if rec_k >= n_rec:
                break
    # averages over each bin
    for r in range(eeg.shape[0]):
        for k in range(n_rec):
            eeg[r, k] /= rec_every
    for p in range(n_pop):
        for k in range(n_rec):
            v_trace[p, k] /= rec_every
    return 0


@njit(cache=True, parallel=True)
def run_batch(n_steps, dt, cell, ctype, region, pop, is_pyr, n_region, n_pop,
              ptr_l, tgt_l, wa_l, wn_l, wg_l, d_l, ptr_r, tgt_r, wa_r, wn_r, wg_r, d_r,
              nshare, ntau, u_tab, tau_gaba, tau_ampa, g_tonic, h_factor,
              bg_lam, bg_w, bg_wn, stim_on, stim_lam, stim_w, stim_pop, pulse_on, pulse_pA,
              pulse_pop, group, rec_every, seed, eeg, rates, v_trace, grates):
    """All conditions (``prange``); per-condition inputs have a leading condition axis:
    ``u_tab[c]``, ``tau_gaba[c]``, ``g_tonic[c]``, ``h_factor[c]``; outputs ``eeg[c]``,
    ``rates[c]``, ``v_trace[c]``."""
    n_cond = u_tab.shape[0]
    for c in prange(n_cond):
        run_one(n_steps, dt, cell, ctype, region, pop, is_pyr, n_region, n_pop,
                ptr_l, tgt_l, wa_l, wn_l, wg_l, d_l, ptr_r, tgt_r, wa_r, wn_r, wg_r, d_r,
                nshare, ntau, u_tab[c], tau_gaba[c], tau_ampa, g_tonic[c], h_factor[c],
                bg_lam, bg_w, bg_wn, stim_on, stim_lam, stim_w, stim_pop, pulse_on, pulse_pA,
                pulse_pop, group, rec_every, seed, eeg[c], rates[c], v_trace[c], grates[c])
    return 0
