"""Derived quantities: time to peak effect after a bolus, ke0 for a given time to peak.

Examples
--------
>>> from ketasim.pk.models import get_model
>>> round(time_to_peak_effect(get_model("propofol", "schnider")), 1)
1.5
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from ketasim.core.errors import InputError, NumericalError
from ketasim.core.units import as_float
from ketasim.core.validation import Instance, Interval, NoneOK, Quantity, validate_params
from ketasim.pk.models.base import Covariates, ModelSpec
from ketasim.pk.simulate import build_system
from ketasim.pk.solver import solve_linear

REFERENCE_ADULT = Covariates.single(70, 40, 170, "male")


def _unit_bolus(spec: ModelSpec, cov: Covariates, ke0: float | None, times):
    p = spec.parameters(cov, check=False)
    if ke0 is not None:
        p["ke0"] = np.full(cov.n, ke0)
    s = build_system(p, species=spec.drug, metabolite=None)
    y = solve_linear(s.A, s.b, s.C, times, boluses=[(0.0, 0, np.ones(cov.n))])
    return y[0, 0], y[0, 1]  # plasma, effect


def _positive(value, field: str, unit: str, hi: float) -> float:
    return as_float(value, field, unit, Interval(0, hi, closed="right"),
                    allowed=f"a number in {unit} in (0, {hi:g}]")


@validate_params({"spec": Instance(ModelSpec), "cov": Instance(Covariates),
                  "ke0": (Quantity("1/min", Interval(0, 1000, closed="right")), NoneOK()),
                  "horizon": Quantity("min", Interval(0, 30 * 24 * 60.0, closed="right"))})
def time_to_peak_effect(spec: ModelSpec, cov: Covariates = REFERENCE_ADULT,
                        ke0: float | None = None, horizon: float = 600.0) -> float:
    """Time (min) of the effect-site peak after an IV bolus (where Cp = Ce).

    ``ke0`` in 1/min (default: the model's), ``horizon`` in min (or quantities). The peak
    is bracketed on a grid of 20,000 steps and refined with Brent's method.

    Examples
    --------
    >>> from ketasim.pk.models import get_model
    >>> round(time_to_peak_effect(get_model("ketamine", "kamp")), 2)
    1.0
    """
    if ke0 is not None:
        ke0 = _positive(ke0, "ke0", "1/min", 1000.0)
    horizon = _positive(horizon, "horizon", "min", 30 * 24 * 60.0)
    if ke0 is None and "ke0" not in spec.typical(cov):
        raise InputError("ke0", None, f"a ke0 in 1/min: the model {spec.key} has no "
                         "effect site")
    grid = np.linspace(0.0, horizon, 20001)
    cp, ce = _unit_bolus(spec, cov, ke0, grid)
    k = int(np.argmax(ce))
    if k == 0 or k == len(grid) - 1:
        raise NumericalError(f"horizon: no interior effect-site peak within {horizon:g} "
                             "min; pass a longer horizon")

    def diff(t):
        a, b = _unit_bolus(spec, cov, ke0, [t])
        return float(a[0] - b[0])

    return float(brentq(diff, grid[k - 1], grid[k + 1], xtol=1e-8))


@validate_params({"spec": Instance(ModelSpec), "cov": (Instance(Covariates), NoneOK()),
                  "tpeak": Quantity("min", Interval(0, 600.0, closed="right"))})
def ke0_for_tpeak(spec: ModelSpec, tpeak: float, cov: Covariates = REFERENCE_ADULT) -> float:
    """The ke0 (1/min) that puts the effect-site peak at ``tpeak`` (min or a quantity)
    after a bolus.

    Examples
    --------
    >>> from ketasim.pk.models import get_model
    >>> round(ke0_for_tpeak(get_model("propofol", "marsh"), "90 s"), 3)
    1.35
    """
    cov = REFERENCE_ADULT if cov is None else cov
    tpeak = _positive(tpeak, "tpeak", "min", 600.0)
    try:
        return float(brentq(lambda k: time_to_peak_effect(spec, cov, k, 20 * tpeak) - tpeak,
                            0.05, 50.0, xtol=1e-6))
    except (ValueError, NumericalError):
        raise InputError("tpeak", tpeak, "a time to peak effect reachable with ke0 in "
                         f"[0.05, 50] 1/min for {spec.key}") from None
