"""Public entry point of the spinal layer: `simulate` a batch of conditions on one protocol.

A condition is a parameter set (`SpinalParams`) plus drug levels at the receptors (free
concentrations, umol/L, constant or time courses). The receptor models are specs passed in
(``nmda=``, ``gabaa=``, ``opioid=``; default the receptor layer's), so that other kinetics can
be tried at the circuit level. The NMDA model may be a subunit mixture or carry ketamine's
allosteric site: every NMDA synapse then integrates the model's receptor populations
(`ketasim.receptors.populations`; see `ketasim.spinal.engine`). The whole batch runs in one
compiled call (`ketasim.spinal.engine.run_batch`), and the result is a labelled `xarray.Dataset`:

* ``spike_times`` (condition, spike) WDR spike times in ms (NaN padded), ``n_spikes``;
* per stimulus (condition, stimulus): ``a_response`` (0-100 ms after the shock),
  ``c_response`` (100-400 ms), ``after_discharge`` (400-1000 ms, cut at the next shock) and
  ``response`` = C response + after-discharge (windows of cuellar2005; herrero2000);
* ``windup_ratio`` (condition): response to the last / first stimulus;
* traces (condition, time) named in ``record=Record(every=..., variables=...)``: ``v``,
  ``v_dend``, ``i_nmda``, ``i_cal``, ``ca_i``, ``i_can``, ``i_ampa``, ``i_inh``, ``v_int``
  (``time`` in ms, ``attrs["units"]``).

Coordinates on ``condition`` are always ``label`` and every drug of `DRUGS` (0 when absent;
the time average over the protocol when the level is a time course), whatever the input.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

import numba
import numpy as np
import xarray as xr

from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.record import Record
from ketasim.core.units import as_float
from ketasim.core.validation import (
    SEED,
    Each,
    Instance,
    Interval,
    NoneOK,
    Quantity,
    check,
    check_fields,
    check_finite,
    check_work,
    validate_params,
)
from ketasim.receptors.gabaa import GABAAParams
from ketasim.receptors.opioid import OpioidParams
from ketasim.receptors.populations import NMDAPopulations, nmda_populations, pair_equilibrium
from ketasim.receptors.subunits import NMDAMixture, as_mixture
from ketasim.spinal import engine as E
from ketasim.spinal import layout as L
from ketasim.spinal import sources as S
from ketasim.spinal._rx import NMDA_N_STATES, NMDAParams, nmda_equilibrium, nmda_step_ws
from ketasim.spinal._rx import P_EREV as L_P_EREV
from ketasim.spinal._rx import nmda_workspace as _ws
from ketasim.spinal.afferents import Protocol
from ketasim.spinal.params import DEFAULT, SpinalParams

DRUGS = ("ketamine_uM", "norketamine_uM", "propofol_uM", "thiopental_uM", "morphine_uM",
         "fentanyl_uM", "remifentanil_uM", "mu_occupancy")
MOD_DT_MS = 10.0  # drug inputs are piecewise constant on this grid
MAX_LEVEL_UM = 1e4  # 10 mmol/L: above any free drug concentration at a receptor
MAX_COURSE_POINTS = 1_000_000
MAX_STEPS = 500_000_000  # conditions x time steps of one call (max_steps=... lifts it)
MAX_RECORD_POINTS = 20_000_000  # conditions x recorded time points (max_record_points=...)
SPINAL_CITATIONS = (S.AGUIAR2010, S.TRAUB1991, S.MCCORMICK1992, S.DESTEXHE1994, S.DESTEXHE1993,
                    S.PRESCOTT2005, S.BURNASHEV1995, S.DESTEXHE1998, S.CLEMENTS1992,
                    S.GASSER1939, S.CUELLAR2005, S.HERRERO2000)


def _level(name: str, value):
    """A drug level: a number (umol/L; an occupancy fraction for ``mu_occupancy``), a
    quantity (``"0.3 uM"``) or a ``(times_ms, values)`` time course; returned normalised (a
    float, or a pair of tuples of floats)."""
    hi = 1.0 if name == "mu_occupancy" else MAX_LEVEL_UM
    allowed = Interval(0.0, hi)
    if isinstance(value, tuple | list) and len(value) == 2 and np.ndim(value[0]) == 1:
        ts, vs = value
        if np.ndim(vs) != 1 or len(ts) != len(vs) or len(ts) == 0:
            raise InputError(f"{name} time course", f"{len(ts)} times, {np.shape(vs)} values",
                             "(times_ms, values): two 1-D sequences of equal, non-zero length")
        check_work(f"{name} time course points", len(ts), MAX_COURSE_POINTS,
                   "resample the time course")
        check(f"{name} times_ms", ts, Each(Interval()))
        check(f"{name} values", vs, Each(allowed))
        ts = tuple(float(t) for t in ts)
        if any(b < a for a, b in zip(ts, ts[1:], strict=False)):
            raise InputError(f"{name} times_ms", "unsorted", "non-decreasing times (ms)")
        return ts, tuple(float(v) for v in vs)
    return as_float(value, name, "" if name == "mu_occupancy" else "uM", allowed)


#: per-field constraints of `Condition` (drug levels after `_level` read them: a float in
#: umol/L, or a (times_ms, values) pair checked by `_level`)
_CONDITION_CONSTRAINTS = {
    "params": Instance(SpinalParams), "label": Instance(str), "extra": Instance(dict),
    **{name: (Interval(0.0, 1.0 if name == "mu_occupancy" else MAX_LEVEL_UM), Instance(tuple))
       for name in DRUGS}}


@dataclass(frozen=True)
class Condition:
    """One simulated condition: parameters plus drug levels at the receptor.

    Drug levels are free concentrations in umol/L (or quantities, ``"0.3 uM"``), each a
    constant or a ``(times_ms, values)`` pair interpolated linearly (e.g. from the PK layer);
    they are checked (finite, >= 0, at most 10 mM; time courses sorted, of equal lengths)
    when the condition is built. Opioids act through the receptor layer's mu-opioid
    activation (`ketasim.receptors.opioid.opioid_effects_nb`, ketamine's own weak mu
    competition included); ``mu_occupancy`` adds a directly imposed mu activation (0..1; the
    sum is capped at 1). Activation r scales C-fibre release by ``1 - mu_presyn_max r`` and
    opens ``g_girk_max r`` of GIRK conductance on the WDR soma.

    Examples
    --------
    >>> Condition(ketamine_uM=1.0, label="ket 1 uM").ketamine_uM
    1.0
    >>> Condition(ketamine_uM="300 nM").ketamine_uM
    0.3
    >>> Condition(ketamine_uM=float("nan"))
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: ketamine_uM: got nan; allowed: a real number in [0, 10000]
    """

    params: SpinalParams = DEFAULT
    ketamine_uM: float | tuple = 0.0
    norketamine_uM: float | tuple = 0.0
    propofol_uM: float | tuple = 0.0
    thiopental_uM: float | tuple = 0.0
    morphine_uM: float | tuple = 0.0
    fentanyl_uM: float | tuple = 0.0
    remifentanil_uM: float | tuple = 0.0
    mu_occupancy: float | tuple = 0.0
    label: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        for name in DRUGS:  # quantities and time courses are read first, then checked
            object.__setattr__(self, name, _level(name, getattr(self, name)))
        check_fields(self, _CONDITION_CONSTRAINTS, prefix="Condition.")

    def mean_level(self, name: str, duration_ms: float) -> float:
        """Level of drug ``name`` averaged over ``[0, duration_ms]`` (its value if constant)."""
        v = getattr(self, name)
        if isinstance(v, float):
            return v
        return float(np.mean(_course(v, name, int(math.ceil(duration_ms / MOD_DT_MS)) + 1)))

    def to_dict(self) -> dict:
        """The condition as plain data: label, drug levels and the parameters that differ
        from `DEFAULT` (for provenance)."""
        d = {"label": self.label,
             "params": {f.name: getattr(self.params, f.name) for f in fields(SpinalParams)
                        if getattr(self.params, f.name) != getattr(DEFAULT, f.name)}}
        for name in DRUGS:
            v = getattr(self, name)
            d[name] = v if isinstance(v, float) else {"times_ms": list(v[0]),
                                                        "values": list(v[1])}
        return d


def _spec_dict(spec) -> dict:
    d = asdict(spec)
    d.pop("citations", None)
    return d


@lru_cache(maxsize=16)
def nmda_peak_open_fraction(dt_ms: float, glu_um: float, pulse_ms: float,
                            v_mv: float = -65.0, nmda=None) -> float:
    """Peak conducting fraction after one glutamate pulse without Mg2+ (receptor-layer model
    ``nmda``: default `NMDAParams()`, an `NMDAParams`, an `NMDAMixture` or a subunit /
    composition name).

    For a mixture this is the peak of the weighted sum over its populations (the mixture's
    conducting fraction), not the sum of their peaks; without ketamine an allosteric site is
    empty and its pair behaves as the site-free part. Used to express lumped NMDA weights as
    peak conductances (nS), like the AMPA weights: two models with the same weights give the
    same peak conductance after a first, drug-free pulse.

    >>> round(float(nmda_peak_open_fraction(0.025, 1000.0, 1.0)), 3)
    0.249
    >>> round(float(nmda_peak_open_fraction(0.025, 1000.0, 1.0, nmda="2B")), 3)
    0.098
    """
    pops = nmda_populations(nmda)
    rows = [k for k in range(pops.n) if pops.occupied[k] == 0]
    ps = [pops.params[k].copy() for k in rows]
    xs = [nmda_equilibrium(v_mv, 0.0, 0.0, 0.0, 0.0, p) for p in ps]
    wk = [float(pops.weight[k]) for k in rows]
    ws = _ws()
    n_on = max(1, int(round(pulse_ms / dt_ms)))
    best = 0.0
    for k in range(int(200.0 / dt_ms)):
        glu = glu_um if k < n_on else 0.0
        o = 0.0
        for x, p, wgt in zip(xs, ps, wk, strict=True):
            nmda_step_ws(x, dt_ms, v_mv, glu, 0.0, 0.0, 0.0, p, ws)
            o += wgt * x[3]
        best = max(best, o)
    return best


def weight_matrix(p: SpinalParams, dt_ms: float, nmda=None) -> np.ndarray:
    """Lumped conductances (nS) of every pathway (rows: channels, columns: synapse types).

    NMDA weights are peak conductances after one pulse (Mg2+ removed) of the NMDA model
    ``nmda`` (default `NMDAParams()`; a mixture or name: its summed populations,
    `nmda_peak_open_fraction`).

    >>> weight_matrix(DEFAULT, 0.025).shape
    (8, 8)
    """
    w = np.zeros((L.N_CH, L.N_SYN))
    po = nmda_peak_open_fraction(dt_ms, p.glu_pulse_um, p.glu_pulse_ms, nmda=nmda)
    if not po > 0:
        raise InputError("nmda", "a receptor that never opens",
                         "an NMDA model that opens after a glutamate pulse")
    w[L.CH_AB, L.S_W_AMPA] = p.w_ab_ampa
    w[L.CH_AD, L.S_W_AMPA] = p.w_ad_ampa
    w[L.CH_AD, L.S_W_NMDA] = p.w_ad_nmda / po
    w[L.CH_C, L.S_I_AMPA] = p.w_c_int_ampa
    w[L.CH_C, L.S_I_NMDA] = p.w_c_int_nmda / po
    w[L.CH_C, L.S_I_NK1] = p.w_c_int_nk1
    w[L.CH_C, L.S_W_NK1] = p.w_c_wdr_nk1
    w[L.CH_BGE, L.S_W_AMPA] = p.w_bg_ampa
    w[L.CH_BGI, L.S_W_GABA] = p.w_bg_gaba
    w[L.CH_FFI, L.S_W_GABA] = p.w_aff_ffi_gaba
    w[L.CH_FFI, L.S_W_GLY] = p.w_aff_ffi_gly
    w[L.CH_INT, L.S_W_AMPA] = p.w_int_wdr_ampa
    w[L.CH_INT, L.S_W_NMDA] = p.w_int_wdr_nmda / po
    w[L.CH_INT_FFI, L.S_W_GABA] = p.w_int_ffi_gaba
    w[L.CH_INT_FFI, L.S_W_GLY] = p.w_int_ffi_gly
    return w


def gaba_modulation(propofol_uM, thiopental_uM, ketamine_uM, params: GABAAParams | None = None):
    """GABA-A decay multiplier, gain and tonic conductance, and glycine gain per time row.

    The WDR's GABA-A synapse is a dual exponential whose decay is scaled by the receptor
    layer's deactivation multiplier (`ketasim.receptors.gabaa.gabaa_decay_multiplier` with
    the spec ``params``, default `GABAAParams()`: propofol 1 uM -> 1.28, 10 uM -> 1.69,
    Bai 1999 / Takazawa 2009); glycine receptors are not modulated (receptor layer: propofol
    none up to 50 uM, Wang 2004).

    >>> tau, gain, tonic, gly = gaba_modulation([10.0], [0.0], [0.0])
    >>> round(float(tau[0]), 2)
    1.69
    """
    from ketasim.receptors.gabaa import gabaa_decay_multiplier
    pro = np.asarray(propofol_uM, float)
    thio = np.asarray(thiopental_uM, float)
    ket = np.asarray(ketamine_uM, float)
    tau = np.ones(pro.shape)
    cache = {}
    for i, key in enumerate(zip(pro, thio, ket, strict=True)):
        if key not in cache:
            cache[key] = gabaa_decay_multiplier(propofol_uM=key[0], thiopental_uM=key[1],
                                                ketamine_uM=key[2], params=params)
        tau[i] = cache[key]
    return tau, np.ones_like(tau), np.zeros_like(tau), np.ones_like(tau)


def _course(value, name, n_rows):
    """A (normalised) drug level on the drug-input grid (``n_rows`` rows of MOD_DT_MS)."""
    t = np.arange(n_rows) * MOD_DT_MS
    if isinstance(value, tuple):
        return np.interp(t, np.asarray(value[0], float), np.asarray(value[1], float))
    return np.full(n_rows, float(value))


def _mu_activation(mor, fen, rem, ket, opioid: OpioidParams | None = None):
    """Receptor-layer mu-opioid activation r per time row (cached over repeated rows)."""
    from ketasim.receptors.opioid import opioid_effects_nb, opioid_params_array
    q = opioid_params_array(opioid)
    out = np.empty(mor.shape)
    cache = {}
    for i, key in enumerate(zip(mor, fen, rem, ket, strict=True)):
        if key not in cache:
            cache[key] = opioid_effects_nb(key[0], key[1], key[2], key[3], q)[1]
        out[i] = cache[key]
    return out


def _mod_array(conds, duration_ms, gabaa=None, opioid=None):
    n_rows = int(math.ceil(duration_ms / MOD_DT_MS)) + 1
    mod = np.zeros((len(conds), n_rows, L.N_MOD))
    for i, c in enumerate(conds):
        ket = _course(c.ketamine_uM, "ketamine_uM", n_rows)
        nk = _course(c.norketamine_uM, "norketamine_uM", n_rows)
        pro = _course(c.propofol_uM, "propofol_uM", n_rows)
        thio = _course(c.thiopental_uM, "thiopental_uM", n_rows)
        mu = _course(c.mu_occupancy, "mu_occupancy", n_rows)
        mor = _course(c.morphine_uM, "morphine_uM", n_rows)
        fen = _course(c.fentanyl_uM, "fentanyl_uM", n_rows)
        rem = _course(c.remifentanil_uM, "remifentanil_uM", n_rows)
        if np.any(mor) or np.any(fen) or np.any(rem):
            mu = np.minimum(1.0, mu + _mu_activation(mor, fen, rem, ket, opioid))
        tau, gg, tonic, gly = gaba_modulation(pro, thio, ket, gabaa)
        mod[i, :, L.M_MG] = c.params.mg_mm
        mod[i, :, L.M_KET] = ket
        mod[i, :, L.M_NK] = nk
        mod[i, :, L.M_GABA_TAU] = tau
        mod[i, :, L.M_GABA_G] = gg
        mod[i, :, L.M_GABA_TONIC] = tonic
        mod[i, :, L.M_GLY_G] = gly
        mod[i, :, L.M_MU] = mu
    return mod


def _nmda_model(nmda):
    """(spec, populations, provenance dict, citations) of the ``nmda`` argument."""
    if nmda is None or isinstance(nmda, NMDAParams):
        spec = NMDAParams() if nmda is None else nmda
        desc, cites = _spec_dict(spec), spec.citations
    else:
        spec = as_mixture(nmda, field="nmda")
        desc, cites = spec.to_dict(), spec.citations
    pops = nmda_populations(spec)  # the occupied member shares its partner's pore
    e_rev = pops.params[:, L_P_EREV]
    if np.any(e_rev != e_rev[0]):
        raise InputError("nmda", f"reversal potentials {sorted(set(e_rev.tolist()))} mV",
                         "parts with one NMDA reversal potential (NMDAParams.e_rev)")
    return spec, pops, desc, cites


def nmda_initial_states(pops: NMDAPopulations, v_mV: float, mg_mM: float, ketamine_uM: float,
                        norketamine_uM: float) -> tuple[np.ndarray, np.ndarray]:
    """Initial NMDA populations of a synapse at rest (no glutamate, drug levels held long
    before): normalised states (K, NMDA_N_STATES) and masses (K,) as the engine holds them.

    The joint equilibrium is `ketasim.receptors.populations.pair_equilibrium`; a population
    without site (and, without ketamine, a pair whose site is empty) starts at the receptor
    layer's `nmda_equilibrium` with its part's weight as mass, exactly as a single model.

    >>> x, m = nmda_initial_states(nmda_populations(NMDAParams(allo_gating_factor=3.0)),
    ...                            -65.0, 1.0, 0.1, 0.0)
    >>> [round(float(v), 3) for v in m]
    [0.5, 0.5]
    """
    xs = np.zeros((pops.n, NMDA_N_STATES))
    ms = np.zeros(pops.n)
    joint = None
    for k in range(pops.n):
        x = nmda_equilibrium(v_mV, 0.0, mg_mM, ketamine_uM, norketamine_uM, pops.params[k])
        if pops.partner[k] < 0 or ketamine_uM == 0.0:
            xs[k] = x
            ms[k] = pops.weight[k] if pops.occupied[k] == 0 else 0.0
            continue
        if joint is None:
            joint = pair_equilibrium(pops, v_mV, 0.0, mg_mM, ketamine_uM, norketamine_uM)
        ms[k] = joint[k].sum()
        xs[k] = joint[k] / ms[k] if ms[k] > 0.0 else x
    return xs, ms


def _ms(value, field_name: str) -> float:
    return as_float(value, field_name, "ms")


@validate_params({
    "protocol": Instance(Protocol),
    "nmda": (Instance(NMDAParams, NMDAMixture, str), NoneOK()),
    "gabaa": (Instance(GABAAParams), NoneOK()), "opioid": (Instance(OpioidParams), NoneOK()),
    "record": (Instance(Record), NoneOK()),
    "dt_ms": Quantity("ms", Interval(0.001, 0.1)),
    "nmda_dt_ms": Quantity("ms", Interval(0.001, 0.1)),
    "seed": SEED, "max_spikes": Interval(1, 10**8, integer=True),
    "max_steps": Interval(1, None, integer=True),
    "max_record_points": Interval(1, None, integer=True),
    "common_inputs": Instance(bool), "exact_gates": Instance(bool),
    "nmda_expeuler": Instance(bool)})
def simulate(protocol: Protocol, conditions=None, *,
             nmda: NMDAParams | NMDAMixture | str | None = None,
             gabaa: GABAAParams | None = None, opioid: OpioidParams | None = None,
             record: Record | None = None, dt_ms: float = 0.025, seed: int = 0,
             common_inputs: bool = True, max_spikes: int = 4000, nmda_dt_ms: float = 0.1,
             exact_gates: bool = False, nmda_expeuler: bool = False,
             max_steps: int = MAX_STEPS, max_record_points: int = MAX_RECORD_POINTS
             ) -> xr.Dataset:
    """Simulate the afferent -> interneuron -> WDR circuit for a batch of conditions.

    Parameters
    ----------
    protocol : Protocol
        Stimuli (`ketasim.spinal.afferents.train`, `shock`, ...).
    conditions : Condition or sequence of Condition, optional
        The batch (default: one drug-free control).
    nmda : NMDAParams, NMDAMixture or str, optional
        The receptor layer's NMDA model (default `NMDAParams()`): gating, Mg2+, ketamine and
        norketamine block, reversal and Ca2+ fraction; or a subunit mixture
        (`ketasim.receptors.subunits.NMDAMixture`, a subunit "2B", a composition
        "lamina_I", weights "2B=0.5,2D=0.5"). Parts whose ``allo_gating_factor`` > 1 carry
        ketamine's allosteric site (two exchanging populations,
        `ketasim.receptors.populations`). Every NMDA synapse integrates all populations
        (one reversal potential; Ca2+ fraction per population). Lumped NMDA weights stay
        peak conductances of this model (its summed populations).
    gabaa : GABAAParams, optional
        GABA-A drug modulation (default `GABAAParams()`).
    opioid : OpioidParams, optional
        mu-opioid binding (default `OpioidParams()`).
    record : Record, optional
        Traces to return (condition, time): ``Record(every=0.5, variables=("v", "i_nmda"))``
        or ``variables="all"``; ``every`` in ms (default 0.5 ms) or a quantity. Default: no
        traces (summaries only).
    dt_ms : float
        Fixed time step (ms, or a quantity), in [0.001, 0.1] ms.
    seed : int
        Seed of the afferent jitter and Poisson trains (numpy SeedSequence).
    common_inputs : bool
        Give every condition the same afferent realisation (paired comparison); otherwise each
        condition gets its own child seed.
    max_spikes : int
        Capacity of the spike-time buffer per condition.
    nmda_dt_ms : float
        Step of the receptor layer's NMDA kernel (a multiple of ``dt_ms``, at most 0.1 ms).
    exact_gates : bool
        Evaluate gate rates in closed form every step instead of the 0.01 mV lookup table
        (used by the Brian2 cross-check).
    nmda_expeuler : bool
        Advance the receptor layer's NMDA rate matrix by exponential Euler per state (Brian2's
        scheme; cross-check only) instead of the receptor kernel's backward Euler; one NMDA
        population only (an `NMDAParams` without allosteric site).
    max_steps, max_record_points : int
        Caps on conditions x time steps and conditions x recorded time points.

    Returns
    -------
    xarray.Dataset
        See the module docstring for the layout.

    Examples
    --------
    >>> from ketasim.spinal import simulate, train, Condition
    >>> ds = simulate(train(n=3, frequency_Hz=1.0), [Condition(), Condition(ketamine_uM=10.0)])
    >>> ds.response.dims
    ('condition', 'stimulus')
    >>> from ketasim.core.record import Record
    >>> from ketasim.receptors.nmda import NMDAParams
    >>> ds = simulate(train(n=1), Condition(), nmda=NMDAParams(ket_koff0=1e-3),
    ...               record=Record(every="1 ms", variables=("v",)))
    >>> ds.v.dims, ds.time.attrs["units"]
    (('condition', 'time'), 'ms')
    """
    if conditions is None:
        conditions = [Condition()]
    if isinstance(conditions, Condition):
        conditions = [conditions]
    try:
        conds = list(conditions)
    except TypeError:
        raise InputError("conditions", type(conditions).__name__,
                         "a Condition or a non-empty sequence of Condition") from None
    if not conds or not all(isinstance(c, Condition) for c in conds):
        raise InputError("conditions", type(conditions).__name__,
                         "a Condition or a non-empty sequence of Condition")
    nmda, pops, nmda_desc, nmda_cites = _nmda_model(nmda)
    record = Record() if record is None else record
    dt_ms = _ms(dt_ms, "dt_ms")
    nmda_dt_ms = _ms(nmda_dt_ms, "nmda_dt_ms")
    if nmda_expeuler and pops.n > 1:
        raise InputError("nmda_expeuler", True, "False for an NMDA model of more than one "
                         f"population (here {pops.n}: {', '.join(pops.labels)}); the Brian2 "
                         "cross-check scheme covers a single NMDAParams without allosteric site")
    traces = record.names(L.TRACE_NAMES) if record.any else ()
    rec_dt = record.interval("ms", default=0.5)
    if traces:
        check("record.every", rec_dt, Interval(dt_ms, 100.0))
    n_sub = int(round(nmda_dt_ms / dt_ms))
    if n_sub < 1 or abs(n_sub * dt_ms - nmda_dt_ms) > 1e-9 or nmda_dt_ms > 0.1 + 1e-12:
        raise InputError("nmda_dt_ms", nmda_dt_ms, f"a multiple of dt_ms = {dt_ms} up to 0.1 ms")
    n_cond = len(conds)
    n_steps = int(round(protocol.duration_ms / dt_ms))
    check_work("conditions x time steps", n_cond * n_steps, max_steps,
               "pass max_steps=... to go past it")
    rec_every = max(1, int(round(rec_dt / dt_ms))) if traces else 1
    n_rec = (n_steps + rec_every - 1) // rec_every if traces else 0
    check_work("conditions x recorded time points", n_cond * n_rec, max_record_points,
               "record less often (Record(every=...)) or pass max_record_points=...")
    # events
    ss = np.random.SeedSequence(seed)
    if common_inputs:
        ev = [protocol.events(np.random.default_rng(ss), dt_ms)] * n_cond
    else:
        ev = [protocol.events(np.random.default_rng(s), dt_ms) for s in ss.spawn(n_cond)]
    ptr = np.zeros(n_cond + 1, np.int64)
    ptr[1:] = np.cumsum([len(e[0]) for e in ev])
    ev_step = np.concatenate([e[0] for e in ev]) if ptr[-1] else np.zeros(0, np.int64)
    ev_ch = np.concatenate([e[1] for e in ev]) if ptr[-1] else np.zeros(0, np.int64)
    ev_w = np.concatenate([e[2] for e in ev]) if ptr[-1] else np.zeros(0)
    P = np.stack([c.params.to_array() for c in conds])
    W = np.stack([weight_matrix(c.params, dt_ms, nmda) for c in conds])
    mod = _mod_array(conds, protocol.duration_ms, gabaa, opioid)
    mod_every = max(1, int(round(MOD_DT_MS / dt_ms)))
    rec = np.zeros((n_cond, n_rec, L.N_REC))
    spk_t = np.full((n_cond, max_spikes), np.nan)
    spk_n = np.zeros(n_cond, np.int64)
    ispk_t = np.full((n_cond, max_spikes), np.nan)
    ispk_n = np.zeros(n_cond, np.int64)
    v_end = np.zeros((n_cond, 3))
    x0 = np.zeros((n_cond, pops.n, NMDA_N_STATES))
    m0 = np.zeros((n_cond, pops.n))
    init = {}
    for i in range(n_cond):
        key = (P[i, L.P_E_LEAK], mod[i, 0, L.M_MG], mod[i, 0, L.M_KET], mod[i, 0, L.M_NK])
        if key not in init:
            init[key] = nmda_initial_states(pops, *(float(v) for v in key))
        x0[i], m0[i] = init[key]
    pair = np.ascontiguousarray(np.stack([pops.partner, pops.occupied], axis=1), np.int64)
    # conditions take very different times (ketamine removes spikes): the threads take them
    # one at a time as they free up, instead of fixed shares of the batch (set here, not in
    # the kernel, where it would stop numba caching it)
    previous = numba.set_parallel_chunksize(1)
    try:
        E.run_batch(P, W, ptr, ev_step, ev_ch, ev_w, mod, mod_every, n_steps, dt_ms,
                    rec_every, rec, spk_t, spk_n, ispk_t, ispk_n,
                    np.ascontiguousarray(pops.params), pair,
                    np.ascontiguousarray(pops.kon_pos, float),
                    np.ascontiguousarray(pops.koff_pos, float), x0, m0, v_end, exact_gates,
                    n_sub, nmda_expeuler)
    finally:
        numba.set_parallel_chunksize(previous)
    if np.any(spk_n > max_spikes):
        raise InputError("max_spikes", max_spikes,
                         f"at least {int(spk_n.max())} (spikes were dropped)")
    check_finite("membrane potentials at the end of the run", v_end)
    check_finite("recorded traces", rec)
    inputs = {"protocol": protocol.to_dict(), "conditions": [c.to_dict() for c in conds],
              "spinal_params_default": asdict(DEFAULT), "nmda": nmda_desc,
              "gabaa": _spec_dict(gabaa or GABAAParams()),
              "opioid": _spec_dict(opioid or OpioidParams()),
              "record": {"every_ms": rec_dt if traces else None, "variables": list(traces)},
              "dt_ms": dt_ms, "nmda_dt_ms": nmda_dt_ms, "seed": seed,
              "common_inputs": common_inputs, "exact_gates": exact_gates,
              "nmda_expeuler": nmda_expeuler, "max_spikes": max_spikes}
    citations = (*SPINAL_CITATIONS, *nmda_cites, *(gabaa or GABAAParams()).citations,
                 *(opioid or OpioidParams()).citations)
    return _to_dataset(protocol, conds, spk_t, spk_n, ispk_n, rec, traces, rec_every * dt_ms,
                       dt_ms, seed, inputs, citations)


@validate_params({"spike_times": Instance(np.ndarray),
                  "stim_times": Instance(np.ndarray, list, tuple),
                  "duration_ms": Interval(0, None, closed="neither")})
def score(spike_times: np.ndarray, stim_times: np.ndarray, duration_ms: float):
    """Per-stimulus spike counts: A (0-100 ms), C (100-400 ms), after-discharge (400-1000 ms).

    Windows after a shock are cut at the next shock (cuellar2005 windows; herrero2000).

    >>> import numpy as np
    >>> a, c, ad = score(np.array([50.0, 150.0, 500.0]), np.array([0.0]), 2000.0)
    >>> int(a[0]), int(c[0]), int(ad[0])
    (1, 1, 1)
    """
    st = np.asarray(stim_times, float)
    # the last window ends one inter-stimulus interval later (as the others), or at the end
    last = st[-1] + (st[-1] - st[-2]) if st.size > 1 else duration_ms
    nxt = np.append(st[1:], min(last, duration_ms)) if st.size else st
    t = spike_times[np.isfinite(spike_times)]
    out = []
    for lo, hi in ((0.0, 100.0), (100.0, 400.0), (400.0, 1000.0)):
        counts = np.zeros(st.size, np.int64)
        for i, (s, e) in enumerate(zip(st, nxt, strict=True)):
            a, b = s + lo, min(s + hi, e)
            counts[i] = np.count_nonzero((t >= a) & (t < b)) if b > a else 0
        out.append(counts)
    return tuple(out)


def _to_dataset(protocol, conds, spk_t, spk_n, ispk_n, rec, traces, rec_dt, dt_ms, seed,
                inputs, citations):
    n_cond = len(conds)
    st = np.asarray(protocol.stim_times_ms, float)
    n_stim = st.size
    a = np.zeros((n_cond, n_stim), np.int64)
    c = np.zeros_like(a)
    ad = np.zeros_like(a)
    for i in range(n_cond):
        a[i], c[i], ad[i] = score(spk_t[i], st, protocol.duration_ms)
    resp = c + ad
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(resp[:, 0] > 0, resp[:, -1] / np.maximum(resp[:, 0], 1), np.nan) \
            if n_stim else np.full(n_cond, np.nan)
    nmax = max(1, int(spk_n.max()))
    labels = [c_.label or f"c{i}" for i, c_ in enumerate(conds)]
    coords = {"condition": np.arange(n_cond), "stimulus": np.arange(n_stim),
              "label": ("condition", labels),
              "stim_time": ("stimulus", st, {"units": "ms"})}
    for d in DRUGS:
        unit = "1" if d == "mu_occupancy" else "umol/L"
        vals = np.asarray([c_.mean_level(d, protocol.duration_ms) for c_ in conds], float)
        coords[d] = ("condition", vals,
                     {"units": unit, "long_name": "level (time average over the protocol "
                      "when a time course)"})
    ds = xr.Dataset(
        {
            "spike_times": (("condition", "spike"), spk_t[:, :nmax], {"units": "ms"}),
            "n_spikes": ("condition", spk_n, {"units": "1"}),
            "n_spikes_interneuron": ("condition", ispk_n, {"units": "1"}),
            "a_response": (("condition", "stimulus"), a,
                           {"units": "spikes", "window_ms": "0-100"}),
            "c_response": (("condition", "stimulus"), c,
                           {"units": "spikes", "window_ms": "100-400"}),
            "after_discharge": (("condition", "stimulus"), ad,
                                {"units": "spikes", "window_ms": "400-1000"}),
            "response": (("condition", "stimulus"), resp,
                         {"units": "spikes", "long_name": "C response + after-discharge"}),
            "windup_ratio": ("condition", ratio,
                             {"units": "1", "long_name": "response last / first stimulus "
                              "(NaN when the first response is 0)"}),
        },
        coords=coords,
    )
    if traces:
        t = np.arange(rec.shape[1]) * rec_dt
        ds = ds.assign_coords(time=("time", t, {"units": "ms"}))
        for j, (name, unit) in enumerate(zip(L.TRACE_NAMES, L.TRACE_UNITS, strict=True)):
            if name in traces:
                ds[name] = (("condition", "time"), rec[:, :, j], {"units": unit})
    ds.attrs["protocol"] = protocol.label
    ds.attrs["duration_ms"] = protocol.duration_ms
    ds.attrs["dt_ms"] = dt_ms
    return stamp(ds, model="ketasim.spinal WDR circuit (after aguiar2010)",
                 citations=citations, params=inputs, seed=seed)
