"""Emergence risk: time spent with a disintegrated but responsive cortex as the drug wears off.

A readout of a *trajectory* of cortical states (one per time point, e.g. the reduced map
`ketasim.brain.maps.cortical_state` evaluated on the effect-site free concentrations of a
scenario, minute by minute). Definitions, all ours [estimate] [ketasim_emergence_estimate]:

* **responsive**: ``responsiveness >= 0.5``, the evoked cortical response to a sensory input
  at least half the drug-free one. The 50 % point mirrors the convention of the clinical
  concentration-response data for loss of responsiveness (Cp50 = concentration at which
  half the patients stop responding to command).
* **disintegrated**: relative integration ``integration_rel < 0.5``, less than half the
  drug-free inter-regional phase-lag synchrony (wPLI). When a Dataset carries only the
  absolute ``integration``, pass ``integration_awake`` (the drug-free value) to form the
  ratio.
* **wearing off**: the effect-site concentration named by ``concentration`` is falling
  (forward difference < 0); without a concentration every time point counts.
* **window**: responsive AND disintegrated AND wearing off. ``window_min`` is its total
  duration.
* **exposure**: the window weighted by psychotomimetic intensity (0-1),
  ``exposure_min = integral of psychotomimetic over the window`` (minutes of full-intensity
  equivalent).
* **emergence risk** (0-1): ``1 - exp(-exposure_min / 10 min)``: 10 min of full-intensity
  disintegrated-but-responsive emergence is a risk index of 0.63. The 10-min scale is our
  estimate; the index ranks regimens and is NOT a calibrated probability of an emergence
  reaction (the model is never tuned to clinical emergence data).

Midazolam enters only through the cortical state: its GABA-A potentiation lowers
responsiveness and disinhibition in the map, which can shorten or weaken the window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from ketasim.core.citations import key
from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.validation import (
    POSITIVE,
    TEXT,
    Instance,
    Interval,
    NoneOK,
    check_fields,
    check_finite,
    validate_params,
)

OWN_ESTIMATE = key("ketasim_emergence_estimate")


@dataclass(frozen=True)
class EmergenceSpec:
    """Thresholds of the emergence readout (see the module docstring; all [estimate]).

    Examples
    --------
    >>> EmergenceSpec().responsive, EmergenceSpec().disintegrated
    (0.5, 0.5)
    """

    responsive: float = 0.5          # responsiveness threshold [estimate]
    disintegrated: float = 0.5       # integration_rel threshold [estimate]
    exposure_scale_min: float = 10.0  # risk = 1 - exp(-exposure / scale) [estimate]
    falling_only: bool = True        # count only while the concentration falls

    def __post_init__(self):
        check_fields(self, {"responsive": Interval(0, 1, closed="neither"),
                            "disintegrated": Interval(0, 1, closed="neither"),
                            "exposure_scale_min": POSITIVE,
                            "falling_only": Instance(bool)}, prefix="EmergenceSpec.")


DEFAULT_EMERGENCE = EmergenceSpec()


def _var(ds: xr.Dataset, name: str, field: str = "state") -> xr.DataArray:
    if name not in ds:
        raise InputError(field, f"a Dataset without {name!r}",
                         f"a Dataset with variable {name!r} (cortical_state output)")
    v = ds[name].astype(float)
    if not np.all(np.isfinite(v.values)):
        raise InputError(f"{field}[{name!r}]", "values with NaN or infinity", "finite values")
    return v


def _dt_min(t: np.ndarray) -> np.ndarray:
    """Width of each sample (min): forward differences, the last repeating the previous."""
    if t.size == 1:
        return np.ones(1)
    d = np.diff(t)
    return np.append(d, d[-1])


@validate_params({"state": Instance(xr.Dataset), "concentration": (NoneOK(), TEXT),
                  "integration_awake": (NoneOK(), POSITIVE),
                  "spec": (NoneOK(), Instance(EmergenceSpec))})
def emergence(state: xr.Dataset, concentration: str | None = None,
              integration_awake: float | None = None,
              spec: EmergenceSpec | None = None) -> xr.Dataset:
    """Emergence window, exposure and risk along a trajectory of cortical states.

    Parameters
    ----------
    state : xarray.Dataset with a ``time`` dimension (coordinate in min, increasing)
        Variables ``responsiveness`` (0-1), ``psychotomimetic`` (0-1) and either
        ``integration_rel`` or ``integration`` (then ``integration_awake`` is needed);
        optionally the concentration named by ``concentration``. Other leading dimensions
        (e.g. ``patient``) are kept.
    concentration : str, optional
        Variable whose fall marks the drug wearing off (e.g. ``"ketamine_uM"``).
    integration_awake : float, optional
        Drug-free ``integration`` to form ``integration_rel``.
    spec : EmergenceSpec, optional

    Returns
    -------
    xarray.Dataset
        Time courses ``responsive``, ``disintegrated``, ``in_window`` (bool),
        ``emergence_exposure_min`` (cumulative) and ``emergence_risk`` (cumulative 0-1);
        totals ``window_min``, ``exposure_min``, ``risk``, ``window_start_min`` and
        ``window_end_min`` (NaN without a window).

    Examples
    --------
    >>> t = np.arange(0.0, 60.0, 1.0)
    >>> resp = np.clip((t - 10) / 10, 0, 1)          # wakes between 10 and 20 min
    >>> integ = np.clip((t - 15) / 30, 0, 1)         # re-integrates between 15 and 45 min
    >>> st = xr.Dataset({"responsiveness": ("time", resp),
    ...                  "integration_rel": ("time", integ),
    ...                  "psychotomimetic": ("time", resp * (1 - integ)),
    ...                  "ketamine_uM": ("time", np.exp(-t / 20))}, coords={"time": t})
    >>> out = emergence(st, concentration="ketamine_uM")
    >>> float(out.window_min), float(out.window_start_min), float(out.window_end_min)
    (15.0, 15.0, 29.0)
    >>> round(float(out.exposure_min), 2), round(float(out.risk), 2)
    (10.07, 0.63)
    """
    spec = spec or DEFAULT_EMERGENCE
    if "time" not in state.dims:
        raise InputError("state", "a Dataset without a time dimension",
                         "a Dataset with dimension 'time' (coordinate in min)")
    t = np.asarray(state["time"].values, dtype=float)
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise InputError("state.time", "non-increasing times", "strictly increasing times")
    resp = _var(state, "responsiveness")
    psy = _var(state, "psychotomimetic")
    if "integration_rel" in state:
        integ = _var(state, "integration_rel")
    elif integration_awake is not None:
        integ = _var(state, "integration") / float(integration_awake)
    else:
        raise InputError("integration_awake", None, "the drug-free integration when the state "
                         "has 'integration' but no 'integration_rel'")
    responsive = resp >= spec.responsive
    disintegrated = integ < spec.disintegrated
    window = responsive & disintegrated
    if concentration is not None and spec.falling_only:
        c = _var(state, concentration, "concentration")
        nxt = c.shift(time=-1)
        falling = (nxt < c).fillna(False)
        if t.size > 1:  # last sample: as the previous one
            falling[{"time": -1}] = falling.isel(time=-2)
        window = window & falling
    dt = xr.DataArray(_dt_min(t), dims="time", coords={"time": state["time"]})
    w_f = window.astype(float)
    exposure = (w_f * psy.clip(0, 1) * dt).cumsum("time")
    risk_t = 1.0 - np.exp(-exposure / spec.exposure_scale_min)
    win_min = (w_f * dt).sum("time")
    tt = xr.DataArray(t, dims="time", coords={"time": state["time"]})
    start = tt.where(window).min("time")
    end = tt.where(window).max("time")
    exp_tot = exposure.isel(time=-1, drop=True)
    out = xr.Dataset({
        "responsive": responsive, "disintegrated": disintegrated, "in_window": window,
        "emergence_exposure_min": exposure.assign_attrs(units="min"),
        "emergence_risk": risk_t.assign_attrs(units="1"),
        "window_min": win_min.assign_attrs(units="min"),
        "exposure_min": exp_tot.assign_attrs(units="min"),
        "risk": (1.0 - np.exp(-exp_tot / spec.exposure_scale_min)).assign_attrs(units="1"),
        "window_start_min": start.assign_attrs(units="min"),
        "window_end_min": end.assign_attrs(units="min")})
    check_finite("emergence_risk", out["emergence_risk"].values)
    return stamp(out, model="ketasim.brain.emergence", citations=[OWN_ESTIMATE],
                 params={"spec": asdict(spec), "concentration": concentration,
                         "integration_awake": integration_awake,
                         "n_time": int(t.size)})
