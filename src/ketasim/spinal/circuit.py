"""Public entry point of the spinal layer: `simulate` a batch of conditions on one protocol.

A condition is a parameter set (`SpinalParams`) plus drug levels at the receptors (free
concentrations, umol/L, constant or time courses). The whole batch runs in one compiled call
(`ketasim.spinal.engine.run_batch`), and the result is a labelled `xarray.Dataset`:

* ``spike_times`` (condition, spike) WDR spike times in ms (NaN padded), ``n_spikes``;
* per stimulus (condition, stimulus): ``a_response`` (0-100 ms after the shock),
  ``c_response`` (100-400 ms), ``after_discharge`` (400-1000 ms, cut at the next shock) and
  ``response`` = C response + after-discharge (windows of cuellar2005; herrero2000);
* ``windup_ratio`` (condition): response to the last / first stimulus;
* traces (condition, time) when ``record=True``: ``v``, ``i_nmda``, ``i_cal``, ``ca_i``,
  ``i_can``, ``i_ampa``, ``i_inh``, ``v_int``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError, NumericalError
from ketasim.core.provenance import stamp
from ketasim.spinal import engine as E
from ketasim.spinal import sources as S
from ketasim.spinal._rx import NMDAParams, nmda_equilibrium, nmda_params_array, nmda_step_ws
from ketasim.spinal._rx import nmda_workspace as _ws
from ketasim.spinal.afferents import Protocol
from ketasim.spinal.params import DEFAULT, SpinalParams

DRUGS = ("ketamine_uM", "norketamine_uM", "propofol_uM", "thiopental_uM", "morphine_uM",
         "fentanyl_uM", "remifentanil_uM", "mu_occupancy")
MOD_DT_MS = 10.0  # drug inputs are piecewise constant on this grid


@dataclass(frozen=True)
class Condition:
    """One simulated condition: parameters plus drug levels at the receptor.

    Drug levels are free concentrations in umol/L, each a constant or a ``(times_ms, values)``
    pair interpolated linearly (e.g. from the PK layer). Opioids act through the receptor
    layer's mu-opioid activation (`ketasim.receptors.opioid.opioid_effects_nb`, ketamine's own
    weak mu competition included); ``mu_occupancy`` adds a directly imposed mu activation
    (0..1; the sum is capped at 1). Activation r scales C-fibre release by
    ``1 - mu_presyn_max r`` and opens ``g_girk_max r`` of GIRK conductance on the WDR soma.

    Examples
    --------
    >>> Condition(ketamine_uM=1.0, label="ket 1 uM").ketamine_uM
    1.0
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


@lru_cache(maxsize=16)
def nmda_peak_open_fraction(dt_ms: float, glu_um: float, pulse_ms: float,
                            v_mv: float = -65.0) -> float:
    """Peak conducting fraction after one glutamate pulse without Mg2+ (receptor-layer model).

    Used to express lumped NMDA weights as peak conductances (nS), like the AMPA weights.
    """
    p = nmda_params_array(NMDAParams())
    x = nmda_equilibrium(v_mv, 0.0, 0.0, 0.0, 0.0, p)
    ws = _ws()
    n_on = max(1, int(round(pulse_ms / dt_ms)))
    best = 0.0
    for k in range(int(200.0 / dt_ms)):
        nmda_step_ws(x, dt_ms, v_mv, glu_um if k < n_on else 0.0, 0.0, 0.0, 0.0, p, ws)
        best = max(best, x[3])
    return best


def _dexp_norm_py(tau_rise: float, tau_decay: float) -> float:
    """Peak-normalising factor of a dual exponential (the engine's, for cross-checks)."""
    return float(E._dexp_norm(tau_rise, tau_decay))


def weight_matrix(p: SpinalParams, dt_ms: float) -> np.ndarray:
    """Lumped conductances (nS) of every pathway (rows: channels, columns: synapse types)."""
    w = np.zeros((E.N_CH, E.N_SYN))
    po = nmda_peak_open_fraction(dt_ms, p.glu_pulse_um, p.glu_pulse_ms)
    w[E.CH_AB, E.S_W_AMPA] = p.w_ab_ampa
    w[E.CH_AD, E.S_W_AMPA] = p.w_ad_ampa
    w[E.CH_AD, E.S_W_NMDA] = p.w_ad_nmda / po
    w[E.CH_C, E.S_I_AMPA] = p.w_c_int_ampa
    w[E.CH_C, E.S_I_NMDA] = p.w_c_int_nmda / po
    w[E.CH_C, E.S_I_NK1] = p.w_c_int_nk1
    w[E.CH_C, E.S_W_NK1] = p.w_c_wdr_nk1
    w[E.CH_BGE, E.S_W_AMPA] = p.w_bg_ampa
    w[E.CH_BGI, E.S_W_GABA] = p.w_bg_gaba
    w[E.CH_FFI, E.S_W_GABA] = p.w_aff_ffi_gaba
    w[E.CH_FFI, E.S_W_GLY] = p.w_aff_ffi_gly
    w[E.CH_INT, E.S_W_AMPA] = p.w_int_wdr_ampa
    w[E.CH_INT, E.S_W_NMDA] = p.w_int_wdr_nmda / po
    w[E.CH_INT_FFI, E.S_W_GABA] = p.w_int_ffi_gaba
    w[E.CH_INT_FFI, E.S_W_GLY] = p.w_int_ffi_gly
    if np.any(w < 0):
        raise InputError("SpinalParams weights", float(w.min()), "conductances >= 0 nS")
    return w


def gaba_modulation(propofol_uM, thiopental_uM, ketamine_uM):
    """GABA-A decay multiplier, gain and tonic conductance, and glycine gain per time row.

    The WDR's GABA-A synapse is a dual exponential whose decay is scaled by the receptor
    layer's deactivation multiplier (`ketasim.receptors.gabaa.gabaa_decay_multiplier`:
    propofol 1 uM -> 1.28, 10 uM -> 1.69, Bai 1999 / Takazawa 2009); glycine receptors are not
    modulated (receptor layer: propofol none up to 50 uM, Wang 2004).
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
                                                ketamine_uM=key[2])
        tau[i] = cache[key]
    return tau, np.ones_like(tau), np.zeros_like(tau), np.ones_like(tau)


def _course(value, name, n_rows):
    t = np.arange(n_rows) * MOD_DT_MS
    if isinstance(value, tuple | list) and len(value) == 2 and np.ndim(value[0]) == 1:
        ts = np.asarray(value[0], float)
        vs = np.asarray(value[1], float)
        if ts.shape != vs.shape or ts.size == 0 or np.any(np.diff(ts) < 0):
            raise InputError(name, "time course", "(times_ms, values) of equal length, sorted")
        out = np.interp(t, ts, vs)
    else:
        try:
            out = np.full(n_rows, float(value))
        except (TypeError, ValueError):
            raise InputError(name, value, "a number or a (times_ms, values) pair") from None
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise InputError(name, value, "finite, non-negative values")
    if name == "mu_occupancy" and np.any(out > 1):
        raise InputError(name, value, "an occupancy fraction in [0, 1]")
    return out


def _mu_activation(mor, fen, rem, ket):
    """Receptor-layer mu-opioid activation r per time row (cached over repeated rows)."""
    from ketasim.receptors.opioid import opioid_effects_nb, opioid_params_array
    q = opioid_params_array()
    out = np.empty(mor.shape)
    cache = {}
    for i, key in enumerate(zip(mor, fen, rem, ket, strict=True)):
        if key not in cache:
            cache[key] = opioid_effects_nb(key[0], key[1], key[2], key[3], q)[1]
        out[i] = cache[key]
    return out


def _mod_array(conds, duration_ms):
    n_rows = int(math.ceil(duration_ms / MOD_DT_MS)) + 1
    mod = np.zeros((len(conds), n_rows, E.N_MOD))
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
            mu = np.minimum(1.0, mu + _mu_activation(mor, fen, rem, ket))
        tau, gg, tonic, gly = gaba_modulation(pro, thio, ket)
        mod[i, :, E.M_MG] = c.params.mg_mm
        mod[i, :, E.M_KET] = ket
        mod[i, :, E.M_NK] = nk
        mod[i, :, E.M_GABA_TAU] = tau
        mod[i, :, E.M_GABA_G] = gg
        mod[i, :, E.M_GABA_TONIC] = tonic
        mod[i, :, E.M_GLY_G] = gly
        mod[i, :, E.M_MU] = mu
    return mod


def simulate(protocol: Protocol, conditions=None, *, dt_ms: float = 0.025,
             record: bool = False, record_dt_ms: float = 0.5, seed: int = 0,
             common_inputs: bool = True, max_spikes: int = 4000, nmda_dt_ms: float = 0.1,
             exact_gates: bool = False, nmda_expeuler: bool = False) -> xr.Dataset:
    """Simulate the afferent -> interneuron -> WDR circuit for a batch of conditions.

    Parameters
    ----------
    protocol : Protocol
        Stimuli (`ketasim.spinal.afferents.train`, `shock`, ...).
    conditions : Condition or sequence of Condition, optional
        The batch (default: one drug-free control).
    dt_ms : float
        Fixed time step (ms).
    record : bool
        Also return traces (condition, time) every ``record_dt_ms``.
    seed : int
        Seed of the afferent jitter and Poisson trains (numpy SeedSequence).
    common_inputs : bool
        Give every condition the same afferent realisation (paired comparison); otherwise each
        condition gets its own child seed.
    nmda_dt_ms : float
        Step of the receptor layer's NMDA kernel (a multiple of ``dt_ms``, at most 0.1 ms).
    exact_gates : bool
        Evaluate gate rates in closed form every step instead of the 0.01 mV lookup table
        (used by the Brian2 cross-check).
    nmda_expeuler : bool
        Advance the receptor layer's NMDA rate matrix by exponential Euler per state (Brian2's
        scheme; cross-check only) instead of the receptor kernel's backward Euler.

    Returns
    -------
    xarray.Dataset
        See the module docstring for the layout.

    Examples
    --------
    >>> from ketasim.spinal import simulate, train, Condition
    >>> ds = simulate(train(n=3, freq_hz=1.0), [Condition(), Condition(ketamine_uM=10.0)])
    >>> ds.response.dims
    ('condition', 'stimulus')
    """
    if conditions is None:
        conditions = [Condition()]
    if isinstance(conditions, Condition):
        conditions = [conditions]
    conds = list(conditions)
    if not conds or not all(isinstance(c, Condition) for c in conds):
        raise InputError("conditions", type(conditions).__name__,
                         "a Condition or a non-empty sequence of Condition")
    if not (0.001 <= dt_ms <= 0.1):
        raise InputError("dt_ms", dt_ms, "a step in [0.001, 0.1] ms")
    if record and not (dt_ms <= record_dt_ms <= 100.0):
        raise InputError("record_dt_ms", record_dt_ms, f"a value in [{dt_ms}, 100] ms")
    n_sub = int(round(nmda_dt_ms / dt_ms))
    if n_sub < 1 or abs(n_sub * dt_ms - nmda_dt_ms) > 1e-9 or nmda_dt_ms > 0.1 + 1e-12:
        raise InputError("nmda_dt_ms", nmda_dt_ms, f"a multiple of dt_ms = {dt_ms} up to 0.1 ms")
    n_cond = len(conds)
    n_steps = int(round(protocol.duration_ms / dt_ms))
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
    W = np.stack([weight_matrix(c.params, dt_ms) for c in conds])
    mod = _mod_array(conds, protocol.duration_ms)
    mod_every = max(1, int(round(MOD_DT_MS / dt_ms)))
    rec_every = max(1, int(round(record_dt_ms / dt_ms))) if record else 1
    n_rec = (n_steps + rec_every - 1) // rec_every if record else 0
    rec = np.zeros((n_cond, n_rec, E.N_REC))
    spk_t = np.full((n_cond, max_spikes), np.nan)
    spk_n = np.zeros(n_cond, np.int64)
    ispk_t = np.full((n_cond, max_spikes), np.nan)
    ispk_n = np.zeros(n_cond, np.int64)
    nmda_p = nmda_params_array(NMDAParams())
    E.run_batch(P, W, ptr, ev_step, ev_ch, ev_w, mod, mod_every, n_steps, dt_ms, rec_every,
                rec, spk_t, spk_n, ispk_t, ispk_n, nmda_p, exact_gates, n_sub, nmda_expeuler)
    if np.any(spk_n > max_spikes):
        raise InputError("max_spikes", max_spikes,
                         f"at least {int(spk_n.max())} (spikes were dropped)")
    if record and not np.all(np.isfinite(rec)):
        raise NumericalError("non-finite state in the spinal engine; reduce dt_ms")
    return _to_dataset(protocol, conds, spk_t, spk_n, ispk_n, rec, rec_every * dt_ms, dt_ms,
                       seed)


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


def _to_dataset(protocol, conds, spk_t, spk_n, ispk_n, rec, rec_dt, dt_ms, seed):
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
              "label": ("condition", labels), "stim_time": ("stimulus", st)}
    for d in DRUGS:
        vals = [getattr(c_, d) for c_ in conds]
        if all(isinstance(v, int | float) for v in vals):
            coords[d] = ("condition", np.asarray(vals, float))
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
    if rec.shape[1] > 0:
        t = np.arange(rec.shape[1]) * rec_dt
        ds = ds.assign_coords(time=("time", t, {"units": "ms"}))
        for j, (name, unit) in enumerate(zip(E.TRACE_NAMES, E.TRACE_UNITS, strict=True)):
            ds[name] = (("condition", "time"), rec[:, :, j], {"units": unit})
    ds.attrs["protocol"] = protocol.label
    ds.attrs["duration_ms"] = protocol.duration_ms
    ds.attrs["dt_ms"] = dt_ms
    return stamp(ds, model="ketasim.spinal WDR circuit (after aguiar2010)",
                 citations=[S.AGUIAR2010, S.TRAUB1991, S.MCCORMICK1992, S.DESTEXHE1994,
                            S.DESTEXHE1993, S.PRESCOTT2005, S.BURNASHEV1995, S.CUELLAR2005,
                            S.HERRERO2000],
                 params={"protocol": protocol.label, "n_conditions": n_cond,
                         "stim_times_ms": list(st), "dt_ms": dt_ms}, seed=seed)
