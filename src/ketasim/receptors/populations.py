"""NMDA receptor models flattened into kinetic populations, the form simulators integrate.

A receptor model is an `NMDAParams` (one population), an `NMDAMixture` (one population per
subunit part) or a name (`ketasim.receptors.subunits.as_mixture`). A part whose
`NMDAParams.allo_gating_factor` m > 1 carries ketamine's membrane-accessed allosteric site
(abbott_2024) and becomes TWO populations that exchange receptors: site empty and site
occupied. The occupied population opens m times more slowly (``beta / m``: the pre-open
states are stabilised). Detailed balance then fixes the site's affinity per gating position:
``allo_kd_uM`` in every position except the open one (O of every pore arm), where it is m
times weaker. Receptors keep their gating/pore state when the site fills or empties.

Contract for simulators (one row per population ``k``):

* ``params[k]`` -- the packed rate vector (`nmda_params_array`) the gating kernels take;
* ``weight[k]`` -- the share of the maximal conductance of population k's PART. The two
  populations of a pair share their part's weight: a simulator starts them at
  ``weight * (1 - s)`` and ``weight * s`` of the part's state and lets the exchange move
  receptors between them (`pair_equilibrium` gives the joint equilibrium);
* ``partner[k]`` -- the other population of the pair (-1: no site); ``occupied[k]`` -- 1 for
  the site-occupied population of a pair, else 0;
* ``kon_pos[k, j]`` (/uM/ms) and ``koff_pos[k, j]`` (/ms) -- the site's rates in gating
  position j (C0, C1, C2, O, D; the same in every pore arm), identical for both members.

One pair over a step ``dt`` at ketamine ``c`` exchanges exactly per state s (a 2-state
chain): with ``r = kon c + koff`` and ``f = kon c / r`` of its position, the pair's total
``T = x_empty + x_occ`` is kept and ``x_occ <- f T + (x_occ - f T) exp(-r dt)``. Simulators
apply it after the gating step (split step: the site exchanges at ~1e-4 /ms, gating at
~1e-2 /ms and faster).
The receptor clamp (`ketasim.receptors.clamp.clamp_nmda`) does not split: it integrates each
pair exactly with the joint 40-state generator (`pair_fill_rate_matrix`: both chains plus
the per-state exchange), whose equilibrium is `pair_equilibrium_states`.

The occupied member keeps the empty member's pore (its open-state Mg2+ Kd is copied, see
`occupied_params`), so every cycle through the site obeys detailed balance. How large m may
be is bounded by Orser 1997 (`ketasim.receptors.calibrate.ALLO_GATING_FACTOR_ORSER`).

Examples
--------
>>> pops = nmda_populations(None)
>>> pops.labels, pops.partner.tolist()
(('default',), [-1])
>>> from ketasim.receptors.nmda import NMDAParams
>>> pops = nmda_populations(NMDAParams(allo_gating_factor=3.0))
>>> pops.labels, pops.partner.tolist(), pops.occupied.tolist()
(('default', 'default+site'), [1, 0], [0, 1])
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from ketasim.receptors.nmda import (
    NMDA_N_POS,
    NMDA_N_STATES,
    OPEN,
    P_BLK,
    NMDAParams,
    nmda_equilibrium,
    nmda_fill_rate_matrix,
    nmda_params_array,
)
from ketasim.receptors.subunits import as_mixture


@dataclass(frozen=True, eq=False)
class NMDAPopulations:
    """Flat kinetic populations of an NMDA receptor model (see the module docstring)."""

    labels: tuple
    params: np.ndarray      # (K, NMDA_N_PARAMS)
    weight: np.ndarray      # (K,)
    partner: np.ndarray     # (K,) int64, -1 = none
    occupied: np.ndarray    # (K,) int64
    kon_pos: np.ndarray     # (K, NMDA_N_POS) /uM/ms
    koff_pos: np.ndarray    # (K, NMDA_N_POS) /ms

    @property
    def n(self) -> int:
        return len(self.labels)


def occupied_params(p: NMDAParams) -> NMDAParams:
    """Gating of a receptor whose allosteric site is occupied: opening ``allo_gating_factor``
    times slower (abbott_2024: pre-open states stabilised); the pore is unchanged.

    `nmda_params_array` derives the open-state Mg2+ Kd from the saturating open fraction
    (so that the drug-free block equals Jahr & Stevens 1990), which depends on ``beta``;
    the occupied set's ``mg_kd_js`` is rescaled so that its open-state Mg2+ Kd equals the
    empty set's (a pore property; otherwise the Mg2+ cycle through the site would break
    detailed balance).

    Examples
    --------
    >>> p = NMDAParams(allo_gating_factor=4.0); q = occupied_params(p)
    >>> q.beta == p.beta / 4.0, q.allo_gating_factor
    (True, 1.0)
    >>> kd = [nmda_params_array(x)[P_BLK + 2] for x in (p, q)]   # open-state Mg2+ Kd0
    >>> bool(abs(kd[1] / kd[0] - 1) < 1e-14)
    True
    """
    q = replace(p, beta=p.beta / p.allo_gating_factor, allo_gating_factor=1.0)
    if p.allo_gating_factor == 1.0:
        return q
    kd_e = nmda_params_array(p)[P_BLK + 2]
    kd_o = nmda_params_array(q)[P_BLK + 2]
    return replace(q, mg_kd_js=p.mg_kd_js * (kd_e / kd_o))


def occupied_params_array(p: NMDAParams) -> np.ndarray:
    """`nmda_params_array` of `occupied_params` with the open-state Mg2+ Kd copied from the
    empty set's vector (equal to the last bit, as detailed balance needs)."""
    row = nmda_params_array(occupied_params(p))
    row[P_BLK + 2] = nmda_params_array(p)[P_BLK + 2]
    return row


def site_rates(p: NMDAParams) -> tuple[np.ndarray, np.ndarray]:
    """(kon, koff) of the allosteric site per gating position (detailed balance: the open
    position binds ``allo_gating_factor`` times more weakly)."""
    koff = np.full(NMDA_N_POS, p.allo_koff_per_ms)
    koff[OPEN] *= p.allo_gating_factor
    return np.full(NMDA_N_POS, p.allo_koff_per_ms / p.allo_kd_uM), koff


def nmda_populations(model) -> NMDAPopulations:
    """Flatten ``model`` (None, `NMDAParams`, `NMDAMixture` or a name) into populations."""
    mix = as_mixture(model, field="nmda")
    labels, rows, w, partner, occ, kon, koff = [], [], [], [], [], [], []
    zero = np.zeros(NMDA_N_POS)
    for label, p, weight in mix.parts:
        k = len(labels)
        if p.allo_gating_factor > 1.0:
            on, off = site_rates(p)
            for j, (suffix, row) in enumerate((("", nmda_params_array(p)),
                                               ("+site", occupied_params_array(p)))):
                labels.append(label + suffix)
                rows.append(row)
                w.append(weight)
                partner.append(k + 1 - j)
                occ.append(j)
                kon.append(on)
                koff.append(off)
        else:
            labels.append(label)
            rows.append(nmda_params_array(p))
            w.append(weight)
            partner.append(-1)
            occ.append(0)
            kon.append(zero)
            koff.append(zero)
    return NMDAPopulations(tuple(labels), np.array(rows), np.array(w, float),
                           np.array(partner, np.int64), np.array(occ, np.int64),
                           np.array(kon), np.array(koff))


@njit(cache=True)
def pair_equilibrium_states(v_mV, glu_uM, mg_mM, ket_uM, nk_uM, pe, kon, koff):
    """Joint equilibrium of one pair as a 40-vector summing to 1 (empty member's 20 states,
    then the occupied member's), from the empty member's vector ``pe`` and the site rates
    per position (``kon`` /uM/ms, ``koff`` /ms). Compiled; used by the clamp.

    Examples
    --------
    >>> pops = nmda_populations(NMDAParams(allo_gating_factor=4.0))
    >>> x = pair_equilibrium_states(-60.0, 0.0, 0.0, 0.1, 0.0, pops.params[0],
    ...                             pops.kon_pos[0], pops.koff_pos[0])
    >>> round(float(x[20:].sum()), 3)   # resting receptors: c / (c + Kd) = 0.5
    0.5
    """
    e = nmda_equilibrium(v_mV, glu_uM, mg_mM, ket_uM, nk_uM, pe)
    out = np.empty(2 * NMDA_N_STATES)
    z = 0.0
    for s in range(NMDA_N_STATES):
        j = s % NMDA_N_POS
        o = e[s] * (ket_uM * kon[j] / koff[j])
        out[s] = e[s]
        out[NMDA_N_STATES + s] = o
        z += e[s] + o
    for s in range(2 * NMDA_N_STATES):
        out[s] /= z
    return out


@njit(cache=True)
def pair_fill_rate_matrix(Q, v_mV, glu_uM, mg_mM, ket_uM, nk_uM, pe, po, kon, koff, scratch):
    """Fill the pair's joint 40-state generator ``Q`` (``Q[i, j]`` = rate j -> i): the two
    20-state chains (``pe`` empty, ``po`` occupied) on the diagonal blocks and, per state,
    the site exchange ``empty -> occupied`` at ``kon c`` and back at ``koff`` of the state's
    gating position. ``scratch``: a 20x20 array.

    Examples
    --------
    >>> pops = nmda_populations(NMDAParams(allo_gating_factor=4.0))
    >>> Q = np.zeros((40, 40)); pair_fill_rate_matrix(Q, -60.0, 10.0, 1.0, 0.3, 0.0,
    ...     pops.params[0], pops.params[1], pops.kon_pos[0], pops.koff_pos[0],
    ...     np.zeros((20, 20)))
    >>> bool(np.allclose(Q.sum(axis=0), 0.0))
    True
    """
    n = NMDA_N_STATES
    for i in range(2 * n):
        for j in range(2 * n):
            Q[i, j] = 0.0
    for k in range(2):
        nmda_fill_rate_matrix(scratch, v_mV, glu_uM, mg_mM, ket_uM, nk_uM, pe if k == 0 else po)
        for i in range(n):
            for j in range(n):
                Q[k * n + i, k * n + j] = scratch[i, j]
    for s in range(n):
        j = s % NMDA_N_POS
        on = kon[j] * ket_uM
        off = koff[j]
        Q[n + s, s] += on
        Q[s, s] -= on
        Q[s, n + s] += off
        Q[n + s, n + s] -= off


def has_site(model) -> bool:
    """Whether any part of ``model`` (as `nmda_populations` takes it) carries the site.

    Examples
    --------
    >>> has_site(None), has_site(NMDAParams(allo_gating_factor=2.0))
    (False, True)
    """
    return any(p.allo_gating_factor > 1.0 for p in as_mixture(model).params)


def with_site(model, allo_gating_factor: float, **site):
    """``model`` (None, `NMDAParams`, `NMDAMixture` or a name) with every part's allosteric
    site set to ``allo_gating_factor`` (1 = off) and, optionally, ``allo_kd_uM`` /
    ``allo_koff_per_ms``. A single set stays an `NMDAParams`; anything else becomes an
    `NMDAMixture` with the same labels and weights.

    Examples
    --------
    >>> with_site(None, 3.0).allo_gating_factor
    3.0
    >>> [p.allo_gating_factor for p in with_site("2B=0.5,2D=0.5", 2.0).params]
    [2.0, 2.0]
    """
    from ketasim.receptors.subunits import NMDAMixture

    bad = set(site) - {"allo_kd_uM", "allo_koff_per_ms"}
    if bad:
        from ketasim.core.errors import InputError

        raise InputError("with_site", sorted(bad), "allo_kd_uM and/or allo_koff_per_ms")
    if model is None or isinstance(model, NMDAParams):
        return replace(model or NMDAParams(), allo_gating_factor=allo_gating_factor, **site)
    mix = as_mixture(model)
    parts = tuple((label, replace(p, allo_gating_factor=allo_gating_factor, **site), w)
                  for label, p, w in mix.parts)
    return NMDAMixture(parts, name=mix.name, note=mix.note, citations=mix.citations)


def pair_equilibrium(pops: NMDAPopulations, v_mV: float, glutamate_uM: float, mg_mM: float,
                     ketamine_uM: float, norketamine_uM: float) -> np.ndarray:
    """Joint equilibrium state of every population, (K, NMDA_N_STATES), each row scaled by
    the population's share of its part (rows of a pair sum to the part's weight).

    Each member's own equilibrium is a Boltzmann distribution of its chain; with the site,
    the occupied member's state s is weighted by ``c kon/koff`` of s's position, which is
    detailed balance across the pair (`pair_equilibrium_states`).

    Examples
    --------
    >>> pops = nmda_populations(NMDAParams(allo_gating_factor=4.0))
    >>> x = pair_equilibrium(pops, -60.0, 0.0, 0.0, 0.1, 0.0)
    >>> x.shape, round(float(x.sum()), 12)
    ((2, 20), 1.0)
    """
    out = np.zeros((pops.n, NMDA_N_STATES))
    for k in range(pops.n):
        j = pops.partner[k]
        if j < 0:
            out[k] = pops.weight[k] * nmda_equilibrium(v_mV, glutamate_uM, mg_mM, ketamine_uM,
                                                       norketamine_uM, pops.params[k])
        elif pops.occupied[k] == 0:
            x = pair_equilibrium_states(float(v_mV), float(glutamate_uM), float(mg_mM),
                                        float(ketamine_uM), float(norketamine_uM),
                                        pops.params[k], pops.kon_pos[k], pops.koff_pos[k])
            out[k] = pops.weight[k] * x[:NMDA_N_STATES]
            out[j] = pops.weight[k] * x[NMDA_N_STATES:]
    return out


def model_open_fraction(voltage_mV: float, glutamate_uM: float, mg_mM: float,
                        ketamine_uM: float, norketamine_uM: float, model) -> float:
    """Conductance-weighted conducting fraction of ``model`` at joint equilibrium (plain
    floats in mV, uM, mM, uM, uM), the site included.

    Examples
    --------
    >>> o0 = model_open_fraction(-60.0, 1000.0, 0.0, 0.0, 0.0, None)
    >>> o1 = model_open_fraction(-60.0, 1000.0, 0.0, 0.0, 0.0, NMDAParams(allo_gating_factor=4.0))
    >>> bool(abs(o1 / o0 - 1) < 1e-14)   # no ketamine, no site occupancy
    True
    """
    pops = model if isinstance(model, NMDAPopulations) else nmda_populations(model)
    x = pair_equilibrium(pops, voltage_mV, glutamate_uM, mg_mM, ketamine_uM, norketamine_uM)
    return float(x[:, OPEN].sum())


def site_occupancy(voltage_mV: float, glutamate_uM: float, mg_mM: float, ketamine_uM: float,
                   norketamine_uM: float, model) -> float:
    """Conductance-weighted fraction of receptors whose allosteric site is occupied, at
    joint equilibrium.

    Examples
    --------
    >>> round(site_occupancy(-60.0, 0.0, 0.0, 0.1, 0.0, NMDAParams(allo_gating_factor=4.0)), 3)
    0.5
    """
    pops = model if isinstance(model, NMDAPopulations) else nmda_populations(model)
    x = pair_equilibrium(pops, voltage_mV, glutamate_uM, mg_mM, ketamine_uM, norketamine_uM)
    return float(x[pops.occupied == 1].sum())
