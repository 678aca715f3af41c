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

NMDA receptor populations (`ketasim.receptors.populations`): every NMDA synapse integrates the
K populations of the receptor model (one per subunit part, two per part that carries
ketamine's allosteric site). Each population ``k`` of a synapse is held as a normalised
20-state vector ``x_k`` (sum 1, the receptor kernel's invariant) and a mass ``m_k``, its share
of the synapse's conductance: the part's weight for a population without site; for the two
members of a pair, shares that the site exchange moves between them (they sum to the part's
weight). A sub-step advances each population with its own parameter row (`nmda_step_ws`),
then applies the contract's exact per-state exchange of every pair at that moment's
ketamine level; the synaptic conductance is ``gmax sum_k m_k x_k[O]``. With one population
(K = 1) the loop is today's single-model loop, bit for bit.

The channels live in `ketasim.spinal.channels`, the synapses in `ketasim.spinal.synapses`
(helpers inlined into the loop below) and the index layout of the arrays (parameters,
pathways, synapse types, drug inputs, traces) in `ketasim.spinal.layout`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ketasim.spinal._rx import (
    NMDA_N_POS,
    NMDA_N_STATES,
    P_CAFRAC,
    P_EREV,
    nmda_factor_ws,
    nmda_solve_ws,
    nmda_step_ws,
    nmda_workspace,
)
from ketasim.spinal.channels import (
    FARADAY,
    N_GATE_COLS,
    ca_gate_steady,
    cal_rates,
    can_gate,
    dendrite_currents,
    gate_table,
    gates,
    hh_steady,
    interneuron_currents,
    kca_gate,
    nap_steady,
    relax,
    relax_f,
    soma_currents,
    voltage_step,
)
from ketasim.spinal.layout import (
    CH_C,
    CH_INT,
    CH_INT_FFI,
    M_GABA_G,
    M_GABA_TAU,
    M_GABA_TONIC,
    M_GLY_G,
    M_KET,
    M_MG,
    M_MU,
    M_NK,
    N_CH,
    N_SYN,
    P_AMPA_SCALE,
    P_AREA_DEND_UM2,
    P_AREA_SOMA_UM2,
    P_CA_DEND_POOL_FRAC,
    P_CA_DEPTH_UM,
    P_CA_REST_UM,
    P_CA_TAU_DEND_MS,
    P_CA_TAU_SOMA_MS,
    P_CAN_CAC_UM,
    P_CM_UF_CM2,
    P_DELAY_FFI_MS,
    P_DELAY_INT_MS,
    P_E_AMPA,
    P_E_CAN,
    P_E_CL,
    P_E_LEAK,
    P_G_COUPLE,
    P_G_GIRK_MAX,
    P_G_LEAK_S_CM2,
    P_GABA_TAU_DECAY,
    P_GLU_PULSE_MS,
    P_GLU_PULSE_UM,
    P_INH_SCALE,
    P_INT_C_M_PF,
    P_KCA_CAC_UM,
    P_MU_PRESYN_MAX,
    P_NK1_CA_FRAC,
    P_NK1_SCALE,
    P_NMDA_SCALE,
    P_TEMPERATURE_C,
    P_V_SPIKE,
    P_VTRAUB,
    R_CA,
    R_I_AMPA,
    R_I_CAL,
    R_I_CAN,
    R_I_GABA,
    R_I_NMDA,
    R_V,
    R_V_DEND,
    R_V_INT,
    S_I_NMDA,
    S_W_GABA,
    S_W_NMDA,
)
from ketasim.spinal.synapses import (
    active_synapses,
    conductances,
    decay,
    deliver,
    nmda_step_expeuler,
    pair_rates,
    populations_step,
    set_kinetics,
    time_constants,
)

RB = 1024  # capacity of the interneuron spike queues (spikes in flight during a delay)


@njit(cache=True, parallel=True)
def run_batch(P, W, ev_ptr, ev_step, ev_ch, ev_w, mod, mod_every, n_steps, dt, rec_every,
              rec, spk_t, spk_n, ispk_t, ispk_n, nmda_p, nmda_pair, nmda_kon, nmda_koff,
              nmda_x0, nmda_m0, v_end, exact=False, nmda_sub=0, nmda_ee=False):
    """Integrate ``n_cond`` conditions for ``n_steps`` steps of ``dt`` ms (see module doc).

    P (n_cond, n_param) parameters; W (n_cond, N_CH, N_SYN) lumped conductances (nS);
    events of condition c are ev_step/ev_ch/ev_w[ev_ptr[c]:ev_ptr[c+1]] sorted by step;
    mod (n_cond, n_mod_steps, N_MOD) drug inputs, row k // mod_every applies at step k;
    rec (n_cond, n_rec, N_REC) traces every rec_every steps (n_rec may be 0);
    spk_t / ispk_t (n_cond, max_spikes) WDR / interneuron spike times (ms), counts in
    spk_n / ispk_n (counts beyond capacity are kept, times dropped). NMDA populations
    (`ketasim.receptors.populations.NMDAPopulations`, K rows): ``nmda_p`` (K, NMDA_N_PARAMS)
    their packed parameter rows (one reversal potential), ``nmda_pair`` (K, 2) int64 their
    partner (-1: none) and occupied flag, ``nmda_kon`` / ``nmda_koff`` (K, NMDA_N_POS) the
    site's rates per gating position; ``nmda_x0`` (n_cond, K, NMDA_N_STATES) the normalised
    initial state and ``nmda_m0`` (n_cond, K) the initial mass of every population (the
    same at every synapse of a condition). ``v_end`` (n_cond, 3) receives the final
    membrane potentials (WDR soma, dendrite, interneuron) for a finiteness check. ``exact``
    evaluates the gate rates in closed form at every step instead of the 0.01 mV lookup
    table; ``nmda_sub`` > 0 advances the NMDA receptors every ``nmda_sub`` steps (default:
    0.1 ms); ``nmda_ee`` uses
    `ketasim.spinal.synapses.nmda_step_expeuler` (Brian2 cross-check) instead of the receptor
    kernel.
    """
    n_cond = P.shape[0]
    for c in prange(n_cond):
        _run_one(c, P[c], W[c], ev_ptr, ev_step, ev_ch, ev_w, mod[c], mod_every, n_steps, dt,
                 rec_every, rec[c], spk_t[c], spk_n, ispk_t[c], ispk_n, nmda_p, nmda_pair,
                 nmda_kon, nmda_koff, nmda_x0[c], nmda_m0[c], v_end[c], exact, nmda_sub,
                 nmda_ee)


@njit(cache=True)
def _run_one(c, p, w, ev_ptr, ev_step, ev_ch, ev_w, md, mod_every, n_steps, dt, rec_every,
             rec, spk_t, spk_n, ispk_t, ispk_n, nmda_p, nmda_pair, nmda_kon, nmda_koff,
             nmda_x0, nmda_m0, v_end, exact, nmda_sub, nmda_ee):
    # --- constants of this condition
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
    fcs = math.exp(-dt / tau_cs)
    fcd = math.exp(-dt / tau_cd)
    vtr = p[P_VTRAUB]
    vthr = p[P_V_SPIKE]
    cmi = p[P_INT_C_M_PF]
    T = gate_table(vtr, tadj_hh, tadj_cal, dt) if not exact else np.zeros((2, N_GATE_COLS))
    gs = np.empty(N_GATE_COLS)  # soma gates
    gd = np.empty(N_GATE_COLS)  # dendrite (CaL)
    gi = np.empty(N_GATE_COLS)  # interneuron
    # --- WDR and interneuron at rest
    v = e_l
    vd = e_l
    m, h, n = hh_steady(v, vtr)
    mp, hp = nap_steady(v, vtr)
    ml = cal_rates(v)[0]
    mld = ml
    ca = ca_rest
    cad = ca_rest
    mcan = ca_gate_steady(ca_rest, p[P_CAN_CAC_UM])
    mks = ca_gate_steady(ca_rest, p[P_KCA_CAC_UM])
    mkd = mks
    vi = e_l
    mi, hi, ni = hh_steady(vi, vtr)
    # --- synapses: dual exponentials (rise sa, decay sb) per pathway and type
    sa = np.zeros((N_CH, N_SYN))
    sb = np.zeros((N_CH, N_SYN))
    taur, taud = time_constants(p)
    act_n, act_s = active_synapses(w)  # the synapse types each pathway decays
    fa = np.zeros(N_SYN)
    fb = np.zeros(N_SYN)
    norm = np.zeros(N_SYN)
    # NMDA Markov states per pathway on the WDR dendrite (0) and the interneuron (1) and per
    # receptor population, at equilibrium with the initial drug levels (drug given long
    # before; computed by the caller: `ketasim.receptors.populations.pair_equilibrium` at
    # rest, no glutamate): normalised states xn and masses mn (shares of the conductance)
    n_pop = nmda_p.shape[0]
    xn = np.zeros((2, N_CH, n_pop, NMDA_N_STATES))
    mn = np.zeros((2, N_CH, n_pop))
    for ch in range(N_CH):
        xn[0, ch] = nmda_x0
        xn[1, ch] = nmda_x0
        mn[0, ch] = nmda_m0
        mn[1, ch] = nmda_m0
    p0 = nmda_p[0]
    # blocker arms (Mg2+, ketamine, norketamine) absent for the whole run: zero in every
    # drug-input row and in every population's initial state. The receptor kernel then
    # leaves them out (their states stay exactly 0; same bits, `nmda_step_ws`'s ``skip``)
    skip = 0
    for b, col in enumerate((M_MG, M_KET, M_NK)):
        unused = True
        for r in range(md.shape[0]):
            if md[r, col] != 0.0:
                unused = False
        for kp in range(n_pop):
            for j in range(NMDA_N_POS):
                if nmda_x0[kp, NMDA_N_POS * (b + 1) + j] != 0.0:
                    unused = False
        if unused:
            skip |= 1 << b
    ws = nmda_workspace()
    ws_d = nmda_workspace()  # the WDR dendrite's factorisation, shared by its synapses
    Q = np.zeros((NMDA_N_STATES, NMDA_N_STATES))
    f_rel = np.zeros((2, N_CH))  # recruitment x release of the last event (lumping factor)
    glu_left = np.zeros(N_CH, np.int64)
    glu_acc = np.zeros(N_CH)
    e_nmda = p0[P_EREV]  # one reversal potential for every population (checked by the caller)
    ca_frac_nmda = p0[P_CAFRAC]
    ca_frac = nmda_p[:, P_CAFRAC].copy()
    ca_uniform = True
    for kp in range(n_pop):
        if ca_frac[kp] != ca_frac_nmda:
            ca_uniform = False
    # exact pair exchange over one NMDA sub-step: occupied fraction at equilibrium (fx) and
    # decay factor (ex) per population and gating position, at the current ketamine level
    fx = np.zeros((n_pop, NMDA_N_POS))
    ex = np.ones((n_pop, NMDA_N_POS))
    n_glu = max(1, int(round(p[P_GLU_PULSE_MS] / dt)))
    glu_c = p[P_GLU_PULSE_UM]
    # NMDA receptors are advanced every n_sub steps (receptor-layer backward Euler at
    # n_sub * dt <= 0.1 ms, its stated accuracy limit) with the glutamate averaged over it
    n_sub = nmda_sub if nmda_sub > 0 else max(1, int(0.1 / dt + 1e-9))
    dt_sub = n_sub * dt
    # two FIFO queues (constant delays keep them sorted): IN -> WDR and IN-driven inhibition
    q_int = np.zeros(RB, np.int64)
    q_ffi = np.zeros(RB, np.int64)
    qi_h = 0
    qi_t = 0
    qf_h = 0
    qf_t = 0
    d_int = max(1, int(round(p[P_DELAY_INT_MS] / dt)))
    d_ffi = d_int + max(1, int(round(p[P_DELAY_FFI_MS] / dt)))
    ampa_sc = p[P_AMPA_SCALE]
    nk1_sc = p[P_NK1_SCALE]
    nmda_sc = p[P_NMDA_SCALE]
    inh_sc = p[P_INH_SCALE]
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
            set_kinetics(taur, taud, dt, fa, fb, norm)
            if n_pop > 1:
                pair_rates(nmda_pair, nmda_kon, nmda_koff, ket, dt_sub, fx, ex)
        # --- synaptic conductances at t
        (gbe, gbi, g_ampa, g_nk1, g_nmda, g_inh_gaba, g_inh_gly, gi_ampa, gi_nk1,
         gi_nmda, g_nmda_ca) = conductances(w, sa, sb, f_rel, xn, mn, ca_frac, ca_uniform,
                                            ampa_sc, nk1_sc, nmda_sc, inh_sc, gaba_g,
                                            gaba_tonic, gly_g)
        g_girk = p[P_G_GIRK_MAX] * mu
        # --- WDR soma and dendrite at t
        gates(v, T, exact, vtr, tadj_hh, tadj_cal, dt, gs)
        i_cal_s, gs_tot, ges = soma_currents(p, v, vd, m, h, n, mp, hp, ml, mks, ca, temp,
                                             gl_s, e_l, gc, g_girk, gbe, gbi)
        gates(vd, T, exact, vtr, tadj_hh, tadj_cal, dt, gd, 10, 12)  # CaL only
        i_cal_d, g_can, i_nmda, i_nk1, gd_tot, ged = dendrite_currents(
            p, vd, v, mld, mcan, mkd, cad, temp, gl_d, e_l, gc, g_ampa, g_nk1, g_nmda, e_nmda,
            g_inh_gaba, g_inh_gly)
        # Ca2+ influx (uM/ms): soma L-type; dendrite L-type + Ca2+ fractions of NMDA and NK1
        drive_s = -k_ca_s * i_cal_s
        if drive_s < 0.0:
            drive_s = 0.0
        if ca_uniform:
            i_nmda_ca = ca_frac_nmda * i_nmda
        else:  # each population's Ca2+ fraction
            i_nmda_ca = g_nmda_ca * (vd - e_nmda)
        drive_d = -k_ca_d * (i_cal_d + i_nmda_ca + p[P_NK1_CA_FRAC] * i_nk1)
        if drive_d < 0.0:
            drive_d = 0.0
        mcan_inf, tau_can = can_gate(cad, p, tadj_ca)
        mks_inf, tau_ks = kca_gate(ca, p, tadj_ca)
        mkd_inf, tau_kd = kca_gate(cad, p, tadj_ca)
        # --- record (state at t)
        if rec.shape[0] > 0 and k % rec_every == 0 and ir < rec.shape[0]:
            rec[ir, R_V] = v
            rec[ir, R_V_DEND] = vd
            rec[ir, R_I_NMDA] = i_nmda
            rec[ir, R_I_CAL] = i_cal_s + i_cal_d
            rec[ir, R_CA] = cad
            rec[ir, R_I_CAN] = g_can * (vd - p[P_E_CAN])
            rec[ir, R_I_AMPA] = g_ampa * (vd - p[P_E_AMPA])
            rec[ir, R_I_GABA] = (g_inh_gaba + g_inh_gly) * (vd - p[P_E_CL])
            rec[ir, R_V_INT] = vi
            ir += 1
        # --- interneuron at t
        gates(vi, T, exact, vtr, tadj_hh, tadj_cal, dt, gi, 0, 6)  # Traub Na/K only
        gi_tot, gei = interneuron_currents(p, mi, hi, ni, e_l, gi_ampa, gi_nk1, gi_nmda,
                                           e_nmda)
        # --- advance t -> t + dt (every variable from the state at t; Rush-Larsen gates)
        v_old = v
        vd_old = vd
        vi_old = vi
        v = voltage_step(v, ges - i_cal_s, gs_tot, cm_s, dt)
        vd = voltage_step(vd, ged - i_cal_d, gd_tot, cm_d, dt)
        m = relax_f(m, gs[0], gs[1])
        h = relax_f(h, gs[2], gs[3])
        n = relax_f(n, gs[4], gs[5])
        mp = relax_f(mp, gs[6], gs[7])
        hp = relax_f(hp, gs[8], gs[9])
        ml = relax_f(ml, gs[10], gs[11])
        mld = relax_f(mld, gd[10], gd[11])
        ca = relax_f(ca, ca_rest + drive_s * tau_cs, fcs)
        cad_new = relax_f(cad, ca_rest + drive_d * tau_cd, fcd)
        mcan = relax(mcan, mcan_inf, tau_can, dt)
        mks = relax(mks, mks_inf, tau_ks, dt)
        mkd = relax(mkd, mkd_inf, tau_kd, dt)
        cad = cad_new
        vi = voltage_step(vi, gei, gi_tot, cmi, dt)
        mi = relax_f(mi, gi[0], gi[1])
        hi = relax_f(hi, gi[2], gi[3])
        ni = relax_f(ni, gi[4], gi[5])
        # --- synapses: glutamate pulses (averaged over the NMDA sub-step), NMDA receptors
        #     every n_sub steps at the pre-step voltages, dual-exponential decay
        do_nmda = (k + 1) % n_sub == 0
        # the WDR dendrite's synapses see the same voltage and drugs: those with the same
        # glutamate share one factorisation of the receptor kernel (same bits)
        d_glu = -1.0
        for ch in range(N_CH):
            if glu_left[ch] > 0:
                glu_acc[ch] += glu_c
                glu_left[ch] -= 1
            if do_nmda:
                glu = glu_acc[ch] / n_sub
                glu_acc[ch] = 0.0
                # one population: the receptor layer's kernel, called here rather than from
                # a helper (an extra call level around it costs ~13 % of the run time,
                # bench_spinal.py); several: every population, then the pair exchange
                if w[ch, S_W_NMDA] > 0.0:
                    if n_pop > 1:
                        populations_step(xn[0, ch], mn[0, ch], dt_sub, vd_old, glu, mg, ket, nk,
                                         nmda_p, nmda_pair, fx, ex, ws, skip)
                    elif nmda_ee:
                        nmda_step_expeuler(xn[0, ch, 0], dt_sub, vd_old, glu, mg, ket, nk, p0, Q)
                    else:
                        if glu != d_glu:
                            nmda_factor_ws(dt_sub, vd_old, glu, mg, ket, nk, p0, ws_d, skip)
                            d_glu = glu
                        nmda_solve_ws(xn[0, ch, 0], ws_d, skip)
                if w[ch, S_I_NMDA] > 0.0:
                    if n_pop > 1:
                        populations_step(xn[1, ch], mn[1, ch], dt_sub, vi_old, glu, mg, ket, nk,
                                         nmda_p, nmda_pair, fx, ex, ws, skip)
                    elif nmda_ee:
                        nmda_step_expeuler(xn[1, ch, 0], dt_sub, vi_old, glu, mg, ket, nk, p0, Q)
                    else:
                        nmda_step_ws(xn[1, ch, 0], dt_sub, vi_old, glu, mg, ket, nk, p0, ws,
                                     skip)
            decay(ch, act_n, act_s, sa, sb, fa, fb)
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
        # --- deliver this step's events (afferents; mu-opioid presynaptic block on C)
        while e0 < e1 and ev_step[e0] <= k:
            ch = ev_ch[e0]
            fr = ev_w[e0]
            if ch == CH_C:
                fr *= 1.0 - p[P_MU_PRESYN_MAX] * mu
            deliver(ch, fr, sa, sb, norm, f_rel, glu_left, n_glu, w)
            e0 += 1
        while qi_h < qi_t and q_int[qi_h % RB] <= k:
            deliver(CH_INT, 1.0, sa, sb, norm, f_rel, glu_left, n_glu, w)
            qi_h += 1
        while qf_h < qf_t and q_ffi[qf_h % RB] <= k:
            deliver(CH_INT_FFI, 1.0, sa, sb, norm, f_rel, glu_left, n_glu, w)
            qf_h += 1
    spk_n[c] = nsp
    ispk_n[c] = nisp
    v_end[0] = v
    v_end[1] = vd
    v_end[2] = vi
