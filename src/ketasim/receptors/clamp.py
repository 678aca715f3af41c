"""Virtual voltage-clamp and concentration-jump bench (protocols, segments, the clamp).

A protocol is a sequence of piecewise-constant `Segment` s ``(duration_ms, voltage_mV,
glutamate_uM, mg_mM, ketamine_uM, norketamine_uM)``. Within a segment the kinetic equations
are linear with constant coefficients, so the NMDA scheme is propagated exactly with the
generic kernels of `ketasim.receptors.kinetics` (the propagator ``expm(Q dt)`` over one
sample, or, for long segments, the spectral solution of the symmetrised generator): the
solution is exact at every sample, stable for any stiffness, and batched over conditions
in one compiled call (serial: a ``prange`` version compiled 3x slower and gained nothing on
a shared 2-core machine). Propagators are cached per condition, so pulse trains that
alternate between two input sets cost two matrix exponentials, not one per pulse.

A model part with ketamine's allosteric site (``NMDAParams.allo_gating_factor`` > 1) runs as
a pair of populations (site empty / occupied, `ketasim.receptors.populations`) integrated
exactly with their joint 40-state generator; without the site nothing changes.

Public functions: `Segment`, `clamp_nmda` (batch of protocols -> Dataset over
``condition`` x ``time``), `nmda_dose_response` (peak / steady current and block per
ketamine concentration, what ``ketasim clamp nmda`` prints), `pulse_train`,
`ic50_from_curve` and `gabaa_pulse_response` (GABA-A or glycine concentration jump under
propofol / thiopental / pentobarbital / ketamine, what ``ketasim clamp gabaa`` prints).
Every input accepts a number in the documented unit or a quantity (``"-60 mV"``,
``"0.3 uM"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from numba import njit

from ketasim.core.errors import InputError, UnknownNameError
from ketasim.core.provenance import stamp
from ketasim.core.record import Record
from ketasim.core.units import as_float as to_float
from ketasim.core.units import as_floats as to_floats
from ketasim.core.validation import (
    NONNEG,
    POSITIVE,
    Instance,
    Interval,
    NoneOK,
    Options,
    check,
    check_fields,
    check_finite,
    check_work,
)
from ketasim.core.validation import VOLTAGE_MV as VOLTAGE
from ketasim.receptors import gabaa as G
from ketasim.receptors import kinetics as K
from ketasim.receptors import nmda as N
from ketasim.receptors import populations as POP
from ketasim.receptors import subunits as SU

_FIELDS = ("duration_ms", "voltage_mV", "glutamate_uM", "mg_mM", "ketamine_uM",
           "norketamine_uM")
_UNITS = ("ms", "mV", "uM", "mM", "uM", "uM")
_LIMITS = (NONNEG, VOLTAGE, NONNEG, NONNEG, NONNEG, NONNEG)
#: default cap on conditions x time samples of one clamp call (each costs ~50 bytes)
MAX_POINTS = 20_000_000
_MAX_HOW = "pass max_points=... to go past it"


@dataclass(frozen=True)
class Segment:
    """One piecewise-constant stretch of a clamp protocol.

    Fields are numbers in the unit of their suffix or quantities (``"-60 mV"``, ``"1 mM"``);
    they are stored as floats. Durations and concentrations are >= 0, voltages within
    +-200 mV.

    Examples
    --------
    >>> Segment(100.0, -60.0, glutamate_uM=1000.0).glutamate_uM
    1000.0
    >>> Segment("0.1 s", "-60 mV", glutamate_uM="1 mM").duration_ms
    100.0
    """

    duration_ms: float
    voltage_mV: float
    glutamate_uM: float = 0.0
    mg_mM: float = 0.0
    ketamine_uM: float = 0.0
    norketamine_uM: float = 0.0

    def __post_init__(self):
        for f, unit, lim in zip(_FIELDS, _UNITS, _LIMITS, strict=True):
            object.__setattr__(self, f, to_float(getattr(self, f), f"Segment.{f}", unit, lim))
        check_fields(self, dict(zip(_FIELDS, _LIMITS, strict=True)), prefix="Segment.")

    def row(self) -> tuple:
        """The fields as a tuple of floats, in `Segment` order."""
        return tuple(getattr(self, f) for f in _FIELDS)


@njit(cache=True, inline="always")
def _cached_slot(cache_key, key):
    """Slot of the two-entry propagator cache that holds ``key`` (-1: none)."""
    for s in range(cache_key.shape[0]):
        same = True
        for f in range(key.shape[0]):
            if cache_key[s, f] != key[f]:
                same = False
                break
        if same:
            return s
    return -1


@njit(cache=True)
def _run_condition(c, segs, nsteps, dt, x0s, p, record_states, rec, states, out_row):
    """Integrate condition ``c`` of the batch with parameter vector ``p``, writing
    rec[:, c, :] (and states[c])."""
    n = N.NMDA_N_STATES
    ns = segs.shape[1]
    x = x0s[c].copy()
    y = np.empty(n)
    Q = np.zeros((N.NMDA_N_STATES, N.NMDA_N_STATES))
    cache_key = np.full((2, 5), np.nan)
    cache_P = np.zeros((2, N.NMDA_N_STATES, N.NMDA_N_STATES))
    nxt = 0
    t = 0
    m, kk, q = N.nmda_blocked_fractions(x)
    rec[0, c, 0] = x[N.OPEN]
    rec[1, c, 0] = m
    rec[2, c, 0] = kk
    rec[3, c, 0] = q
    if record_states:
        states[c, 0, :] = x
    for k in range(ns):
        if nsteps[c, k] == 0:
            continue
        key = segs[c, k, 1:]
        if nsteps[c, k] >= 200 and not record_states:
            N.nmda_fill_rate_matrix(Q, key[0], key[1], key[2], key[3], key[4], p)
            xeq = N.nmda_equilibrium(key[0], key[1], key[2], key[3], key[4], p)
            if K.spectral_segment(x, Q, xeq, nsteps[c, k], dt, out_row, rec[:, c, :], t):
                t += nsteps[c, k]
                continue
        slot = _cached_slot(cache_key, key)
        if slot < 0:
            slot = nxt
            nxt = 1 - nxt
            N.nmda_fill_rate_matrix(Q, key[0], key[1], key[2], key[3], key[4], p)
            cache_P[slot] = K.expm(Q * dt)
            for f in range(5):
                cache_key[slot, f] = key[f]
        P = cache_P[slot]
        for _ in range(nsteps[c, k]):
            K.propagate_sample(P, x, y)
            t += 1
            rec[0, c, t] = x[N.OPEN]
            rec[1, c, t] = x[5] + x[6] + x[7] + x[8] + x[9]
            rec[2, c, t] = x[10] + x[11] + x[12] + x[13] + x[14]
            rec[3, c, t] = x[15] + x[16] + x[17] + x[18] + x[19]
            if record_states:
                states[c, t, :] = x


@njit(cache=True)
def _output_rows():
    """Output row of each NMDA state: 0 the conducting state, 1/2/3 the Mg2+/ketamine/
    norketamine arms, -1 the rest."""
    out = np.full(N.NMDA_N_STATES, -1, np.int64)
    out[N.OPEN] = 0
    for i in range(5, N.NMDA_N_STATES):
        out[i] = i // 5
    return out


@njit(cache=True)
def _alloc(segs, nsteps, record_states):
    nc = segs.shape[0]
    nt = 0
    for k in range(segs.shape[1]):
        nt += nsteps[0, k]
    rec = np.zeros((4, nc, nt + 1))
    if record_states:
        states = np.zeros((nc, nt + 1, N.NMDA_N_STATES))
    else:
        states = np.zeros((1, 1, 1))
    return rec, states


@njit(cache=True)
def _clamp_kernel(segs, nsteps, dt, x0s, ps, record_states):
    """segs (n_cond, n_seg, 6); nsteps (n_cond, n_seg) samples per segment; x0s (n_cond, 20);
    ps (n_cond, NMDA_N_PARAMS) the parameter vector of each condition.

    Returns rec (4, n_cond, n_t + 1): open, Mg-, K-, NK-bound fractions; and states
    (n_cond, n_t + 1, 20) if record_states else an empty array.
    """
    rec, states = _alloc(segs, nsteps, record_states)
    out_row = _output_rows()
    for c in range(segs.shape[0]):
        _run_condition(c, segs, nsteps, dt, x0s, ps[c], record_states, rec, states, out_row)
    return rec, states


@njit(cache=True)
def _pair_output_rows():
    """Output row of each state of a pair's 40-state chain: rows 0-3 (conducting, Mg2+-,
    ketamine-, norketamine-bound) of the site-empty member, rows 4-7 the same of the
    site-occupied member, row 8 the occupied member's remaining states, -1 the rest."""
    n = N.NMDA_N_STATES
    out = np.full(2 * n, -1, np.int64)
    base = _output_rows()
    for s in range(n):
        out[s] = base[s]
        out[n + s] = 8 if base[s] < 0 else 4 + base[s]
    return out


@njit(cache=True)
def _run_pair_condition(c, segs, nsteps, dt, x0s, pe, po, kon, koff, record_states, rec,
                        states, out_row):
    """Integrate condition ``c`` for one site pair: the joint 40-state generator (two
    20-state chains + the per-state site exchange at the segment's ketamine), exact at every
    sample (propagator, or the spectral solution on long segments). rec[:, c, :] gets the 9
    rows of `_pair_output_rows`."""
    n2 = 2 * N.NMDA_N_STATES
    ns = segs.shape[1]
    x = x0s[c].copy()
    y = np.empty(n2)
    Q = np.zeros((n2, n2))
    scratch = np.zeros((N.NMDA_N_STATES, N.NMDA_N_STATES))
    cache_key = np.full((2, 5), np.nan)
    cache_P = np.zeros((2, n2, n2))
    nxt = 0
    t = 0
    nout = rec.shape[0]
    for r in range(nout):
        rec[r, c, 0] = 0.0
    for i in range(n2):
        if out_row[i] >= 0:
            rec[out_row[i], c, 0] += x[i]
    if record_states:
        states[c, 0, :] = x
    for k in range(ns):
        if nsteps[c, k] == 0:
            continue
        key = segs[c, k, 1:]
        if nsteps[c, k] >= 200 and not record_states:
            POP.pair_fill_rate_matrix(Q, key[0], key[1], key[2], key[3], key[4], pe, po, kon,
                                    koff, scratch)
            xeq = POP.pair_equilibrium_states(key[0], key[1], key[2], key[3], key[4], pe, kon,
                                            koff)
            if K.spectral_segment(x, Q, xeq, nsteps[c, k], dt, out_row, rec[:, c, :], t):
                t += nsteps[c, k]
                continue
        slot = _cached_slot(cache_key, key)
        if slot < 0:
            slot = nxt
            nxt = 1 - nxt
            POP.pair_fill_rate_matrix(Q, key[0], key[1], key[2], key[3], key[4], pe, po, kon,
                                    koff, scratch)
            cache_P[slot] = K.expm(Q * dt)
            for f in range(5):
                cache_key[slot, f] = key[f]
        Pm = cache_P[slot]
        for _ in range(nsteps[c, k]):
            K.propagate_sample(Pm, x, y)
            t += 1
            for r in range(nout):
                rec[r, c, t] = 0.0
            for i in range(n2):
                if out_row[i] >= 0:
                    rec[out_row[i], c, t] += x[i]
            if record_states:
                states[c, t, :] = x


@njit(cache=True)
def _clamp_pair_kernel(segs, nsteps, dt, x0s, pe, po, kon, koff, record_states):
    """One site pair over a batch of conditions: rec (9, n_cond, n_t + 1) (rows of
    `_pair_output_rows`) and, if record_states, states (n_cond, n_t + 1, 40)."""
    nc = segs.shape[0]
    nt = 0
    for k in range(segs.shape[1]):
        nt += nsteps[0, k]
    rec = np.zeros((9, nc, nt + 1))
    if record_states:
        states = np.zeros((nc, nt + 1, 2 * N.NMDA_N_STATES))
    else:
        states = np.zeros((1, 1, 1))
    out_row = _pair_output_rows()
    for c in range(nc):
        _run_pair_condition(c, segs, nsteps, dt, x0s, pe, po, kon, koff, record_states, rec,
                            states, out_row)
    return rec, states


def _run_with_site(segs, nsteps, dt_ms, start, pops, mix, record_states):
    """The site path of `clamp_nmda`: every part of ``mix`` over the batch (a part with the
    site as its exact 40-state pair). Returns rec_x (4, n_cond * n_part, n_t + 1) in the
    row order of the site-free path, states_x (or a placeholder) and the site-occupied
    fraction allo_x (n_cond * n_part, n_t + 1), all per part (unweighted)."""
    nc, npart = segs.shape[0], len(mix.parts)
    nt = int(nsteps[0].sum())
    rec_x = np.zeros((4, nc, npart, nt + 1))
    allo_x = np.zeros((nc, npart, nt + 1))
    states_x = (np.zeros((nc, npart, nt + 1, N.NMDA_N_STATES)) if record_states
                else np.zeros((1, 1, 1)))
    k = 0
    for j in range(npart):
        if pops.partner[k] < 0:
            ps = np.tile(pops.params[k], (nc, 1))
            x0s = _initial_states(segs, start == "rest", ps)
            rec, states = _clamp_kernel(segs, nsteps, float(dt_ms), x0s, ps, record_states)
            rec_x[:, :, j] = rec
            if record_states:
                states_x[:, j] = states
            k += 1
            continue
        pe, po = pops.params[k], pops.params[k + 1]
        kon, koff = pops.kon_pos[k], pops.koff_pos[k]
        x0s = np.array([POP.pair_equilibrium_states(
            segs[i, 0, 1], 0.0, segs[i, 0, 3], 0.0 if start == "rest" else segs[i, 0, 4],
            0.0 if start == "rest" else segs[i, 0, 5], pe, kon, koff) for i in range(nc)])
        rec, states = _clamp_pair_kernel(segs, nsteps, float(dt_ms), x0s, pe, po, kon, koff,
                                          record_states)
        rec_x[:, :, j] = rec[0:4] + rec[4:8]
        allo_x[:, j] = rec[4:9].sum(axis=0)
        if record_states:
            states_x[:, j] = states[..., :N.NMDA_N_STATES] + states[..., N.NMDA_N_STATES:]
        k += 2
    rec_x = rec_x.reshape(4, nc * npart, nt + 1)
    allo_x = allo_x.reshape(nc * npart, nt + 1)
    if record_states:
        states_x = states_x.reshape(nc * npart, nt + 1, N.NMDA_N_STATES)
    return rec_x, states_x, allo_x


@njit(cache=True)
def _initial_states(segs, drug_free, ps):
    x0s = np.empty((segs.shape[0], N.NMDA_N_STATES))
    for i in range(segs.shape[0]):
        v, mg = segs[i, 0, 1], segs[i, 0, 3]
        ket = 0.0 if drug_free else segs[i, 0, 4]
        nk = 0.0 if drug_free else segs[i, 0, 5]
        x0s[i] = N.nmda_equilibrium(v, 0.0, mg, ket, nk, ps[i])
    return x0s


def _as_segment(seg, where: str) -> Segment:
    if isinstance(seg, Segment):
        return seg
    if isinstance(seg, str) or not isinstance(seg, Sequence | np.ndarray) or len(seg) != 6:
        raise InputError(where, seg, f"a Segment or a 6-tuple {_FIELDS}")
    return Segment(*seg)


def _normalise(protocols) -> list[list[Segment]]:
    """Protocols as lists of validated `Segment` (tuples converted), non-empty."""
    if isinstance(protocols, str | Segment) or not isinstance(protocols, Sequence):
        raise InputError("protocols", protocols, "a sequence of protocols, each a sequence "
                         "of Segment")
    if len(protocols) == 0:
        raise InputError("protocols", protocols, "at least one protocol")
    out = []
    for i, pr in enumerate(protocols):
        if isinstance(pr, str | Segment) or not isinstance(pr, Sequence) or len(pr) == 0:
            raise InputError(f"protocols[{i}]", pr, "a non-empty sequence of Segment")
        out.append([_as_segment(s, f"protocols[{i}][{j}]") for j, s in enumerate(pr)])
    return out


def _record_states(record) -> bool:
    check("record", record, Instance(Record), NoneOK())
    if record is None:
        return False
    if record.every is not None:
        raise InputError("record.every", record.every, "None (the clamp samples every dt_ms; "
                         "set dt_ms instead)")
    return "occupancy" in record.names(("occupancy",))


def clamp_nmda(protocols: Sequence[Sequence[Segment]], *, dt_ms: float = 1.0,
               start: str = "rest", gmax_nS: float = 1.0, record: Record | None = None,
               params: N.NMDAParams | SU.NMDAMixture | str | None = None,
               labels: dict | None = None, max_points: float = MAX_POINTS) -> xr.Dataset:
    """Run a batch of NMDA voltage-clamp protocols (one per condition), exactly sampled.

    Parameters
    ----------
    protocols : one sequence of `Segment` (or 6-tuples in `Segment` order) per condition;
        all must have the same total duration and every segment duration must be a multiple
        of ``dt_ms``.
    dt_ms : sampling interval, ms or a quantity (the solution is exact at every sample).
    start : ``"rest"``: drug-free equilibrium at the first segment's V and Mg2+ with no
        agonist (the drug arrives with the protocol); ``"equilibrium"``: full equilibrium with
        the first segment's drugs and no agonist (pre-incubated, incl. trapped drug).
    gmax_nS : maximal conductance (> 0) for the current (pA = nS x mV).
    record : ``Record(variables=("occupancy",))`` also keeps the occupancy of every kinetic
        state (``occupancy`` over condition x time x state); None keeps the summaries only.
    params : the NMDA model: `NMDAParams` (None for the defaults), a subunit name ("2A",
        "2B", "2C", "2D"), a composition name (`ketasim.receptors.subunits.COMPOSITIONS`),
        weights such as ``"2B=0.5,2D=0.5"`` or an `NMDAMixture`. A mixture's populations run
        in the same batch; its current, open and bound fractions are their conductance-
        weighted sums, and ``open_by_subunit`` (condition x subunit x time) keeps each
        population's own conducting fraction (occupancies, if recorded, are weighted sums).
        Parts with the allosteric site (``allo_gating_factor`` > 1) run as exact 40-state
        pairs (site empty / occupied; occupancies are summed over the pair), starting
        ``"rest"`` with the site empty, ``"equilibrium"`` at the pair's joint equilibrium.
    labels : extra 1-D coordinates along ``condition`` (name -> values).
    max_points : cap on conditions x time samples (x 21 with occupancies); raise it to run
        bigger batches.

    Returns
    -------
    Dataset over (condition, time [ms]): ``i_nmda`` (pA), ``open`` (conducting fraction),
    ``mg_bound``, ``ketamine_bound``, ``norketamine_bound``, ``allo_bound`` (allosteric
    site occupied; 0 without the site), ``voltage`` (mV), the
    normalised protocol ``segments`` (condition x segment x input; shorter protocols padded
    with zero-length segments), and, if recorded, ``occupancy``.

    Examples
    --------
    >>> ds = clamp_nmda([[Segment(50.0, -60.0, glutamate_uM=1000.0)]], dt_ms=1.0)
    >>> ds.i_nmda.sizes["time"], ds.time.attrs["units"]
    (51, 'ms')
    """
    dt_ms = to_float(dt_ms, "dt_ms", "ms", POSITIVE)
    gmax_nS = to_float(gmax_nS, "gmax_nS", "nS", POSITIVE)
    check("start", start, Options(("rest", "equilibrium")))
    mix = SU.as_mixture(params)
    check("max_points", max_points, Interval(1, None))
    record_states = _record_states(record)
    prots = _normalise(protocols)
    rows = [np.array([s.row() for s in pr], float) for pr in prots]
    nseg = max(len(r) for r in rows)
    segs = np.zeros((len(rows), nseg, 6))
    for i, r in enumerate(rows):
        segs[i, :len(r)] = r
        segs[i, len(r):, 1:] = r[-1, 1:]
    steps = segs[..., 0] / dt_ms
    per_point = 1 + N.NMDA_N_STATES if record_states else 1
    npart = len(mix.parts)
    check_work("time points (conditions x subunit sets x samples)",
               len(rows) * npart * (float(steps.sum(axis=1).max()) + 1) * per_point,
               max_points, _MAX_HOW)
    nsteps = np.rint(steps).astype(np.int64)
    if np.any(np.abs(steps - nsteps) > 1e-6):
        bad = segs[..., 0][np.abs(steps - nsteps) > 1e-6][0]
        raise InputError("Segment.duration_ms", float(bad), f"a multiple of dt_ms={dt_ms:g}")
    tot = nsteps.sum(axis=1)
    if np.any(tot != tot[0]):
        raise InputError("protocols", (tot * dt_ms).tolist(),
                         "protocols of equal total duration (ms)")
    if tot[0] == 0:
        raise InputError("protocols", 0.0, "a total duration > 0 ms")
    if labels is not None:
        check("labels", labels, Instance(dict))
        for k, v in labels.items():
            if np.shape(v) != (len(rows),):
                raise InputError(f"labels[{k!r}]", v, f"one value per condition ({len(rows)})")
    # one batch row per (condition, subunit set): row c * npart + j
    pv = np.array([N.nmda_params_array(q) for q in mix.params])
    ps = np.tile(pv, (len(rows), 1))
    segs_x = np.repeat(segs, npart, axis=0)
    nsteps_x = np.repeat(nsteps, npart, axis=0)
    site = POP.has_site(mix)
    if site:  # parts with the allosteric site run as exact 40-state pairs
        rec_x, states_x, allo_x = _run_with_site(segs, nsteps, dt_ms, start,
                                                 POP.nmda_populations(mix), mix, record_states)
    else:
        x0s = _initial_states(segs_x, start == "rest", ps)
        rec_x, states_x = _clamp_kernel(segs_x, nsteps_x, float(dt_ms), x0s, ps,
                                        record_states)
        allo_x = np.zeros(rec_x.shape[1:])
    w = np.array(mix.weights)
    if npart == 1:
        rec, states, allo = rec_x, states_x, allo_x
    else:
        rec_p = rec_x.reshape(4, len(rows), npart, -1)
        rec = np.einsum("kcjt,j->kct", rec_p, w)
        allo = np.einsum("cjt,j->ct", allo_x.reshape(len(rows), npart, -1), w)
        if record_states:
            states = np.einsum("cjts,j->cts",
                               states_x.reshape(len(rows), npart, *states_x.shape[1:]), w)
    # voltage trace per condition
    vtr = np.empty(rec.shape[1:])
    vtr[:, 0] = segs[:, 0, 1]
    if np.all(nsteps == nsteps[0]):
        vtr[:, 1:] = np.repeat(segs[:, :, 1], nsteps[0], axis=1)
    else:
        for i in range(len(rows)):
            vtr[i, 1:] = np.repeat(segs[i, :, 1], nsteps[i])
    if npart == 1:
        cur = gmax_nS * rec[0] * (vtr - pv[0, N.P_EREV])
    else:
        cur = gmax_nS * np.einsum("cjt,j->ct", rec_p[0] * (vtr[:, None, :]
                                                        - pv[None, :, N.P_EREV, None]), w)
    check_finite("i_nmda", cur)
    check_finite("bound fractions", rec)
    check_finite("allo_bound", allo)
    t = np.arange(rec.shape[2]) * dt_ms
    coords = {"condition": np.arange(len(rows)), "time": ("time", t, {"units": "ms"}),
              "input": list(_FIELDS)}
    for k, v in (labels or {}).items():
        coords[k] = ("condition", np.asarray(v))
    ct = ("condition", "time")
    ds = xr.Dataset(
        {"i_nmda": (ct, cur, {"units": "pA", "long_name": "NMDA current (inward < 0)"}),
         "open": (ct, rec[0], {"units": "1", "long_name": "conducting fraction"}),
         "mg_bound": (ct, rec[1], {"units": "1"}),
         "ketamine_bound": (ct, rec[2], {"units": "1"}),
         "norketamine_bound": (ct, rec[3], {"units": "1"}),
         "allo_bound": (ct, allo, {"units": "1", "long_name": "fraction with the "
                                   "allosteric ketamine site occupied (0 without the site)"}),
         "voltage": (ct, vtr, {"units": "mV", "long_name": "command voltage"}),
         "segments": (("condition", "segment", "input"), segs,
                      {"long_name": "segments (units: ms, mV, uM, mM, uM, uM)"})},
        coords=coords)
    if not isinstance(params, N.NMDAParams | None):
        ds["open_by_subunit"] = (("condition", "subunit", "time"),
                                 rec_x[0].reshape(len(rows), npart, -1),
                                 {"units": "1", "long_name": "conducting fraction of each "
                                  "population (unweighted)"})
        ds = ds.assign_coords(subunit=list(mix.labels),
                              subunit_weight=("subunit", w, {"units": "1", "long_name":
                                                            "conductance share"}))
    if record_states:
        check_finite("occupancy", states)
        ds["occupancy"] = (("condition", "time", "state"), states,
                           {"units": "1", "long_name": "state occupancy"})
        ds = ds.assign_coords(state=list(N.STATE_NAMES))
    plain = isinstance(params, N.NMDAParams | None)
    model = ("ketasim.receptors.nmda (20-state; allosteric site: exact 40-state pairs, "
             "ketasim.receptors.populations)" if site else "ketasim.receptors.nmda (20-state)")
    return stamp(ds, model=model, citations=mix.citations,
                 params={"protocols": segs.tolist(), "fields": list(_FIELDS),
                         "dt_ms": dt_ms, "start": start, "gmax_nS": gmax_nS,
                         "record": None if record is None else dataclasses.asdict(record),
                         "labels": {k: np.asarray(v).tolist() for k, v in (labels or {}).items()},
                         "nmda": mix.params[0].to_dict() if plain else mix.to_dict()})


def pulse_train(n_pulses: int, frequency_Hz: float, voltage_mV: float, *,
                pulse_ms: float = 1.0, glutamate_uM: float = 1000.0, mg_mM: float = 0.0,
                ketamine_uM: float = 0.0, norketamine_uM: float = 0.0,
                tail_ms: float = 0.0) -> list[Segment]:
    """Synaptic-like glutamate pulses (``pulse_ms`` of ``glutamate_uM``) at ``frequency_Hz``.

    Examples
    --------
    >>> len(pulse_train(3, 10.0, -60.0))
    6
    >>> pulse_train(1, "10 Hz", "-60 mV")[1].duration_ms
    99.0
    """
    check("n_pulses", n_pulses, Interval(1, 1_000_000, integer=True))
    f = to_float(frequency_Hz, "frequency_Hz", "Hz", POSITIVE)
    pulse_ms = to_float(pulse_ms, "pulse_ms", "ms", POSITIVE)
    tail_ms = to_float(tail_ms, "tail_ms", "ms", NONNEG)
    period = 1000.0 / f
    if pulse_ms > period:
        raise InputError("pulse_ms", pulse_ms, f"at most the period 1000/frequency_Hz = "
                         f"{period:g} ms")
    on = Segment(pulse_ms, voltage_mV, glutamate_uM, mg_mM, ketamine_uM, norketamine_uM)
    off = dataclasses.replace(on, duration_ms=period - pulse_ms, glutamate_uM=0.0)
    segs = []
    for _ in range(n_pulses):
        segs.append(on)
        segs.append(off)
    if tail_ms > 0:
        segs.append(dataclasses.replace(off, duration_ms=tail_ms))
    return segs


def nmda_dose_response(ketamine_uM: Sequence[float], *, voltage_mV: float = -66.0,
                       mg_mM: float = 1.0, glutamate_uM: float = 1000.0,
                       duration_ms: float = 10000.0, norketamine_uM: float = 0.0,
                       dt_ms: float = 1.0, gmax_nS: float = 1.0, start: str = "rest",
                       params: N.NMDAParams | SU.NMDAMixture | str | None = None,
                       max_points: float = MAX_POINTS) -> xr.Dataset:
    """Co-apply agonist and each ketamine concentration at a clamped voltage.

    A ketamine-free control runs in the same batch. Blocks are fractions of the control's
    conducting fraction, so ``glutamate_uM`` must be > 0 (without agonist there is nothing
    to block). ``params`` is an `NMDAParams`, a subunit or composition name, weights such as
    ``"2B=0.5,2D=0.5"`` or an `NMDAMixture` (see `clamp_nmda`); a mixture's blocks are those
    of its conductance-weighted current.

    Returns
    -------
    Dataset over ``ketamine_uM``: ``peak`` (current at the largest conducting fraction, pA),
    ``steady`` (current at the end, pA), ``peak_block`` and ``steady_block`` (fraction of
    the ketamine-free conductance lost), ``equilibrium_block`` (closed-form), the control's
    ``control_peak`` / ``control_steady`` and the ``trace`` (ketamine_uM x time).

    Examples
    --------
    >>> ds = nmda_dose_response([0.0, 10.0], mg_mM=0.0, voltage_mV=-60.0, duration_ms=30000.0)
    >>> round(float(ds.steady_block.sel(ketamine_uM=10.0)), 2)   # Mealing 1999: 0.80
    0.96
    >>> d2 = nmda_dose_response([0.3], params="2D", duration_ms=1000.0)
    >>> round(float(d2.equilibrium_block[0]), 2)   # GluN1/2D in 1 mM Mg2+, -66 mV
    0.17
    """
    k = np.concatenate([[0.0], to_floats(ketamine_uM, "ketamine_uM", "uM", NONNEG)])
    v = to_float(voltage_mV, "voltage_mV", "mV", VOLTAGE)
    mg = to_float(mg_mM, "mg_mM", "mM", NONNEG)
    glu = to_float(glutamate_uM, "glutamate_uM", "uM", POSITIVE)
    nk = to_float(norketamine_uM, "norketamine_uM", "uM", NONNEG)
    dur = to_float(duration_ms, "duration_ms", "ms", POSITIVE)
    prots = [[Segment(dur, v, glu, mg, c, nk)] for c in k]
    ds = clamp_nmda(prots, dt_ms=dt_ms, start=start, gmax_nS=gmax_nS, params=params,
                    max_points=max_points)
    cur = ds.i_nmda.values
    opn = ds.open.values
    # peak = largest conducting fraction after onset (so block is defined at V = E_rev too)
    ipk = 1 + np.argmax(opn[:, 1:], axis=1)
    peak = cur[np.arange(len(k)), ipk]
    steady = cur[:, -1]
    o_pk, o_ss = opn[np.arange(len(k)), ipk], opn[:, -1]
    mix = SU.as_mixture(params)
    o0 = equilibrium_open(v, glu, mg, 0.0, nk, mix)
    if not (o_pk[0] > 0 and o_ss[0] > 0 and o0 > 0):
        raise InputError("glutamate_uM", glu, "a concentration that opens channels in the "
                         "control (the block is relative to it)")
    eq = np.array([1 - equilibrium_open(v, glu, mg, c, nk, mix) / o0 for c in k])
    blocks = {"peak_block": 1 - o_pk[1:] / o_pk[0], "steady_block": 1 - o_ss[1:] / o_ss[0],
              "equilibrium_block": eq[1:]}
    for name, val in blocks.items():
        check_finite(name, val)
    dim = "ketamine_uM"
    out = xr.Dataset(
        {"peak": (dim, peak[1:], {"units": "pA"}),
         "steady": (dim, steady[1:], {"units": "pA"}),
         **{name: (dim, val, {"units": "1"}) for name, val in blocks.items()},
         "control_peak": ((), peak[0], {"units": "pA"}),
         "control_steady": ((), steady[0], {"units": "pA"}),
         "trace": ((dim, "time"), cur[1:], {"units": "pA"})},
        coords={dim: (dim, k[1:], {"units": "umol/L"}), "time": ds.time})
    out.attrs.update(ds.attrs)
    out.attrs.update(voltage_mV=v, mg_mM=mg, glutamate_uM=glu, norketamine_uM=nk,
                     duration_ms=dur)
    return out


def equilibrium_open(voltage_mV: float, glutamate_uM: float, mg_mM: float, ketamine_uM: float,
                     norketamine_uM: float, model) -> float:
    """Equilibrium conducting fraction of an NMDA model (plain floats in mV, uM, mM, uM, uM;
    ``model`` as `clamp_nmda`'s ``params``): the conductance-weighted sum over a mixture;
    parts with the allosteric site at the joint equilibrium of their pair
    (`ketasim.receptors.populations.pair_equilibrium`).

    Examples
    --------
    >>> round(equilibrium_open(-60.0, 1000.0, 0.0, 0.0, 0.0, None), 3)
    0.219
    """
    mix = SU.as_mixture(model)
    if POP.has_site(mix):  # joint equilibrium of the site pairs
        return POP.model_open_fraction(voltage_mV, glutamate_uM, mg_mM, ketamine_uM,
                                       norketamine_uM, mix)
    out = 0.0
    for q, w in zip(mix.params, mix.weights, strict=True):
        out += w * N.nmda_equilibrium(voltage_mV, glutamate_uM, mg_mM, ketamine_uM,
                                      norketamine_uM, N.nmda_params_array(q))[N.OPEN]
    return float(out)


def ic50_from_curve(concentration, block) -> float:
    """Log-linear interpolation of the concentration giving 50 % block (nan if not bracketed).

    Examples
    --------
    >>> round(ic50_from_curve([1, 10], [0.25, 0.75]), 3)
    3.162
    """
    conc = np.asarray(concentration, float)
    block = np.asarray(block, float)
    if conc.shape != block.shape or conc.ndim != 1:
        raise InputError("block", block.tolist(), "one value per concentration")
    for i in range(len(conc) - 1):
        if block[i] <= 0.5 <= block[i + 1] and conc[i] > 0:
            f = (0.5 - block[i]) / (block[i + 1] - block[i])
            return float(np.exp(np.log(conc[i]) + f * (np.log(conc[i + 1]) - np.log(conc[i]))))
    return float("nan")


@njit(cache=True)
def _gabaa_pulses(qs, gaba_uM, pulse_ms, total_ms, dt):
    """Open-fraction traces of two-state receptors (one q per row) for one agonist pulse."""
    n = int(round(total_ms / dt))
    out = np.empty((qs.shape[0], n + 1))
    for c in range(qs.shape[0]):
        # start from the drug's tonic (direct-activation) steady state, as after pre-incubation
        o = qs[c, 4] / (qs[c, 4] + qs[c, 3])
        out[c, 0] = o
        for k in range(n):
            g = gaba_uM if k * dt < pulse_ms else 0.0
            o = G.two_state_step(o, dt, g, qs[c])
            out[c, k + 1] = o
    return out


def gabaa_pulse_response(drug: str = "propofol",
                         concentration_uM: Sequence[float] = (0.0, 1.0, 10.0), *,
                         gaba_uM: float = 10000.0, pulse_ms: float = 3.0,
                         total_ms: float = 300.0, voltage_mV: float = -60.0,
                         dt_ms: float = 0.01, gmax_nS: float = 1.0, receptor: str = "gabaa",
                         max_points: float = MAX_POINTS) -> xr.Dataset:
    """Concentration-jump bench for GABA-A (or glycine) receptors under an anaesthetic.

    A ``pulse_ms`` pulse of ``gaba_uM`` agonist at holding potential ``voltage_mV`` for each
    drug concentration (free, uM), receptors pre-equilibrated with the drug. Returns, over
    ``concentration_uM`` (of ``drug``), baseline-subtracted ``current`` (pA) traces, the
    drug's ``tonic`` holding current, and per concentration ``peak``, ``charge`` (pC),
    ``decay_tau`` (ms, 1/closing rate: the deactivation time constant) and their ratios to
    the first (control) concentration. For ``receptor="glycine"`` the drug has no target
    (Wang 2004) and all ratios are 1. At the chloride reversal potential there is no current
    and the peak and charge ratios are undefined: refused.

    Examples
    --------
    >>> ds = gabaa_pulse_response("propofol", [0.0, 10.0])
    >>> round(float(ds.decay_ratio[1]), 2)
    1.69
    """
    if drug not in G.DRUGS:
        raise UnknownNameError("drug", drug, f"one of {list(G.DRUGS)}")
    if receptor not in ("gabaa", "glycine"):
        raise UnknownNameError("receptor", receptor, "'gabaa' or 'glycine'")
    c = to_floats(concentration_uM, "concentration_uM", "uM", NONNEG)
    gaba_uM = to_float(gaba_uM, "gaba_uM", "uM", POSITIVE)
    pulse_ms = to_float(pulse_ms, "pulse_ms", "ms", POSITIVE)
    total_ms = to_float(total_ms, "total_ms", "ms", POSITIVE)
    dt_ms = to_float(dt_ms, "dt_ms", "ms", POSITIVE)
    voltage_mV = to_float(voltage_mV, "voltage_mV", "mV", VOLTAGE)
    gmax_nS = to_float(gmax_nS, "gmax_nS", "nS", POSITIVE)
    check("max_points", max_points, Interval(1, None))
    check_work("time points (concentrations x samples)", len(c) * (total_ms / dt_ms + 1),
               max_points, _MAX_HOW)
    if receptor == "gabaa":
        qs = np.array([G.gabaa_params_array(**{f"{drug}_uM": x}) for x in c])
    else:
        qs = np.array([G.glycine_params_array() for _ in c])
    if voltage_mV == qs[0, 2]:
        raise InputError("voltage_mV", voltage_mV, f"a holding potential other than the "
                         f"chloride reversal potential {qs[0, 2]:g} mV (no current there)")
    o = _gabaa_pulses(qs, gaba_uM, pulse_ms, total_ms, dt_ms)
    # baseline-subtracted, as recorded: the tonic current before the pulse is the zero line
    cur = gmax_nS * (o - o[:, :1]) * (voltage_mV - qs[:, 2:3])
    tonic = gmax_nS * o[:, 0] * (voltage_mV - qs[:, 2])
    t = np.arange(o.shape[1]) * dt_ms
    peak = cur[np.arange(len(c)), np.argmax(np.abs(cur), axis=1)]
    charge = cur.sum(axis=1) * dt_ms / 1000.0  # pA ms -> pC
    tau = 1.0 / qs[:, 3]
    if peak[0] == 0 or charge[0] == 0:
        raise InputError("pulse_ms", pulse_ms, "a pulse long enough to open channels in the "
                         "control (the ratios are relative to it)")
    d = "concentration_uM"
    ds = xr.Dataset(
        {"current": ((d, "time"), cur, {"units": "pA"}),
         "peak": (d, peak, {"units": "pA"}),
         "tonic": (d, tonic, {"units": "pA", "long_name": "holding current before pulse"}),
         "charge": (d, charge, {"units": "pC"}),
         "decay_tau": (d, tau, {"units": "ms"}),
         "peak_ratio": (d, peak / peak[0], {"units": "1"}),
         "charge_ratio": (d, charge / charge[0], {"units": "1"}),
         "decay_ratio": (d, tau / tau[0], {"units": "1"})},
        coords={d: (d, c, {"units": "umol/L", "long_name": f"free {drug}"}),
                "time": ("time", t, {"units": "ms"})})
    for name in ds.data_vars:
        check_finite(name, ds[name].values)
    ds.attrs.update(drug=drug, receptor=receptor, gaba_uM=gaba_uM, pulse_ms=pulse_ms,
                    voltage_mV=voltage_mV)
    spec = G.GABAAParams()
    return stamp(ds, model=f"ketasim.receptors.gabaa ({receptor}, two-state)",
                 citations=spec.citations,
                 params=dict(drug=drug, concentration_uM=c.tolist(), gaba_uM=gaba_uM,
                             pulse_ms=pulse_ms, total_ms=total_ms, voltage_mV=voltage_mV,
                             dt_ms=dt_ms, gmax_nS=gmax_nS, receptor=receptor,
                             gabaa=dataclasses.asdict(spec),
                             glycine=G.glycine_params_array().tolist()))
