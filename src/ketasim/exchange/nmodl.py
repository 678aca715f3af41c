"""Export the WDR neuron, its interneuron and their synapses as NMODL for NEURON.

`export_nmodl` writes, from the spec objects it is given (`SpinalParams`, `NMDAParams`, the
drug levels), a folder that NEURON (>= 9, C++ NMODL) compiles with ``nrnivmodl`` and runs
without ketasim:

* density mechanisms: ``ks_hh`` (Traub & Miles fast Na/K; traub1991), ``ks_nap``
  (persistent Na; prescott2005 as parametrised by aguiar2010), ``ks_cal`` (L-type Ca2+
  with a GHK current; mccormick1992), ``ks_capool`` (Ca2+ shell; destexhe1993), ``ks_can``
  (I_CAN) and ``ks_kca`` (K(Ca)), both gated by [Ca]i (destexhe1994 retuned by aguiar2010);
  the leak is NEURON's ``pas``;
* point processes: ``ks_dexp`` (peak-normalised dual exponential: AMPA, NK1, GABA-A,
  glycine; aguiar2010) and ``ks_nmda``, the receptor layer's 20-state NMDA scheme
  (`ketasim.receptors.nmda`) written as a KINETIC block: gating C0-C1-C2-O, C2-D in four
  pore arms (free, Mg2+, ketamine, norketamine), open-channel block with Woodhull rates,
  trapping in the closed blocked states and slow closed-channel egress, with every rate
  constant copied from the spec (``nmda_params_array``), a glutamate pulse per event and a
  Ca2+ fraction written to ``ica``;
* ``ketasim_wdr.py``: a NEURON Python driver that builds the two-compartment WDR cell and the
  interneuron with the ketasim geometry (areas, coupling conductance), inserts the
  mechanisms with the spec's densities, connects the lumped afferent pathways and plays the
  deterministic wind-up protocol's events (``events.json``); it prints or returns the WDR
  spike times;
* ``manifest.json``: ketasim version, spec hash, drug levels, the files and citations.

What is not expressed (stated in every file's COMMENT): drug levels are constants of the
export (no time courses); opioids (GIRK, presynaptic mu block), propofol/thiopental on
GABA-A (the ketamine part of the GABA-A decay multiplier is applied) and NMDA subunit
mixtures or ketamine's allosteric site (several receptor populations exchanging mass) are
not exported; Poisson background and latency jitter are left to the user (the driver plays
the events it is given).

NeuroML2 is not exported: its core types cannot hold the receptor layer's NMDA model. A
``blockingPlasticSynapse`` has an instantaneous Mg2+ block (``voltageConcDepBlockMechanism``,
the Jahr-Stevens form) and no drug: the 20-state scheme with open-channel block, trapping of
ketamine in closed blocked states and closed-channel egress needs a transmitter-gated kinetic
scheme (``ionChannelKS`` is voltage-gated only); the [Ca]i-gated I_CAN and K(Ca) with
``(ca / cac)^2`` gates, the shell with its influx clipped at zero and the lumped pathway's
last-event scaling of the NMDA conductance also need custom LEMS ComponentTypes. The Traub,
persistent Na and GHK L-type channels would map to core types (``HHExpLinearRate``,
``HHExpRate``, ``HHSigmoidRate``, ``channelDensityGHK``).

Numerics: NEURON's fixed step integrates V by implicit Euler and the gates and NMDA states
with the voltage at the end of the step; ketasim integrates V by exponential Euler and every
state from the voltage at the start of the step. Both are first order in dt; see
``tests/test_exchange_neuron.py`` for the measured agreement.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ketasim.core.citations import get as get_citation
from ketasim.core.citations import key
from ketasim.core.errors import InputError
from ketasim.core.provenance import ketasim_version, params_hash
from ketasim.core.units import as_float
from ketasim.core.validation import Instance, Interval, NoneOK, Quantity, validate_params
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
    nmda_params_array,
)
from ketasim.spinal import layout as L
from ketasim.spinal import sources as S
from ketasim.spinal.afferents import Protocol, train
from ketasim.spinal.channels import FARADAY, R_GAS
from ketasim.spinal.params import DEFAULT, SpinalParams

__all__ = ["export_nmodl", "nmodl_files", "cell_spec", "protocol_events", "MECHANISMS",
           "NOT_EXPRESSED"]

MECHANISMS = ("ks_hh", "ks_nap", "ks_cal", "ks_capool", "ks_can", "ks_kca", "ks_dexp",
              "ks_nmda")
HINES_CARNEVALE = key("hines_carnevale1997")
NOT_EXPRESSED = (
    "drug levels are constants of the export (ketasim also takes time courses);",
    "opioids (GIRK on the soma, presynaptic mu block of C fibres) are not exported;",
    "propofol/thiopental on GABA-A are not exported (ketamine's own GABA-A decay "
    "multiplier is applied to tau_decay of the GABA-A synapses);",
    "NMDA subunit mixtures and ketamine's allosteric site (several receptor populations "
    "exchanging mass, ketasim.receptors.populations) are not exported: one NMDAParams "
    "without allosteric site only;",
    "Poisson background and latency jitter are not generated by the driver (it plays the "
    "events it is given); ketasim's optional 0.1 ms NMDA sub-stepping with averaged "
    "glutamate is not reproduced (NEURON advances the NMDA states every dt).",
)
_CITES = (S.AGUIAR2010, S.TRAUB1991, S.PRESCOTT2005, S.MCCORMICK1992, S.DESTEXHE1993,
          S.DESTEXHE1994, S.DESTEXHE1998, S.CLEMENTS1992, S.BURNASHEV1995)


def _f(x: float) -> str:
    """A float as NMODL text (round-trips exactly)."""
    return repr(float(x))


def _levels(ketamine_uM, norketamine_uM, dt_ms) -> tuple[float, float, float]:
    """The drug levels (uM) and the step (ms) as floats (numbers or quantities)."""
    return (as_float(ketamine_uM, "ketamine_uM", "uM", Interval(0.0, 1e4)),
            as_float(norketamine_uM, "norketamine_uM", "uM", Interval(0.0, 1e4)),
            as_float(dt_ms, "dt_ms", "ms", Interval(0.001, 0.1)))


def _nmda_spec(nmda) -> NMDAParams:
    if nmda is None:
        return NMDAParams()
    if not isinstance(nmda, NMDAParams):
        raise InputError("nmda", type(nmda).__name__, "an NMDAParams (subunit mixtures are "
                         "not exported)")
    if nmda.allo_gating_factor > 1.0:
        raise InputError("nmda.allo_gating_factor", nmda.allo_gating_factor,
                         "1 (ketamine's allosteric site is not exported to NMODL)")
    return nmda


def _header(name: str, what: str, prov: dict, cites) -> str:
    lines = [f"{name}: {what}", "",
             "Generated by ketasim.exchange.nmodl.export_nmodl; do not edit by hand,",
             "re-export from the spec instead.",
             f"ketasim version: {prov['ketasim_version']}",
             f"spec hash: {prov['spec_hash']}  (ketasim.core.provenance.params_hash of the "
             "spec in manifest.json)",
             f"drug levels: ketamine {prov['ketamine_uM']!r} uM, norketamine "
             f"{prov['norketamine_uM']!r} uM, Mg2+ {prov['mg_mM']!r} mM", "",
             "Not expressed in this export:"]
    lines += [f"  - {t}" for t in NOT_EXPRESSED]
    lines += ["", "Sources:"]
    for k in dict.fromkeys(cites):
        lines.append(f"  [{k}] {get_citation(k).format()}")
    body = "\n".join("  " + ln if ln else "" for ln in lines)
    return f"COMMENT\n{body}\nENDCOMMENT\n"


# --------------------------------------------------------------------------- mechanisms
_VTRAP = """
FUNCTION vtrap(x, y) {
    : x / (exp(x / y) - 1) with its limit near x = 0 (ketasim.spinal.channels._vtrap)
    if (fabs(x / y) < 1e-6) {
        vtrap = y * (1 - 0.5 * x / y)
    } else {
        vtrap = x / (exp(x / y) - 1)
    }
}
"""


def _hh(p: SpinalParams) -> str:
    return f"""NEURON {{
    SUFFIX ks_hh
    NONSPECIFIC_CURRENT i
    RANGE gnabar, gkbar, ena, ek, vtraub, ina_ks, ik_ks
}}
UNITS {{
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}}
PARAMETER {{
    gnabar = 0 (S/cm2)
    gkbar = 0 (S/cm2)
    ena = {_f(p.e_na)} (mV)
    ek = {_f(p.e_k)} (mV)
    vtraub = {_f(p.vtraub)} (mV)
    celsius (degC)
}}
ASSIGNED {{
    v (mV)
    i (mA/cm2)
    ina_ks (mA/cm2)
    ik_ks (mA/cm2)
    minf hinf ninf
    mtau (ms) htau (ms) ntau (ms)
}}
STATE {{ m h n }}
BREAKPOINT {{
    SOLVE states METHOD cnexp
    ina_ks = gnabar * m * m * m * h * (v - ena)
    ik_ks = gkbar * n * n * n * n * (v - ek)
    i = ina_ks + ik_ks
}}
INITIAL {{
    rates(v)
    m = minf
    h = hinf
    n = ninf
}}
DERIVATIVE states {{
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
    n' = (ninf - n) / ntau
}}
PROCEDURE rates(v (mV)) {{
    LOCAL v2, am, bm, ah, bh, an, bn, tadj
    tadj = 3 ^ ((celsius - 36) / 10)
    v2 = v - vtraub
    am = 0.32 * vtrap(13 - v2, 4)
    bm = 0.28 * vtrap(v2 - 40, 5)
    ah = 0.128 * exp((17 - v2) / 18)
    bh = 4 / (1 + exp((40 - v2) / 5))
    an = 0.032 * vtrap(15 - v2, 5)
    bn = 0.5 * exp((10 - v2) / 40)
    minf = am / (am + bm)
    mtau = 1 / ((am + bm) * tadj)
    hinf = ah / (ah + bh)
    htau = 1 / ((ah + bh) * tadj)
    ninf = an / (an + bn)
    ntau = 1 / ((an + bn) * tadj)
}}
{_VTRAP}"""


def _nap(p: SpinalParams) -> str:
    return f"""NEURON {{
    SUFFIX ks_nap
    NONSPECIFIC_CURRENT i
    RANGE gbar, ena, vtraub
}}
UNITS {{
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}}
PARAMETER {{
    gbar = 0 (S/cm2)
    ena = {_f(p.e_na)} (mV)
    vtraub = {_f(p.vtraub)} (mV)
    celsius (degC)
}}
ASSIGNED {{
    v (mV)
    i (mA/cm2)
    minf hinf
    mtau (ms) htau (ms)
}}
STATE {{ m h }}
BREAKPOINT {{
    SOLVE states METHOD cnexp
    i = gbar * m * h * (v - ena)
}}
INITIAL {{
    rates(v)
    m = minf
    h = hinf
}}
DERIVATIVE states {{
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
}}
PROCEDURE rates(v (mV)) {{
    : Traub kinetics shifted (m -2 mV, h -5 mV, h slope x0.5)
    LOCAL v2, am, bm, ah, bh, tadj
    tadj = 3 ^ ((celsius - 36) / 10)
    v2 = v - vtraub
    am = 0.32 * vtrap(-2 + 13 - v2, 4)
    bm = 0.28 * vtrap(-2 + v2 - 40, 5)
    ah = 0.128 * exp((-5 + 17 - v2) / 18)
    bh = 4 / (1 + exp((-5 + 40 - v2) / 5 * 0.5))
    minf = am / (am + bm)
    mtau = 1 / ((am + bm) * tadj)
    hinf = ah / (ah + bh)
    htau = 1 / ((ah + bh) * tadj)
}}
{_VTRAP}"""


def _cal(p: SpinalParams) -> str:
    return f"""NEURON {{
    SUFFIX ks_cal
    USEION ca READ cai WRITE ica
    RANGE pcabar, ca_o
}}
UNITS {{
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
}}
PARAMETER {{
    pcabar = 0 (cm/s)
    ca_o = {_f(p.ca_o_mm)} (mM)
    faraday = {_f(FARADAY)}
    rgas = {_f(R_GAS)}
    celsius (degC)
}}
ASSIGNED {{
    v (mV)
    cai (mM)
    ica (mA/cm2)
    minf
    mtau (ms)
}}
STATE {{ m }}
BREAKPOINT {{
    SOLVE states METHOD cnexp
    ica = ghk(v, pcabar * m * m, cai, ca_o)
}}
INITIAL {{
    rates(v)
    m = minf
}}
DERIVATIVE states {{
    rates(v)
    m' = (minf - m) / mtau
}}
PROCEDURE rates(v (mV)) {{
    LOCAL a, b, tadj
    tadj = 3 ^ ((celsius - 23.5) / 10)
    a = 1.6 / (1 + exp(-0.072 * (v - 5)))
    b = 0.02 * vtrap(v - 1.31, 5.36)
    minf = 1 / (1 + exp(-(v + 10) / 10))
    mtau = 1 / ((a + b) * tadj)
}}
FUNCTION ghk(v (mV), perm (cm/s), ci (mM), co (mM)) (mA/cm2) {{
    : GHK Ca2+ current density, outward positive (ketasim.spinal.channels.ghk_ca_pA)
    LOCAL w, e
    w = 2 * faraday * v * 1e-3 / (rgas * (celsius + 273.15))
    if (fabs(w) < 1e-6) {{
        e = 1 - 0.5 * w
        ghk = perm * 2 * faraday * 1e-3 * (ci - co * (1 - w)) * e
    }} else {{
        ghk = perm * 2 * faraday * 1e-3 * w * (ci - co * exp(-w)) / (1 - exp(-w))
    }}
}}
{_VTRAP}"""


def _capool(p: SpinalParams) -> str:
    return f"""NEURON {{
    SUFFIX ks_capool
    USEION ca READ ica WRITE cai
    RANGE depth, taur, cainf, drive
}}
UNITS {{
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}}
PARAMETER {{
    depth = {_f(p.ca_depth_um)} (um)
    taur = {_f(p.ca_tau_soma_ms)} (ms)
    cainf = {_f(p.ca_rest_um * 1e-3)} (mM)
    faraday = {_f(FARADAY)}
}}
ASSIGNED {{
    ica (mA/cm2)
    cai (mM)
    drive (mM/ms)
}}
STATE {{ ca (mM) }}
BREAKPOINT {{
    SOLVE state METHOD cnexp
}}
INITIAL {{
    ca = cainf
    cai = ca
}}
DERIVATIVE state {{
    : inward Ca2+ current fills a shell of depth ``depth``; no outward pumping term
    drive = -1e4 * ica / (2 * faraday * depth)
    if (drive < 0) {{
        drive = 0
    }}
    ca' = drive + (cainf - ca) / taur
    cai = ca
}}
"""


def _cagated(name: str, power: int, e: float, cac_um: float, beta: float,
             tau_factor: float) -> str:
    pw = " * ".join(["m"] * power)
    return f"""NEURON {{
    SUFFIX {name}
    USEION ca READ cai
    NONSPECIFIC_CURRENT i
    RANGE gbar, e, cac, beta, tau_factor
}}
UNITS {{
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
    (mM) = (milli/liter)
}}
PARAMETER {{
    gbar = 0 (S/cm2)
    e = {_f(e)} (mV)
    cac = {_f(cac_um * 1e-3)} (mM)
    beta = {_f(beta)} (/ms)
    tau_factor = {_f(tau_factor)}
    celsius (degC)
}}
ASSIGNED {{
    v (mV)
    i (mA/cm2)
    cai (mM)
    minf
    mtau (ms)
}}
STATE {{ m }}
BREAKPOINT {{
    SOLVE states METHOD cnexp
    i = gbar * {pw} * (v - e)
}}
INITIAL {{
    rates(cai)
    m = minf
}}
DERIVATIVE states {{
    rates(cai)
    m' = (minf - m) / mtau
}}
PROCEDURE rates(c (mM)) {{
    LOCAL r, tadj
    tadj = 3 ^ ((celsius - 22) / 10)
    r = (c / cac) * (c / cac)
    minf = r / (1 + r)
    mtau = tau_factor / (beta * (1 + r)) / tadj
    if (mtau < 0.1) {{
        mtau = 0.1
    }}
}}
"""


def _dexp() -> str:
    return """NEURON {
    POINT_PROCESS ks_dexp
    USEION ca WRITE ica
    NONSPECIFIC_CURRENT i
    RANGE tau_rise, tau_decay, e, gmax, cafrac, g, norm
}
UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}
PARAMETER {
    tau_rise = 0.1 (ms)
    tau_decay = 5 (ms)
    e = 0 (mV)
    gmax = 0 (uS)
    cafrac = 0
}
ASSIGNED {
    v (mV)
    i (nA)
    ica (nA)
    g (uS)
    norm
}
STATE { A B }
INITIAL {
    LOCAL tp
    : peak normalisation (ketasim.spinal.synapses.dexp_norm)
    if (tau_decay <= tau_rise * 1.000001) {
        norm = exp(1)
    } else {
        tp = tau_rise * tau_decay / (tau_decay - tau_rise) * log(tau_decay / tau_rise)
        norm = 1 / (exp(-tp / tau_decay) - exp(-tp / tau_rise))
    }
    A = 0
    B = 0
}
BREAKPOINT {
    SOLVE state METHOD cnexp
    g = gmax * (B - A)
    ica = cafrac * g * (v - e)
    i = (1 - cafrac) * g * (v - e)
}
DERIVATIVE state {
    A' = -A / tau_rise
    B' = -B / tau_decay
}
NET_RECEIVE(weight) {
    : weight: fraction of the pathway recruited x release (ketasim lumped pathway)
    A = A + weight * norm
    B = B + weight * norm
}
"""


_ARMS = ("", "Mg", "K", "NK")
_POS = ("C0", "C1", "C2", "O", "D")


def _nmda(q: np.ndarray, p: SpinalParams, mg: float, ket: float, nk: float) -> str:
    names = [a + s for a in _ARMS for s in _POS]
    states = " ".join(names)
    blk = []
    for b, tag in enumerate(("mg", "ket", "nk")):
        base = P_BLK + 6 * b
        blk.append(f"""    {tag}_koff0 = {_f(q[base])} (/ms)
    {tag}_zoff = {_f(q[base + 1])} (/mV)
    {tag}_kd0 = {_f(q[base + 2])}
    {tag}_zk = {_f(q[base + 3])} (/mV)
    {tag}_esc0 = {_f(q[base + 4])} (/ms)
    {tag}_zesc = {_f(q[base + 5])} (/mV)""")
    rates_body = []
    for tag, conc in (("mg", "mg"), ("ket", "ket"), ("nk", "nk")):
        rates_body.append(f"""    koff = {tag}_koff0 * exp({tag}_zoff * v)
    kk = {conc} / {tag}_kd0 * exp(-{tag}_zk * v)
    esc = {tag}_esc0 * exp({tag}_zesc * v)
    on_{tag} = koff * kk
    off_{tag} = koff
    cin_{tag} = esc * ftrap * kk
    cout_{tag} = esc""")
    reac = []
    for a in _ARMS:
        be, al = ("beta", "alpha") if a == "" else ("beta_b", "alpha_b")
        reac += [f"    ~ {a}C0 <-> {a}C1 (2 * kbg, ku)",
                 f"    ~ {a}C1 <-> {a}C2 (kbg, 2 * ku)",
                 f"    ~ {a}C2 <-> {a}O ({be}, {al})",
                 f"    ~ {a}C2 <-> {a}D (kd, kr)"]
    for a, tag in (("Mg", "mg"), ("K", "ket"), ("NK", "nk")):
        reac.append(f"    ~ O <-> {a}O (on_{tag}, off_{tag})")
        for s in ("C0", "C1", "C2", "D"):
            reac.append(f"    ~ {s} <-> {a}{s} (cin_{tag}, cout_{tag})")
    init = ["    wt[0] = 1", "    wt[1] = 2 * kbg / ku", "    wt[2] = wt[1] * kbg / (2 * ku)",
            "    wt[3] = wt[2] * beta / alpha", "    wt[4] = wt[2] * kd / kr"]
    for b, tag in enumerate(("mg", "ket", "nk")):
        conc = tag
        init.append(f"    kk = {conc} / {tag}_kd0 * exp(-{tag}_zk * v)")
        for j in range(5):
            fac = "kk" if j == 3 else "ftrap * kk"
            init.append(f"    wt[{5 * (b + 1) + j}] = wt[{j}] * {fac}")
    init.append("    s = 0")
    init.append("    FROM j = 0 TO 19 {\n        s = s + wt[j]\n    }")
    for k, n in enumerate(names):
        init.append(f"    {n} = wt[{k}] / s")
    return f"""NEURON {{
    POINT_PROCESS ks_nmda
    USEION ca WRITE ica
    NONSPECIFIC_CURRENT i
    RANGE gmax, e, cafrac, g, frel, glu, glu_c, pulse_ms, t0, mg, ket, nk
    RANGE kb, ku, beta, alpha, kd, kr, beta_b, alpha_b
    RANGE mg_koff0, mg_zoff, mg_kd0, mg_zk, mg_esc0, mg_zesc
    RANGE ket_koff0, ket_zoff, ket_kd0, ket_zk, ket_esc0, ket_zesc
    RANGE nk_koff0, nk_zoff, nk_kd0, nk_zk, nk_esc0, nk_zesc
}}
UNITS {{
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}}
PARAMETER {{
    gmax = 0 (uS)
    e = {_f(q[P_EREV])} (mV)
    cafrac = {_f(q[P_CAFRAC])}
    glu_c = {_f(p.glu_pulse_um)} : uM, transmitter pulse per event
    pulse_ms = {_f(p.glu_pulse_ms)} (ms)
    mg = {_f(mg)} : mM
    ket = {_f(ket)} : uM
    nk = {_f(nk)} : uM
    kb = {_f(q[P_KB])} : /uM/ms
    ku = {_f(q[P_KU])} (/ms)
    beta = {_f(q[P_BETA])} (/ms)
    alpha = {_f(q[P_ALPHA])} (/ms)
    kd = {_f(q[P_KD])} (/ms)
    kr = {_f(q[P_KR])} (/ms)
    beta_b = {_f(q[P_BETA_B])} (/ms)
    alpha_b = {_f(q[P_ALPHA_B])} (/ms)
{chr(10).join(blk)}
}}
ASSIGNED {{
    v (mV)
    dt (ms)
    i (nA)
    ica (nA)
    g (uS)
    frel
    glu
    t0 (ms)
    kbg (/ms)
    ftrap
    on_mg (/ms) off_mg (/ms) cin_mg (/ms) cout_mg (/ms)
    on_ket (/ms) off_ket (/ms) cin_ket (/ms) cout_ket (/ms)
    on_nk (/ms) off_nk (/ms) cin_nk (/ms) cout_nk (/ms)
}}
STATE {{ {states} }}
INITIAL {{
    : closed-form equilibrium without glutamate (ketasim.receptors.nmda.nmda_equilibrium)
    LOCAL kk, s, wt[20]
    frel = 0
    t0 = -1e9
    glu = 0
    kbg = 0
    ftrap = (alpha_b / beta_b) / (alpha / beta)
{chr(10).join(init)}
}}
BREAKPOINT {{
    SOLVE kstates METHOD sparse
    g = gmax * frel * O
    ica = cafrac * g * (v - e)
    i = (1 - cafrac) * g * (v - e)
}}
KINETIC kstates {{
    : glutamate pulse of ``pulse_ms`` ms after the last event (steps of dt after delivery)
    if (t > t0 + 0.5 * dt && t < t0 + pulse_ms + 0.5 * dt) {{
        glu = glu_c
    }} else {{
        glu = 0
    }}
    rates(v)
{chr(10).join(reac)}
}}
PROCEDURE rates(v (mV)) {{
    LOCAL koff, kk, esc
    kbg = kb * glu
    ftrap = (alpha_b / beta_b) / (alpha / beta)
{chr(10).join(rates_body)}
}}
NET_RECEIVE(weight) {{
    : weight: fraction of the pathway recruited x release; it scales the conductance of
    : the whole lumped pathway and restarts the glutamate pulse (ketasim lumping factor)
    frel = weight
    t0 = t
}}
"""


# --------------------------------------------------------------------------- cell and driver
@validate_params({"params": (Instance(SpinalParams), NoneOK()),
                  "ketamine_uM": Quantity("uM", Interval(0.0, 1e4)),
                  "norketamine_uM": Quantity("uM", Interval(0.0, 1e4)),
                  "nmda": (Instance(NMDAParams), NoneOK()),
                  "dt_ms": Quantity("ms", Interval(0.001, 0.1))})
def cell_spec(params: SpinalParams | None = None, *, ketamine_uM: float = 0.0,
              norketamine_uM: float = 0.0, nmda: NMDAParams | None = None,
              dt_ms: float = 0.025) -> dict:
    """Geometry, densities and synapses of the exported cells (plain data, NEURON units).

    Whole-cell ketasim conductances (nS) become densities (S/cm2) over the section areas;
    the soma-dendrite coupling conductance is met exactly by the axial resistivity.

    Examples
    --------
    >>> c = cell_spec()
    >>> round(c["wdr"]["soma"]["area_um2"], 1), c["celsius"]
    (4398.2, 36.0)
    """
    p = DEFAULT if params is None else params
    nm = _nmda_spec(nmda)
    ketamine_uM, norketamine_uM, dt_ms = _levels(ketamine_uM, norketamine_uM, dt_ms)
    from ketasim.spinal.circuit import gaba_modulation, weight_matrix
    w = weight_matrix(p, dt_ms, nm)
    gaba_mult = float(gaba_modulation([0.0], [0.0], [ketamine_uM])[0][0])

    def dens(g_nS, area):
        return g_nS / (area * 10.0)

    a_s, a_d = p.area_soma_um2, p.area_dend_um2
    d_s = math.sqrt(a_s / math.pi)  # L = diam
    l_d = 500.0
    d_d = a_d / (math.pi * l_d)
    # axial resistance of the two half sections (MOhm per Ohm cm of Ra)
    r_unit = 4.0 * (d_s / 2.0) / (math.pi * d_s ** 2) * 1e-2 + \
        4.0 * (l_d / 2.0) / (math.pi * d_d ** 2) * 1e-2
    ra = (1e3 / p.g_couple) / r_unit if p.g_couple > 0 else 1e9
    a_i = p.int_c_m_pf * 100.0  # area at 1 uF/cm2
    d_i = math.sqrt(a_i / math.pi)
    pool_s = {"depth": p.ca_depth_um, "taur": p.ca_tau_soma_ms, "cainf": p.ca_rest_um * 1e-3}
    pool_d = {"depth": p.ca_depth_um * p.ca_dend_pool_frac, "taur": p.ca_tau_dend_ms,
              "cainf": p.ca_rest_um * 1e-3}
    taur = {"ampa": p.ampa_tau_rise, "nk1_wdr": p.nk1_wdr_tau_rise,
            "nk1_int": p.nk1_int_tau_rise, "gaba": p.gaba_tau_rise, "gly": p.gly_tau_rise}
    taud = {"ampa": p.ampa_tau_decay, "nk1_wdr": p.nk1_wdr_tau_decay,
            "nk1_int": p.nk1_int_tau_decay, "gaba": p.gaba_tau_decay * gaba_mult,
            "gly": p.gly_tau_decay}
    erev = {"ampa": p.e_ampa, "nk1_wdr": p.e_nk1, "nk1_int": p.e_nk1, "gaba": p.e_cl,
            "gly": p.e_cl}
    cafr = {"nk1_wdr": p.nk1_ca_frac}
    names = {L.CH_AB: "abeta", L.CH_AD: "adelta", L.CH_C: "c", L.CH_BGE: "bg_exc",
             L.CH_BGI: "bg_inh", L.CH_FFI: "aff_ffi", L.CH_INT: "int", L.CH_INT_FFI: "int_ffi"}
    syn = []  # (pathway, cell, section, kind, gmax uS)
    for ch in range(L.N_CH):
        for s, kind, cell, scale in (
                (L.S_W_AMPA, "ampa", "wdr", p.ampa_scale), (L.S_W_NK1, "nk1_wdr", "wdr",
                                                            p.nk1_scale),
                (L.S_W_GABA, "gaba", "wdr", p.inh_scale), (L.S_W_GLY, "gly", "wdr",
                                                           p.inh_scale),
                (L.S_W_NMDA, "nmda", "wdr", p.nmda_scale), (L.S_I_AMPA, "ampa", "int",
                                                            p.ampa_scale),
                (L.S_I_NK1, "nk1_int", "int", p.nk1_scale), (L.S_I_NMDA, "nmda", "int",
                                                             p.nmda_scale)):
            if w[ch, s] == 0.0:
                continue
            sec = "soma" if cell == "int" or ch in (L.CH_BGE, L.CH_BGI) else "dend"
            entry = {"pathway": names[ch], "channel": ch, "cell": cell, "section": sec,
                     "kind": kind, "gmax_uS": float(w[ch, s]) * scale * 1e-3}
            if kind != "nmda":
                entry.update(tau_rise=taur[kind], tau_decay=taud[kind], e=erev[kind],
                             cafrac=cafr.get(kind, 0.0))
            syn.append(entry)
    q = nmda_params_array(nm)
    return {
        "celsius": p.temperature_c, "dt_ms": dt_ms, "v_init": p.e_leak, "v_spike": p.v_spike,
        "ra": ra, "cm": p.cm_uf_cm2,
        "delay_int_ms": max(1, int(round(p.delay_int_ms / dt_ms))) * dt_ms,
        "delay_ffi_ms": (max(1, int(round(p.delay_int_ms / dt_ms)))
                         + max(1, int(round(p.delay_ffi_ms / dt_ms)))) * dt_ms,
        "wdr": {
            "soma": {"L": d_s, "diam": d_s, "area_um2": a_s, "g_pas": p.g_leak_s_cm2,
                     "e_pas": p.e_leak,
                     "ks_hh": {"gnabar": dens(p.g_na, a_s), "gkbar": dens(p.g_k, a_s)},
                     "ks_nap": {"gbar": dens(p.g_nap, a_s)},
                     "ks_cal": {"pcabar": p.p_cal_soma / a_s * 0.1},
                     "ks_kca": {"gbar": dens(p.g_kca_soma, a_s)},
                     "ks_capool": pool_s},
            "dend": {"L": l_d, "diam": d_d, "area_um2": a_d, "g_pas": p.g_leak_s_cm2,
                     "e_pas": p.e_leak,
                     "ks_cal": {"pcabar": p.p_cal_dend / a_d * 0.1},
                     "ks_can": {"gbar": dens(p.g_can, a_d)},
                     "ks_kca": {"gbar": dens(p.g_kca_dend, a_d)},
                     "ks_capool": pool_d},
        },
        "int": {"soma": {"L": d_i, "diam": d_i, "area_um2": a_i,
                         "g_pas": dens(p.int_g_leak, a_i), "e_pas": p.e_leak,
                         "cm": p.int_c_m_pf / a_i * 100.0,
                         "ks_hh": {"gnabar": dens(p.int_g_na, a_i),
                                   "gkbar": dens(p.int_g_k, a_i)}}},
        "synapses": syn,
        "nmda": {"mg": p.mg_mm, "ket": float(ketamine_uM), "nk": float(norketamine_uM),
                 "e": float(q[P_EREV]), "cafrac": float(q[P_CAFRAC])},
        "gaba_decay_multiplier": gaba_mult,
    }


@validate_params({"protocol": Instance(Protocol),
                  "dt_ms": Quantity("ms", Interval(0.001, 0.1))})
def protocol_events(protocol: Protocol, dt_ms: float = 0.025) -> list:
    """The afferent events of a protocol as NEURON delivery times (list of
    ``[time_ms, channel, weight]``): ketasim delivers an event of step k after integrating
    that step, so its effect starts at ``(k + 1) dt``. Jitter and background need a seed
    (ketasim's ``simulate(seed=0)`` realisation is used).

    Examples
    --------
    >>> ev = protocol_events(train(1, 1.0).deterministic())
    >>> ev[0][1], round(ev[0][0], 3)
    (0, 1002.875)
    """
    dt_ms = as_float(dt_ms, "dt_ms", "ms", Interval(0.001, 0.1))
    st, ch, w = protocol.events(np.random.default_rng(np.random.SeedSequence(0)), dt_ms)
    return [[float((int(k) + 1) * dt_ms), int(c), float(x)]
            for k, c, x in zip(st, ch, w, strict=True)]


_DRIVER = '''"""NEURON driver of the exported ketasim WDR circuit (generated; see the COMMENT blocks
of the .mod files for provenance and citations).

Usage (after ``nrnivmodl`` in this folder)::

    python ketasim_wdr.py [cell.json events.json]   # spike times (ms) as JSON

or from Python: ``import ketasim_wdr; ketasim_wdr.run()`` -> dict with ``spike_times_ms``
(WDR soma, upward crossings of v_spike, time stamped at the start of the step as ketasim
does), ``int_spike_times_ms`` and, with ``record=True``, the soma voltage.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CELL = json.load(open(os.path.join(HERE, "cell.json")))
EVENTS = json.load(open(os.path.join(HERE, "events.json")))


def _load_mechanisms(h):
    if hasattr(h, "ks_nmda"):  # loaded already (NEURON loads ./x86_64 at import)
        return
    for lib in ("x86_64/.libs/libnrnmech.so", "arm64/.libs/libnrnmech.dylib",
                "aarch64/.libs/libnrnmech.so", "x86_64/libnrnmech.so"):
        path = os.path.join(HERE, lib)
        if os.path.exists(path):
            h.nrn_load_dll(path)
            return
    if not hasattr(h, "ks_nmda"):
        raise RuntimeError("run nrnivmodl in " + HERE + " first")


def _section(h, name, d, cm):
    sec = h.Section(name=name)
    sec.L, sec.diam, sec.nseg, sec.cm = d["L"], d["diam"], 1, cm
    sec.insert("pas")
    sec.g_pas, sec.e_pas = d["g_pas"], d["e_pas"]
    for mech in ("ks_hh", "ks_nap", "ks_cal", "ks_can", "ks_kca", "ks_capool"):
        if mech in d:
            sec.insert(mech)
            for k, val in d[mech].items():
                setattr(sec(0.5), k + "_" + mech, val)
    return sec


def build(h, cell=CELL):
    """Sections, synapses (dict keyed by pathway/cell/kind) and the interneuron NetCons."""
    h.celsius = cell["celsius"]
    wd, it = cell["wdr"], cell["int"]
    soma = _section(h, "wdr_soma", wd["soma"], cell["cm"])
    dend = _section(h, "wdr_dend", wd["dend"], cell["cm"])
    dend.connect(soma(1), 0)
    soma.Ra = dend.Ra = cell["ra"]
    isoma = _section(h, "int_soma", it["soma"], it["soma"]["cm"])
    isoma.Ra = 100.0
    secs = {("wdr", "soma"): soma, ("wdr", "dend"): dend, ("int", "soma"): isoma}
    syns = []
    for s in cell["synapses"]:
        sec = secs[(s["cell"], s["section"])]
        if s["kind"] == "nmda":
            pp = h.ks_nmda(sec(0.5))
            for k in ("mg", "ket", "nk", "e", "cafrac"):
                setattr(pp, k, cell["nmda"][k])
        else:
            pp = h.ks_dexp(sec(0.5))
            for k in ("tau_rise", "tau_decay", "e", "cafrac"):
                setattr(pp, k, s[k])
        pp.gmax = s["gmax_uS"]
        syns.append((s, pp))
    ncs = []
    for s, pp in syns:  # interneuron -> WDR, with the engine's delays
        if s["pathway"] in ("int", "int_ffi"):
            nc = h.NetCon(isoma(0.5)._ref_v, pp, sec=isoma)
            nc.threshold = cell["v_spike"]
            nc.delay = cell["delay_int_ms"] if s["pathway"] == "int" else cell["delay_ffi_ms"]
            nc.weight[0] = 1.0
            ncs.append(nc)
    return {"soma": soma, "dend": dend, "int": isoma, "synapses": syns, "netcons": ncs}


def _crossings(v, dt, thr):
    out = []
    for k in range(len(v) - 1):
        if v[k + 1] > thr and v[k] <= thr:
            out.append(k * dt)
    return out


def run(events=EVENTS, cell=CELL, tstop=None, record=False):
    """Run the protocol at ketasim's fixed step; return spike times (ms)."""
    from neuron import h
    h.load_file("stdrun.hoc")
    _load_mechanisms(h)
    net = build(h, cell)
    dt = cell["dt_ms"]
    h.dt = dt
    h.steps_per_ms = 1.0 / dt
    h.secondorder = 0
    h.cvode_active(0)
    stop = tstop if tstop is not None else events["duration_ms"]
    ev_ncs = []
    by_channel = {}
    for s, pp in net["synapses"]:
        by_channel.setdefault(s["channel"], []).append(pp)
    for t, ch, w in events["events"]:
        for pp in by_channel.get(ch, []):
            nc = h.NetCon(None, pp)
            nc.weight[0] = w
            ev_ncs.append((nc, t))
    vs = h.Vector().record(net["soma"](0.5)._ref_v, dt)
    vi = h.Vector().record(net["int"](0.5)._ref_v, dt)

    def queue():
        for nc, t in ev_ncs:
            nc.event(t)

    fih = h.FInitializeHandler(queue)  # noqa: F841
    h.finitialize(cell["v_init"])
    h.tstop = stop
    h.continuerun(stop)
    thr = cell["v_spike"]
    out = {"spike_times_ms": _crossings(vs, dt, thr),
           "int_spike_times_ms": _crossings(vi, dt, thr)}
    if record:
        out["v_soma"] = list(vs)
    return out


if __name__ == "__main__":
    import sys
    # python ketasim_wdr.py [cell.json events.json]: JSON of WDR and interneuron spike times
    if len(sys.argv) == 3:
        CELL = json.load(open(sys.argv[1]))
        EVENTS = json.load(open(sys.argv[2]))
    r = run(EVENTS, CELL)
    print(json.dumps({k: r[k] for k in ("spike_times_ms", "int_spike_times_ms")}))
'''


def _provenance(p: SpinalParams, nm: NMDAParams, ket: float, nk: float, dt_ms: float,
                protocol: Protocol) -> dict:
    spec = {"spinal_params": asdict(p), "nmda": nm.to_dict(), "ketamine_uM": ket,
            "norketamine_uM": nk, "dt_ms": dt_ms, "protocol": protocol.to_dict()}
    return {"ketasim_version": ketasim_version(), "spec_hash": params_hash(spec),
            "ketamine_uM": ket, "norketamine_uM": nk, "mg_mM": p.mg_mm, "spec": spec}


_VALID = {"params": (Instance(SpinalParams), NoneOK()),
          "ketamine_uM": Quantity("uM", Interval(0.0, 1e4)),
          "norketamine_uM": Quantity("uM", Interval(0.0, 1e4)),
          "nmda": (Instance(NMDAParams), NoneOK()),
          "dt_ms": Quantity("ms", Interval(0.001, 0.1)),
          "protocol": (Instance(Protocol), NoneOK())}


@validate_params(_VALID)
def nmodl_files(params: SpinalParams | None = None, *, ketamine_uM: float = 0.0,
                norketamine_uM: float = 0.0, nmda: NMDAParams | None = None,
                dt_ms: float = 0.025, protocol: Protocol | None = None) -> dict[str, str]:
    """The exported files as ``{name: text}`` (mechanisms, driver, cell, events, manifest).

    ``protocol`` defaults to the deterministic wind-up protocol (15 shocks at 1 Hz, 2 x C
    threshold, no jitter; aguiar2010).

    Examples
    --------
    >>> files = nmodl_files(ketamine_uM=10.0)
    >>> sorted(f for f in files if f.endswith(".mod"))[:3]
    ['ks_cal.mod', 'ks_can.mod', 'ks_capool.mod']
    >>> "KINETIC kstates" in files["ks_nmda.mod"]
    True
    """
    p = DEFAULT if params is None else params
    nm = _nmda_spec(nmda)
    ketamine_uM, norketamine_uM, dt_ms = _levels(ketamine_uM, norketamine_uM, dt_ms)
    proto = train(15, 1.0).deterministic() if protocol is None else protocol
    prov = _provenance(p, nm, float(ketamine_uM), float(norketamine_uM), float(dt_ms), proto)
    q = nmda_params_array(nm)
    syn_cites = (S.AGUIAR2010, S.DESTEXHE1998, S.CLEMENTS1992)
    mods = {
        "ks_hh": (_hh(p), "Traub & Miles fast Na/K (WDR soma+axon, interneuron)",
                  (S.TRAUB1991, S.AGUIAR2010)),
        "ks_nap": (_nap(p), "persistent Na (WDR soma)", (S.PRESCOTT2005, S.AGUIAR2010)),
        "ks_cal": (_cal(p), "L-type Ca2+, GHK current", (S.MCCORMICK1992, S.AGUIAR2010)),
        "ks_capool": (_capool(p), "Ca2+ shell ([Ca]i of I_CAN and K(Ca))",
                      (S.DESTEXHE1993, S.AGUIAR2010)),
        "ks_can": (_cagated("ks_can", 2, p.e_can, p.can_cac_um, p.can_beta,
                            p.can_tau_factor), "I_CAN (Ca2+-activated cation current)",
                   (S.DESTEXHE1994, S.AGUIAR2010)),
        "ks_kca": (_cagated("ks_kca", 3, p.e_k, p.kca_cac_um, p.kca_beta, 1.0),
                   "K(Ca), slow AHP", (S.DESTEXHE1994, S.AGUIAR2010)),
        "ks_dexp": (_dexp(), "dual-exponential synapse (AMPA, NK1, GABA-A, glycine)",
                    syn_cites),
        "ks_nmda": (_nmda(q, p, p.mg_mm, float(ketamine_uM), float(norketamine_uM)),
                    "NMDA receptor, 20-state kinetic scheme with Mg2+, ketamine and "
                    "norketamine pore block and trapping", (*nm.citations, *syn_cites)),
    }
    out = {}
    for name, (body, what, cites) in mods.items():
        out[f"{name}.mod"] = _header(name, what, prov, (*cites, HINES_CARNEVALE)) + body
    cell = cell_spec(p, ketamine_uM=ketamine_uM, norketamine_uM=norketamine_uM, nmda=nm,
                     dt_ms=dt_ms)
    out["cell.json"] = json.dumps(cell, indent=1)
    out["events.json"] = json.dumps({"duration_ms": proto.duration_ms,
                                     "stim_times_ms": list(proto.stim_times_ms),
                                     "label": proto.label,
                                     "events": protocol_events(proto, dt_ms)}, indent=0)
    head = "\n".join(["# " + ln for ln in _header("ketasim_wdr.py", "NEURON driver", prov,
                                                  (*_CITES, HINES_CARNEVALE)).splitlines()
                      if ln not in ("COMMENT", "ENDCOMMENT")])
    out["ketasim_wdr.py"] = head + "\n" + _DRIVER
    cites = list(dict.fromkeys([*_CITES, *nm.citations, HINES_CARNEVALE]))
    out["manifest.json"] = json.dumps({
        "generator": "ketasim.exchange.nmodl.export_nmodl", **prov,
        "files": sorted(out), "mechanisms": list(MECHANISMS),
        "not_expressed": list(NOT_EXPRESSED), "citations": cites}, indent=1, default=str)
    return out


@validate_params({**_VALID, "out_dir": Instance(str, Path)})
def export_nmodl(out_dir: str | Path, params: SpinalParams | None = None, *,
                 ketamine_uM: float = 0.0, norketamine_uM: float = 0.0,
                 nmda: NMDAParams | None = None, dt_ms: float = 0.025,
                 protocol: Protocol | None = None) -> dict:
    """Write the NMODL export of the WDR circuit into ``out_dir`` (created if missing).

    Parameters
    ----------
    out_dir : folder to write (existing files of the same names are replaced).
    params : the spinal spec (default `SpinalParams()`).
    ketamine_uM, norketamine_uM : drug levels at the receptors (uM or quantities); the Mg2+
        level is ``params.mg_mm``.
    nmda : the receptor layer's NMDA spec (default `NMDAParams()`; no allosteric site).
    dt_ms : fixed step the driver runs NEURON at (ketasim's default 0.025 ms).
    protocol : the events the driver plays (default: deterministic wind-up, 15 x 1 Hz).

    Returns
    -------
    dict with ``out_dir``, ``files`` (names), ``spec_hash`` and ``ketasim_version``.

    Examples
    --------
    >>> import tempfile
    >>> info = export_nmodl(tempfile.mkdtemp(), ketamine_uM="10 uM")
    >>> "ks_nmda.mod" in info["files"], len(info["spec_hash"])
    (True, 16)
    """
    files = nmodl_files(params, ketamine_uM=ketamine_uM, norketamine_uM=norketamine_uM,
                        nmda=nmda, dt_ms=dt_ms, protocol=protocol)
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    man = json.loads(files["manifest.json"])
    return {"out_dir": str(d), "files": sorted(files), "spec_hash": man["spec_hash"],
            "ketasim_version": man["ketasim_version"]}
