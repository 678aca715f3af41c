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

from ketasim.receptors.nmda import (
    NMDA_N_POS,
    NMDA_N_STATES,
    OPEN,
    NMDAParams,
    nmda_equilibrium,
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
    times slower (abbott_2024: pre-open states stabilised)."""
    return replace(p, beta=p.beta / p.allo_gating_factor, allo_gating_factor=1.0)


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
            for j, (suffix, q) in enumerate((("", p), ("+site", occupied_params(p)))):
                labels.append(label + suffix)
                rows.append(nmda_params_array(q))
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


def pair_equilibrium(pops: NMDAPopulations, v_mV: float, glutamate_uM: float, mg_mM: float,
                     ketamine_uM: float, norketamine_uM: float) -> np.ndarray:
    """Joint equilibrium state of every population, (K, NMDA_N_STATES), each row scaled by
    the population's share of its part (rows of a pair sum to the part's weight).

    Each member's own equilibrium is a Boltzmann distribution of its chain; with the site,
    the occupied member's state s is weighted by ``c kon/koff`` of s's position, which is
    detailed balance across the pair.
    """
    out = np.zeros((pops.n, NMDA_N_STATES))
    for k in range(pops.n):
        out[k] = nmda_equilibrium(v_mV, glutamate_uM, mg_mM, ketamine_uM, norketamine_uM,
                                  pops.params[k])
    for k in range(pops.n):
        j = pops.partner[k]
        if j < 0:
            out[k] *= pops.weight[k]
        elif pops.occupied[k] == 0:
            pos = np.arange(NMDA_N_STATES) % NMDA_N_POS
            ratio = ketamine_uM * pops.kon_pos[k, pos] / pops.koff_pos[k, pos]
            # unnormalised joint weights: empty member x_e(s), occupied member x_e(s) * ratio
            # (the occupied chain's own equilibrium is x_e with O reweighted by 1/m, which the
            # per-position ratio reproduces), normalised over the pair
            e = out[k]
            o = e * ratio
            z = e.sum() + o.sum()
            out[k], out[j] = pops.weight[k] * e / z, pops.weight[k] * o / z
    return out
