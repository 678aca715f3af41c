"""Target-controlled infusion (TCI): the pump rates that bring a PK model to a target.

A TCI pump re-plans its rate at every update (every ``update`` seconds, and at every change
of target). Between two updates the rate is constant, so the model moves exactly by the
one-step propagator of the exact solver (`ketasim.pk.solver.transition_matrices`):
``x(t + h) = Phi x(t) + Gamma r``. Both algorithms use it (no time step, no
approximation beyond the pump's own):

* **Plasma targeting** (Jacobs 1990; exact per-interval solution as Bailey & Shafer 1991):
  the rate that brings the plasma concentration to the target at the end of the interval,
  ``r = (V1 Ct - (Phi x)_1) / Gamma_1``.
* **Effect-site targeting** (Shafer & Gregg 1992): the rate over the next interval such that
  the effect-site concentration, with the pump stopped afterwards, peaks exactly at the
  target: with ``b(s)`` the effect site predicted from the current state alone and ``u(s)``
  that of a unit rate over the interval, ``r = min_s (Ct - b(s)) / u(s)`` over the times
  ``s`` from the update on (the largest rate whose predicted effect-site curve stays at or
  below the target; it touches the target at its peak). When the effect site would rise
  above the target even with the pump stopped (a falling target, or plasma above the
  effect site at the target), the rate is 0. At the target the rates alternate between 0
  and a maintenance rate (the algorithm's known chatter; PyTCI's ``effect_target`` does the
  same). The minimum is taken at 10 times inside the interval and on a grid of 1,500 times
  after it (a flat minimum: its error is second order in the grid step).

In both, the rate is then clipped to ``[0, max rate]`` and rounded DOWN to the pump's rate
step (so a clipped or rounded rate never overshoots the target; the next update makes up
the difference). The pump's model is the PARENT drug's model without a metabolite.

Units inside: amounts in mg, concentrations in mg/L (= ug/mL), time in min, rates in mg/min.

Example
-------
>>> from ketasim.pk.tci import tci
>>> ds = tci("propofol", "eleveld", "3 ug/mL", site="effect", duration="20 min")
>>> ce = ds["propofol_effect_ng_mL"].isel(patient=0)
>>> bool(ce.max() <= 3000 * (1 + 1e-3)), round(float(ce.sel(time=20.0)) / 1000, 2)
(True, 3.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numba
import numpy as np
import pint
import xarray as xr

from ketasim.core.errors import InputError, UnitError
from ketasim.core.provenance import stamp, summarise_array
from ketasim.core.units import as_float, parse_quantity
from ketasim.core.validation import (
    Instance,
    Interval,
    NoneOK,
    Options,
    check,
    check_fields,
    check_work,
    validate_params,
)
from ketasim.pk import sources as S
from ketasim.pk.dosing import CLI, PYTHON, Bolus, Dialect, Infusion
from ketasim.pk.models import resolve_model
from ketasim.pk.models.base import Covariates, ModelSpec
from ketasim.pk.solver import transition_matrices

__all__ = ["tci", "Pump", "parse_targets", "SITES", "SYRINGE_MG_ML", "MAX_TARGET_NG_ML",
           "schedule_of", "infusion_events"]

SITES = ("effect", "plasma")
#: Default syringe concentrations (mg/mL): common undiluted formulations [estimate:
#: ketasim's choice of a usual presentation, not a recommendation].
SYRINGE_MG_ML = {"propofol": 10.0, "ketamine": 10.0, "s-ketamine": 5.0, "thiopental": 25.0,
                 "fentanyl": 0.05, "remifentanil": 0.05, "morphine": 1.0, "midazolam": 1.0}
#: Sanity limits on a target (ng/mL), several times the clinical maxima [estimate]: they
#: catch unit slips (ug/mL for ng/mL), they are not clinical guidance.
MAX_TARGET_NG_ML = {"propofol": 20000.0, "ketamine": 10000.0, "s-ketamine": 5000.0,
                    "thiopental": 100000.0, "fentanyl": 50.0, "remifentanil": 100.0,
                    "morphine": 1000.0, "midazolam": 5000.0}
#: Cap on targets in a schedule and on patients x pump updates of one call.
MAX_TARGETS = 1000
MAX_UPDATES = 2_000_000
#: Cap on one scenario/trial pump's updates (the exact solver holds one infusion per
#: distinct rate: ~28 h at 10 s).
MAX_REGIMEN_UPDATES = 10_000
#: Points of the effect-site look-ahead grid (per update).
_LOOKAHEAD = 1500


@dataclass(frozen=True)
class Pump:
    """A syringe pump: update interval (s), maximum rate and rate step (mL/h), syringe
    concentration (mg/mL; None: the drug's default in `SYRINGE_MG_ML`).

    Defaults: updates every 10 s, at most 1200 mL/h, rate step 0 (continuous).

    Examples
    --------
    >>> Pump(update_s=10, max_rate_mL_h=1200, syringe_mg_mL=10).max_rate_mg_min()
    200.0
    """

    update_s: float = 10.0
    max_rate_mL_h: float = 1200.0
    rate_step_mL_h: float = 0.0
    syringe_mg_mL: float | None = None

    def __post_init__(self):
        check_fields(self, {"update_s": Interval(0.1, 3600, unit="s"),
                            "max_rate_mL_h": Interval(0, 10000, closed="right", unit="mL/h"),
                            "rate_step_mL_h": Interval(0, 100, unit="mL/h"),
                            "syringe_mg_mL": (Interval(0, 1000, closed="right", unit="mg/mL"),
                                              NoneOK())},
                     prefix="Pump.")
        if self.rate_step_mL_h > self.max_rate_mL_h:
            raise InputError("Pump.rate_step_mL_h", self.rate_step_mL_h,
                             f"a rate step <= the maximum rate ({self.max_rate_mL_h} mL/h)")

    def syringe(self, drug: str) -> float:
        return self.syringe_mg_mL if self.syringe_mg_mL is not None else SYRINGE_MG_ML[drug]

    def max_rate_mg_min(self, drug: str = "propofol") -> float:
        return self.max_rate_mL_h * self.syringe(drug) / 60.0

    def step_mg_min(self, drug: str = "propofol") -> float:
        return self.rate_step_mL_h * self.syringe(drug) / 60.0


# ----------------------------------------------------------------------------- targets
_TARGET_ITEM = re.compile(r"^\s*(?P<c>.+?)(?:\s+(?:at|from)\s+(?P<t>.+?))?\s*$", re.I)


def _concentration(text, field: str) -> float:
    try:
        return parse_quantity(text, field, "ng/mL", allowed="a concentration such as "
                              "'3 ug/mL' or '4 ng/mL'")
    except UnitError:
        raise
    except InputError:
        raise UnitError(field, text, "a concentration such as '3 ug/mL' or '4 ng/mL'") \
            from None


@validate_params({"field": Instance(str)})
def parse_targets(targets, *, field: str = "target") -> list[tuple[float, float]]:
    """A target or a schedule of targets -> sorted ``[(time_min, target_ng_mL), ...]``.

    Accepted: ``"3 ug/mL"`` (from time 0), ``"3 ug/mL at 0 min, 2 ug/mL at 30 min"``, a
    list of such strings, or a list of ``(time, concentration)`` pairs (quantities, or
    numbers in min and ng/mL). Before the first target's time the target is 0 (pump off).

    Examples
    --------
    >>> parse_targets("3 ug/mL at 0 min, 2 ug/mL at 0.5 h")
    [(0.0, 3000.0), (30.0, 2000.0)]
    """
    allowed = ("a target such as '3 ug/mL' or a schedule '3 ug/mL at 0 min, 2 ug/mL at "
               "30 min'")
    if isinstance(targets, str):
        items = [p for p in targets.split(",")]
    elif isinstance(targets, pint.Quantity):
        items = [targets]
    elif isinstance(targets, list | tuple):
        items = list(targets)
    else:
        raise InputError(field, type(targets).__name__, allowed)
    if not items:
        raise InputError(field, targets, allowed)
    check_work(f"{field} (number of targets)", len(items), MAX_TARGETS,
               "give fewer targets")
    out = []
    for i, it in enumerate(items):
        f = field if len(items) == 1 else f"{field}[{i}]"
        if isinstance(it, str):
            m = _TARGET_ITEM.match(it)
            if not it.strip() or m is None:
                raise InputError(f, it, allowed)
            c = _concentration(m.group("c").strip(), f)
            t = 0.0 if m.group("t") is None else as_float(
                m.group("t").strip(), f, "min", allowed="a time such as '30 min'")
        elif isinstance(it, pint.Quantity):
            c, t = _concentration(it, f), 0.0
        elif isinstance(it, list | tuple) and len(it) == 2:
            t = as_float(it[0], f, "min", allowed="(time, concentration), e.g. "
                         "('30 min', '2 ug/mL') or (30, 2000) in min and ng/mL")
            c = as_float(it[1], f, "ng/mL", allowed="(time, concentration), e.g. "
                         "('30 min', '2 ug/mL') or (30, 2000) in min and ng/mL")
        else:
            raise InputError(f, type(it).__name__, allowed)
        c, t = float(f"{c:.12g}"), float(f"{t:.12g}")  # '3 ug/mL' is 3000 ng/mL exactly
        if not np.isfinite(c) or c < 0:
            raise InputError(f, it, "a target concentration >= 0")
        if not np.isfinite(t) or t < 0 or t > 30 * 24 * 60:
            raise InputError(f, it, "a target time between 0 and 30 d")
        out.append((float(t), float(c)))
    times = [t for t, _ in out]
    if len(set(times)) != len(times):
        raise InputError(field, targets, "targets at distinct times")
    return sorted(out)


# ----------------------------------------------------------------------------- kernel
@numba.njit(cache=True, parallel=True)
def _control(Phi, Gam, step_u, tgt, effect, R, U, Rin, Uin, rmax, rstep, rates,
             states):  # pragma: no cover - compiled
    """Run the pump for every patient.

    Phi (D, N, n, n), Gam (D, N, n): one-step propagators of the distinct step lengths;
    step_u (K,) which one each step uses; tgt (K,) target (mg/L) in force during step k;
    R (N, J, n) effect-site row of expm(A s_j); U (D, N, J) effect site at s_j after a unit
    rate over a step of length d; Rin (D, N, m, n), Uin (D, N, m) the same at m times
    inside the step (the unit rate still running). Writes rates (N, K) mg/min and states
    (N, K+1, n).
    """
    D, N, n, _ = Phi.shape
    K = step_u.shape[0]
    J = R.shape[1]
    for p in numba.prange(N):
        x = np.zeros(n)
        y = np.zeros(n)
        qs = np.empty(J)
        for k in range(K):
            u = step_u[k]
            for a in range(n):
                s = 0.0
                for c in range(n):
                    s += Phi[u, p, a, c] * x[c]
                y[a] = s
            ct = tgt[k]
            if effect:
                r = np.inf
                for j in range(Rin.shape[2]):  # inside the step: from the current state
                    b = 0.0
                    for c in range(n):
                        b += Rin[u, p, j, c] * x[c]
                    if b > ct * (1.0 + 1e-9):  # above the target without the pump: wait
                        r = 0.0
                        break
                    h = Uin[u, p, j]
                    if h > 1e-300:
                        q = (ct - b) / h
                        if q < r:
                            r = q
                jbest = -1
                rafter = np.inf
                for j in range(J if r > 0.0 else 0):  # after the step
                    b = 0.0
                    for c in range(n):
                        b += R[p, j, c] * y[c]
                    if b > ct * (1.0 + 1e-9):  # above the target without the pump: wait
                        r = 0.0
                        jbest = -1
                        break
                    h = U[u, p, j]
                    qs[j] = (ct - b) / h if h > 1e-300 else np.inf
                    if qs[j] < rafter:
                        rafter = qs[j]
                        jbest = j
                if 0 < jbest < J - 1 and np.isfinite(qs[jbest - 1]) and np.isfinite(
                        qs[jbest + 1]):  # parabola through the grid minimum
                    den = qs[jbest - 1] - 2.0 * qs[jbest] + qs[jbest + 1]
                    if den > 0.0:
                        rafter = qs[jbest] - (qs[jbest + 1] - qs[jbest - 1]) ** 2 / (8.0 * den)
                if r > 0.0 and rafter < r:
                    r = rafter
                if not np.isfinite(r):
                    r = 0.0
            else:
                g = Gam[u, p, 0]
                r = (ct * R[p, 0, 0] - y[0]) / g if g > 0.0 else 0.0
            if r < 0.0:
                r = 0.0
            if r > rmax:
                r = rmax
            if rstep > 0.0:
                r = np.floor(r / rstep * (1.0 + 1e-12)) * rstep
            rates[p, k] = r
            for a in range(n):
                x[a] = y[a] + Gam[u, p, a] * r
                states[p, k + 1, a] = x[a]


def _lookahead(A, ce):
    """Look-ahead steps (N,) and R (N, J, n) = Ce row of expm(A s_j), s_j = j x step."""
    N, n, _ = A.shape
    from scipy.linalg import expm

    ke0 = -A[:, ce, ce]  # horizon per patient (a patient's rates do not depend on the
    # others'): Ce within 0.1 % of Cp after ln(1000)/ke0, 10 min-48 h
    H = np.clip(np.log(1e3) / np.maximum(ke0, 1e-9), 10.0, 48 * 60.0)
    step = H / (_LOOKAHEAD - 1)
    E1 = expm(A * step[:, None, None])  # (N, n, n)
    R = np.empty((N, _LOOKAHEAD, n))
    row = np.zeros((N, n))
    row[:, ce] = 1.0
    for j in range(_LOOKAHEAD):
        R[:, j, :] = row
        row = np.einsum("pa,pab->pb", row, E1)
    return step, R


def _inside(A, b, ce, dts, m: int = 10):
    """Effect-site rows Rin (D, N, m, n) and unit-rate responses Uin (D, N, m) at m evenly
    spaced times inside each step length (the last one its end)."""
    D, (N, n, _) = len(dts), A.shape
    Rin, Uin = np.zeros((D, N, m, n)), np.zeros((D, N, m))
    for i, d in enumerate(dts):
        Ph, Ga = transition_matrices(A, b, d * np.arange(1, m + 1) / m)
        Rin[i] = np.transpose(Ph[:, :, ce, :], (1, 0, 2))
        Uin[i] = Ga[:, :, ce].T
    return Rin, Uin


def _grid(duration, update, changes):
    """Pump update times (min): every ``update`` and at each target change."""
    n = int(np.floor(duration / update + 1e-9))
    g = np.arange(n + 1) * update
    g = np.unique(np.round(np.concatenate([g, [duration], [c for c in changes
                                                              if c < duration]]), 9))
    return g


def _as_cov(patients) -> Covariates:
    from ketasim.pk.simulate import _as_covariates

    return _as_covariates(patients if patients is not None else {})


def _time_min(value, field, positive=True) -> float:
    t = as_float(value, field, "min", allowed="a time such as '60 min' or '2 h' (a number: "
                 "min)")
    if not np.isfinite(t) or t < 0 or (positive and t <= 0) or t > 30 * 24 * 60:
        raise InputError(field, value, "a time > 0 and <= 30 d, e.g. '60 min'")
    return t


@validate_params({
    "drug": Instance(str),
    "model": (Instance(str, ModelSpec), NoneOK()),
    "site": Instance(str),
    "pump": (Instance(Pump), NoneOK()),
    "check_validity": Instance(bool),
    "max_updates": Interval(1, None, integer=True),
})
def tci(drug: str, model: str | ModelSpec | None = None, target="3 ug/mL", *,
        site: str = "effect", patients: Covariates | dict | None = None,
        duration=None, pump: Pump | None = None, update=None, max_rate=None,
        rate_step=None, syringe=None, update_times=None, ke0=None,
        check_validity: bool = True,
        max_updates: int = MAX_UPDATES, _dialect: Dialect = PYTHON) -> xr.Dataset:
    """Infusion rates of a TCI pump and the concentrations they give, for a batch of patients.

    Parameters
    ----------
    drug, model : e.g. ``"propofol", "eleveld"`` (see `ketasim.pk.list_models`).
    target : ``"3 ug/mL"``, a schedule ``"3 ug/mL at 0 min, 2 ug/mL at 30 min"`` or a list
        (see `parse_targets`).
    site : ``"effect"`` (Shafer & Gregg 1992) or ``"plasma"`` (Jacobs 1990).
    patients : `Covariates` or a dict (``weight_kg``, ``age_yr``, ``height_cm``, ``sex``);
        default one 70 kg, 40 y, 170 cm man. Each patient gets his own rates.
    duration : how long the pump runs (default: 60 min, or 30 min after the last target).
    pump : a `Pump`; or give its fields here: ``update`` (default ``"10 s"``),
        ``max_rate`` (``"1200 mL/h"``), ``rate_step`` (``"0 mL/h"``: continuous),
        ``syringe`` (``"10 mg/mL"``; default by drug, `SYRINGE_MG_ML`).
    update_times : explicit pump update times (min, increasing, from 0) instead of a
        regular ``update`` interval (e.g. to follow another device's schedule); the target
        changes and ``duration`` are added to them.
    ke0 : override the model's ke0 (1/min).
    check_validity : refuse covariates outside the model's studied ranges.
    max_updates : cap on patients x pump updates.

    Returns
    -------
    xarray.Dataset, dims (patient, time), ``time`` the pump updates (min):
    ``rate_mg_min`` and ``rate_mL_h`` (the rate from this update to the next; 0 at the
    end), ``infused_mg`` (cumulative), ``target_ng_mL`` (time), and the pump model's
    ``<drug>_plasma_ng_mL`` and ``<drug>_effect_ng_mL`` (where the model has an effect
    site); covariates as patient coordinates; provenance and citations.

    Examples
    --------
    >>> ds = tci("remifentanil", "minto", "4 ng/mL", site="plasma", duration="10 min")
    >>> round(float(ds["remifentanil_plasma_ng_mL"].sel(time=10.0)[0]), 6)
    4.0
    """
    dialect = _dialect
    f_site, f_target, f_dur = (("--site", "--target", "--duration") if dialect is CLI
                               else ("site", "target", "duration"))
    d, spec = resolve_model(drug, model)
    st = site.strip().lower()
    check(f_site, st, Options(SITES))
    targets = parse_targets(target, field=f_target)
    top = MAX_TARGET_NG_ML.get(d, np.inf)
    for t, c in targets:
        if c > top:
            raise InputError(f_target, f"{c:g} ng/mL at {t:g} min",
                             f"<= {top:g} ng/mL of {d} (a sanity limit); check the unit "
                             "(ug/mL vs ng/mL)")
    if pump is None:
        kw = {}
        if update is not None:
            kw["update_s"] = as_float(update, "update", "s", allowed="an interval such as "
                                      "'10 s'")
        if max_rate is not None:
            kw["max_rate_mL_h"] = as_float(max_rate, "max_rate", "mL/h",
                                           allowed="a rate such as '1200 mL/h'")
        if rate_step is not None:
            kw["rate_step_mL_h"] = as_float(rate_step, "rate_step", "mL/h",
                                            allowed="a rate step such as '0.1 mL/h'")
        if syringe is not None:
            kw["syringe_mg_mL"] = as_float(syringe, "syringe", "mg/mL",
                                           allowed="a concentration such as '10 mg/mL'")
        pump = Pump(**kw)
    elif any(v is not None for v in (update, max_rate, rate_step, syringe)):
        raise InputError("pump", "a Pump and its fields", "either pump=Pump(...) or the "
                         "fields update/max_rate/rate_step/syringe, not both")
    last = targets[-1][0]
    dur = (max(60.0, last + 30.0) if duration is None else _time_min(duration, f_dur))
    cov = _as_cov(patients)
    params = spec.parameters(cov, check=check_validity)
    if ke0 is not None:
        k = as_float(ke0, "ke0", "1/min", allowed="a rate constant in 1/min in (0, 1000)")
        if not 0 < k < 1000:
            raise InputError("ke0", ke0, "a rate constant in 1/min in (0, 1000)")
        params["ke0"] = np.full(cov.n, k)
    from ketasim.pk.simulate import build_system

    sysm = build_system(params, species=d, metabolite=None)
    has_ce = len(sysm.outputs) > 1
    if st == "effect" and not has_ce:
        raise InputError(f_site, site, f"'plasma' (the {spec.key} model has no effect site)")
    check_work("patients x pump updates", cov.n * (dur / (pump.update_s / 60.0)
                                                  + len(targets)), max_updates,
               "pass --max-updates, a longer --update or a shorter --duration"
               if dialect is CLI else "pass max_updates=..., a longer update or a shorter "
               "duration")
    grid = _grid(dur, pump.update_s / 60.0, [t for t, _ in targets])
    if update_times is not None:
        ut = np.asarray(update_times, dtype=float).ravel()
        if ut.size == 0 or not np.all(np.isfinite(ut)) or np.any(np.diff(ut) <= 0) \
                or ut[0] != 0:
            raise InputError("update_times", "an array" if ut.size > 5 else ut.tolist(),
                             "increasing times in min starting at 0")
        check_work("update_times", ut.size, max_updates, "give fewer update times")
        grid = np.unique(np.round(np.concatenate(
            [ut[ut < dur], [dur], [t for t, _ in targets if t < dur]]), 9))
    K = len(grid) - 1
    check_work("patients x pump updates", cov.n * K, max_updates,
               "pass --max-updates, a longer --update or a shorter --duration"
               if dialect is CLI else "pass max_updates=..., a longer update or a shorter "
               "duration")
    steps = np.round(np.diff(grid), 9)
    dts, step_u = np.unique(steps, return_inverse=True)
    Phi, Gam = transition_matrices(sysm.A, sysm.b, dts)
    tt = np.array([t for t, _ in targets])
    cc = np.array([c for _, c in targets]) / 1000.0  # mg/L
    idx = np.searchsorted(tt, grid[:-1] + 1e-9, side="right") - 1
    tgt = np.where(idx >= 0, cc[np.maximum(idx, 0)], 0.0)
    n = sysm.n
    v1 = params["V1"]
    if st == "effect":
        ce = sysm.outputs.index(f"{d.replace('-', '_')}_effect")
        ce_i = int(np.flatnonzero(sysm.C[0, ce])[0])
        _, R = _lookahead(sysm.A, ce_i)
        U = np.einsum("pjn,dpn->dpj", R, Gam)
        Rin, Uin = _inside(sysm.A, sysm.b, ce_i, dts)
    else:
        R = np.zeros((cov.n, 1, n))
        R[:, 0, 0] = v1  # plasma: the kernel reads V1 here
        U = np.zeros((len(dts), cov.n, 1))
        Rin, Uin = np.zeros((len(dts), cov.n, 0, n)), np.zeros((len(dts), cov.n, 0))
    rates = np.zeros((cov.n, K))
    states = np.zeros((cov.n, K + 1, n))
    _control(Phi, Gam, step_u.astype(np.int64).reshape(-1), tgt, st == "effect",
             np.ascontiguousarray(R), np.ascontiguousarray(U), np.ascontiguousarray(Rin),
             np.ascontiguousarray(Uin),
             pump.max_rate_mg_min(d), pump.step_mg_min(d), rates, states)
    y = np.einsum("pon,pkn->pok", sysm.C, states)  # ng/mL
    conc = pump.syringe(d)
    rate_full = np.concatenate([rates, np.zeros((cov.n, 1))], axis=1)
    infused = np.concatenate([np.zeros((cov.n, 1)),
                              np.cumsum(rates * np.diff(grid)[None, :], axis=1)], axis=1)
    tgt_full = np.concatenate([tgt, [tgt[-1] if K else 0.0]]) * 1000.0
    ds = xr.Dataset(coords={
        "patient": np.arange(cov.n), "time": ("time", grid, {"units": "min"}),
        "weight_kg": ("patient", cov.weight_kg, {"units": "kg"}),
        "age_yr": ("patient", cov.age_yr, {"units": "year"}),
        "height_cm": ("patient", cov.height_cm, {"units": "cm"}),
        "sex": ("patient", cov.sex, {"units": "1", "description": "0 male, 1 female"})})
    ds["rate_mg_min"] = (("patient", "time"), rate_full,
                         {"units": "mg/min", "description": "pump rate from this update to "
                          "the next (0 at the end)"})
    ds["rate_mL_h"] = (("patient", "time"), rate_full * 60.0 / conc,
                       {"units": "mL/h", "syringe_mg_mL": conc})
    ds["infused_mg"] = (("patient", "time"), infused, {"units": "mg"})
    ds["target_ng_mL"] = ("time", tgt_full, {"units": "ng/mL", "site": st})
    for o, name in enumerate(sysm.outputs):
        ds[f"{name}_ng_mL"] = (("patient", "time"), y[:, o, :],
                               {"units": "ng/mL", "long_name": name.replace("_", " ")})
    ds.attrs.update(drug=d, pk_model=spec.key, site=st)
    cites = [*spec.citations, S.JACOBS, S.BAILEY_SHAFER]
    if st == "effect":
        cites.append(S.SHAFER_GREGG)
    return stamp(ds, model=f"pk.tci:{spec.key}", citations=cites, params={
        "drug": d, "model": spec.key, "site": st,
        "targets": [{"time_min": t, "target_ng_mL": c} for t, c in targets],
        "duration_min": dur,
        "pump": {"update_s": pump.update_s, "max_rate_mL_h": pump.max_rate_mL_h,
                 "rate_step_mL_h": pump.rate_step_mL_h, "syringe_mg_mL": conc},
        "patients": {"n": cov.n, **{k: summarise_array(v, 20)
                                    for k, v in cov.as_dict().items()}},
        "parameters": {k: summarise_array(v, 20) for k, v in sorted(params.items())},
        "check_validity": check_validity})


# ----------------------------------------------------------------------------- to doses
def infusion_events(ds: xr.Dataset) -> list[tuple[float, float, np.ndarray]]:
    """The pump's profile as the exact solver's infusions ``(start, end, mg/min (N,))``,
    consecutive equal rates merged.

    Examples
    --------
    >>> ds = tci("propofol", "marsh", "2 ug/mL", site="plasma", duration="5 min")
    >>> ev = infusion_events(ds)
    >>> ev[0][0], len(ev) <= 30
    (0.0, True)
    """
    t = ds["time"].values
    r = ds["rate_mg_min"].values[:, :-1]
    out = []
    k = 0
    K = r.shape[1]
    while k < K:
        j = k + 1
        while j < K and np.array_equal(r[:, j], r[:, k]):
            j += 1
        if np.any(r[:, k] > 0):
            out.append((float(t[k]), float(t[j]), r[:, k].copy()))
        k = j
    return out


def schedule_of(ds: xr.Dataset, *, drug_limit_mg_kg_h: float | None = None,
                weight_kg: float = 70.0) -> tuple[tuple[Bolus, ...], tuple[Infusion, ...]]:
    """One patient's pump profile as `ketasim.pk` doses: rates within the drug's infusion
    sanity limit become `Infusion` s, faster ones (the loading phase) short IV boluses given
    ``over`` their interval.

    Examples
    --------
    >>> b, i = schedule_of(tci("propofol", "eleveld", "3 ug/mL", duration="10 min"))
    >>> len(b) > 0 and len(i) > 0
    True
    """
    from ketasim.pk.dosing import LIMITS

    if ds.sizes["patient"] != 1:
        raise InputError("ds", f"{ds.sizes['patient']} patients", "the result of one patient")
    lim = (LIMITS.get(ds.attrs["drug"], (np.inf, np.inf))[1] * weight_kg
           if drug_limit_mg_kg_h is None else drug_limit_mg_kg_h * weight_kg)
    bol, inf = [], []
    for t0, t1, r in infusion_events(ds):
        rate_h = float(r[0]) * 60.0
        if rate_h <= lim:
            inf.append(Infusion(mg_per_h=rate_h, start=t0, duration=t1 - t0,
                                text=f"TCI {rate_h:.4g} mg/h"))
        else:  # split into the pump's own intervals (each a short dose)
            tt = ds["time"].values
            ks = np.flatnonzero((tt >= t0 - 1e-12) & (tt < t1 - 1e-12))
            for k in ks:
                a, b = float(tt[k]), float(min(tt[k + 1], t1))
                bol.append(Bolus(mg=float(r[0]) * (b - a), time=a, over=b - a,
                                 text=f"TCI {rate_h:.4g} mg/h"))
    return tuple(bol), tuple(inf)


def regimen_doses(regimens, drug: str, patient, t_end_min: float):
    """Scenario regimens' TCI as doses for ONE patient: ``(boluses, infusions)``.

    ``regimens`` are scenario `Regimen` s of ``drug``; those with a ``tci`` section give the
    pump's doses (the pump runs its own model, which may differ from the patient's).

    Examples
    --------
    >>> from ketasim.scenarios.schema import Regimen
    >>> r = Regimen(drug="propofol", tci={"target": "3 ug/mL"})
    >>> boluses, infusions = regimen_doses([r], "propofol", {}, 30.0)
    >>> len(boluses) > 0 and len(infusions) > 0
    True
    """
    bol, inf = [], []
    cov = _as_cov(patient)
    for r in regimens:
        if getattr(r, "tci", None) is None:
            continue
        ds = _run_regimen(r, drug, cov, t_end_min)
        b, i = schedule_of(ds, weight_kg=float(cov.weight_kg[0]))
        bol += b
        inf += i
    return tuple(bol), tuple(inf)


def regimen_events(regimens, drug: str, cov: Covariates, t_end_min: float) -> list:
    """Scenario regimens' TCI as the exact solver's infusions, per patient of ``cov`` (each
    patient's pump runs the typical model for his covariates).

    Examples
    --------
    >>> from ketasim.scenarios.schema import Regimen
    >>> r = Regimen(drug="propofol", tci={"target": "3 ug/mL"})
    >>> ev = regimen_events([r], "propofol", Covariates.single(70, 40, 170, "male"), 30.0)
    >>> len(ev) > 1
    True
    """
    out = []
    for r in regimens:
        if getattr(r, "tci", None) is not None:
            out += infusion_events(_run_regimen(r, drug, cov, t_end_min))
    return out


def regimen_citations(regimens) -> list[str]:
    """Citation keys of the TCI algorithms the regimens' pumps use (empty without a pump).

    >>> regimen_citations([])
    []
    """
    keys: list[str] = []
    for r in regimens:
        t = getattr(r, "tci", None)
        if t is not None:
            keys += [S.JACOBS, S.BAILEY_SHAFER] + ([S.SHAFER_GREGG] if t.site == "effect"
                                                    else [])
    return list(dict.fromkeys(keys))


def _run_regimen(r, drug: str, cov: Covariates, t_end_min: float) -> xr.Dataset:
    spec = r.tci
    start = spec.start_min
    dur = spec.duration_min if spec.duration_min is not None else t_end_min - start
    dur = min(dur, t_end_min - start)
    if dur <= 0:
        raise InputError("tci.start", spec.start, "a start before the scenario's horizon")
    check_work("tci: pump updates (duration / update_s)", dur * 60.0 / spec.update_s,
               MAX_REGIMEN_UPDATES, "set tci.duration, or a longer tci.update_s")
    targets = [(t, c) for t, c in spec.targets()]
    ds = tci(drug, spec.model or r.model, targets, site=spec.site, patients=cov,
             duration=dur, pump=Pump(update_s=spec.update_s,
                                     max_rate_mL_h=spec.max_rate_mL_h,
                                     rate_step_mL_h=spec.rate_step_mL_h,
                                     syringe_mg_mL=spec.syringe_mg_mL))
    if start > 0:
        ds = ds.assign_coords(time=ds["time"] + start)
    return ds
