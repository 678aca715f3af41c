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
    # graded: every responsive minute (t = 5..19) x 0.4, no integration threshold
    assert float(out.psychotomimetic_exposure_min) == pytest.approx(15 * 0.4)
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


# ------------------------------------------------------------------ scenario brain readouts
def _fake_map(calls=None):
    """A stand-in cortical map (monotone in ketamine, GABA-A drugs lower responsiveness)."""
    def fn(ketamine_uM, propofol_uM, thiopental_uM, midazolam_uM):
        if calls is not None:
            calls.append(len(np.atleast_1d(ketamine_uM)))
        k = np.asarray(ketamine_uM, float)
        sed = 10 * np.asarray(propofol_uM) + 50 * np.asarray(midazolam_uM)
        return xr.Dataset({"responsiveness": ("p", np.clip(2 - k - sed, 0, 1)),
                           "integration": ("p", 0.2 * np.clip(1 - k / 2, 0, 1)),
                           "dissociation": ("p", np.clip(k / 2, 0, 1)),
                           "psychotomimetic": ("p", np.clip(k / 2, 0, 1))})
    return fn


def test_brain_levels_midazolam_free_fraction():
    """Midazolam free level = effect-site ng/mL x fu 0.03 / 325.78 g/mol (Hanke 2018)."""
    from ketasim.scenarios.brain_readouts import brain_levels

    lv = brain_levels({"midazolam": (np.full(3, 1.0), np.array([0.0, 100.0, 325.78]))},
                      {"ketamine_uM": np.ones(3)}, 3)
    np.testing.assert_allclose(lv["midazolam_uM"], [0.0, 100 * 0.03 / 325.78, 0.03])
    assert lv["ketamine_uM"].tolist() == [1.0, 1.0, 1.0]
    assert lv["propofol_uM"].tolist() == [0.0, 0.0, 0.0]


def test_cortical_course_calls_map_once_on_distinct_levels():
    from ketasim.scenarios.brain_readouts import BRAIN_DRUGS, cortical_course

    calls: list = []
    lv = {f: np.zeros(100) for f in BRAIN_DRUGS}
    lv["ketamine_uM"] = np.repeat([0.0, 0.5, 1.0, 1.5], 25)
    c = cortical_course(lv, _fake_map(calls))
    assert calls == [5]   # drug-free reference + 4 distinct levels
    np.testing.assert_allclose(c["integration_rel"], np.clip(1 - lv["ketamine_uM"] / 2, 0, 1))


def test_brain_time_courses_by_hand_and_midazolam_shortens_window():
    """Ketamine 3 exp(-t/30) uM from t = 0 (falling throughout): with the stand-in map,
    responsive when k <= 1.5 (t >= 20.8 min), disintegrated when k > 1 (t < 33.0 min):
    window 21-32 min = 12 min. Midazolam (stand-in sedation) delays responsiveness and
    shortens the window."""
    from ketasim.scenarios.brain_readouts import (
        BRAIN_DRUGS,
        BRAIN_VARIABLES,
        brain_time_courses,
        perception_of_tests,
    )

    t = np.arange(0.0, 121.0)
    lv = {f: np.zeros_like(t) for f in BRAIN_DRUGS}
    lv["ketamine_uM"] = 3.0 * np.exp(-t / 30)
    data, attrs, course = brain_time_courses(lv, t, t[::10] / 60, _fake_map())
    assert set(BRAIN_VARIABLES) <= set(data) and "midazolam_uM" in data
    assert attrs["emergence_window_min"] == 12.0
    assert attrs["emergence_window_start_h"] == pytest.approx(21 / 60)
    assert data["responsiveness"][1].size == 13
    lv2 = dict(lv, midazolam_uM=np.full_like(t, 0.005))
    _, attrs2, _ = brain_time_courses(lv2, t, t[::10] / 60, _fake_map())
    assert attrs2["emergence_window_min"] < attrs["emergence_window_min"]
    assert attrs2["emergence_risk_total"] < attrs["emergence_risk_total"]
    # perceived pain of tests at 5 min (k = 2.5: unresponsive) and 60 min (k = 0.41)
    p, r = perception_of_tests(np.array([6.0, 6.0]), np.array([5 / 60, 1.0]), course, t)
    assert np.isnan(p[0]) and not r[0]
    k = 3 * np.exp(-2)
    assert p[1] == pytest.approx(6.0 * 1.0 * (1 - 0.5 * k / 2), rel=1e-4)  # levels rounded


def test_scenario_brain_readouts_end_to_end():
    """`ketasim.simulate` on the m14 preset (2 h, one heat test): brain time courses on the
    report grid, midazolam at the receptor (0.03 mg/kg, fu 0.03: peak free 0.0035 uM with
    Zomorodi 1998, below the hand bound 2.1 mg / 32.2 L x 0.03 / 325.78 = 0.0060 uM), the
    test's perceived NRS = NRS x responsiveness x (1 - 0.5 dissociation) at the test time,
    emergence totals in the summary's flags; ``readouts.brain: false`` drops them."""
    import json

    from ketasim.scenarios import load_scenario, preset_path
    from ketasim.scenarios.runner import simulate, summary

    doc = load_scenario(preset_path("m14_bolus_midazolam")).model_dump(mode="json")
    doc.update(horizon="2 h", tests=[{"kind": "heat", "time": "15 min"}],
               readouts={**doc["readouts"], "every": "5 min"})
    ds = simulate(load_scenario(doc))
    for v in ("responsiveness", "integration", "dissociation", "psychotomimetic",
              "emergence_risk", "midazolam_uM"):
        assert ds[v].dims == ("time",) and np.all(np.isfinite(ds[v].values)), v
    assert 0.002 < float(ds.midazolam_uM.max()) < 0.0060
    for v in ("responsiveness", "dissociation", "psychotomimetic", "emergence_risk"):
        assert float(ds[v].min()) >= 0 and float(ds[v].max()) <= 1, v
    i = int(np.argmin(np.abs(ds.time.values - 0.25)))   # the test at 15 min is on the grid
    r, d = float(ds.responsiveness[i]), float(ds.dissociation[i])
    nrs, per = float(ds.test_nrs[0]), float(ds.test_perceived_nrs[0])
    if r >= 0.5:
        assert per == pytest.approx(nrs * r * (1 - 0.5 * d), rel=1e-6)
    else:
        assert np.isnan(per)
    s = summary(ds)
    json.dumps(s, allow_nan=False)
    assert "emergence_risk_total" in s["flags"] and "perceived_nrs" in s["tests"][0]
    assert "ketasim_emergence_estimate" in ds.attrs["citations"]
    doc["readouts"]["brain"] = False
    off = simulate(load_scenario(doc))
    assert "responsiveness" not in off and "test_perceived_nrs" not in off
    assert "emergence_risk_total" not in summary(off)["flags"]
