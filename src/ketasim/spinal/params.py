"""Parameters of the spinal dorsal-horn model (one frozen spec; plain floats in mV, ms, nS, pF, uM).

The WDR neuron has two compartments, soma and dendrite, with the geometry and channel
densities of the Aguiar, Sousa & Lima 2010 WDR cell (aguiar2010; each density times the area
of the section that carries it; the axon (1000 x 1 um) is folded into the soma). Why two and not
one: at DC the 0.5 mm dendrite is electrotonically short (length constant
sqrt(R_m d / 4 R_a) = 1.26 mm with R_m 23.8 kOhm cm2, R_a 150 Ohm cm: L = 0.4), but the soma-
dendrite coupling (33 nS) against the dendrite's 63 pF filters 1-ms spikes (tau ~ 2 ms). A
single compartment lets every spike drive the L-type Ca2+ channels and the Ca2+ pool of the
I_CAN fully; we tried it and wind-up then ran away without NMDA receptors (the CaL -> I_CAN
loop alone). With a dendrite, the synaptic (NMDA) Ca2+ and a slow dendritic depolarisation
set the dendritic Ca2+ that drives I_CAN, which is the physics of wind-up in aguiar2010.

Every published number carries its citation key (ketasim.core.citations); numbers marked
"[fitted]" were tuned by us to the cellular targets named there, "[estimate]" are our
estimates.

Every field is checked when a spec is built (`SPINAL_CONSTRAINTS`: a physical interval per
field; NaN and infinities are always refused), so that a bad value raises `InputError`
naming the field instead of reaching the compiled engine.

Calibration (cellular / model-level targets only; no clinical ketamine outcome was used):
targets are aguiar2010's wind-up (our NEURON rerun of it: 4 -> 11 spikes at 1 Hz, little at 0.1 Hz),
frequency dependence (mendell1966; dickenson1987 0.5 Hz) and a fix of aguiar2010's
NMDA hypersensitivity: with NMDA receptors fully blocked the first C response keeps >= 70 %
and wind-up is flat (dickenson1987: AP5 cuts wind-up with minor change of the C input). Fitted:
C -> interneuron AMPA (one interneuron spike per C sub-volley), interneuron -> WDR AMPA (the
first response rests on AMPA, as in aguiar2010's own AP5 runs with AMPA raised), interneuron
-> WDR NMDA (carries the build-up), the dendritic Ca2+ pool (0.1 of the dendritic shell),
I_CAN 4.0 nS (aguiar2010 4.4 nS) and K(Ca) (soma 60 nS, dendrite 20 nS; aguiar2010 1.3 and
63 nS). With aguiar2010's own I_CAN and dendritic K(Ca) (4.4 and 63 nS) the model gives
7 -> 25 spikes at 1 Hz but only 7 -> 10 at 0.5 Hz; we preferred the stronger 0.5 Hz wind-up
that experiments report (dickenson1987). Convergence: 15 shocks at 1 Hz with dt 0.025 ms
and 0.005 ms differ by <= 4 spikes per shock.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from ketasim.core.errors import InputError
from ketasim.core.validation import Interval, check_fields

# geometry of the Aguiar WDR cell (aguiar2010, WDR.hoc): soma L = diam = 20 um, dendrite 500 x 4 um
SOMA_AREA_UM2 = math.pi * 20.0 * 20.0
DEND_AREA_UM2 = math.pi * 4.0 * 500.0
AXON_AREA_UM2 = math.pi * 1.0 * 1000.0  # axon 1000 x 1 um (hillock, 3 um, neglected)
AREA_UM2 = SOMA_AREA_UM2 + DEND_AREA_UM2
_UM2_TO_CM2 = 1e-8


def _g(density_s_cm2: float, area_um2: float) -> float:
    """Whole-cell conductance in nS from a density in S/cm2 over an area in um2."""
    return density_s_cm2 * area_um2 * _UM2_TO_CM2 * 1e9


@dataclass(frozen=True)
class SpinalParams:
    """All parameters of the afferent -> interneuron -> WDR circuit (frozen; use `replace`).

    Examples
    --------
    >>> from ketasim.spinal import SpinalParams
    >>> p = SpinalParams().replace(nmda_scale=0.0)   # AP5-like full NMDA block
    >>> p.nmda_scale
    0.0
    """

    # --- simulation
    temperature_c: float = 36.0  # aguiar2010 (NEURON celsius)
    # --- WDR geometry and passive membrane (aguiar2010 WDR.hoc: soma 20 x 20 um, dendrite
    #     500 x 4 um, cm 1 uF/cm2, g_pas 4.2e-5 S/cm2, e_pas -65 mV, Ra 150 Ohm cm)
    area_soma_um2: float = SOMA_AREA_UM2 + AXON_AREA_UM2  # soma + axon (one compartment)
    area_dend_um2: float = DEND_AREA_UM2
    cm_uf_cm2: float = 1.0
    g_leak_s_cm2: float = 4.2e-5
    e_leak: float = -65.0
    # soma-dendrite coupling, computed from the geometry above:
    # 1 / (Ra (L_d/2) / (pi r_d^2) + Ra (L_s/2) / (pi r_s^2))
    g_couple: float = 1e9 / (150.0 * 0.025 / (math.pi * 2e-4 ** 2)
                             + 150.0 * 0.001 / (math.pi * 1e-3 ** 2))
    # --- fast Na/K, soma and axon (traub1991 as used by aguiar2010: soma gNa 0.08, gK 0.02;
    #     axon gNa 0.1, gK 0.04 S/cm2; vtraub -55 mV)
    g_na: float = _g(0.08, SOMA_AREA_UM2) + _g(0.1, AXON_AREA_UM2)
    g_k: float = _g(0.02, SOMA_AREA_UM2) + _g(0.04, AXON_AREA_UM2)
    e_na: float = 50.0
    e_k: float = -70.0  # aguiar2010 (ek = -70 mV in WDR.hoc)
    vtraub: float = -55.0
    # --- persistent Na, soma (prescott2005 via aguiar2010: 1e-4 S/cm2; Traub kinetics shifted)
    g_nap: float = _g(1e-4, SOMA_AREA_UM2)
    # --- L-type Ca, GHK (mccormick1992; aguiar2010: P 1e-4 cm/s soma, 3e-5 cm/s dendrite);
    #     permeability in um3/ms (1 cm3/s = 1e9 um3/ms)
    p_cal_soma: float = 1e-4 * SOMA_AREA_UM2 * _UM2_TO_CM2 * 1e9
    p_cal_dend: float = 3e-5 * DEND_AREA_UM2 * _UM2_TO_CM2 * 1e9
    ca_o_mm: float = 2.0  # [estimate] extracellular Ca2+
    # --- Ca2+ shells (destexhe1993 as in aguiar2010: depth 0.1 um, tau 1 ms soma, 2 ms
    #     dendrite, rest 50 nM). NMDA Ca2+ fraction: receptor layer (burnashev_1995)
    ca_depth_um: float = 0.1
    ca_tau_soma_ms: float = 1.0
    ca_tau_dend_ms: float = 2.0
    ca_rest_um: float = 0.05
    # the dendritic Ca2+ pool is the shell of the synaptic segment: aguiar2010 places the
    # synapses at one of the 5 dendritic segments, so the pool is 1/5 of the dendritic shell
    ca_dend_pool_frac: float = 0.1  # [fitted] (0.2 = aguiar2010's 1 of 5 segments)
    nk1_ca_frac: float = 0.0  # [estimate] aguiar2010's NK1 Ca2+ routing switched off (not cited)
    # --- I_CAN, dendrite (destexhe1994 retuned by aguiar2010: 7e-5 S/cm2, E -20 mV,
    #     half-activation 0.5 uM, beta 2e-3/ms, tau factor 40, Q10 3 from 22 C)
    g_can: float = 4.0  # [fitted] nS; aguiar2010's 7e-5 S/cm2 x dendrite = 4.4 nS
    e_can: float = -20.0
    can_cac_um: float = 0.5
    can_beta: float = 2e-3
    can_tau_factor: float = 40.0
    # --- slow AHP, K(Ca) (destexhe1994 via aguiar2010: 1e-4 soma, 1e-3 S/cm2 dendrite,
    #     m^3, half-activation 1 uM, beta 0.03/ms, Q10 3 from 22 C)
    # [fitted] soma 60 nS (aguiar2010: 1.3 nS; ours also limits plateau firing), dendrite 20 nS
    # (aguiar2010: 63 nS)
    g_kca_soma: float = 60.0
    g_kca_dend: float = 20.0
    kca_cac_um: float = 1.0
    kca_beta: float = 0.03
    # --- excitatory interneuron (aguiar2010 interneuron.hoc: same soma HH, passive)
    int_c_m_pf: float = 1.0e-6 * AREA_UM2 * _UM2_TO_CM2 * 1e12
    int_g_leak: float = _g(4.2e-5, AREA_UM2)
    int_g_na: float = _g(0.08, SOMA_AREA_UM2)
    int_g_k: float = _g(0.02, SOMA_AREA_UM2)
    # --- synaptic kinetics (dual exponential; aguiar2010)
    ampa_tau_rise: float = 0.1
    ampa_tau_decay: float = 5.0
    nk1_int_tau_rise: float = 100.0
    nk1_int_tau_decay: float = 3000.0
    nk1_wdr_tau_rise: float = 200.0
    nk1_wdr_tau_decay: float = 3000.0
    gaba_tau_rise: float = 0.1
    gaba_tau_decay: float = 10.0
    gly_tau_rise: float = 0.5  # [estimate] glycinergic IPSC in dorsal horn, rise < 1 ms
    gly_tau_decay: float = 7.0  # [estimate] decay 5-10 ms in adult dorsal horn
    e_ampa: float = 0.0
    e_nk1: float = 0.0
    e_cl: float = -80.0  # aguiar2010 (GABA-A reversal -80 mV); glycine shares the Cl- gradient
    glu_pulse_um: float = 1000.0  # ~1 mM for ~1 ms: destexhe_mainen_sejnowski_1998, clements1992
    glu_pulse_ms: float = 1.0
    mg_mm: float = 1.0  # aguiar2010
    # --- lumped synaptic weights: peak conductance of all synapses of a pathway (nS);
    #     NMDA: peak after one pulse with Mg2+ removed. aguiar2010 values: A-delta 20 x
    #     (0.8 AMPA, 0.1 NMDA); C->IN 8 AMPA, 4 NMDA, 0.02 NK1; IN->WDR 20 x 0.2 each of
    #     AMPA, NMDA, GABA-A; NK1 on WDR 0.015. Ours are re-tuned [fitted] (module docstring).
    w_ab_ampa: float = 6.0  # [estimate] A-beta touch input, subthreshold-to-1 spike
    w_ad_ampa: float = 16.0
    w_ad_nmda: float = 2.0
    w_c_int_ampa: float = 80.0  # [fitted] 10 nS per C sub-volley: ~1 IN spike each
    w_c_int_nmda: float = 4.0
    w_c_int_nk1: float = 0.02
    w_c_wdr_nk1: float = 0.015
    w_int_wdr_ampa: float = 12.0  # [fitted] first C response from AMPA (aguiar2010 AP5 runs: 9.4)
    w_int_wdr_nmda: float = 8.0  # [fitted] NMDA carries the build-up
    w_int_ffi_gaba: float = 4.0
    w_int_ffi_gly: float = 0.0
    w_aff_ffi_gaba: float = 2.0  # [estimate] A-fibre driven feed-forward inhibition (gate control)
    w_aff_ffi_gly: float = 2.0
    w_bg_ampa: float = 0.1  # aguiar2010 background noise synapses
    w_bg_gaba: float = 0.1
    delay_int_ms: float = 1.0  # [estimate] synaptic delay IN -> WDR
    delay_ffi_ms: float = 1.0  # aguiar2010: inhibition 1 ms after excitation
    # --- global scale factors used by sweeps (1 = control)
    nmda_scale: float = 1.0  # AP5-like competitive antagonism: fraction of NMDA left
    ampa_scale: float = 1.0
    nk1_scale: float = 1.0
    inh_scale: float = 1.0
    # --- mu-opioid effects at full occupancy [estimate]: presynaptic release from C fibres and
    #     postsynaptic GIRK conductance on the WDR
    mu_presyn_max: float = 0.7
    g_girk_max: float = 3.0
    v_spike: float = -20.0  # spike detection threshold (upward crossing)

    def __post_init__(self):
        check_fields(self, SPINAL_CONSTRAINTS, prefix="SpinalParams.")

    def replace(self, **changes) -> SpinalParams:
        """Return a copy with fields changed; unknown fields raise `InputError`."""
        names = {f.name for f in fields(self)}
        for k in changes:
            if k not in names:
                raise InputError("SpinalParams field", k, f"one of {sorted(names)}")
        return replace(self, **changes)

    def to_array(self) -> np.ndarray:
        return np.array([float(v) for v in asdict(self).values()], dtype=np.float64)


# --- declarative constraints: one physical interval per field (units of the field)
_POS = Interval(0, None, closed="neither")        # > 0
_NONNEG = Interval(0, 1e6)                         # conductances (nS), weights, scales >= 0
_VOLT = Interval(-150.0, 100.0)                    # mV, the range of the gate lookup table
_TAU = Interval(0, 1e5, closed="right")            # time constants, ms
_FRAC = Interval(0, 1)
_RATE = Interval(0, 1e3, closed="right")           # /ms
SPINAL_CONSTRAINTS = {
    "temperature_c": Interval(0.0, 45.0),          # degC, physiological range
    "area_soma_um2": Interval(0, 1e7, closed="right"),
    "area_dend_um2": Interval(0, 1e7, closed="right"),
    "cm_uf_cm2": Interval(0, 10, closed="right"),
    "g_leak_s_cm2": Interval(0, 1, closed="right"),  # > 0: keeps every compartment passive
    "e_leak": _VOLT, "g_couple": _NONNEG,
    "g_na": _NONNEG, "g_k": _NONNEG, "e_na": _VOLT, "e_k": _VOLT, "vtraub": _VOLT,
    "g_nap": _NONNEG,
    "p_cal_soma": _NONNEG, "p_cal_dend": _NONNEG,   # um3/ms
    "ca_o_mm": Interval(0, 100, closed="right"),
    "ca_depth_um": Interval(0, 10, closed="right"),
    "ca_tau_soma_ms": _TAU, "ca_tau_dend_ms": _TAU,
    "ca_rest_um": Interval(0, 10),
    "ca_dend_pool_frac": Interval(0, 1, closed="right"),
    "nk1_ca_frac": _FRAC,
    "g_can": _NONNEG, "e_can": _VOLT,
    "can_cac_um": Interval(0, 1e3, closed="right"), "can_beta": _RATE,
    "can_tau_factor": Interval(0, 1e4, closed="right"),
    "g_kca_soma": _NONNEG, "g_kca_dend": _NONNEG,
    "kca_cac_um": Interval(0, 1e3, closed="right"), "kca_beta": _RATE,
    "int_c_m_pf": Interval(0, 1e6, closed="right"),
    "int_g_leak": Interval(0, 1e6, closed="right"),
    "int_g_na": _NONNEG, "int_g_k": _NONNEG,
    "ampa_tau_rise": _TAU, "ampa_tau_decay": _TAU,
    "nk1_int_tau_rise": _TAU, "nk1_int_tau_decay": _TAU,
    "nk1_wdr_tau_rise": _TAU, "nk1_wdr_tau_decay": _TAU,
    "gaba_tau_rise": _TAU, "gaba_tau_decay": _TAU,
    "gly_tau_rise": _TAU, "gly_tau_decay": _TAU,
    "e_ampa": _VOLT, "e_nk1": _VOLT, "e_cl": _VOLT,
    "glu_pulse_um": Interval(0, 1e5),
    "glu_pulse_ms": Interval(0, 100, closed="right"),
    "mg_mm": Interval(0, 100),
    **{f: _NONNEG for f in ("w_ab_ampa", "w_ad_ampa", "w_ad_nmda", "w_c_int_ampa",
                            "w_c_int_nmda", "w_c_int_nk1", "w_c_wdr_nk1", "w_int_wdr_ampa",
                            "w_int_wdr_nmda", "w_int_ffi_gaba", "w_int_ffi_gly",
                            "w_aff_ffi_gaba", "w_aff_ffi_gly", "w_bg_ampa", "w_bg_gaba")},
    # <= 100 ms: the engine's spike queues hold 1024 spikes in flight
    "delay_int_ms": Interval(0, 100), "delay_ffi_ms": Interval(0, 100),
    "nmda_scale": _NONNEG, "ampa_scale": _NONNEG, "nk1_scale": _NONNEG, "inh_scale": _NONNEG,
    "mu_presyn_max": _FRAC, "g_girk_max": _NONNEG,
    "v_spike": Interval(-100.0, 50.0),
}

FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SpinalParams))
assert set(SPINAL_CONSTRAINTS) == set(FIELDS), set(FIELDS) ^ set(SPINAL_CONSTRAINTS)
DEFAULT = SpinalParams()
