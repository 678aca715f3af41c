"""Patient-controlled analgesia (PCA) and the opioid side of the reduced model (M16, M17).

`opioid_course` runs a batch of patients minute by minute in ONE compiled loop: free opioid
levels -> mu activation (functional affinities) -> tolerance / OIH states
(`ketasim.spinal.opioid_adaptation`) -> analgesia and hyperalgesia on the slow model's WDR
output (drive table) -> pain (NRS) -> the patient's PCA demand -> the pump's decision ->
morphine by superposition.

**Superposition (exact).** PK is linear, so the concentration after PCA boluses is the
scheduled doses' concentration plus ``sum_k dose_k h(t - t_k)``, ``h`` the patient's own
unit-bolus (1 mg IV) response from the PK layer (plasma and effect site). The loop adds
``dose x h`` to the future of the course when the pump delivers: no PK is re-solved.

**The patient** (`PCASpec` in scenarios, ``pca:`` of a regimen): presses when ongoing pain
exceeds a personal threshold ``threshold_nrs`` (median 3/10: the usual target of
post-operative analgesia is NRS <= 3 [estimate]), log-normal between patients with CV
``threshold_cv`` (0.3 [estimate]); while above it, a press happens with probability
``press_per_min`` per minute (0.2: mean latency 5 min [estimate]). Presses in the lockout or
over the limit are demands without delivery.

Patients also stop pressing while side effects (sedation, nausea) are unacceptable: no press
while the morphine effect-site concentration exceeds a personal limit ``side_effect_ng_mL``
(median 40 ng/mL, 2.5 x the MEAC, CV 0.4 [estimate]; patients balance pain relief against
side effects, woodhouse2000).

**The pump**: ``bolus`` (default 1 mg: owen1989, the best of 0.5-2 mg), ``lockout`` (5 min),
``limit`` per ``limit_window`` (default 10 mg per 1 h... null: none), optional
``background`` infusion (added to the regimen's scheduled doses), ``start`` and
``duration``.

**Calibration (opioid-only data).** Morphine's functional K (`AdaptationSpec.k_morphine_uM`)
is fitted by `calibrate_morphine_k` so that the reference post-operative patient (median
afferent drive and transfer, gain of the slow model at 24 h, no tolerance) rates NRS equal to
the median PCA threshold at the morphine MEAC, 16 ng/mL in plasma at steady state
(dahlstrom1982: MEAC in PCA patients, mean ~16 ng/mL, range several-fold; graves1983:
~20-40 ng/mL) [secondary]. Post-operative consumption is then a model output, checked (not
fitted) against 30-60 mg / 24 h on morphine PCA after major surgery.

Examples
--------
>>> PCASpec().lockout_min
5.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from ketasim.core.errors import InputError
from ketasim.core.validation import Instance, Interval, check, check_fields, validate_params
from ketasim.receptors.opioid import opioid_effects_nb
from ketasim.spinal.drive_table import _interp3
from ketasim.spinal.opioid_adaptation import (
    DEFAULT_ADAPTATION,
    AdaptationSpec,
    adapt_step_nb,
    adaptation_vector,
    functional_opioid_vector,
    nmda_reference,
    oih_gain_nb,
)

__all__ = ["PCASpec", "opioid_course", "calibrate_morphine_k", "MEAC_MORPHINE_NG_ML",
           "MEAC_REFERENCE", "pca_spec_of", "personal_thresholds", "COURSE_KEYS"]

#: Morphine MEAC in plasma (ng/mL) of PCA patients (dahlstrom1982 [secondary]; graves1983
#: reports 20-40 ng/mL).
MEAC_MORPHINE_NG_ML = 16.0
#: The reference patient of the MEAC calibration: C drive (Hz) and slow-model gain at 24 h of
#: the ``postop_pca`` condition with median scales, and the median threshold.
MEAC_REFERENCE = {"c_rate_Hz": 4.24, "gain": 1.49, "threshold_nrs": 3.0}

#: Minute-resolution courses returned by `opioid_course`.
COURSE_KEYS = ("nrs", "out_Hz", "morphine_plasma_ng_mL", "morphine_effect_ng_mL",
               "pca_mg", "D", "Uf", "Us", "r_eff", "oih_gain")

_POS = Interval(0, None, closed="neither")


@dataclass(frozen=True)
class PCASpec:
    """A PCA prescription and the patient's demand behaviour (numbers; see module doc).

    Examples
    --------
    >>> PCASpec(bolus_mg=1.5).bolus_mg
    1.5
    """

    bolus_mg: float = 1.0              # owen1989
    lockout_min: float = 5.0           # [estimate] common protocol
    limit_mg: float | None = None      # per limit_window_min; None: no limit
    limit_window_min: float = 60.0
    start_h: float = 0.0
    stop_h: float | None = None        # None: to the horizon
    threshold_nrs: float = 3.0         # [estimate]
    threshold_cv: float = 0.3          # [estimate]
    press_per_min: float = 0.2         # [estimate]
    side_effect_ng_mL: float = 40.0    # [estimate] (woodhouse2000)
    side_effect_cv: float = 0.4        # [estimate]

    def __post_init__(self):
        check_fields(self, {"bolus_mg": Interval(0, 50, closed="right"),
                            "lockout_min": Interval(1, 240),
                            "limit_window_min": Interval(1, 24 * 60),
                            "start_h": Interval(0, None), "threshold_nrs": Interval(0, 10),
                            "threshold_cv": Interval(0, 2), "press_per_min": Interval(0, 1),
                            "side_effect_ng_mL": Interval(0, None, closed="neither"),
                            "side_effect_cv": Interval(0, 2)},
                     prefix="PCASpec.")
        if self.limit_mg is not None:
            check("PCASpec.limit_mg", self.limit_mg, _POS)
        if self.stop_h is not None:
            check("PCASpec.stop_h", self.stop_h, Interval(self.start_h, None))


def pca_spec_of(pca, weight_kg: float = 70.0) -> PCASpec:
    """`PCASpec` from a scenario regimen's ``pca`` section (`ketasim.scenarios.schema.PCA`).

    Examples
    --------
    >>> from ketasim.scenarios.schema import PCA
    >>> pca_spec_of(PCA(bolus="1 mg", lockout="6 min")).lockout_min
    6.0
    """
    from ketasim.scenarios.schema import hours

    b = pca.bolus
    bolus = float(b.split()[0]) * (weight_kg if b.endswith("mg/kg") else 1.0)
    lim = None
    if pca.limit is not None:
        lim = float(pca.limit.split()[0]) * (weight_kg if pca.limit.endswith("mg/kg") else 1.0)
    return PCASpec(bolus_mg=bolus, lockout_min=hours(pca.lockout) * 60.0, limit_mg=lim,
                   limit_window_min=hours(pca.limit_window) * 60.0,
                   start_h=hours(pca.start),
                   stop_h=None if pca.duration is None else hours(pca.start) + hours(
                       pca.duration),
                   threshold_nrs=pca.threshold_nrs, threshold_cv=pca.threshold_cv,
                   press_per_min=pca.press_per_min, side_effect_ng_mL=pca.side_effect_ng_mL,
                   side_effect_cv=pca.side_effect_cv)


def personal_thresholds(spec: PCASpec, seeds) -> np.ndarray:
    """Each patient's press threshold (NRS, first row) and side-effect limit (ng/mL, second
    row): log-normal around the medians with CVs ``threshold_cv`` / ``side_effect_cv``.

    Examples
    --------
    >>> personal_thresholds(PCASpec(threshold_cv=0.0, side_effect_cv=0.0), [1, 2]).tolist()
    [[3.0, 3.0], [40.0, 40.0]]
    """
    z = np.array([np.random.default_rng(int(s)).standard_normal(2) for s in seeds]).reshape(-1, 2)
    sd = math.sqrt(math.log1p(spec.threshold_cv ** 2))
    sd2 = math.sqrt(math.log1p(spec.side_effect_cv ** 2))
    return np.stack([np.minimum(spec.threshold_nrs * np.exp(sd * z[:, 0]), 10.0),
                     spec.side_effect_ng_mL * np.exp(sd2 * z[:, 1])])


# ----------------------------------------------------------------------------- kernel
@nb.njit(cache=True)
def _course_kernel(h_pl, h_ef, base_pl, base_ef, fent, remi, ket, c_Hz, gain,
                   s_tr, thr, side, seeds, free_per_ng, q, v, ax_r, ax_k, ax_g, tab, tab_b,
                   b_ref, tr,
                   pca_on, bolus, lockout, limit, window, start, stop, p_press, state0,
                   o_nrs, o_out, o_pl, o_ef, o_mg, o_d, o_uf, o_us, o_r, o_g, o_n):
    n, t = base_pl.shape
    st = np.empty(3)
    given = np.zeros(t)
    g_lo, g_hi = ax_g[0], ax_g[ax_g.shape[0] - 1]
    c_hi = ax_r[ax_r.shape[0] - 1]
    k_hi = ax_k[ax_k.shape[0] - 1]
    for i in range(n):
        np.random.seed(seeds[i])
        pl = base_pl[i].copy()
        ef = base_ef[i].copy()
        for s in range(t):
            given[s] = 0.0
        st[0] = state0[i, 0]
        st[1] = state0[i, 1]
        st[2] = state0[i, 2]
        last = -1e9
        win = 0.0
        cum = 0.0
        n_dem = 0
        n_del = 0
        for s in range(t):
            if s >= window:
                win -= given[s - window]
            m_free = max(ef[s], 0.0) * free_per_ng
            _, r, _, _ = opioid_effects_nb(m_free, fent[i, s], remi[i, s], ket[i, s], q)
            k = min(ket[i, s], k_hi)
            if s > 0:
                # NMDA-Ca2+ drive at the C input left after presynaptic mu inhibition
                r_prev = r * (1.0 - v[2] * st[0])
                c_in = min(c_Hz[i, s] * (1.0 - v[3] * r_prev), c_hi)
                g0 = min(max(gain[i, s], g_lo), g_hi)
                a = min(_interp3(ax_r, ax_k, ax_g, tab_b, c_in, k, g0) / b_ref, 1.0)
                adapt_step_nb(st, r, a, 1.0 / 60.0, v)
            r_eff = r * (1.0 - v[2] * st[0])
            g_oih = oih_gain_nb(st[1], st[2], v)
            c_eff = min(c_Hz[i, s] * (1.0 - v[3] * r_eff), c_hi)
            g = min(max(gain[i, s] * g_oih, g_lo), g_hi)
            out = _interp3(ax_r, ax_k, ax_g, tab, c_eff, k, g) * (1.0 - v[4] * r_eff)
            out = max(out, 0.0)
            x = max(out * s_tr[i] - tr[0], 0.0)
            xn = x ** tr[2]
            nrs = 10.0 * xn / (xn + tr[1] ** tr[2])
            if pca_on and s >= start and s < stop and nrs > thr[i] and ef[s] < side[i]:
                if np.random.random() < p_press:
                    n_dem += 1
                    ok = (s - last) >= lockout
                    if limit > 0.0 and win + bolus > limit + 1e-12:
                        ok = False
                    if ok:
                        last = s
                        n_del += 1
                        given[s] = bolus
                        win += bolus
                        cum += bolus
                        for u in range(s, t):
                            pl[u] += bolus * h_pl[i, u - s]
                            ef[u] += bolus * h_ef[i, u - s]
            o_nrs[i, s] = nrs
            o_out[i, s] = out
            o_pl[i, s] = pl[s]
            o_ef[i, s] = ef[s]
            o_mg[i, s] = cum
            o_d[i, s] = st[0]
            o_uf[i, s] = st[1]
            o_us[i, s] = st[2]
            o_r[i, s] = r_eff
            o_g[i, s] = g_oih
        o_n[i, 0] = n_dem
        o_n[i, 1] = n_del


def _arr(x, shape, name):
    a = np.array(np.broadcast_to(np.asarray(x, float), shape), dtype=float, order="C")
    if not np.all(np.isfinite(a)):
        raise InputError(name, "non-finite values", "finite numbers")
    return a


def opioid_course(*, table, transfer, c_rate_Hz, gain, dt_min: float = 1.0,
                  morphine_plasma_ng_mL=0.0, morphine_effect_ng_mL=0.0, fentanyl_uM=0.0,
                  remifentanil_uM=0.0, ketamine_uM=0.0, transfer_scale=1.0,
                  pca: PCASpec | None = None, unit_plasma=None, unit_effect=None,
                  thresholds=None, seeds=None,
                  spec: AdaptationSpec = DEFAULT_ADAPTATION, state0=None) -> dict:
    """Opioid analgesia, tolerance/OIH and (optionally) PCA for a batch, one compiled loop.

    Parameters
    ----------
    table, transfer : the slow model's `DriveTable` and the pain transfer.
    c_rate_Hz, gain : (patient, step) C drive (Hz) and slow-model gain, on a ``dt_min`` grid
        (only 1 min is supported: the kernel's adaptation step).
    morphine_plasma_ng_mL, morphine_effect_ng_mL : scheduled morphine (total, ng/mL).
    fentanyl_uM, remifentanil_uM, ketamine_uM : free levels at the receptor (uM); ketamine
        (clipped to the drive table's top) also sets the NMDA-dependent adaptation drive.
    transfer_scale : (patient,) scale of the output before the pain transfer.
    pca : `PCASpec` or None; with it ``unit_plasma``/``unit_effect`` (patient, step): the
        response to 1 mg IV morphine at step 0 (ng/mL), ``thresholds`` (patient,) press
        thresholds and ``seeds`` (patient,) integers for the press draws.
    spec : `AdaptationSpec`; state0 : (patient, 3) initial (D, Uf, Us).

    Returns
    -------
    dict of (patient, step) arrays `COURSE_KEYS` and (patient,) ``demands``, ``deliveries``.

    Examples
    --------
    >>> from ketasim.experiments._pain_common import model_spec, pain_model
    >>> tab, tr = pain_model(model_spec())
    >>> res = opioid_course(table=tab, transfer=tr, c_rate_Hz=np.full((1, 60), 4.0),
    ...                     gain=np.ones((1, 60)))
    >>> round(float(res["nrs"][0, -1]), 2) > 2
    True
    """
    if float(dt_min) != 1.0:
        raise InputError("dt_min", dt_min, "1 (minute steps)")
    check("spec", spec, Instance(AdaptationSpec))
    c = np.asarray(c_rate_Hz, float)
    if c.ndim != 2:
        raise InputError("c_rate_Hz", c.shape, "a 2-D (patient, step) array")
    shape = c.shape
    n, t = shape
    c = _arr(c, shape, "c_rate_Hz")
    args = [_arr(x, shape, nm) for x, nm in (
        (morphine_plasma_ng_mL, "morphine_plasma_ng_mL"),
        (morphine_effect_ng_mL, "morphine_effect_ng_mL"), (fentanyl_uM, "fentanyl_uM"),
        (remifentanil_uM, "remifentanil_uM"), (ketamine_uM, "ketamine_uM"))]
    g = _arr(gain, shape, "gain")
    s_tr = _arr(transfer_scale, (n,), "transfer_scale")
    if pca is not None:
        check("pca", pca, Instance(PCASpec))
        if unit_plasma is None or unit_effect is None:
            raise InputError("unit_plasma", None, "the 1 mg unit response with pca")
        hp, he = _arr(unit_plasma, shape, "unit_plasma"), _arr(unit_effect, shape, "unit_effect")
        seeds = np.arange(n) if seeds is None else np.asarray(seeds, np.int64)
        both = personal_thresholds(pca, seeds + 7919)
        thr = both[0] if thresholds is None else _arr(thresholds, (n,), "thresholds")
        side = both[1]
        p = pca
    else:
        hp = he = np.zeros((1, 1))
        seeds = np.zeros(n, np.int64)
        thr = np.full(n, 10.0)
        side = np.full(n, 1e9)
        p = PCASpec()
    from ketasim.pk import free_concentration_umol

    free_per_ng = float(free_concentration_umol(1.0, "morphine"))
    s0 = np.zeros((n, 3)) if state0 is None else np.ascontiguousarray(
        np.broadcast_to(np.asarray(state0, float), (n, 3)))
    outs = [np.zeros(shape) for _ in COURSE_KEYS]
    counts = np.zeros((n, 2), np.int64)
    stop = t if p.stop_h is None else int(round(p.stop_h * 60.0))
    _course_kernel(hp, he, args[0], args[1], args[2], args[3], args[4], c, g, s_tr,
                   np.ascontiguousarray(thr, float), np.ascontiguousarray(side, float),
                   np.asarray(seeds, np.int64) % (2 ** 31),
                   free_per_ng, functional_opioid_vector(spec), adaptation_vector(spec),
                   table.c_rate_Hz, table.ketamine_uM, table.gain, table.out_Hz, table.b,
                   nmda_reference(table),
                   np.array([transfer.threshold_Hz, transfer.half_Hz, transfer.exponent]),
                   pca is not None, float(p.bolus_mg), float(p.lockout_min),
                   -1.0 if p.limit_mg is None else float(p.limit_mg),
                   int(round(p.limit_window_min)), int(round(p.start_h * 60.0)), stop,
                   float(p.press_per_min), s0, *outs, counts)
    res = dict(zip(COURSE_KEYS, outs, strict=True))
    res["demands"] = counts[:, 0].astype(float)
    res["deliveries"] = counts[:, 1].astype(float)
    res["thresholds"] = np.asarray(thr, float)
    return res


@validate_params({"meac_ng_mL": Interval(0, None, closed="neither"),
                  "spec": Instance(AdaptationSpec)})
def calibrate_morphine_k(table, transfer, *, meac_ng_mL: float = MEAC_MORPHINE_NG_ML,
                         reference: dict | None = None,
                         spec: AdaptationSpec = DEFAULT_ADAPTATION) -> float:
    """Functional morphine K (uM) that puts the reference patient's pain at the median PCA
    threshold at the MEAC (steady state, no tolerance; see the module docstring).

    Examples
    --------
    >>> from ketasim.experiments._pain_common import model_spec, pain_model
    >>> tab, tr = pain_model(model_spec())
    >>> k = calibrate_morphine_k(tab, tr)
    >>> round(k, 3)   # the default AdaptationSpec.k_morphine_uM
    0.085
    """
    from scipy.optimize import brentq

    ref = {**MEAC_REFERENCE, **(reference or {})}

    def nrs_at(k_uM):
        s = spec.replace(k_morphine_uM=float(k_uM))
        r = opioid_course(table=table, transfer=transfer,
                          c_rate_Hz=np.full((1, 1), ref["c_rate_Hz"]),
                          gain=np.full((1, 1), ref["gain"]),
                          morphine_effect_ng_mL=meac_ng_mL, spec=s)
        return float(r["nrs"][0, 0]) - ref["threshold_nrs"]

    lo, hi = 1e-4, 1.0
    if nrs_at(lo) * nrs_at(hi) > 0:
        raise InputError("meac_ng_mL", meac_ng_mL,
                         "a MEAC at which morphine can bring the reference pain to threshold")
    return float(brentq(nrs_at, lo, hi, xtol=1e-7))


# ----------------------------------------------------------------------------- layers
OPIOID_FIELDS = ("morphine_uM", "fentanyl_uM", "remifentanil_uM")


def expand_pca_regimens(regimens) -> list:
    """Regimens with each PCA's background infusion added to its scheduled doses.

    Examples
    --------
    >>> from ketasim.scenarios.schema import Regimen
    >>> r = Regimen(drug="morphine", doses=[{"kind": "bolus", "dose": "5 mg"}],
    ...             pca={"background": "1 mg/h"})
    >>> [d.kind for d in expand_pca_regimens([r])[0].doses]
    ['bolus', 'infusion']
    """
    from ketasim.scenarios.schema import Infusion

    out = []
    for r in regimens:
        if r.pca is not None and r.pca.background is not None:
            inf = Infusion(rate=r.pca.background, start=r.pca.start, duration=r.pca.duration)
            r = r.model_copy(update={"doses": [*r.doses, inf]})
        out.append(r)
    return out


def scheduled_mg(regimens, drug: str, weight_kg, t_h) -> np.ndarray:
    """Cumulative scheduled dose (mg) of ``drug`` at times ``t_h`` for each weight.

    Examples
    --------
    >>> from ketasim.scenarios.schema import Regimen
    >>> r = Regimen(drug="morphine", doses=[{"kind": "bolus", "dose": "5 mg"},
    ...             {"kind": "infusion", "rate": "1 mg/h", "duration": "2 h"}])
    >>> scheduled_mg([r], "morphine", [70.0], np.array([0.0, 1.0, 3.0])).tolist()
    [[5.0, 6.0, 7.0]]
    """
    from ketasim.scenarios.schema import Bolus

    w = np.atleast_1d(np.asarray(weight_kg, float))[:, None]
    t = np.asarray(t_h, float)[None, :]
    cum = np.zeros((w.shape[0], t.shape[1]))
    for r in regimens:
        if r.drug != drug:
            continue
        for d in r.doses:
            if isinstance(d, Bolus):
                mg = d.mg if d.mg is not None else d.mg_per_kg * w
                cum = cum + mg * (t >= d.time_h - 1e-12)
            else:
                rate = d.mg_per_h if d.mg_per_h is not None else d.mg_per_kg_per_h * w
                end = np.inf if d.duration_h is None else d.start_h + d.duration_h
                cum = cum + rate * np.clip(np.minimum(t, end) - d.start_h, 0.0, None)
    return cum


def tolerant_state0(condition, spec: AdaptationSpec = DEFAULT_ADAPTATION):
    """Initial (D, Uf, Us) of a condition: an ``opioid_tolerant`` patient starts with the
    desensitisation that leaves ``mu_efficacy_scale`` of the mu efficacy, others at rest.

    Examples
    --------
    >>> from ketasim.scenarios.schema import OpioidTolerant, Postoperative
    >>> tolerant_state0(OpioidTolerant(mu_efficacy_scale=0.75)).tolist()
    [0.5, 0.0, 0.0]
    >>> tolerant_state0(Postoperative()).tolist()
    [0.0, 0.0, 0.0]
    """
    scale = getattr(condition, "mu_efficacy_scale", None)
    if scale is None or spec.desens_max == 0:
        return np.zeros(3)
    return np.array([min((1.0 - float(scale)) / spec.desens_max, 1.0), 0.0, 0.0])


def apply_opioids(*, regimens, conc, free, unit, weight_kg, t_h, c_step, gain_f, s_tr,
                  s_nm, table, transfer, seeds, thresholds=None, state0=None,
                  spec: AdaptationSpec = DEFAULT_ADAPTATION):
    """Opioid analgesia, tolerance/OIH and PCA on the slow model's course (scenarios, trials).

    ``conc``/``free``: the PK results of the scheduled doses (runner / trial layout,
    arrays (patient, time) on the 1-min grid ``t_h``); ``unit``: (plasma, effect) of 1 mg IV
    morphine per patient, or None without PCA; ``c_step`` (patient, time) C drive;
    ``gain_f`` the slow model's gain; ``s_tr``/``s_nm`` the transfer and NMDA-sensitivity
    scales; ``seeds`` per patient; ``state0`` the initial (D, Uf, Us) (`tolerant_state0`).
    Returns None when no opioid is given, else a dict with
    ``out_Hz`` (output with analgesia and OIH), ``gain`` (slow gain x OIH gain factor),
    ``morphine_mg`` (cumulative, scheduled + PCA) and the `opioid_course` arrays.

    Examples
    --------
    >>> apply_opioids(regimens=[], conc={}, free={}, unit=None, weight_kg=[70.0],
    ...               t_h=np.zeros(1), c_step=None, gain_f=None, s_tr=None, s_nm=None,
    ...               table=None, transfer=None, seeds=[0]) is None
    True
    """
    pca_regs = [r for r in regimens if r.pca is not None]
    has_opioid = any(r.drug in ("morphine", "fentanyl", "remifentanil") for r in regimens)
    if not has_opioid:
        return None
    m = gain_f.shape[0]
    shape = gain_f.shape
    k_top = float(table.ketamine_uM[-1])
    ket = np.maximum(free["ketamine_uM"], 0.0) * np.asarray(s_nm, float)[:, None]
    mp, me = conc.get("morphine", (np.zeros(shape), None))
    me = mp if me is None else me
    pca = None
    if pca_regs:
        pca = pca_spec_of(pca_regs[0].pca, float(np.median(weight_kg)))
    res = opioid_course(table=table, transfer=transfer, c_rate_Hz=c_step, gain=gain_f,
                        morphine_plasma_ng_mL=np.maximum(mp, 0.0),
                        morphine_effect_ng_mL=np.maximum(me, 0.0),
                        fentanyl_uM=np.maximum(free["fentanyl_uM"], 0.0),
                        remifentanil_uM=np.maximum(free["remifentanil_uM"], 0.0),
                        ketamine_uM=np.minimum(ket, k_top),
                        transfer_scale=s_tr, pca=pca,
                        unit_plasma=None if unit is None else unit[0],
                        unit_effect=None if unit is None else unit[1], seeds=seeds,
                        thresholds=thresholds, spec=spec, state0=state0)
    res["out_Hz_opioid"] = res.pop("out_Hz")
    res["gain_oih"] = np.clip(gain_f * res["oih_gain"], table.gain[0], table.gain[-1])
    res["morphine_mg"] = scheduled_mg(regimens, "morphine", weight_kg, t_h) + res["pca_mg"]
    from ketasim.pk import free_concentration_umol

    res["morphine_free_uM"] = np.asarray(free_concentration_umol(
        np.maximum(res["morphine_effect_ng_mL"], 0.0), "morphine"), float)
    res["n_patients"] = m
    return res


#: Opioid time courses a scenario result carries (name: (key in the course dict, units)).
SCENARIO_COURSES = {"morphine_mg": ("morphine_mg", "mg"), "mu_activation": ("r_eff", "1"),
                    "mu_desensitisation": ("D", "1"), "nmda_pkc": ("Uf", "1"),
                    "nmda_upregulation": ("Us", "1"), "oih_gain": ("oih_gain", "1")}


def scenario_opioids(scenario, conc, free, t_min, c_sched, gain_f, table, transfer):
    """`apply_opioids` for one scenario (`ketasim.scenarios.simulate`); None without opioids.

    The unit-bolus response comes from the PK layer for the scenario's patient (no
    variability); the press threshold is the prescription's median (CV ignored for one
    patient) and the press draws use the scenario's seed.

    Examples
    --------
    >>> from ketasim.scenarios import Scenario
    >>> scenario_opioids(Scenario(name="x"), {}, {}, None, None, None, None, None) is None
    True
    """
    from ketasim.pk import simulate as simulate_pk
    from ketasim.scenarios.runner import _schedule
    from ketasim.scenarios.schema import Regimen

    regs = list(scenario.regimens)
    if not any(r.drug in ("morphine", "fentanyl", "remifentanil") for r in regs):
        return None
    p = scenario.patient
    patient = {"weight_kg": p.weight_kg, "height_cm": p.height_cm, "age_yr": p.age_yr,
               "sex": p.sex}
    pca = [r for r in regs if r.pca is not None]
    unit = None
    if pca:
        one = Regimen(drug="morphine", model=pca[0].model,
                      doses=[{"kind": "bolus", "dose": "1 mg"}])
        ds = simulate_pk("morphine", one.model, _schedule([one]), patient, t_min)
        pl = ds["morphine_plasma_ng_mL"].values[0]
        ef = ds["morphine_effect_ng_mL"].values[0] if "morphine_effect_ng_mL" in ds else pl
        unit = (pl[None, :], ef[None, :])
    conc1 = {k: (v[0][None, :], None if v[1] is None else v[1][None, :])
             for k, v in conc.items()}
    free1 = {k: np.asarray(v, float)[None, :] for k, v in free.items()}
    c_step = np.concatenate([c_sched, c_sched[-1:]])[None, :]
    res = apply_opioids(regimens=regs, conc=conc1, free=free1, unit=unit,
                        weight_kg=[p.weight_kg], t_h=t_min / 60.0, c_step=c_step,
                        gain_f=np.asarray(gain_f, float)[None, :], s_tr=np.ones(1),
                        s_nm=np.ones(1), table=table, transfer=transfer,
                        seeds=np.array([int(scenario.seed) % (2 ** 31)]),
                        thresholds=None if not pca else np.array([pca[0].pca.threshold_nrs]),
                        state0=tolerant_state0(scenario.condition))
    return res
