"""Opioid analgesia, tolerance and opioid-induced hyperalgesia (OIH) in the reduced (slow) model.

One mechanism, stated once and used by scenarios, trials and the M16/M17 experiments:

**Analgesia.** The free biophase opioid levels (uM) give mu activation ``r`` through the
receptor layer's competitive occupancy kernel (`ketasim.receptors.opioid.opioid_effects_nb`).
The kernel is evaluated with the *functional* (in vivo, Na+/GTP low-affinity state)
affinities of `AdaptationSpec`, not the membrane binding K of ``OpioidParams`` (1.2 nM for
morphine, which saturates the receptor far below any analgesic plasma level). Morphine's
functional K is FITTED to its minimum effective analgesic concentration (MEAC) in patients on
morphine alone (`ketasim.clinical.pca.calibrate_morphine_k`: dahlstrom1982, graves1983);
fentanyl's is fitted to its PCA MEC (woodhouse2000), remifentanil's is fentanyl's x their
binding ratio [estimate]. Morphine's functional K is ~70x its binding K, fentanyl's ~0.8x:
morphine's poor brain penetration and partial agonism end up in it. Desensitised
receptors signal less: ``r_eff = r (1 - desens_max D)``. In the reduced model ``r_eff``
scales the C-fibre drive presynaptically (``1 - pre_max r_eff``, the receptor layer's
pre_max) and the WDR output postsynaptically / supraspinally (``1 - post_max r_eff``,
[estimate]).

**Adaptation** (three first-order states per patient, 0..1, exact exponential steps):

* ``D`` mu desensitisation/internalisation, driven by ``r``;
* ``Uf`` PKC-like potentiation of NMDA receptors (reduced Mg2+ block, chen_huang_1992), fast;
* ``Us`` NMDA receptor up-regulation (more conductance; mao1995's NMDA hypothesis), slow;

``Uf`` and ``Us`` are driven by ``r_eff x A_nmda``. ``A_nmda`` is the NMDA-Ca2+-dependent
kinase activity of the spiking model: the drive table's ``b`` = <eta(Ca2+)> (the Ca2+-dependent
rate of the early plasticity rule, shouval2002; `ketasim.spinal.drive_table.DriveTable`) at the
C-fibre drive left after presynaptic mu inhibition, the free ketamine level and the slow
model's gain, divided by its value at the table's top drive (16 Hz, no drug, gain 1). It is
computed by the spiking model through the receptor layer's NMDA kinetics (voltage-, Mg2+- and
use-dependent block), so ketamine limits only the NMDA-dependent part, by an amount that
depends on its concentration AND on afferent activity; nothing in this module scales it.
Desensitisation ``D`` is NMDA-independent.

Time constants: tolerance (``D`` and ``Us``) half-time 26 h, the tolerance compartment of
ekblom1993 (rat morphine infusion: t1/2 26 +- 6 h); both relax with the same half-time after
the opioid is stopped (ekblom1993's first-order compartment), so the rebound hyperalgesia
lasts about as long as tolerance took to develop. ``Uf``: half-time 1 h [estimate] so that
acute tolerance appears within 60-90 min of a remifentanil infusion (vinik1998) and decays
over hours after surgery (guignard2000: more pain and morphine in the first post-operative
day after high-dose remifentanil).

**Expression.** Spiking tests: ``nmda_scale`` x (1 + nmda_gain_max Us) and ``mg_mm`` x
(1 - mg_relief_max Uf) of `ketasim.spinal.SpinalParams` (`oih_params`), mu efficacy
(``mu_presyn_max``, ``g_girk_max``) x (1 - desens_max D). Reduced model: an equivalent gain
factor on the slow model's gain, ``g_oih = 1 + nmda_share ((1 + nmda_gain_max Us)(1 +
mg_relief_max Uf) - 1)`` with nmda_share the NMDA part of the WDR's C-evoked drive
[estimate]; the two resolutions are matched by this estimate, not checked against each other.

Magnitudes (``desens_max``, ``nmda_gain_max``, ``mg_relief_max``, ``nmda_share``,
``post_max``, act's constants) are [estimate]s; none is fitted to a ketamine outcome.

Kernel API (njit)::

    spec_vec = adaptation_vector(spec)
    adapt_step_nb(state(3,), r, a_nmda, dt_h, spec_vec)      # in place
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numba as nb
import numpy as np

from ketasim.core.citations import key
from ketasim.core.errors import InputError
from ketasim.core.validation import (
    POSITIVE,
    Instance,
    Interval,
    check,
    check_fields,
    check_finite,
    validate_params,
)
from ketasim.receptors.opioid import OpioidParams, opioid_effects_nb

__all__ = ["AdaptationSpec", "DEFAULT_ADAPTATION", "ADAPTATION_CITATIONS", "adaptation_vector",
           "functional_opioid_vector", "adapt_step_nb", "simulate_adaptation", "oih_gain",
           "oih_params", "nmda_drive", "nmda_reference", "analgesic_factors"]

EKBLOM1993 = key("ekblom1993")
OUELLET1995 = key("ouellet1995")
VINIK1998 = key("vinik1998")
GUIGNARD2000 = key("guignard2000")
CHEN_HUANG_1992 = key("chen_huang_1992")
MAO1995 = key("mao1995")
DAHLSTROM1982 = key("dahlstrom1982")
WOODHOUSE2000 = key("woodhouse2000")
OWEN1989 = key("owen1989")
GRAVES1983 = key("graves1983")
OPIOID_ESTIMATE = key("ketasim_opioid_estimate")

ADAPTATION_CITATIONS = [EKBLOM1993, OUELLET1995, VINIK1998, GUIGNARD2000, CHEN_HUANG_1992,
                        MAO1995, DAHLSTROM1982, GRAVES1983, WOODHOUSE2000, OWEN1989,
                        OPIOID_ESTIMATE]

_FRAC = Interval(0.0, 1.0)
_BIND = OpioidParams()


@dataclass(frozen=True)
class AdaptationSpec:
    """Parameters of opioid analgesia and adaptation in the reduced model (see module doc).

    Examples
    --------
    >>> AdaptationSpec().t_half_tolerance_h
    26.0
    """

    #: functional (in vivo) morphine K, uM: [fitted] to the morphine MEAC
    #: (`ketasim.clinical.pca.calibrate_morphine_k`; dahlstrom1982, graves1983)
    k_morphine_uM: float = 0.0849
    #: fentanyl: [fitted] so that its PCA MEC, ~0.6 ng/mL (woodhouse2000: 0.23-0.99 ng/mL),
    #: gives the mu activation morphine gives at its MEAC (free fractions of the PK layer)
    k_fentanyl_uM: float = 0.00107
    #: remifentanil: fentanyl's functional K x their binding ratio (2 / 1.35 nM) [estimate]
    k_remifentanil_uM: float = 0.00159
    pre_max: float = _BIND.pre_max        # receptor layer's presynaptic maximum [estimate]
    post_max: float = 0.8                 # postsynaptic GIRK + supraspinal share [estimate]
    desens_max: float = 0.5               # mu efficacy lost at full desensitisation [estimate]
    t_half_tolerance_h: float = 26.0      # ekblom1993 (tolerance compartment t1/2 26 +- 6 h)
    t_half_pkc_h: float = 1.0             # [estimate] (vinik1998: acute tolerance <= 90 min)
    nmda_gain_max: float = 0.8            # NMDA conductance increase at Us = 1 [estimate]
    mg_relief_max: float = 0.3            # share of Mg2+ block removed at Uf = 1 [estimate]
    nmda_share: float = 0.5               # NMDA share of the WDR's C-evoked drive [estimate]

    def __post_init__(self):
        check_fields(self, {"k_morphine_uM": POSITIVE, "k_fentanyl_uM": POSITIVE,
                            "k_remifentanil_uM": POSITIVE, "pre_max": _FRAC, "post_max": _FRAC,
                            "desens_max": _FRAC,
                            "t_half_tolerance_h": Interval(0, None, closed="neither"),
                            "t_half_pkc_h": Interval(0, None, closed="neither"),
                            "nmda_gain_max": Interval(0, 10), "mg_relief_max": _FRAC,
                            "nmda_share": _FRAC},
                     prefix="AdaptationSpec.")

    def replace(self, **kw) -> AdaptationSpec:
        """A copy with fields changed.

        >>> AdaptationSpec().replace(desens_max=0.0).desens_max
        0.0
        """
        return AdaptationSpec(**{**asdict(self), **kw})


DEFAULT_ADAPTATION = AdaptationSpec()


def functional_opioid_vector(spec: AdaptationSpec = DEFAULT_ADAPTATION) -> np.ndarray:
    """Packed opioid kernel parameters (as `ketasim.receptors.opioid.opioid_params_array`)
    with the functional affinities of ``spec``; efficacies and ketamine's K from the receptor
    layer.

    Examples
    --------
    >>> v = functional_opioid_vector()
    >>> v.shape, round(float(v[0]), 4)
    ((9,), 0.0849)
    """
    check("spec", spec, Instance(AdaptationSpec))
    b = _BIND
    return np.array([spec.k_morphine_uM, spec.k_fentanyl_uM, spec.k_remifentanil_uM, b.k_ketamine,
                     b.e_morphine, b.e_fentanyl, b.e_remifentanil, 0.0, spec.pre_max])


def adaptation_vector(spec: AdaptationSpec = DEFAULT_ADAPTATION) -> np.ndarray:
    """Packed adaptation parameters for the kernels.

    Layout: k_tol (1/h), k_pkc (1/h), desens_max, pre_max, post_max, nmda_gain_max,
    mg_relief_max, nmda_share.

    Examples
    --------
    >>> round(float(adaptation_vector()[0]), 5)
    0.02666
    """
    check("spec", spec, Instance(AdaptationSpec))
    return np.array([math.log(2.0) / spec.t_half_tolerance_h, math.log(2.0) / spec.t_half_pkc_h,
                     spec.desens_max, spec.pre_max, spec.post_max, spec.nmda_gain_max,
                     spec.mg_relief_max, spec.nmda_share])


@nb.njit(cache=True)
def adapt_step_nb(state, r, a_nmda, dt_h, v):
    """Advance (D, Uf, Us) by dt_h at constant mu activation r and NMDA drive a_nmda."""
    r_eff = r * (1.0 - v[2] * state[0])
    et = math.exp(-v[0] * dt_h)
    ep = math.exp(-v[1] * dt_h)
    state[0] = r + (state[0] - r) * et
    u = r_eff * a_nmda
    state[1] = u + (state[1] - u) * ep
    state[2] = u + (state[2] - u) * et


@nb.njit(cache=True, inline="always")
def oih_gain_nb(uf, us, v):
    """Equivalent gain factor of the NMDA up-regulation in the reduced model."""
    return 1.0 + v[7] * ((1.0 + v[5] * us) * (1.0 + v[6] * uf) - 1.0)


@nb.njit(cache=True)
def _adapt_kernel(morph, fent, remi, ket, a_nmda, dt_h, q, v, s0, out):
    n, t = morph.shape
    st = np.empty(3)
    for i in range(n):
        st[0] = s0[i, 0]
        st[1] = s0[i, 1]
        st[2] = s0[i, 2]
        for s in range(t):
            _, r, _, _ = opioid_effects_nb(morph[i, s], fent[i, s], remi[i, s], ket[i, s], q)
            adapt_step_nb(st, r, a_nmda[i, s], dt_h, v)
            r_eff = r * (1.0 - v[2] * st[0])
            out[0, i, s] = st[0]
            out[1, i, s] = st[1]
            out[2, i, s] = st[2]
            out[3, i, s] = r_eff
            out[4, i, s] = oih_gain_nb(st[1], st[2], v)


def _batch(x, shape, name):
    a = np.asarray(x, float)
    try:
        a = np.broadcast_to(a if a.ndim == 2 else np.atleast_1d(a)[None, :]
                            if a.ndim == 1 else a, shape)
    except ValueError:
        raise InputError(name, a.shape, f"an array broadcastable to {shape}") from None
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise InputError(name, "negative or non-finite values", "finite values >= 0")
    return np.ascontiguousarray(a, float)


@validate_params({"dt_h": Interval(0, 1.0, closed="right"),
                  "spec": Instance(AdaptationSpec)})
def simulate_adaptation(morphine_uM, nmda_drive, *, dt_h: float, fentanyl_uM=0.0,
                        remifentanil_uM=0.0, ketamine_uM=0.0,
                        spec: AdaptationSpec = DEFAULT_ADAPTATION, state0=None) -> dict:
    """Tolerance and OIH states over time for a batch (patient, step) of free opioid levels.

    Parameters
    ----------
    morphine_uM : (patient, step) free biophase morphine (uM), piecewise constant per step.
    nmda_drive : (patient, step) NMDA-Ca2+-dependent drive A_nmda (0..1), `nmda_drive` of
        the drive table at the C drive, ketamine and gain.
    dt_h : step (h).
    fentanyl_uM, remifentanil_uM, ketamine_uM : free levels (uM, mu competition only),
        broadcast to the shape.
    state0 : (patient, 3) initial (D, Uf, Us); default 0.

    Returns
    -------
    dict of (patient, step) arrays at the end of each step: ``D``, ``Uf``, ``Us``,
    ``r_eff`` (effective mu activation) and ``oih_gain`` (reduced-model gain factor).

    Examples
    --------
    >>> import numpy as np
    >>> out = simulate_adaptation(np.full((1, 26), 1.0), np.ones((1, 26)), dt_h=1.0)
    >>> round(float(out["D"][0, -1]), 3)    # half of r = 0.645 after one t1/2 (26 h)
    0.323
    """
    m = np.asarray(morphine_uM, float)
    if m.ndim != 2:
        raise InputError("morphine_uM", m.shape, "a 2-D (patient, step) array")
    shape = m.shape
    arrs = [_batch(x, shape, n) for x, n in ((m, "morphine_uM"), (fentanyl_uM, "fentanyl_uM"),
                                             (remifentanil_uM, "remifentanil_uM"),
                                             (ketamine_uM, "ketamine_uM"),
                                             (nmda_drive, "nmda_drive"))]
    if np.any(arrs[4] > 1 + 1e-9):
        raise InputError("nmda_drive", float(arrs[4].max()), "values in [0, 1]")
    s0 = np.zeros((shape[0], 3)) if state0 is None else np.ascontiguousarray(
        np.broadcast_to(np.asarray(state0, float), (shape[0], 3)))
    out = np.zeros((5,) + shape)
    _adapt_kernel(*arrs, float(dt_h), functional_opioid_vector(spec), adaptation_vector(spec),
                  s0, out)
    res = dict(zip(("D", "Uf", "Us", "r_eff", "oih_gain"), out, strict=True))
    check_finite("simulate_adaptation", out)
    return res


@validate_params({"spec": Instance(AdaptationSpec)})
def oih_gain(uf, us, spec: AdaptationSpec = DEFAULT_ADAPTATION):
    """Reduced-model gain factor for PKC-like (``uf``) and up-regulation (``us``) states.

    Examples
    --------
    >>> float(oih_gain(0.0, 0.0)), round(float(oih_gain(0.0, 1.0)), 2)
    (1.0, 1.4)
    """
    v = adaptation_vector(spec)
    uf, us = np.asarray(uf, float), np.asarray(us, float)
    return 1.0 + v[7] * ((1.0 + v[5] * us) * (1.0 + v[6] * uf) - 1.0)


def nmda_reference(table) -> float:
    """The drive table's ``b`` at its top C drive, no drug, gain 1 (normaliser of A_nmda)."""
    from ketasim.spinal.drive_table import DriveTable, interp3_many

    check("table", table, Instance(DriveTable))
    out = np.empty(1)
    interp3_many(table.c_rate_Hz, table.ketamine_uM, table.gain, table.b,
                 np.array([table.c_rate_Hz[-1]]), np.zeros(1), np.ones(1), out)
    return float(out[0])


def nmda_drive(table, c_rate_Hz, ketamine_uM=0.0, gain=1.0):
    """NMDA-Ca2+-dependent adaptation drive A_nmda (0..1) from the spiking model's drive
    table at C drive, free ketamine and gain (see the module docstring).

    Examples
    --------
    >>> from ketasim.spinal.drive_table import load_drive_table
    >>> tab = load_drive_table()
    >>> a0, a1 = nmda_drive(tab, [2.0, 2.0], [0.0, 1.0])
    >>> bool(a1 < a0 < 1)
    True
    """
    from ketasim.spinal.drive_table import interp3_many

    c, k, g = np.broadcast_arrays(np.asarray(c_rate_Hz, float), np.asarray(ketamine_uM, float),
                                  np.asarray(gain, float))
    c = np.clip(c, table.c_rate_Hz[0], table.c_rate_Hz[-1])
    k = np.clip(k, table.ketamine_uM[0], table.ketamine_uM[-1])
    g = np.clip(g, table.gain[0], table.gain[-1])
    out = np.empty(c.size)
    interp3_many(table.c_rate_Hz, table.ketamine_uM, table.gain, table.b, c.ravel(), k.ravel(),
                 g.ravel(), out)
    return np.clip(out.reshape(c.shape) / nmda_reference(table), 0.0, 1.0)


@validate_params({"spec": Instance(AdaptationSpec)})
def analgesic_factors(r_eff, spec: AdaptationSpec = DEFAULT_ADAPTATION):
    """(presynaptic C-drive factor, postsynaptic output factor) at effective activation r_eff.

    Examples
    --------
    >>> [round(float(x), 2) for x in analgesic_factors(0.5)]
    [0.7, 0.6]
    """
    r = np.asarray(r_eff, float)
    return 1.0 - spec.pre_max * r, 1.0 - spec.post_max * r


def oih_params(params, d: float, uf: float, us: float,
               spec: AdaptationSpec = DEFAULT_ADAPTATION):
    """Spinal circuit parameters with the adaptation expressed (spiking tests).

    NMDA conductance (``nmda_scale``) x (1 + nmda_gain_max us), Mg2+ (``mg_mm``) x
    (1 - mg_relief_max uf) (PKC reduces the Mg2+ block, chen_huang_1992), mu efficacy
    (``mu_presyn_max``, ``g_girk_max``) x (1 - desens_max d).

    Examples
    --------
    >>> from ketasim.spinal.params import DEFAULT
    >>> p = oih_params(DEFAULT, 0.0, 0.0, 1.0)
    >>> round(p.nmda_scale / DEFAULT.nmda_scale, 2)
    1.8
    """
    from ketasim.spinal.params import SpinalParams

    check("params", params, Instance(SpinalParams))
    check("spec", spec, Instance(AdaptationSpec))
    for name, x in (("d", d), ("uf", uf), ("us", us)):
        check(name, float(x), _FRAC)
    eff = 1.0 - spec.desens_max * d
    return params.replace(nmda_scale=params.nmda_scale * (1.0 + spec.nmda_gain_max * us),
                          mg_mm=params.mg_mm * (1.0 - spec.mg_relief_max * uf),
                          mu_presyn_max=params.mu_presyn_max * eff,
                          g_girk_max=params.g_girk_max * eff)
