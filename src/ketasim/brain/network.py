"""Thalamocortical spiking network: drug concentrations -> receptors -> network -> EEG.

Model choice. A small conductance-based spiking network (AdEx neurons, ~200 per cortical
region, E:I 4:1, thalamic relay and reticular cells; 680 cells in all) rather than a neural
mass: ketamine's cortical mechanism in the literature is a *cell-type-specific* one (NMDA
block stronger on fast-spiking interneurons, whose receptors carry GluN2D with a weaker
Mg2+ block -> disinhibition -> gamma; Homayoun & Moghaddam 2007 [homayoun_moghaddam_2007],
Sapkota 2016 [sapkota_2016]) acting through voltage-dependent block, which a spiking
network with the receptor layer's block evaluated at each cell's membrane potential carries
without extra assumptions; a neural mass would need the block folded into a population
sigmoid by hand. AdEx (Brette & Gerstner 2005) with Destexhe 2009's cell classes is the
cheapest neuron that gives adapting pyramidal cells, non-adapting fast-spiking cells and
thalamic rebound bursts; the network is compiled (numba) and a batch of drug conditions runs
in one call.

Regions: sensory, parietal, frontal cortex (each pyramidal + fast-spiking populations,
local E<->I loops) and a thalamus (relay TC + reticular RE). Sensory input enters TC ->
sensory cortex; long-range feedforward sensory -> parietal -> frontal (AMPA-rich), feedback
frontal -> parietal -> sensory (NMDA-rich, Self 2012 [self_2012]); corticothalamic loop
sensory E -> TC/RE, TC <-> RE.

Drug -> receptor -> synapse (all from `ketasim.receptors`):

* NMDA: each cell type's receptor mixture (`ketasim.receptors.subunits`: pyramidal and
  thalamic relay GluN2A/2B, reticular with GluN2C, fast-spiking ``cortex_fs_interneuron``
  with GluN2D). Per subunit
  component the synaptic conductance decays with the subunit's deactivation time constant and
  is multiplied by the receptor model's equilibrium unblocked fraction u(V) at the
  condition's Mg2+ and ketamine (`nmda_steady_state_block`: Mg2+ and ketamine compete in
  the pore, so ketamine is more potent on the weakly Mg2+-blocked GluN2D), looked up at the
  cell's V every step. Simplification: the block is at equilibrium (effect-site levels move
  over minutes, trapping relaxes under activity within ~10 s, Mealing 1999), so the
  use-dependence of the approach to block is not carried into the network.
* GABA-A: the receptor layer's IPSC prolongation ``m`` per drug (`gabaa.py`; propofol,
  thiopental, ketamine at high uM; midazolam when the receptor layer has it), scaled by one
  network gain per drug ([fitted] to each drug's loss-of-responsiveness concentration, see
  `ketasim.brain.params`), sets the IPSC decay; direct activation gives a tonic conductance.
* Ih (HCN1) on pyramidal cells; ketamine inhibits it only when ``hcn_ketamine`` is on
  (Chen, Shu & Bayliss 2009 [chen_shu_bayliss_2009]; Bojak 2013 [bojak_2013]).

EEG-like signal per cortical region: the mean absolute synaptic current (AMPA+NMDA and
GABA-A) of its pyramidal cells (Mazzoni 2008 LFP proxy [mazzoni_2008]); thalamus: its TC
cells' synaptic currents are not recorded, the thalamic "EEG" is the relay cells' mean V.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xarray as xr

from ketasim.brain import engine as E
from ketasim.brain import sources as S
from ketasim.brain.params import (
    CELL_CLASS,
    CELL_TYPES,
    DEFAULT,
    POP_REGION,
    POP_TYPE,
    POPULATIONS,
    REGIONS,
    BrainParams,
)
from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.record import Record
from ketasim.core.units import as_floats
from ketasim.core.validation import (
    NONNEG,
    SEED,
    Instance,
    Interval,
    NoneOK,
    Options,
    check,
    check_fields,
    check_work,
    validate_params,
)
from ketasim.receptors import gabaa as G
from ketasim.receptors.nmda import nmda_steady_state_block
from ketasim.receptors.subunits import BETA_FACTORS, TAU_W_TARGETS_MS, as_mixture

DRUGS = ("ketamine", "propofol", "thiopental", "midazolam")
MAX_NEURON_STEPS = 2.0e11   # work cap: neurons x steps x conditions
MAX_CONDITIONS = 512
GROUP_SIZE = 20   # cells per recorded group (PCI sources)


@dataclass(frozen=True)
class Stimulus:
    """Brief sensory inputs: extra Poisson AMPA events onto the thalamic relay cells.

    Onsets at ``start_ms + i * every_ms`` (i < ``count``), each ``duration_ms`` long,
    ``rate_Hz`` events per TC cell of ``weight_nS`` each [estimate].

    Examples
    --------
    >>> Stimulus(1000.0, 250.0, 4).onsets_ms()
    [1000.0, 1250.0, 1500.0, 1750.0]
    """

    start_ms: float
    every_ms: float = 250.0
    count: int = 1
    duration_ms: float = 20.0
    rate_Hz: float = 3000.0
    weight_nS: float = 3.0

    def __post_init__(self):
        check_fields(self, {"start_ms": NONNEG, "every_ms": Interval(0, None, closed="neither"),
                            "count": Interval(1, 100000, integer=True),
                            "duration_ms": Interval(0, None, closed="neither"),
                            "rate_Hz": NONNEG, "weight_nS": NONNEG}, prefix="stimulus.")

    def onsets_ms(self) -> list:
        return [self.start_ms + i * self.every_ms for i in range(self.count)]


@dataclass(frozen=True)
class Pulse:
    """Perturbation pulses (for PCI): a depolarising current to one region's pyramidal cells.

    Examples
    --------
    >>> Pulse(2000.0, region="parietal").onsets_ms()
    [2000.0]
    """

    start_ms: float
    every_ms: float = 300.0
    count: int = 1
    region: str = "parietal"
    duration_ms: float = 5.0
    amplitude_pA: float = 800.0

    def __post_init__(self):
        check_fields(self, {"start_ms": NONNEG, "every_ms": Interval(0, None, closed="neither"),
                            "count": Interval(1, 100000, integer=True),
                            "region": Options(REGIONS[:3]),
                            "duration_ms": Interval(0, None, closed="neither"),
                            "amplitude_pA": NONNEG}, prefix="pulse.")

    def onsets_ms(self) -> list:
        return [self.start_ms + i * self.every_ms for i in range(self.count)]


def _on_steps(ev: Stimulus | Pulse | None, n_steps: int, dt: float) -> np.ndarray:
    """Boolean mask of the steps (``dt`` ms) inside the on-windows of ``ev`` (none if None)."""
    on = np.zeros(n_steps, np.bool_)
    if ev is not None:
        for t0 in ev.onsets_ms():
            a, b = int(round(t0 / dt)), int(round((t0 + ev.duration_ms) / dt))
            on[max(a, 0):min(b, n_steps)] = True
    return on


# --------------------------------------------------------------------------- structure
@lru_cache(maxsize=8)
def _structure(p: BrainParams):
    """Cells and connectivity (deterministic from ``connectivity_seed``)."""
    sizes = (p.n_e, p.n_i, p.n_e, p.n_i, p.n_e, p.n_i, p.n_tc, p.n_re)
    start = np.concatenate([[0], np.cumsum(sizes)])
    n = int(start[-1])
    pop = np.repeat(np.arange(8), sizes).astype(np.int64)
    region = np.array([POP_REGION[q] for q in pop], np.int64)
    ctype = np.array([POP_TYPE[q] for q in pop], np.int64)
    is_pyr = np.array([POP_TYPE[q] == 0 and POP_REGION[q] < 3 for q in pop], np.bool_)
    cell = np.zeros((n, E.N_CELL_COLS))
    for i in range(n):
        cell[i, :10] = CELL_CLASS[CELL_TYPES[ctype[i]]]
        if ctype[i] == 0:
            cell[i, 10] = p.g_h_nS
    rng = np.random.default_rng(p.connectivity_seed)
    conns = []  # (pre_pop, post_pop, K, w_ampa, nmda_ratio, w_gaba, long)
    for r in range(3):
        e, i = 2 * r, 2 * r + 1
        conns += [(e, e, p.k_ee, p.w_ee, p.nmda_ratio_local, 0.0, False),
                  (e, i, p.k_ei, p.w_ei, p.nmda_ratio_local, 0.0, False),
                  (i, e, p.k_ie, 0.0, 0.0, p.w_ie, False),
                  (i, i, p.k_ii, 0.0, 0.0, p.w_ii, False)]
    tc, re = 6, 7
    conns += [(tc, 0, p.k_tc, p.w_tc, p.nmda_ratio_thal, 0.0, False),
              (tc, 1, p.k_tc, p.w_tc * 0.5, p.nmda_ratio_thal, 0.0, False),
              (0, tc, p.k_ct, p.w_ct, p.nmda_ratio_thal, 0.0, False),
              (0, re, p.k_ct, p.w_ct * 2.0, p.nmda_ratio_thal, 0.0, False),
              (tc, re, p.k_tr, p.w_tr, p.nmda_ratio_thal, 0.0, False),
              (re, tc, p.k_rt, 0.0, 0.0, p.w_rt, False),
              (re, re, p.k_rr, 0.0, 0.0, p.w_rr, False)]
    # long-range: feedforward S->P->F, feedback F->P, P->S
    conns += [(0, 2, p.k_long, p.w_ff, p.nmda_ratio_ff, 0.0, True),
              (0, 3, p.k_long, p.w_ff * 0.5, p.nmda_ratio_ff, 0.0, True),
              (2, 4, p.k_long, p.w_ff, p.nmda_ratio_ff, 0.0, True),
              (2, 5, p.k_long, p.w_ff * 0.5, p.nmda_ratio_ff, 0.0, True),
              (4, 2, p.k_long, p.w_fb, p.nmda_ratio_fb, 0.0, True),
              (4, 3, p.k_long, p.w_fb * 0.5, p.nmda_ratio_fb, 0.0, True),
              (2, 0, p.k_long, p.w_fb, p.nmda_ratio_fb, 0.0, True),
              (2, 1, p.k_long, p.w_fb * 0.5, p.nmda_ratio_fb, 0.0, True)]
    syn = {False: [], True: []}
    for pre, post, k, wa, ratio, wg, long in conns:
        npre = sizes[pre]
        k = min(k, npre - (1 if pre == post else 0))
        for t in range(start[post], start[post + 1]):
            cand = np.arange(start[pre], start[pre + 1])
            if pre == post:
                cand = cand[cand != t]
            src = rng.choice(cand, size=k, replace=False)
            for s_ in src:
                syn[long].append((int(s_), t, wa, wa * ratio, wg))
    out = []
    for long in (False, True):
        arr = sorted(syn[long])
        pre = np.array([a[0] for a in arr], np.int64)
        ptr = np.zeros(n + 1, np.int64)
        np.add.at(ptr, pre + 1, 1)
        ptr = np.cumsum(ptr)
        out.append((ptr, np.array([a[1] for a in arr], np.int64),
                    np.array([a[2] for a in arr]), np.array([a[3] for a in arr]),
                    np.array([a[4] for a in arr])))
    # NMDA component shares and time constants per cell type
    mixes = (p.pyr_nmda, p.fs_nmda, p.thal_nmda, p.re_nmda)
    comps = []
    for name in mixes:
        mix = as_mixture(name, field="BrainParams NMDA composition")
        if len(mix.parts) > E.N_NMDA_COMP:
            raise InputError("BrainParams NMDA composition", name,
                             f"a mixture of at most {E.N_NMDA_COMP} subunit parts")
        comps.append(mix)
    nshare = np.zeros((n, E.N_NMDA_COMP))
    ntau = np.zeros((n, E.N_NMDA_COMP))
    type_share = np.zeros((4, E.N_NMDA_COMP))
    type_tau = np.zeros((4, E.N_NMDA_COMP))
    for ty, mix in enumerate(comps):
        amp = []
        for k, (label, _, wt) in enumerate(mix.parts):
            key = label if label in TAU_W_TARGETS_MS else "2A"
            type_tau[ty, k] = TAU_W_TARGETS_MS[key] / p.nmda_q10_factor
            amp.append(wt * BETA_FACTORS[key])
        amp = np.array(amp)
        charge = float(np.sum(amp * type_tau[ty, :len(amp)]))
        type_share[ty, :len(amp)] = amp * p.tau_ampa_ms / charge  # NMDA charge = AMPA charge
    for i in range(n):
        nshare[i] = type_share[ctype[i]]
        ntau[i] = type_tau[ctype[i]]
    bg_rate = np.where(ctype == 0, p.bg_rate_e_Hz, np.where(ctype == 1, p.bg_rate_i_Hz,
                                                             p.bg_rate_thal_Hz))
    # cell groups ("sources" for PCI): each population cut into groups of GROUP_SIZE cells
    group = np.zeros(n, np.int64)
    g0 = 0
    gpop = []
    for q in range(8):
        ng = max(1, sizes[q] // GROUP_SIZE)
        for j in range(sizes[q]):
            group[start[q] + j] = g0 + min(j * ng // sizes[q], ng - 1)
        gpop += [q] * ng
        g0 += ng
    return dict(group=group, group_pop=np.array(gpop), n=n, start=start, sizes=sizes, pop=pop,
                region=region, ctype=ctype,
                is_pyr=is_pyr, cell=cell, local=out[0], long=out[1], nshare=nshare, ntau=ntau,
                mixes=comps, bg_rate=bg_rate)


# --------------------------------------------------------------------------- drug inputs
@lru_cache(maxsize=4096)
def _u_table(mix_name: str, k: int, mg_mM: float, ketamine_uM: float) -> np.ndarray:
    mix = as_mixture(mix_name)
    params = mix.parts[k][1]
    v = E.TABLE_V0_MV + E.TABLE_DV_MV * np.arange(E.TABLE_NV)
    return 1.0 - nmda_steady_state_block(v, glutamate_uM=1000.0, mg_mM=mg_mM,
                                         ketamine_uM=ketamine_uM, params=params)


def _has_midazolam() -> bool:
    return "midazolam_uM" in inspect.signature(G.gabaa_decay_multiplier).parameters


def gabaa_effect(p: BrainParams, propofol_uM: float, thiopental_uM: float,
                 midazolam_uM: float, ketamine_uM: float) -> tuple[float, float]:
    """(IPSC decay multiplier in the network, tonic GABA-A conductance in nS).

    ``1 + sum_d gain_d (m_d - 1)`` with ``m_d`` the receptor layer's multiplier for drug d
    alone (ketamine's own tiny prolongation enters with gain 1).

    Examples
    --------
    >>> round(gabaa_effect(DEFAULT, 0.0, 0.0, 0.0, 0.0)[0], 6)
    1.0
    """
    m = 1.0
    m += p.gabaa_gain_propofol * (G.gabaa_decay_multiplier(propofol_uM=propofol_uM) - 1.0)
    m += p.gabaa_gain_thiopental * (G.gabaa_decay_multiplier(thiopental_uM=thiopental_uM)
                                    - 1.0)
    m += G.gabaa_decay_multiplier(ketamine_uM=ketamine_uM) - 1.0
    if midazolam_uM > 0.0:
        if not _has_midazolam():
            raise InputError("midazolam_uM", midazolam_uM,
                             "0 (this receptor layer has no midazolam modulation)")
        m += p.gabaa_gain_midazolam * (G.gabaa_decay_multiplier(midazolam_uM=midazolam_uM)
                                       - 1.0)
    q = G.gabaa_params_array(propofol_uM=propofol_uM, thiopental_uM=thiopental_uM)
    act = q[4] / (q[5] * q[1]) if q[5] > 0 else 0.0
    return m, p.g_tonic_max_nS * act


def hcn_factor(p: BrainParams, ketamine_uM: float) -> float:
    """Fraction of the Ih conductance left (1 unless ``hcn_ketamine``).

    Examples
    --------
    >>> hcn_factor(DEFAULT, 8.0)
    1.0
    """
    if not p.hcn_ketamine:
        return 1.0
    return 1.0 - p.hcn_ketamine_max * ketamine_uM / (ketamine_uM + p.hcn_ketamine_ic50_uM)


def _conditions(ketamine_uM, propofol_uM, thiopental_uM, midazolam_uM) -> np.ndarray:
    vals = []
    for name, v in (("ketamine_uM", ketamine_uM), ("propofol_uM", propofol_uM),
                    ("thiopental_uM", thiopental_uM), ("midazolam_uM", midazolam_uM)):
        vals.append(np.atleast_1d(as_floats(v, name, "uM", NONNEG)).ravel())
    n = max(len(v) for v in vals)
    for name, v in zip(DRUGS, vals, strict=True):
        if len(v) not in (1, n):
            raise InputError(f"{name}_uM", v.tolist(), f"a scalar or a sequence of {n} "
                             "values (one per condition, like the other drugs)")
    return np.stack([np.broadcast_to(v, (n,)) for v in vals], axis=1)


# --------------------------------------------------------------------------- simulate
@validate_params({"duration_ms": Interval(0, 3_600_000, closed="right"), "seed": SEED,
                  "stimulus": (Instance(Stimulus), NoneOK()), "pulse": (Instance(Pulse), NoneOK()),
                  "record": Instance(Record), "params": Instance(BrainParams)})
def simulate(ketamine_uM=0.0, propofol_uM=0.0, thiopental_uM=0.0, midazolam_uM=0.0, *,
             duration_ms: float = 2000.0, seed: int = 0, stimulus: Stimulus | None = None,
             pulse: Pulse | None = None, record: Record = Record(),  # noqa: B008
             params: BrainParams = DEFAULT, gabaa_multiplier=None) -> xr.Dataset:
    """Run the thalamocortical network for a batch of drug conditions (free effect-site uM).

    Drug arguments are scalars or equal-length sequences (one value per condition).
    ``gabaa_multiplier`` (>= 1, scalar or one per condition) replaces the network IPSC
    decay multiplier that the GABA-A drugs would give (`gabaa_effect`); the cached maps use
    it as their GABA-A axis. The drugs' tonic conductance is then not applied.

    Returns a stamped Dataset with ``eeg`` (condition, region, time; pA, the LFP proxy; the
    thalamic row is the relay cells' mean V in mV), ``rate_Hz`` (condition, population,
    time), ``group_rate_Hz`` (condition, group, time; groups of 20 cells, the sources of
    the PCI), optionally ``v_mV`` (``Record(variables=("v",))``), and the stimulus / pulse
    onsets (``stimulus_onset_ms``, ``pulse_onset_ms``). Time in ms, binned every
    ``record.every`` (default 1 ms; a multiple of ``dt_ms``).

    Examples
    --------
    >>> ds = simulate(ketamine_uM=[0.0, 3.0], duration_ms=200.0)
    >>> ds.eeg.dims, ds.sizes["condition"]
    (('condition', 'region', 'time'), 2)
    """
    conds = _conditions(ketamine_uM, propofol_uM, thiopental_uM, midazolam_uM)
    p = params
    nc = conds.shape[0]
    gm = None
    if gabaa_multiplier is not None:
        gm = np.atleast_1d(as_floats(gabaa_multiplier, "gabaa_multiplier", "",
                                     Interval(1.0, 100.0))).ravel()
        if len(gm) not in (1, nc):
            raise InputError("gabaa_multiplier", gm.tolist(), f"a scalar or {nc} values")
        gm = np.broadcast_to(gm, (nc,))
    check_work("conditions", nc, MAX_CONDITIONS, "run the batch in parts")
    st = _structure(p)
    n = st["n"]
    dt = p.dt_ms
    n_steps = int(round(duration_ms / dt))
    check_work("neuron steps", float(n) * n_steps * nc, MAX_NEURON_STEPS,
               "shorten duration_ms or the batch")
    rec_ms = record.interval("ms", 1.0)
    rec_every = int(round(rec_ms / dt))
    if rec_every < 1 or abs(rec_every * dt - rec_ms) > 1e-9:
        raise InputError("record.every", record.every, f"a multiple of dt_ms = {dt} ms")
    n_rec = n_steps // rec_every
    if n_rec < 1:
        raise InputError("duration_ms", duration_ms, "at least one recording interval")
    want_v = "v" in record.names(("v",)) if record.any else False
    # drug inputs per condition
    u_tab = np.zeros((nc, 4, E.N_NMDA_COMP, E.TABLE_NV))
    tau_g = np.zeros(nc)
    g_ton = np.zeros(nc)
    hf = np.zeros(nc)
    mix_names = (p.pyr_nmda, p.fs_nmda, p.thal_nmda, p.re_nmda)
    tau_gaba0 = 1.0 / G.GABAAParams().beta
    for c in range(nc):
        ket, prop, thio, mid = (float(x) for x in conds[c])
        for ty in range(4):
            for k in range(len(st["mixes"][ty].parts)):
                u_tab[c, ty, k] = _u_table(mix_names[ty], k, float(p.mg_mM), ket)
        m, gt = gabaa_effect(p, prop, thio, mid, ket)
        if gm is not None:
            m, gt = float(gm[c]), 0.0
        tau_g[c] = tau_gaba0 * m
        g_ton[c] = gt
        hf[c] = hcn_factor(p, ket)
    # protocol arrays
    stim_on = _on_steps(stimulus, n_steps, dt)
    stim_lam, stim_w = 0.0, 0.0
    if stimulus is not None:
        stim_lam, stim_w = stimulus.rate_Hz * dt / 1000.0, stimulus.weight_nS
    pulse_on = _on_steps(pulse, n_steps, dt)
    pulse_pA, pulse_pop = 0.0, 2
    if pulse is not None:
        pulse_pA, pulse_pop = pulse.amplitude_pA, 2 * REGIONS.index(pulse.region)
    bg_lam = st["bg_rate"] * dt / 1000.0
    bg_w = np.full(n, p.bg_w)
    bg_wn = bg_w * p.nmda_ratio_bg
    eeg = np.zeros((nc, 4, n_rec))
    rates = np.zeros((nc, 8, n_rec))
    vtr = np.zeros((nc, 8, n_rec))
    group = st["group"]
    n_group = int(group.max()) + 1
    grates = np.zeros((nc, n_group, n_rec))
    loc, lng = st["local"], st["long"]
    d_l = max(1, int(round(p.delay_local_ms / dt)))
    d_r = max(1, int(round(p.delay_long_ms / dt)))
    E.run_batch(n_steps, dt, st["cell"], st["ctype"], st["region"], st["pop"], st["is_pyr"],
                4, 8, *loc, d_l, *lng, d_r, st["nshare"], st["ntau"], u_tab, tau_g,
                p.tau_ampa_ms, g_ton, hf, bg_lam, bg_w, bg_wn, stim_on, stim_lam, stim_w, 6,
                pulse_on, pulse_pA, pulse_pop, group, rec_every, int(seed), eeg, rates, vtr,
                grates)
    sizes = np.array(st["sizes"], float)
    rate_hz = rates / sizes[None, :, None] / (rec_every * dt / 1000.0)
    vtr = vtr / sizes[None, :, None]   # the kernel sums V over a population's cells
    eeg[:, 3, :] = vtr[:, 6, :]  # thalamus: relay-cell mean V
    time = (np.arange(n_rec) + 0.5) * rec_every * dt
    ds = xr.Dataset(
        {"eeg": (("condition", "region", "time"), eeg,
                 {"units": "pA", "long_name": "EEG proxy: mean |synaptic current| of "
                  "pyramidal cells (thalamus: relay-cell mean V, mV)"}),
         "rate_Hz": (("condition", "population", "time"), rate_hz,
                     {"units": "Hz", "long_name": "population firing rate"})},
        coords={"condition": np.arange(nc), "region": list(REGIONS),
                "population": list(POPULATIONS), "time": ("time", time, {"units": "ms"}),
                "ketamine_uM": ("condition", conds[:, 0], {"units": "umol/L"}),
                "propofol_uM": ("condition", conds[:, 1], {"units": "umol/L"}),
                "thiopental_uM": ("condition", conds[:, 2], {"units": "umol/L"}),
                "midazolam_uM": ("condition", conds[:, 3], {"units": "umol/L"})})
    gsize = np.bincount(group).astype(float)
    ds["group_rate_Hz"] = (("condition", "group", "time"),
                           grates / gsize[None, :, None] / (rec_every * dt / 1000.0),
                           {"units": "Hz", "long_name": "firing rate of a group of "
                            f"{GROUP_SIZE} cells of one population"})
    ds = ds.assign_coords(group_population=("group", [POPULATIONS[q] for q in st["group_pop"]]))
    if want_v:
        ds["v_mV"] = (("condition", "population", "time"), vtr, {"units": "mV"})
    ds["gabaa_multiplier"] = ("condition", tau_g / tau_gaba0,
                              {"units": "1", "long_name": "network GABA-A IPSC decay multiplier"})
    ds["stimulus_onset_ms"] = ("stimulus", np.array(stimulus.onsets_ms() if stimulus else [],
                                                    float), {"units": "ms"})
    ds["pulse_onset_ms"] = ("pulse", np.array(pulse.onsets_ms() if pulse else [], float),
                            {"units": "ms"})
    ds.attrs["pulse_region"] = pulse.region if pulse else ""
    cites = list(p.citations) + [S.MAZZONI_2008, S.HOMAYOUN_MOGHADDAM_2007]
    for mix in st["mixes"]:
        cites += list(mix.citations)
    cites += list(G.GABAAParams().citations)
    return stamp(ds, model="ketasim.brain.simulate", citations=cites,
                 params={"conditions": conds.tolist(),
                         "gabaa_multiplier": None if gm is None else gm.tolist(),
                         "duration_ms": float(duration_ms),
                         "seed": int(seed), "stimulus": stimulus, "pulse": pulse,
                         "record": record, "params": p.to_dict()})


def network_summary(params: BrainParams = DEFAULT) -> dict:
    """Sizes and synapse counts of the network (for reports and tests).

    Examples
    --------
    >>> network_summary()["neurons"]
    680
    """
    check("params", params, Instance(BrainParams))
    st = _structure(params)
    return {"neurons": st["n"], "local_synapses": int(st["local"][1].size),
            "long_range_synapses": int(st["long"][1].size),
            "populations": dict(zip(POPULATIONS, map(int, st["sizes"]), strict=True))}
