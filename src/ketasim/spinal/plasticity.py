"""Ca2+-driven synaptic gain of dorsal-horn neurons: early (reversible) and late (persistent) phase.

Central sensitization (M4, M7) is modelled as a synaptic *gain* that Ca2+ influx into the
projection (WDR) neuron drives. Two published calcium rules are the templates:

* **Early phase** (phosphorylation-like, reversible over hours): Shouval, Bear & Cooper 2002
  calcium-control rule, ``dW/dt = eta(c) * (Omega(c) - W)``, with
  ``Omega(c) = 0.25 + sig(c - a2, b2) - 0.25 sig(c - a1, b1)`` and
  ``eta(c) = 1 / (P1 / (P2 + c**P3) + P4)`` (shouval2002; parameters as implemented in
  folmez/CaDP-MatLab). At rest ``W -> 0.25`` with tau ~ 2.8 h.
  Moderate calcium (between a1 and a2) depresses (LTD window), high calcium potentiates.
* **Late phase** (trafficking / gene-expression-like, persistent): Graupner & Brunel 2012
  bistable efficacy ``tau drho/dt = -rho(1-rho)(rho*-rho) + gp (1-rho) H(c-theta_p)
  - gd rho H(c-theta_d)`` (graupner2012, "DP" parameter set), deterministic. A population of
  ``n_classes`` synapse classes with log-normally spread thresholds turns the all-or-none
  switch of one synapse into a graded population potentiation ``rho_bar`` in [0, 1]; once
  switched UP, a class stays UP without drive (bistability = persistence).

The plasticity calcium ``c`` (umol/L above rest) follows ``tau_ca dc/dt = -c + ca_scale * D(t)``
(Shouval's tau_ca = 50 ms): a low-pass of a Ca2+ influx drive ``D`` that the spinal layer
computes from its spiking model (`ketasim.spinal.protocols.plasticity_drive`: the Ca2+
current through the WDR neuron's NMDA receptors plus a weighted L-type current, in pA);
``ca_scale`` (uM per pA) is calibrated (see `CalciumGainSpec`). Both rules read the same
``c``: Shouval's thresholds are in umol/L; the Graupner-Brunel thresholds are placed on the
same scale by ``LatePhaseSpec.theta_d_um``.

The gain that the spinal circuit sees is (`gain_parts`, the one definition, also compiled
into the slow model's kernel)::

    G = (1 + early_amp * (W - W_rest) / (1 - W_rest)) * (1 + (late_max - 1) * rho_bar)

``late_max`` is calibrated so that high-frequency conditioning gives the rat spinal LTP of
173 % at 1 h (benrath2005); ``early_amp`` is our estimate (stated below).

Units: time in ms for traces (the spiking model's time; `integrate_calcium_gain`), rates of
the averaged (slow) rules in 1/s with steps in s inside the kernels; the public slow model
(`ketasim.spinal.slow`) speaks hours. Calcium in umol/L. Batch dimension: ``condition``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numba as nb
import numpy as np
import xarray as xr
from scipy.special import ndtri

from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.record import Record
from ketasim.core.validation import Instance, Interval, check, check_fields, check_finite
from ketasim.spinal.sensitization_sources import BENRATH2005, GRAUPNER2012, SHOUVAL2002

__all__ = [
    "EarlyPhaseSpec", "LatePhaseSpec", "CalciumGainSpec", "omega", "eta",
    "integrate_calcium_gain", "calcium_drive_stats", "gain_from_state", "gain_parts",
    "relax_at_rest", "DEFAULT_GAIN_SPEC", "W_REST", "PLASTICITY_CITATIONS",
]

PLASTICITY_CITATIONS = [SHOUVAL2002, GRAUPNER2012, BENRATH2005]


@dataclass(frozen=True)
class EarlyPhaseSpec:
    """Shouval, Bear & Cooper 2002 calcium-control rule (deterministic 2002 version).

    Values [secondary] from the folmez/CaDP-MatLab implementation of shouval2002
    (``Omega_calcium.m``/``eta_calcium.m``): a1 0.35 uM, a2 0.55 uM, b1 = b2 = 80 /uM;
    P1 0.1 s, P2 = P1 * 1e-4, P3 3, P4 1 s.
    """

    a1_um: float = 0.35  # shouval2002
    a2_um: float = 0.55  # shouval2002
    b1_per_um: float = 80.0  # shouval2002
    b2_per_um: float = 80.0  # shouval2002
    p1_s: float = 0.1  # shouval2002
    p2: float = 0.1 * 1e-4  # shouval2002 (P2 = P1 * 1e-4; the repo notes a typo in the paper)
    p3: float = 3.0  # shouval2002
    p4_s: float = 1.0  # shouval2002

    def __post_init__(self):
        check_fields(self, {"a1_um": Interval(0, None, closed="neither"),
                            "a2_um": Interval(0, None, closed="neither"),
                            "b1_per_um": Interval(0, None, closed="neither"),
                            "b2_per_um": Interval(0, None, closed="neither"),
                            "p1_s": Interval(0, None, closed="neither"),
                            "p2": Interval(0, None, closed="neither"),
                            "p3": Interval(0, 10), "p4_s": Interval(0, None, closed="neither")},
                     prefix="EarlyPhaseSpec.")


@dataclass(frozen=True)
class LatePhaseSpec:
    """Graupner & Brunel 2012 bistable efficacy, "DP" set [secondary] (graupner2012).

    theta_d : theta_p = 1 : 1.3 and gamma_d 200, gamma_p 321.808, tau 150 s, rho* 0.5
    (graupner2012). The thresholds are placed on the umol/L scale of ``c`` by
    ``theta_d_um`` (our calibration; theta_p_um = 1.3 theta_d_um keeps the published ratio).
    ``n_classes`` synapse classes have thresholds multiplied by exp(spread * z_k), z_k the
    normal quantiles (our estimate of synaptic heterogeneity; spread 0 = one synapse).
    """

    theta_d_um: float = 0.55  # calibrated: LTD/LTP crossover of the early rule (a2)
    theta_p_ratio: float = 1.3  # graupner2012 (theta_p / theta_d = 1.3 / 1)
    gamma_d: float = 200.0  # graupner2012
    gamma_p: float = 321.808  # graupner2012
    tau_s: float = 150.0  # graupner2012
    rho_star: float = 0.5  # graupner2012
    n_classes: int = 8
    spread: float = 0.35  # [estimate] (log-normal CV of thresholds across synapses)

    def __post_init__(self):
        check_fields(self, {"theta_d_um": Interval(0, None, closed="neither"),
                            "theta_p_ratio": Interval(0, None, closed="neither"),
                            "gamma_d": Interval(0, None), "gamma_p": Interval(0, None),
                            "tau_s": Interval(0, None, closed="neither"),
                            "rho_star": Interval(0, 1), "n_classes": Interval(1, 256, integer=True),
                            "spread": Interval(0, 3)}, prefix="LatePhaseSpec.")

    def threshold_multipliers(self) -> np.ndarray:
        """Per-class threshold multipliers exp(spread * z_k) (z_k: mid-quantiles of N(0, 1))."""
        q = (np.arange(self.n_classes) + 0.5) / self.n_classes
        return np.exp(self.spread * ndtri(q))


@dataclass(frozen=True)
class CalciumGainSpec:
    """Parameters of the Ca2+ -> gain transformation.

    Attributes
    ----------
    tau_ca_ms : low-pass time constant of the plasticity calcium (shouval2002: 50 ms).
    ca_scale : uM of plasticity calcium per unit of Ca2+ drive (pA). Calibrated on the
        spinal model (`ketasim.spinal.sensitization.calibrate`): the smallest scale at which
        100 Hz conditioning (benrath2005 / klein2004 design) switches every synapse class of
        the late phase, times a 1.2 margin (HFS taken as saturating LTP).
    early_amp : maximal fractional gain of the early phase (W = 1). Our estimate: 0.5, so
        the early phase adds at most +50 % on top of the late phase (post-tetanic
        potentiation larger than the stable LTP, as in Benrath's time courses).
    late_max : gain when all synapse classes are UP. Calibrated to 1.73 total gain 1 h after
        100 Hz conditioning (benrath2005: 173 +- 15 %).
    """

    tau_ca_ms: float = 50.0  # shouval2002
    ca_scale: float = 1.0
    early: EarlyPhaseSpec = field(default_factory=EarlyPhaseSpec)
    late: LatePhaseSpec = field(default_factory=LatePhaseSpec)
    early_amp: float = 0.15  # [estimate] (see docstring)
    late_max: float = 1.73  # benrath2005 (refined by calibration)

    def __post_init__(self):
        check_fields(self, {"tau_ca_ms": Interval(0, None, closed="neither"),
                            "ca_scale": Interval(0, None, closed="neither"),
                            "late_max": Interval(0, None, closed="neither"),
                            "early_amp": Interval(0, 10, closed="left"),
                            "early": Instance(EarlyPhaseSpec), "late": Instance(LatePhaseSpec)},
                     prefix="CalciumGainSpec.")

    def with_(self, **kw) -> CalciumGainSpec:
        """Copy with some fields replaced (``dataclasses.replace``)."""
        return replace(self, **kw)


DEFAULT_GAIN_SPEC = CalciumGainSpec()

#: Resting value of the early-phase variable: Omega(0) of the Shouval rule (~0.25).
W_REST = 0.25


def _gain_parts(w, rho_bar, early_amp, late_max):
    """(early, late) factors of the gain: THE definition (Python and compiled kernels)."""
    early = 1.0 + early_amp * (w - W_REST) / (1.0 - W_REST)
    late = 1.0 + (late_max - 1.0) * rho_bar
    return early, late


#: The same formula compiled for the kernels (inlined; one source, no copy).
gain_parts_nb = nb.njit(cache=True, inline="always")(_gain_parts)


def _sig(x, b):
    return 1.0 / (1.0 + np.exp(-b * x))


def omega(c_um, spec: EarlyPhaseSpec = EarlyPhaseSpec()):
    """Shouval's calcium-dependent target ``Omega(c)`` (shouval2002).

    Examples
    --------
    >>> round(float(omega(0.0)), 3), round(float(omega(1.0)), 3)
    (0.25, 1.0)
    """
    c = np.asarray(c_um, dtype=float)
    return (0.25 + _sig(c - spec.a2_um, spec.b2_per_um)
            - 0.25 * _sig(c - spec.a1_um, spec.b1_per_um))


def eta(c_um, spec: EarlyPhaseSpec = EarlyPhaseSpec()):
    """Shouval's learning rate ``eta(c) = 1/tau(c)`` in 1/s (shouval2002).

    Examples
    --------
    >>> round(1 / float(eta(0.0)) / 3600, 2)   # hours at rest
    2.78
    """
    c = np.maximum(np.asarray(c_um, dtype=float), 0.0)
    return 1.0 / (spec.p1_s / (spec.p2 + c ** spec.p3) + spec.p4_s)


def _params_vector(spec: CalciumGainSpec) -> np.ndarray:
    e, l_ = spec.early, spec.late
    return np.array([e.a1_um, e.a2_um, e.b1_per_um, e.b2_per_um, e.p1_s, e.p2, e.p3, e.p4_s,
                     l_.theta_d_um, l_.theta_d_um * l_.theta_p_ratio, l_.gamma_d, l_.gamma_p,
                     l_.tau_s, l_.rho_star, spec.tau_ca_ms, spec.ca_scale])


@nb.njit(cache=True, inline="always")
def _omega_eta(c, p):
    s2 = 1.0 / (1.0 + math.exp(-p[3] * (c - p[1])))
    s1 = 1.0 / (1.0 + math.exp(-p[2] * (c - p[0])))
    om = 0.25 + s2 - 0.25 * s1
    cc = c if c > 0.0 else 0.0
    et = 1.0 / (p[4] / (p[5] + cc ** p[6]) + p[7])
    return om, et


@nb.njit(cache=True)
def _integrate_kernel(ca, dt_ms, p, mult, w0, rho0, c0, every, out_c, out_w, out_rho):
    nb_, nt = ca.shape
    nk = mult.shape[0]
    dt_s = dt_ms * 1e-3
    decay_c = math.exp(-dt_ms / p[14])
    th_d, th_p, gd, gp, tau, rs = p[8], p[9], p[10], p[11], p[12], p[13]
    for b in range(nb_):
        c = c0[b]
        w = w0[b]
        rho = rho0[b].copy()
        j = 0
        for t in range(nt):
            # exact update of the linear calcium filter driven by the scaled WDR Ca2+ rise
            c = ca[b, t] * p[15] + (c - ca[b, t] * p[15]) * decay_c
            om, et = _omega_eta(c, p)
            w = om + (w - om) * math.exp(-et * dt_s)
            for k in range(nk):
                r = rho[k]
                drift = -r * (1.0 - r) * (rs - r)
                if c > th_p * mult[k]:
                    drift += gp * (1.0 - r)
                if c > th_d * mult[k]:
                    drift -= gd * r
                r += dt_s * drift / tau
                rho[k] = 0.0 if r < 0.0 else (1.0 if r > 1.0 else r)
            if (t + 1) % every == 0:
                out_c[b, j] = c
                out_w[b, j] = w
                for k in range(nk):
                    out_rho[b, j, k] = rho[k]
                j += 1


def integrate_calcium_gain(ca_drive, dt_ms: float, spec: CalciumGainSpec = DEFAULT_GAIN_SPEC,
                           *, w0=None, rho0=None, record: Record | None = None) -> xr.Dataset:
    """Integrate both phases over a batch of Ca2+ drive traces (one compiled call).

    Parameters
    ----------
    ca_drive : array (condition, time) of Ca2+ drive (>= 0; pA for the spinal model's
        `plasticity_drive`), sampled every ``dt_ms``; ``c`` relaxes to ``ca_scale * drive``.
    dt_ms : sampling interval in ms (<= 1 ms keeps the 50 ms calcium filter accurate).
    spec : `CalciumGainSpec`.
    w0, rho0 : initial early variable (condition,) and late classes (condition, n_classes);
        default rest (W = 0.25, rho = 0).
    record : `Record`; ``every`` (ms, a multiple of ``dt_ms``; default every sample) sets the
        output interval. All traces are returned.

    Returns
    -------
    xarray.Dataset with ``c`` (uM), ``W``, ``rho`` (condition, time, syn_class), ``rho_bar``
    and ``gain`` on dims (condition, time); ``time`` in ms.

    Examples
    --------
    >>> import numpy as np
    >>> ds = integrate_calcium_gain(np.full((1, 2000), 2.0), 1.0)   # 2 s of high Ca2+
    >>> bool(ds.gain[0, -1] > 1.3), ds.time.attrs["units"]
    (True, 'ms')
    """
    ca = np.ascontiguousarray(np.atleast_2d(np.asarray(ca_drive, dtype=float)))
    if not np.all(np.isfinite(ca)) or np.any(ca < 0):
        raise InputError("ca_drive", "non-finite or negative values", "finite values >= 0")
    check("dt_ms", dt_ms, Interval(0, 5.0, closed="right"))
    record = Record() if record is None else check("record", record, Instance(Record))
    every_f = record.interval("ms", default=dt_ms) / dt_ms
    if abs(every_f - round(every_f)) > 1e-9 or round(every_f) < 1:
        raise InputError("record.every", record.every, f"a multiple of dt_ms = {dt_ms} ms")
    nb_, nt = ca.shape
    nk = spec.late.n_classes
    w0 = np.full(nb_, W_REST) if w0 is None else np.broadcast_to(
        np.asarray(w0, float), (nb_,)).copy()
    rho0 = np.zeros((nb_, nk)) if rho0 is None else np.broadcast_to(
        np.asarray(rho0, float), (nb_, nk)).copy()
    every = int(round(every_f))
    nout = nt // every
    out_c = np.zeros((nb_, nout))
    out_w = np.zeros((nb_, nout))
    out_rho = np.zeros((nb_, nout, nk))
    _integrate_kernel(ca, float(dt_ms), _params_vector(spec), spec.late.threshold_multipliers(),
                      w0, rho0, np.zeros(nb_), every, out_c, out_w, out_rho)
    t_ms = (np.arange(nout) + 1) * every * dt_ms
    rho_bar = out_rho.mean(axis=2)
    dims = ("condition", "time")
    ds = xr.Dataset(
        {"c": (dims, out_c, {"units": "umol/L", "long_name": "plasticity Ca2+"}),
         "W": (dims, out_w, {"units": "1", "long_name": "early phase (Shouval)"}),
         "rho": (("condition", "time", "syn_class"), out_rho,
                 {"units": "1", "long_name": "late phase efficacy per class"}),
         "rho_bar": (dims, rho_bar, {"units": "1"}),
         "gain": (dims, gain_from_state(out_w, rho_bar, spec), {"units": "1"})},
        coords={"time": ("time", t_ms, {"units": "ms"})})
    for name in ("c", "W", "rho"):
        check_finite(name, ds[name].values)
    return stamp(ds, model="ketasim.spinal.plasticity.integrate_calcium_gain",
                 citations=PLASTICITY_CITATIONS,
                 params={"dt_ms": float(dt_ms), "spec": asdict(spec),
                         "record_every_ms": every * float(dt_ms), "n_conditions": nb_,
                         "n_samples": nt, "w0": w0.tolist(), "rho0": rho0.tolist()})


def gain_parts(w, rho_bar, spec: CalciumGainSpec = DEFAULT_GAIN_SPEC):
    """Early and late factors of the gain for arrays of W and rho_bar.

    ``early = 1 + early_amp (W - W_rest)/(1 - W_rest)`` (Shouval phase, reversible) and
    ``late = 1 + (late_max - 1) rho_bar`` (Graupner-Brunel phase, persistent); the gain is
    their product (`gain_from_state`).

    Examples
    --------
    >>> e, l = gain_parts(1.0, 0.5)
    >>> round(float(e), 2), round(float(l), 3)
    (1.15, 1.365)
    """
    return _gain_parts(np.asarray(w, float), np.asarray(rho_bar, float), spec.early_amp,
                       spec.late_max)


def gain_from_state(w, rho_bar, spec: CalciumGainSpec = DEFAULT_GAIN_SPEC):
    """Synaptic gain multiplier from the early (W) and late (rho_bar) state.

    ``G = (1 + early_amp (W - W_rest)/(1 - W_rest)) (1 + (late_max - 1) rho_bar)``
    (`gain_parts`); W < W_rest (LTD) gives G < 1.

    Examples
    --------
    >>> float(gain_from_state(0.25, 0.0))
    1.0
    >>> round(float(gain_from_state(0.25, 1.0)), 2)
    1.73
    """
    early, late = gain_parts(w, rho_bar, spec)
    return early * late


@nb.njit(cache=True)
def _stats_kernel(ca, dt_ms, p, mult, skip, out):
    nb_, nt = ca.shape
    nk = mult.shape[0]
    decay_c = math.exp(-dt_ms / p[14])
    for b in range(nb_):
        c = 0.0
        n = 0
        for t in range(nt):
            c = ca[b, t] * p[15] + (c - ca[b, t] * p[15]) * decay_c
            if t < skip:
                continue
            om, et = _omega_eta(c, p)
            out[b, 0] += et * om
            out[b, 1] += et
            out[b, 2] += c
            for k in range(nk):
                if c > p[9] * mult[k]:
                    out[b, 3 + k] += 1.0
                if c > p[8] * mult[k]:
                    out[b, 3 + nk + k] += 1.0
            n += 1
        for i in range(out.shape[1]):
            out[b, i] /= max(n, 1)


def calcium_drive_stats(ca_drive, dt_ms: float, spec: CalciumGainSpec = DEFAULT_GAIN_SPEC,
                        *, skip_ms: float = 0.0) -> dict[str, np.ndarray]:
    """Time-averaged plasticity drive of Ca2+ drive traces: what the slow model needs.

    Under a stationary input the early rule averages to ``dW/dt = A - B W`` with
    ``A = <eta Omega>``, ``B = <eta>`` (1/s), and the late rule to the Graupner-Brunel
    mean-field with the fractions of time above threshold ``f_p``, ``f_d`` per class
    (graupner2012 use the same reduction for long protocols).

    Returns
    -------
    dict with ``A`` (1/s), ``B`` (1/s), ``c_mean`` (uM) of shape (condition,), and ``f_p``,
    ``f_d`` of shape (condition, n_classes).

    Examples
    --------
    >>> import numpy as np
    >>> s = calcium_drive_stats(np.zeros((1, 100)), 1.0)
    >>> round(float(s["A"][0] / s["B"][0]), 2)
    0.25
    """
    ca = np.ascontiguousarray(np.atleast_2d(np.asarray(ca_drive, dtype=float)))
    if not np.all(np.isfinite(ca)) or np.any(ca < 0):
        raise InputError("ca_drive", "non-finite or negative values", "finite values >= 0")
    nk = spec.late.n_classes
    out = np.zeros((ca.shape[0], 3 + 2 * nk))
    _stats_kernel(ca, float(dt_ms), _params_vector(spec), spec.late.threshold_multipliers(),
                  int(round(skip_ms / dt_ms)), out)
    return {"A": out[:, 0], "B": out[:, 1], "c_mean": out[:, 2],
            "f_p": out[:, 3:3 + nk], "f_d": out[:, 3 + nk:]}


@nb.njit(cache=True)
def slow_plasticity_step(w, rho, a, b, f_p, f_d, dt_s, p):
    """Advance the averaged rules by ``dt_s`` (in place); exact for the linear parts.

    ``w`` (condition,), ``rho`` (condition, n_classes); drives ``a``, ``b`` (condition,) and
    ``f_p``, ``f_d`` (condition, n_classes). The cubic bistability term is explicit (its rate is
    <= 0.25 / tau_s, far below 1 / dt_s for dt_s <= 60 s).
    """
    nb_, nk = rho.shape
    gd, gp, tau, rs = p[10], p[11], p[12], p[13]
    for i in range(nb_):
        winf = a[i] / b[i]
        w[i] = winf + (w[i] - winf) * math.exp(-b[i] * dt_s)
        for k in range(nk):
            kp = gp * f_p[i, k] / tau
            kd = gd * f_d[i, k] / tau
            r = rho[i, k]
            cub = -r * (1.0 - r) * (rs - r) / tau
            ktot = kp + kd
            if ktot > 0.0:
                rinf = kp / ktot
                r = rinf + (r - rinf) * math.exp(-ktot * dt_s) + dt_s * cub
            else:
                r = r + dt_s * cub
            rho[i, k] = 0.0 if r < 0.0 else (1.0 if r > 1.0 else r)


def params_vector(spec: CalciumGainSpec = DEFAULT_GAIN_SPEC) -> np.ndarray:
    """Packed parameter vector of ``spec`` used by the compiled kernels (read-only use)."""
    return _params_vector(spec)


def relax_at_rest(w, rho, hours: float, spec: CalciumGainSpec = DEFAULT_GAIN_SPEC,
                  dt_s: float = 10.0):
    """Evolve (W, rho) for ``hours`` without Ca2+ drive (pure decay / bistable drift).

    Parameters
    ----------
    w : array (condition,) of early states; rho : array (condition, n_classes).
    hours : duration (h). dt_s : step of the averaged rules (s; internal resolution).

    Examples
    --------
    >>> import numpy as np
    >>> w, r = relax_at_rest(np.array([1.0]), np.zeros((1, 8)), 2.78)
    >>> round(float(w[0]), 2)
    0.53
    """
    check("hours", hours, Interval(0, 24 * 365))
    check("dt_s", dt_s, Interval(0, 3600, closed="right"))
    w = np.array(w, float, copy=True)
    rho = np.array(rho, float, copy=True)
    nb_, nk = rho.shape
    st = calcium_drive_stats(np.zeros((1, 4)), 1.0, spec)
    a = np.full(nb_, st["A"][0])
    b = np.full(nb_, st["B"][0])
    z = np.zeros((nb_, nk))
    p = params_vector(spec)
    for _ in range(int(math.ceil(hours * 3600.0 / dt_s))):
        slow_plasticity_step(w, rho, a, b, z, z, dt_s, p)
    return w, rho
