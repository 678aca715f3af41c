"""Cross-check and speed: the ketasim WDR circuit vs the same equations written in Brian2.

Brian2 (Stimberg, Brette & Goodman 2019, eLife 8:e47314) is an optional, benchmark-only
dependency. Brian2 2.9.0 needs numpy < 2.4 (ketasim's own environment has a newer numpy), so
run this script from a separate environment, e.g.::

    python3 -m venv /tmp/venv-brian2
    /tmp/venv-brian2/bin/pip install brian2==2.9.0 'numpy>=2.0.2,<2.4' scipy numba xarray \
        pint pydantic typer rich pyyaml zarr dask matplotlib cython
    /tmp/venv-brian2/bin/pip install --no-deps -e .
    NUMBA_CACHE_DIR=/tmp/numba-brian2 /tmp/venv-brian2/bin/python \
        benchmarks/crosscheck_brian2.py [--n-batch 100]

What is compared. The Brian2 model is generated from the same parameters (`SpinalParams`,
the lumped weight matrix, the receptor layer's NMDA rate constants) on the same
deterministic protocol (no latency jitter, no background noise). Every variable is integrated
with Brian2's ``exponential_euler`` at dt = 0.025 ms, which for these conditionally linear
equations is the scheme of the ketasim engine (Rush-Larsen gates, exponential Euler for V
and Ca2+, GHK current held over a step, inputs delivered after the update). ketasim runs
with closed-form gates (``exact_gates=True``) and its NMDA receptors stepped every 0.025 ms.
For the agreement test ketasim advances the receptor layer's 20-state NMDA rate matrix by
exponential Euler per state as Brian2 does (``nmda_expeuler=True``); its default (the receptor
layer's backward Euler every 0.1 ms) is printed next to it: wind-up is a threshold-like
(regenerative) process, so first-order scheme differences can change late spike counts.

Speed: a batch of conditions (ketamine 0-100 uM) on the wind-up protocol, ketasim's default
engine (lookup-table gates, NMDA every 0.1 ms) vs Brian2 runtime mode with Cython, both
after compilation, measured in the same run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ketasim.receptors.nmda import (
    P_ALPHA,
    P_ALPHA_B,
    P_BETA,
    P_BETA_B,
    P_BLK,
    P_CAFRAC,
    P_EREV,
    P_KB,
    P_KD,
    P_KR,
    P_KU,
    NMDAParams,
    nmda_equilibrium,
    nmda_params_array,
)
from ketasim.spinal import Condition, SpinalParams, score, simulate, train
from ketasim.spinal import layout as E
from ketasim.spinal.channels import N_GATE_COLS, gates_exact
from ketasim.spinal.circuit import gaba_modulation, weight_matrix
from ketasim.spinal.synapses import dexp_norm

# numpy >= 2 writes scalars as 'np.float64(x)', which Brian2 cannot parse in equations;
# the legacy repr writes the same digits as a Python float
np.set_printoptions(legacy="1.25")


def _dexp_norm_py(tau_rise: float, tau_decay: float) -> float:
    """Peak-normalising factor of a dual exponential (the engine's)."""
    return float(dexp_norm(tau_rise, tau_decay))


F = 96485.33212
RGAS = 8.314462618


def nmda_equations(tag: str, vname: str, glu: str, conc: dict) -> tuple[str, list[str]]:
    """Brian2 equations of the receptor layer's 20-state NMDA scheme (same rate constants)."""
    p = nmda_params_array(NMDAParams())
    n = 20
    rates = {}  # (to, from) -> expression string (per ms)

    def add(i, j, expr):
        rates[(i, j)] = f"({rates[(i, j)]} + {expr})" if (i, j) in rates else expr

    kb = f"({p[P_KB]!r}*{glu})"
    for a in range(4):
        o = 5 * a
        be = p[P_BETA] if a == 0 else p[P_BETA_B]
        al = p[P_ALPHA] if a == 0 else p[P_ALPHA_B]
        add(o + 1, o + 0, f"2*{kb}")
        add(o + 0, o + 1, f"{p[P_KU]!r}")
        add(o + 2, o + 1, kb)
        add(o + 1, o + 2, f"{2 * p[P_KU]!r}")
        add(o + 3, o + 2, f"{be!r}")
        add(o + 2, o + 3, f"{al!r}")
        add(o + 4, o + 2, f"{p[P_KD]!r}")
        add(o + 2, o + 4, f"{p[P_KR]!r}")
    fct = (p[P_ALPHA_B] / p[P_BETA_B]) / (p[P_ALPHA] / p[P_BETA])
    vm = f"({vname}/mV)"
    for b, c in enumerate((conc["mg"], conc["ket"], conc["nk"])):
        base = P_BLK + 6 * b
        koff = f"({p[base]!r}*exp({p[base + 1]!r}*{vm}))"
        kk = f"({c}/{p[base + 2]!r}*exp({-p[base + 3]!r}*{vm}))"
        esc = f"({p[base + 4]!r}*exp({p[base + 5]!r}*{vm}))"
        o = 5 * (b + 1)
        add(o + 3, 3, f"{koff}*{kk}")
        add(3, o + 3, koff)
        for j in (0, 1, 2, 4):
            add(o + j, j, f"{esc}*{fct!r}*{kk}")
            add(j, o + j, esc)
    lines = []
    names = [f"x{tag}_{i}" for i in range(n)]
    for i in range(n):
        inflow = " + ".join(f"{rates[(i, j)]}*{names[j]}" for j in range(n) if (i, j) in rates)
        outflow = " + ".join(rates[(k, i)] for k in range(n) if (k, i) in rates)
        lines.append(f"d{names[i]}/dt = ({inflow} - ({outflow})*{names[i]})/ms : 1")
    return "\n".join(lines), names


def build_brian2(conds, protocol, dt_ms, target="cython"):
    import brian2 as b2

    b2.prefs.codegen.target = target
    b2.defaultclock.dt = dt_ms * b2.ms
    p: SpinalParams = conds[0].params
    for c in conds:
        if c.params != p:
            raise ValueError("the Brian2 cross-check varies drugs only")
    nb = len(conds)
    w = weight_matrix(p, dt_ms)
    po = nmda_params_array(NMDAParams())
    tadj_hh = 3.0 ** ((p.temperature_c - 36.0) / 10.0)
    tadj_cal = 3.0 ** ((p.temperature_c - 23.5) / 10.0)
    tadj_ca = 3.0 ** ((p.temperature_c - 22.0) / 10.0)
    a_s, a_d = p.area_soma_um2, p.area_dend_um2
    k_ca_s = 1e-9 / (2 * F * a_s * p.ca_depth_um * 1e-15)
    k_ca_d = 1e-9 / (2 * F * a_d * p.ca_dend_pool_frac * p.ca_depth_um * 1e-15)
    tempk = p.temperature_c + 273.15
    taur = {E.S_W_AMPA: p.ampa_tau_rise, E.S_I_AMPA: p.ampa_tau_rise,
            E.S_W_NK1: p.nk1_wdr_tau_rise, E.S_I_NK1: p.nk1_int_tau_rise,
            E.S_W_GABA: p.gaba_tau_rise, E.S_W_GLY: p.gly_tau_rise}
    taud = {E.S_W_AMPA: p.ampa_tau_decay, E.S_I_AMPA: p.ampa_tau_decay,
            E.S_W_NK1: p.nk1_wdr_tau_decay, E.S_I_NK1: p.nk1_int_tau_decay,
            E.S_W_GABA: p.gaba_tau_decay, E.S_W_GLY: p.gly_tau_decay}
    gaba_mult = np.array([gaba_modulation([c.propofol_uM], [c.thiopental_uM],
                                          [c.ketamine_uM])[0][0] for c in conds])

    def hh(prefix, vexpr):
        v2 = f"({vexpr}/mV - {p.vtraub!r})"
        return f"""
am_{prefix} = 0.32*(13 - {v2})/(exp((13 - {v2})/4) - 1) : 1
bm_{prefix} = 0.28*({v2} - 40)/(exp(({v2} - 40)/5) - 1) : 1
ah_{prefix} = 0.128*exp((17 - {v2})/18) : 1
bh_{prefix} = 4/(1 + exp((40 - {v2})/5)) : 1
an_{prefix} = 0.032*(15 - {v2})/(exp((15 - {v2})/5) - 1) : 1
bn_{prefix} = 0.5*exp((10 - {v2})/40) : 1
dm_{prefix}/dt = {tadj_hh!r}*(am_{prefix}*(1 - m_{prefix}) - bm_{prefix}*m_{prefix})/ms : 1
dh_{prefix}/dt = {tadj_hh!r}*(ah_{prefix}*(1 - h_{prefix}) - bh_{prefix}*h_{prefix})/ms : 1
dn_{prefix}/dt = {tadj_hh!r}*(an_{prefix}*(1 - n_{prefix}) - bn_{prefix}*n_{prefix})/ms : 1
"""

    def cal(prefix, vexpr):
        vv = f"({vexpr}/mV)"
        return f"""
acal_{prefix} = 1.6/(1 + exp(-0.072*({vv} - 5))) : 1
bcal_{prefix} = 0.02*({vv} - 1.31)/(exp(({vv} - 1.31)/5.36) - 1) : 1
minf_{prefix} = 1/(1 + exp(-({vv} + 10)/10)) : 1
dml_{prefix}/dt = {tadj_cal!r}*(acal_{prefix} + bcal_{prefix})*(minf_{prefix} - ml_{prefix})/ms : 1
"""

    syn_w, syn_i = [], []  # (ch, s) on WDR / interneuron, dual exponential
    for ch in range(E.N_CH):
        for s in (E.S_W_AMPA, E.S_W_NK1, E.S_W_GABA, E.S_W_GLY):
            if w[ch, s] != 0:
                syn_w.append((ch, s))
        for s in (E.S_I_AMPA, E.S_I_NK1):
            if w[ch, s] != 0:
                syn_i.append((ch, s))
    nmda_w = [ch for ch in range(E.N_CH) if w[ch, E.S_W_NMDA] > 0]
    nmda_i = [ch for ch in range(E.N_CH) if w[ch, E.S_I_NMDA] > 0]

    def dual(ch, s):
        tr = taur[s]
        if s == E.S_W_GABA:  # decay scaled per condition by the GABA-A drug multiplier
            return (f"da_{ch}_{s}/dt = -a_{ch}_{s}/({tr!r}*ms) : 1\n"
                    f"db_{ch}_{s}/dt = -b_{ch}_{s}/taud_gaba : 1\n"), "norm_gaba_post"
        td = taud[s]
        return (f"da_{ch}_{s}/dt = -a_{ch}_{s}/({tr!r}*ms) : 1\n"
                f"db_{ch}_{s}/dt = -b_{ch}_{s}/({td!r}*ms) : 1\n"), repr(_dexp_norm_py(tr, td))

    conc = {"mg": "mg", "ket": "ket", "nk": "nk"}
    eq_w = hh("s", "v") + cal("s", "v") + cal("d", "vd")
    v2 = f"(v/mV - {p.vtraub!r})"
    eq_w += f"""
amp_ = 0.32*(-2 + 13 - {v2})/(exp((-2 + 13 - {v2})/4) - 1) : 1
bmp_ = 0.28*(-2 + {v2} - 40)/(exp((-2 + {v2} - 40)/5) - 1) : 1
ahp_ = 0.128*exp((-5 + 17 - {v2})/18) : 1
bhp_ = 4/(1 + exp((-5 + 40 - {v2})/5*0.5)) : 1
dmp/dt = {tadj_hh!r}*(amp_*(1 - mp) - bmp_*mp)/ms : 1
dhp/dt = {tadj_hh!r}*(ahp_*(1 - hp) - bhp_*hp)/ms : 1
wg_s = 2*{F!r}*(v/mV)*1e-3/({RGAS!r}*{tempk!r}) : 1
wg_d = 2*{F!r}*(vd/mV)*1e-3/({RGAS!r}*{tempk!r}) : 1
i_cal_s = {p.p_cal_soma!r}*ml_s**2*2*{F!r}*1e-3*wg_s*(ca*1e-3 - {p.ca_o_mm!r}*exp(-wg_s))/(1 - exp(-wg_s))*pA : amp (constant over dt)
i_cal_d = {p.p_cal_dend!r}*ml_d**2*2*{F!r}*1e-3*wg_d*(cad*1e-3 - {p.ca_o_mm!r}*exp(-wg_d))/(1 - exp(-wg_d))*pA : amp (constant over dt)
"""  # noqa: E501
    g_terms = {E.S_W_AMPA: [], E.S_W_NK1: [], E.S_W_GABA: [], E.S_W_GLY: []}
    norms = {}
    for ch, s in syn_w:
        txt, norms[(ch, s)] = dual(ch, s)
        eq_w += txt
        g_terms[s].append(f"{w[ch, s]!r}*(b_{ch}_{s} - a_{ch}_{s})")
    nm_terms = []
    for ch in nmda_w:
        txt, names = nmda_equations(f"w{ch}", "vd", f"glu_{ch}", conc)
        eq_w += txt + "\n"
        eq_w += f"glu_{ch} = {p.glu_pulse_um!r}*int(t > gs_{ch} + 0.5*dt)*int(t < ge_{ch} + 0.5*dt) : 1 (constant over dt)\n"  # noqa: E501
        eq_w += f"gs_{ch} : second\nge_{ch} : second\nfrel_{ch} : 1\n"
        nm_terms.append(f"{w[ch, E.S_W_NMDA]!r}*frel_{ch}*{names[3]}")

    def gsum(lst):
        return " + ".join(lst) if lst else "0"

    eq_w += f"""
g_ampa = ({gsum(g_terms[E.S_W_AMPA])})*{p.ampa_scale!r}*nS : siemens
g_nk1 = ({gsum(g_terms[E.S_W_NK1])})*{p.nk1_scale!r}*nS : siemens
g_inh = (({gsum(g_terms[E.S_W_GABA])}) + ({gsum(g_terms[E.S_W_GLY])}))*{p.inh_scale!r}*nS : siemens
g_nmda = ({gsum(nm_terms)})*{p.nmda_scale!r}*nS : siemens
i_nmda = g_nmda*(vd - {po[P_EREV]!r}*mV) : amp
i_nk1 = g_nk1*(vd - {p.e_nk1!r}*mV) : amp
r_can = (cad/{p.can_cac_um!r})**2 : 1
r_ks = (ca/{p.kca_cac_um!r})**2 : 1
r_kd = (cad/{p.kca_cac_um!r})**2 : 1
tau_can = clip({p.can_tau_factor!r}/({p.can_beta!r}*(1 + r_can))/{tadj_ca!r}, 0.1, inf)*ms : second
tau_ks = clip(1/({p.kca_beta!r}*(1 + r_ks))/{tadj_ca!r}, 0.1, inf)*ms : second
tau_kd = clip(1/({p.kca_beta!r}*(1 + r_kd))/{tadj_ca!r}, 0.1, inf)*ms : second
dmcan/dt = (r_can/(1 + r_can) - mcan)/tau_can : 1
dmks/dt = (r_ks/(1 + r_ks) - mks)/tau_ks : 1
dmkd/dt = (r_kd/(1 + r_kd) - mkd)/tau_kd : 1
drive_s = clip(-{k_ca_s!r}*i_cal_s/pA, 0, inf) : 1 (constant over dt)
drive_d = clip(-{k_ca_d!r}*(i_cal_d + {po[P_CAFRAC]!r}*i_nmda + {p.nk1_ca_frac!r}*i_nk1)/pA, 0, inf) : 1 (constant over dt)
dca/dt = (drive_s + ({p.ca_rest_um!r} - ca)/{p.ca_tau_soma_ms!r})/ms : 1
dcad/dt = (drive_d + ({p.ca_rest_um!r} - cad)/{p.ca_tau_dend_ms!r})/ms : 1
gl_s = {p.g_leak_s_cm2 * a_s * 10.0!r}*nS : siemens
gl_d = {p.g_leak_s_cm2 * a_d * 10.0!r}*nS : siemens
dv/dt = (gl_s*({p.e_leak!r}*mV - v) + {p.g_na!r}*nS*m_s**3*h_s*({p.e_na!r}*mV - v)
         + {p.g_k!r}*nS*n_s**4*({p.e_k!r}*mV - v) + {p.g_nap!r}*nS*mp*hp*({p.e_na!r}*mV - v)
         + {p.g_kca_soma!r}*nS*mks**3*({p.e_k!r}*mV - v) + {p.g_couple!r}*nS*(vd - v)
         - i_cal_s)/({p.cm_uf_cm2 * a_s * 1e-2!r}*pF) : volt
dvd/dt = (gl_d*({p.e_leak!r}*mV - vd) + {p.g_can!r}*nS*mcan**2*({p.e_can!r}*mV - vd)
          + {p.g_kca_dend!r}*nS*mkd**3*({p.e_k!r}*mV - vd) + g_ampa*({p.e_ampa!r}*mV - vd)
          + g_nk1*({p.e_nk1!r}*mV - vd) + g_nmda*({po[P_EREV]!r}*mV - vd)
          + g_inh*({p.e_cl!r}*mV - vd) + {p.g_couple!r}*nS*(v - vd)
          - i_cal_d)/({p.cm_uf_cm2 * a_d * 1e-2!r}*pF) : volt
v_prev : volt
taud_gaba : second (constant)
norm_gaba : 1 (constant)
mg : 1 (constant)
ket : 1 (constant)
nk : 1 (constant)
"""  # noqa: E501
    eq_i = hh("i", "vi")
    gi_terms = {E.S_I_AMPA: [], E.S_I_NK1: []}
    for ch, s in syn_i:
        txt, norms[(ch, s)] = dual(ch, s)
        eq_i += txt
        gi_terms[s].append(f"{w[ch, s]!r}*(b_{ch}_{s} - a_{ch}_{s})")
    nmi_terms = []
    for ch in nmda_i:
        txt, names = nmda_equations(f"i{ch}", "vi", f"glu_{ch}", conc)
        eq_i += txt + "\n"
        eq_i += f"glu_{ch} = {p.glu_pulse_um!r}*int(t > gs_{ch} + 0.5*dt)*int(t < ge_{ch} + 0.5*dt) : 1 (constant over dt)\n"  # noqa: E501
        eq_i += f"gs_{ch} : second\nge_{ch} : second\nfrel_{ch} : 1\n"
        nmi_terms.append(f"{w[ch, E.S_I_NMDA]!r}*frel_{ch}*{names[3]}")
    eq_i += f"""
gi_ampa = ({gsum(gi_terms[E.S_I_AMPA])})*{p.ampa_scale!r}*nS : siemens
gi_nk1 = ({gsum(gi_terms[E.S_I_NK1])})*{p.nk1_scale!r}*nS : siemens
gi_nmda = ({gsum(nmi_terms)})*{p.nmda_scale!r}*nS : siemens
dvi/dt = ({p.int_g_leak!r}*nS*({p.e_leak!r}*mV - vi) + {p.int_g_na!r}*nS*m_i**3*h_i*({p.e_na!r}*mV - vi)
          + {p.int_g_k!r}*nS*n_i**4*({p.e_k!r}*mV - vi) + gi_ampa*({p.e_ampa!r}*mV - vi)
          + gi_nk1*({p.e_nk1!r}*mV - vi) + gi_nmda*({po[P_EREV]!r}*mV - vi))/({p.int_c_m_pf!r}*pF) : volt
vi_prev : volt
mg : 1 (constant)
ket : 1 (constant)
nk : 1 (constant)
"""  # noqa: E501
    thr = p.v_spike
    wdr = b2.NeuronGroup(nb, eq_w, method="exponential_euler",
                         threshold=f"v > {thr!r}*mV and v_prev <= {thr!r}*mV", reset="")
    inn = b2.NeuronGroup(nb, eq_i, method="exponential_euler",
                         threshold=f"vi > {thr!r}*mV and vi_prev <= {thr!r}*mV", reset="")
    wdr.run_regularly("v_prev = v", when="end")
    inn.run_regularly("vi_prev = vi", when="end")
    # initial state: rest, gates and receptors at equilibrium (as the ketasim engine)
    for grp, vn in ((wdr, "v"), (inn, "vi")):
        setattr(grp, vn, p.e_leak * b2.mV)
        setattr(grp, vn + "_prev", p.e_leak * b2.mV)
        grp.mg = p.mg_mm
        grp.ket = [c.ketamine_uM for c in conds]
        grp.nk = [c.norketamine_uM for c in conds]
    wdr.vd = p.e_leak * b2.mV
    wdr.taud_gaba = gaba_mult * p.gaba_tau_decay * b2.ms
    wdr.norm_gaba = [_dexp_norm_py(p.gaba_tau_rise, m * p.gaba_tau_decay) for m in gaba_mult]
    gt = np.empty(N_GATE_COLS)
    gates_exact(p.e_leak, p.vtraub, tadj_hh, tadj_cal, dt_ms, gt)
    wdr.m_s, wdr.h_s, wdr.n_s, wdr.mp, wdr.hp = gt[0], gt[2], gt[4], gt[6], gt[8]
    wdr.ml_s, wdr.ml_d = gt[10], gt[10]
    inn.m_i, inn.h_i, inn.n_i = gt[0], gt[2], gt[4]
    wdr.ca, wdr.cad = p.ca_rest_um, p.ca_rest_um
    r = (p.ca_rest_um / p.can_cac_um) ** 2
    wdr.mcan = r / (1 + r)
    r = (p.ca_rest_um / p.kca_cac_um) ** 2
    wdr.mks, wdr.mkd = r / (1 + r), r / (1 + r)
    for grp, chans, tag in ((wdr, nmda_w, "w"), (inn, nmda_i, "i")):
        for ch in chans:
            x0 = np.stack([nmda_equilibrium(p.e_leak, 0.0, p.mg_mm, c.ketamine_uM,
                                            c.norketamine_uM, po) for c in conds])
            for k in range(20):
                setattr(grp, f"x{tag}{ch}_{k}", x0[:, k])
            setattr(grp, f"gs_{ch}", -1 * b2.second)
            setattr(grp, f"ge_{ch}", -1 * b2.second)
    n_glu = max(1, int(round(p.glu_pulse_ms / dt_ms)))
    objs = [wdr, inn]
    # afferent events: one generator neuron per (channel, recruitment weight) and condition
    st, chn, wt = protocol.events(np.random.default_rng(0), dt_ms)
    pairs = sorted({(int(c), round(float(x), 12)) for c, x in zip(chn, wt, strict=True)})
    gen_i, gen_t = [], []
    for u, (ch, x) in enumerate(pairs):
        sel = (chn == ch) & (np.abs(wt - x) < 1e-12)
        for c in range(nb):
            gen_i.append(np.full(int(sel.sum()), u * nb + c))
            gen_t.append(st[sel] * dt_ms)
    gen = b2.SpikeGeneratorGroup(len(pairs) * nb, np.concatenate(gen_i),
                                 np.concatenate(gen_t) * b2.ms)
    objs.append(gen)

    def on_pre(ch, targets, fr_expr):
        code = []
        for c2, s in targets:
            if c2 == ch:
                code.append(f"a_{ch}_{s}_post += {fr_expr}*{norms[(ch, s)]}")
                code.append(f"b_{ch}_{s}_post += {fr_expr}*{norms[(ch, s)]}")
        return code

    for u, (ch, x) in enumerate(pairs):
        for grp, targets, nm in ((wdr, syn_w, nmda_w), (inn, syn_i, nmda_i)):
            code = on_pre(ch, targets, repr(x))
            if ch in nm:
                code += [f"gs_{ch}_post = t", f"ge_{ch}_post = t + {n_glu}*dt",
                         f"frel_{ch}_post = {x!r}"]
            if not code:
                continue
            syn = b2.Synapses(gen, grp, on_pre="\n".join(code))
            syn.connect(i=[u * nb + c for c in range(nb)], j=list(range(nb)))
            objs.append(syn)
    d_int = max(1, int(round(p.delay_int_ms / dt_ms)))
    d_ffi = d_int + max(1, int(round(p.delay_ffi_ms / dt_ms)))
    for ch, delay in ((E.CH_INT, d_int), (E.CH_INT_FFI, d_ffi)):
        code = on_pre(ch, syn_w, "1.0")
        if ch in nmda_w:
            code += [f"gs_{ch}_post = t", f"ge_{ch}_post = t + {n_glu}*dt", f"frel_{ch}_post = 1.0"]
        if code:
            syn = b2.Synapses(inn, wdr, on_pre="\n".join(code), delay=delay * dt_ms * b2.ms)
            syn.connect(j="i")
            objs.append(syn)
    mon = b2.SpikeMonitor(wdr)
    objs.append(mon)
    net = b2.Network(*objs)
    return net, mon


def run_brian2(conds, protocol, dt_ms, target="cython"):
    import brian2 as b2
    net, mon = build_brian2(conds, protocol, dt_ms, target)
    t0 = time.perf_counter()
    net.run(protocol.duration_ms * b2.ms)
    el = time.perf_counter() - t0
    trains = mon.spike_trains()
    return [np.asarray(trains[i] / b2.ms) for i in range(len(conds))], el


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-batch", type=int, default=100)
    ap.add_argument("--n-stim", type=int, default=3, help="shocks in the cross-check protocol")
    ap.add_argument("--bench-stim", type=int, default=3, help="shocks in the speed protocol")
    ap.add_argument("--target", default="cython", choices=["cython", "numpy"])
    a = ap.parse_args()
    dt = 0.025
    # ---- 1. agreement on the deterministic protocol
    proto = train(a.n_stim, 1.0).deterministic()
    conds = [Condition(label="control"), Condition(ketamine_uM=30.0, label="ketamine 30 uM")]
    ks = simulate(proto, conds, dt_ms=dt, exact_gates=True, nmda_dt_ms=dt, nmda_expeuler=True)
    kd = simulate(proto, conds, dt_ms=dt)  # default engine, for the scheme difference
    bt, _ = run_brian2(conds, proto, dt, a.target)
    st = np.asarray(proto.stim_times_ms)
    ok_all = True
    for i, c in enumerate(conds):
        tk = ks.spike_times.values[i, : ks.n_spikes.values[i]]
        tb = bt[i]
        ck = [int(x) for x in (np.add(*score(tk, st, proto.duration_ms)[1:]))]
        cb = [int(x) for x in (np.add(*score(tb, st, proto.duration_ms)[1:]))]
        same_n = tk.size == tb.size
        dmax = float(np.max(np.abs(tk - tb))) if same_n and tk.size else float("nan")
        ok = ck == cb and same_n and (tk.size == 0 or dmax <= 0.5)
        ok_all &= ok
        cd_ = [int(x) for x in kd.response.values[i]]
        print(f"{c.label:16s} ketasim default engine (NMDA backward Euler 0.1 ms) {cd_}")
        print(f"{c.label:16s} ketasim per stimulus {ck} (n={tk.size})")
        print(f"{'':16s} brian2  per stimulus {cb} (n={tb.size})  max |dt| = {dmax:.3f} ms"
              f"  -> {'AGREE' if ok else 'DIFFER'}")
    # ---- 2. speed on a batch
    bproto = train(a.bench_stim, 1.0).deterministic()
    kets = np.linspace(0.0, 100.0, a.n_batch)
    bconds = [Condition(ketamine_uM=float(k)) for k in kets]
    simulate(train(1, 1.0), bconds[:2])  # compile (cached on disk)
    # Brian2 compiles its Cython code inside net.run: a short run of the same network
    # first, so that the timed run is run time only, as for ketasim
    run_brian2(bconds[:2], train(1, 1.0).deterministic(), dt, a.target)
    t0 = time.perf_counter()
    simulate(bproto, bconds, dt_ms=dt)
    t_ks = time.perf_counter() - t0
    one = train(15, 1.0)
    t_one = min(_timed(lambda: simulate(one, Condition(), dt_ms=dt)) for _ in range(3))
    _, t_b2 = run_brian2(bconds, bproto, dt, a.target)
    print(f"speed, {a.n_batch} conditions x {bproto.duration_ms / 1000:g} s: ketasim "
          f"{t_ks:.2f} s, brian2 ({a.target}, run only) {t_b2:.2f} s, ratio {t_b2 / t_ks:.1f}x")
    print(f"single 16 s wind-up protocol (15 shocks at 1 Hz), ketasim: {t_one:.3f} s")
    print("cross-check", "PASSED" if ok_all else "FAILED (see above)")


if __name__ == "__main__":
    main()
