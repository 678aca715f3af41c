"""Descending monoaminergic control of dorsal-horn transmission (M15).

Brain-stem noradrenergic (locus coeruleus / A5-A7) and serotonergic (raphe magnus) fibres
release noradrenaline (NE) and serotonin (5-HT) in the dorsal horn (millan2002):

* NE acts on presynaptic alpha-2A adrenoceptors of primary-afferent terminals and lowers
  glutamate release from A-delta and C terminals (kawasaki2003; pertovaara2006). Modelled as a
  **release factor** multiplying the C and A-delta synaptic weights onto the dorsal-horn
  neurons.
* 5-HT has mixed actions (inhibitory 5-HT1A/1B/1D/7, facilitatory 5-HT3; millan2002). We model
  only the net inhibitory, postsynaptic component as a factor on all excitatory afferent
  drive of the projection neuron; descending facilitation is not modelled (stated limitation).

Tone is set by the extracellular monoamine level. With a release rate R and clearance by the
transporter (fraction ``f_transport`` of total clearance; the rest by diffusion/metabolism),
the steady-state level relative to baseline is ``L = 1 / (1 - f_transport * occ)`` where
``occ`` is the transporter occupancy (0..1) by ketamine (nishimura_1998: NET Ki 66.8 uM, SERT
162 uM; computed by the receptor layer). The inhibitory effect is an Emax function of the
monoamine level: ``E = Emax * T/(T + EC50)`` with ``T = tone0 * L``.

Parameters other than the cited ones are our estimates and are labelled so. At analgesic
ketamine concentrations (< 5 uM) occupancy is ~1-7 % (NET), so the contribution is small; the
model states that honestly instead of inflating it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.spinal.sensitization_sources import (
    KAWASAKI2003,
    MILLAN2002,
    NISHIMURA1998,
    PERTOVAARA2006,
)

__all__ = ["DescendingSpec", "monoamine_level", "descending_factors", "DEFAULT_DESCENDING"]


@dataclass(frozen=True)
class DescendingSpec:
    """Descending noradrenergic and serotonergic inhibition.

    Attributes
    ----------
    ne_tone0, ht_tone0 : baseline descending tone, in units of the EC50 of the effect
        (our estimate: 0.5, i.e. the resting tone produces one third of the maximal effect;
        consistent in direction with the rise of dorsal-horn responses under spinal alpha-2
        antagonists, pertovaara2006).
    alpha2_emax : maximal presynaptic reduction of C/A-delta glutamate release by alpha-2
        activation. Our estimate 0.6, the order of the reduction of primary-afferent EPSCs by
        NE / alpha-2 agonists in substantia gelatinosa (kawasaki2003; [estimate] magnitude).
    ht_emax : maximal postsynaptic reduction of afferent drive by 5-HT (our estimate 0.3).
    f_net, f_sert : fraction of NE / 5-HT clearance through NET / SERT (our estimate 0.8;
        the remainder leaves by diffusion).
    tone_scale : multiplier of descending drive (1 = normal; 0 = spinalized, no tone).
    """

    ne_tone0: float = 0.5  # [estimate]
    ht_tone0: float = 0.5  # [estimate]
    alpha2_emax: float = 0.6  # [estimate], order of kawasaki2003
    ht_emax: float = 0.3  # [estimate]
    f_net: float = 0.8  # [estimate]
    f_sert: float = 0.8  # [estimate]
    tone_scale: float = 1.0

    def __post_init__(self):
        for name in ("ne_tone0", "ht_tone0", "tone_scale"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise InputError(f"DescendingSpec.{name}", v, "a finite number >= 0")
        for name in ("alpha2_emax", "ht_emax", "f_net", "f_sert"):
            v = getattr(self, name)
            if not (0 <= v <= 1):
                raise InputError(f"DescendingSpec.{name}", v, "a number in [0, 1]")


DEFAULT_DESCENDING = DescendingSpec()


def _check_occ(occ, field):
    occ = np.asarray(occ, dtype=float)
    if np.any(~np.isfinite(occ)) or np.any(occ < 0) or np.any(occ > 1):
        raise InputError(field, occ, "transporter occupancy in [0, 1]")
    return occ


def monoamine_level(occupancy, f_transport: float):
    """Steady-state extracellular monoamine level relative to baseline: 1/(1 - f * occ).

    Examples
    --------
    >>> round(float(monoamine_level(0.05, 0.8)), 3)
    1.042
    """
    occ = _check_occ(occupancy, "occupancy")
    return 1.0 / (1.0 - f_transport * occ)


def descending_factors(net_occupancy=0.0, sert_occupancy=0.0,
                       spec: DescendingSpec = DEFAULT_DESCENDING) -> xr.Dataset:
    """Multipliers that descending control applies to dorsal-horn excitatory transmission.

    Parameters
    ----------
    net_occupancy, sert_occupancy : NET / SERT occupancy by ketamine (0..1, arrays broadcast;
        from the receptor layer).
    spec : `DescendingSpec`.

    Returns
    -------
    xarray.Dataset (dim ``condition``) with ``ne_level``, ``ht_level`` (relative to baseline),
    ``release_factor`` (alpha-2 presynaptic factor on C and A-delta weights),
    ``postsyn_factor`` (5-HT factor on all afferent drive), ``total_factor`` (their product
    for C input) and ``inhibition_pct`` (100 (1 - total_factor)).

    Examples
    --------
    >>> ds = descending_factors([0.0, 0.05])
    >>> bool(ds.total_factor[1] < ds.total_factor[0])
    True
    """
    net = np.atleast_1d(_check_occ(net_occupancy, "net_occupancy"))
    sert = np.atleast_1d(_check_occ(sert_occupancy, "sert_occupancy"))
    net, sert = np.broadcast_arrays(net, sert)
    ne = monoamine_level(net, spec.f_net)
    ht = monoamine_level(sert, spec.f_sert)
    t_ne = spec.tone_scale * spec.ne_tone0 * ne
    t_ht = spec.tone_scale * spec.ht_tone0 * ht
    rel = 1.0 - spec.alpha2_emax * t_ne / (t_ne + 1.0)
    post = 1.0 - spec.ht_emax * t_ht / (t_ht + 1.0)
    tot = rel * post
    dims = ("condition",)
    ds = xr.Dataset(
        {"net_occupancy": (dims, net, {"units": "1"}),
         "sert_occupancy": (dims, sert, {"units": "1"}),
         "ne_level": (dims, ne, {"units": "1", "long_name": "NE level / baseline"}),
         "ht_level": (dims, ht, {"units": "1", "long_name": "5-HT level / baseline"}),
         "release_factor": (dims, rel, {"units": "1"}),
         "postsyn_factor": (dims, post, {"units": "1"}),
         "total_factor": (dims, tot, {"units": "1"}),
         "inhibition_pct": (dims, 100 * (1 - tot), {"units": "%"})})
    return stamp(ds, model="ketasim.spinal.descending.descending_factors",
                 citations=[MILLAN2002, PERTOVAARA2006, KAWASAKI2003, NISHIMURA1998],
                 params={"spec": repr(spec)})
