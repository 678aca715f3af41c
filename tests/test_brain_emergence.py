"""Emergence risk and perceived pain (`ketasim.brain.emergence`, `ketasim.brain.perception`)
on synthetic cortical-state trajectories with known answers (the rules are ours,
[estimate]; the expected values are computed by hand from the documented definitions)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ketasim.brain.emergence import EmergenceSpec, emergence
from ketasim.brain.perception import PerceptionSpec, analgesia_split, perceived_pain
from ketasim.core.errors import InputError


def _state(t, resp, integ, psy, conc=None, absolute=False):
    data = {"responsiveness": ("time", resp), "psychotomimetic": ("time", psy),
            ("integration" if absolute else "integration_rel"): ("time", integ)}
    if conc is not None:
        data["ketamine_uM"] = ("time", conc)
    return xr.Dataset(data, coords={"time": t})


def test_window_by_hand():
    """Responsive (>= 0.5) from t = 5, disintegrated (< 0.5) until t = 9, Ce falling
    throughout: window t = 5..9 (5 one-minute samples); psychotomimetic 0.4 there ->
    exposure 2.0 min, risk 1 - exp(-0.2) = 0.181."""
    t = np.arange(20.0)
    resp = (t >= 5).astype(float)
    integ = np.where(t < 10, 0.2, 0.9)
    out = emergence(_state(t, resp, integ, np.full(20, 0.4), np.exp(-t / 10)),
                    concentration="ketamine_uM")
    assert float(out.window_min) == 5.0
    assert float(out.exposure_min) == pytest.approx(2.0)
    assert float(out.risk) == pytest.approx(1 - np.exp(-0.2))
    assert (float(out.window_start_min), float(out.window_end_min)) == (5.0, 9.0)
    # cumulative risk is non-decreasing and ends at the total
    r = out.emergence_risk.values
    assert np.all(np.diff(r) >= 0) and r[-1] == pytest.approx(float(out.risk))


def test_steady_infusion_is_not_emergence_and_rising_phase_excluded():
    """A constant concentration (steady infusion) or a rising one is not 'wearing off':
    window 0 when falling_only; with falling_only=False the same states count."""
    t = np.arange(30.0)
    st = _state(t, np.ones(30), np.full(30, 0.3), np.full(30, 0.5), np.full(30, 1.0))
    assert float(emergence(st, concentration="ketamine_uM").window_min) == 0.0
    assert np.isnan(float(emergence(st, concentration="ketamine_uM").window_start_min))
    every = emergence(st, concentration="ketamine_uM",
                      spec=EmergenceSpec(falling_only=False))
    assert float(every.window_min) == 30.0
    rising = _state(t, np.ones(30), np.full(30, 0.3), np.full(30, 0.5), t)
    assert float(emergence(rising, concentration="ketamine_uM").window_min) == 0.0


def test_sedating_comedication_shortens_window():
    """The same disintegration with lower responsiveness (a GABAergic co-medication keeps
    the patient unresponsive longer) shortens the window and lowers the risk."""
    t = np.arange(0.0, 60.0)
    integ = np.clip((t - 10) / 40, 0, 1)
    conc = np.exp(-t / 15)
    resp_k = np.clip((t - 5) / 10, 0, 1)
    resp_km = np.clip((t - 20) / 10, 0, 1)
    a = emergence(_state(t, resp_k, integ, resp_k * (1 - integ), conc), "ketamine_uM")
    b = emergence(_state(t, resp_km, integ, resp_km * (1 - integ), conc), "ketamine_uM")
    assert float(b.window_min) < float(a.window_min)
    assert float(b.risk) < float(a.risk)


def test_absolute_integration_needs_awake_value_and_batch_dims():
    t = np.arange(10.0)
    st = _state(t, np.ones(10), np.full(10, 0.1), np.full(10, 1.0), absolute=True)
    with pytest.raises(InputError, match="integration_awake"):
        emergence(st)
    out = emergence(st, integration_awake=0.15)   # 0.1 / 0.15 = 0.67: not disintegrated
    assert float(out.window_min) == 0.0
    out = emergence(st, integration_awake=0.5)    # 0.2: disintegrated for all 10 min
    assert float(out.window_min) == 10.0
    batch = xr.concat([st, st], dim="patient")
    assert emergence(batch, integration_awake=0.5).window_min.shape == (2,)


def test_emergence_rejects_bad_input():
    t = np.arange(5.0)
    st = _state(t, np.ones(5), np.ones(5), np.ones(5))
    with pytest.raises(InputError, match="state"):
        emergence(st.drop_vars("responsiveness"))
    with pytest.raises(InputError, match="concentration"):
        emergence(st, concentration="nothing")
    with pytest.raises(InputError, match="time"):
        emergence(st.assign_coords(time=t[::-1]))
    with pytest.raises(InputError, match="responsive"):
        EmergenceSpec(responsive=1.5)


# ------------------------------------------------------------------ perceived pain
def test_unresponsive_reports_nothing_not_zero():
    """Rule: responsiveness < 0.5 -> no report (NaN, reports False), whatever the spinal
    signal; at the threshold the report is NRS x 0.5."""
    ds = perceived_pain([8.0, 8.0, 8.0], [0.0, 0.49, 0.5])
    assert np.isnan(ds.perceived_nrs.values[:2]).all()
    assert ds.reports.values.tolist() == [False, False, True]
    assert ds.perceived_nrs.values[2] == pytest.approx(4.0)


def test_report_scaling_rule_and_properties():
    """perceived = NRS x responsiveness x (1 - 0.5 dissociation): awake -> unchanged,
    full dissociation halves, never above the spinal NRS (property over a grid)."""
    assert float(perceived_pain(7.0, 1.0, 0.0).perceived_nrs) == 7.0
    assert float(perceived_pain(7.0, 1.0, 1.0).perceived_nrs) == 3.5
    nrs, r, d = np.meshgrid(np.linspace(0, 10, 6), np.linspace(0.5, 1, 6),
                            np.linspace(0, 1, 6))
    p = perceived_pain(nrs, r, d).perceived_nrs.values
    assert np.all(p <= nrs + 1e-12) and np.all(p >= 0)
    nan_in = perceived_pain([np.nan], [1.0])
    assert np.isnan(nan_in.perceived_nrs.values[0])
    half = perceived_pain(7.0, 1.0, 1.0, spec=PerceptionSpec(dissociation_weight=0.0))
    assert float(half.perceived_nrs) == 7.0


def test_perceived_pain_dataarrays_broadcast_by_dimension():
    nrs = xr.DataArray([5.0, 6.0], dims="test")
    resp = xr.DataArray([1.0, 0.2, 0.8], dims="time")
    ds = perceived_pain(nrs, resp)
    assert dict(ds.sizes) == {"test": 2, "time": 3}
    assert int(ds.reports.sum()) == 4


def test_analgesia_split_by_hand():
    """Drug-free 6, spinal with drug 5, cortex 0.9 responsive and 0.2 dissociated:
    P0 = 6, Ps = 5, P = 5 x 0.9 x 0.9 = 4.05 -> spinal 1.0, cortical 0.95, fraction
    0.95 / 1.95 = 0.487."""
    s = analgesia_split(6.0, 5.0, 0.9, 0.2)
    assert float(s.perceived) == pytest.approx(4.05)
    assert float(s.spinal_part) == pytest.approx(1.0)
    assert float(s.cortical_part) == pytest.approx(0.95)
    assert float(s.cortical_fraction) == pytest.approx(0.95 / 1.95)
    assert np.isnan(float(analgesia_split(6.0, 6.0, 1.0, 0.0).cortical_fraction))
    assert np.isnan(float(analgesia_split(6.0, 5.0, 0.3, 0.0).cortical_fraction))


def test_perception_rejects_bad_input():
    with pytest.raises(InputError, match="nrs"):
        perceived_pain(11.0, 1.0)
    with pytest.raises(InputError, match=r"responsiveness\[1\]"):
        perceived_pain([1.0, 1.0], [1.0, np.nan])
    with pytest.raises(InputError, match="dissociation"):
        perceived_pain(1.0, 1.0, -0.1)
    with pytest.raises(InputError, match="responsive"):
        PerceptionSpec(responsive=0.0)
