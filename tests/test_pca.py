"""Patient-controlled analgesia (`ketasim.clinical.pca`) and its scenario / trial wiring."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.clinical.pca import (
    MEAC_MORPHINE_NG_ML,
    PCASpec,
    calibrate_morphine_k,
    opioid_course,
    personal_thresholds,
    scheduled_mg,
)
from ketasim.core.errors import InputError
from ketasim.experiments._pain_common import model_spec, pain_model
from ketasim.spinal.opioid_adaptation import DEFAULT_ADAPTATION

PATIENT = {"weight_kg": 70.0, "height_cm": 170.0, "age_yr": 50.0, "sex": "male"}


@pytest.fixture(scope="module")
def model():
    return pain_model(model_spec())


@pytest.fixture(scope="module")
def unit():
    """Plasma and effect-site morphine after 1 mg IV at 0 (1-min grid, 8 h; Sarton 2000)."""
    from ketasim.pk import Bolus, Schedule
    from ketasim.pk import simulate as simulate_pk

    t = np.arange(8 * 60 + 1, dtype=float)
    ds = simulate_pk("morphine", "sarton", Schedule((Bolus(mg=1.0, time=0.0),), ()), PATIENT, t)
    return t, ds["morphine_plasma_ng_mL"].values[0], ds["morphine_effect_ng_mL"].values[0]


def _run(model, unit, c=6.0, pca=None, n=3, thresholds=None):
    tab, tr = model
    t, pl, ef = unit
    shape = (n, t.size)
    return opioid_course(table=tab, transfer=tr, c_rate_Hz=np.full(shape, c),
                         gain=np.full(shape, 1.5), pca=pca or PCASpec(),
                         unit_plasma=np.broadcast_to(pl, shape),
                         unit_effect=np.broadcast_to(ef, shape), seeds=np.arange(n),
                         thresholds=thresholds)


def test_superposition_equals_pk(model, unit):
    """PCA boluses added by superposition give exactly the PK layer's concentrations for the
    same boluses given as a schedule (PK is linear)."""
    from ketasim.pk import Bolus, Schedule
    from ketasim.pk import simulate as simulate_pk

    res = _run(model, unit, n=1)
    t = unit[0]
    mg = res["pca_mg"][0]
    times = t[np.flatnonzero(np.diff(np.concatenate([[0.0], mg])) > 0)]
    assert times.size >= 3
    sched = Schedule(tuple(Bolus(mg=1.0, time=float(x)) for x in times), ())
    ds = simulate_pk("morphine", "sarton", sched, PATIENT, t)
    np.testing.assert_allclose(res["morphine_plasma_ng_mL"][0],
                               ds["morphine_plasma_ng_mL"].values[0], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(res["morphine_effect_ng_mL"][0],
                               ds["morphine_effect_ng_mL"].values[0], rtol=1e-9, atol=1e-9)


def test_lockout_and_limit(model, unit):
    """Deliveries respect the lockout and the limit per window (clinical PCA protocol)."""
    p = PCASpec(lockout_min=7.0, limit_mg=4.0, limit_window_min=60.0, press_per_min=1.0,
                side_effect_ng_mL=1e6)
    res = _run(model, unit, c=16.0, pca=p, thresholds=np.zeros(3))
    for i in range(3):
        steps = np.flatnonzero(np.diff(np.concatenate([[0.0], res["pca_mg"][i]])) > 0)
        assert np.all(np.diff(steps) >= 7)
        for s in steps:
            assert np.sum((steps > s - 60) & (steps <= s)) <= 4
        assert res["deliveries"][i] <= res["demands"][i]
    assert res["demands"].sum() > res["deliveries"].sum()     # presses in the lockout


def test_no_pain_no_press(model, unit):
    """Pain below the threshold: no demand (no C drive, NRS 0)."""
    res = _run(model, unit, c=0.0)
    assert res["demands"].sum() == 0 and res["pca_mg"].max() == 0


def test_pain_above_threshold_presses_and_titrates(model, unit):
    """A patient in pain titrates pain down towards the personal threshold."""
    res = _run(model, unit, c=6.0, thresholds=np.full(3, 3.0),
               pca=PCASpec(side_effect_ng_mL=1e6))
    assert np.all(res["deliveries"] > 2)
    late = res["nrs"][:, -120:]
    assert np.all(late.mean(axis=1) < res["nrs"][:, 0])
    assert np.all(np.abs(late.mean(axis=1) - 3.0) < 0.8)


def test_meac_calibration_reproduces_default(model):
    """The functional morphine K is the MEAC fit: 16 ng/mL (dahlstrom1982) brings the
    reference patient to the median press threshold (NRS 3)."""
    tab, tr = model
    assert MEAC_MORPHINE_NG_ML == 16.0
    k = calibrate_morphine_k(tab, tr)
    assert k == pytest.approx(DEFAULT_ADAPTATION.k_morphine_uM, rel=0.01)
    k40 = calibrate_morphine_k(tab, tr, meac_ng_mL=40.0)   # graves1983's upper MEAC
    assert k40 == pytest.approx(2.5 * k, rel=0.01)          # K scales with the MEAC


def test_thresholds_and_determinism(model, unit):
    """Personal thresholds are log-normal (median 3, CV 0.3 [estimate]); same seeds, same
    presses."""
    th = personal_thresholds(PCASpec(), np.arange(4000))
    assert np.median(th[0]) == pytest.approx(3.0, rel=0.05)
    assert np.std(np.log(th[0])) == pytest.approx(np.sqrt(np.log1p(0.09)), rel=0.05)
    a, b = _run(model, unit), _run(model, unit)
    np.testing.assert_array_equal(a["pca_mg"], b["pca_mg"])


def test_scheduled_mg():
    """Scheduled doses: boluses in mg and mg/kg, infusions over their duration."""
    from ketasim.scenarios.schema import Regimen

    r = Regimen(drug="morphine", doses=[{"kind": "bolus", "dose": "0.1 mg/kg"},
                                        {"kind": "infusion", "rate": "1 mg/h",
                                         "start": "1 h", "duration": "2 h"}])
    out = scheduled_mg([r], "morphine", [80.0], np.array([0.0, 2.0, 10.0]))
    np.testing.assert_allclose(out, [[8.0, 9.0, 10.0]])


def test_schema_pca_field():
    """The scenario's ``pca`` field: morphine only; bad values name the field."""
    from ketasim.scenarios import load_scenario
    from ketasim.scenarios.schema import ScenarioError

    base = {"name": "x", "horizon": "2 h", "regimens": [
        {"drug": "morphine", "doses": [{"kind": "bolus", "dose": "2 mg"}],
         "pca": {"bolus": "1 mg", "lockout": "5 min", "background": "0.5 mg/h"}}]}
    s = load_scenario(base)
    assert s.regimens[0].pca.background == "0.5 mg/h"
    bad = {**base, "regimens": [{**base["regimens"][0], "drug": "ketamine"}]}
    with pytest.raises(ScenarioError, match="morphine"):
        load_scenario(bad)
    bad = {**base, "regimens": [{**base["regimens"][0], "pca": {"lockout": "10 h"}}]}
    with pytest.raises(ScenarioError, match="lockout"):
        load_scenario(bad)
    with pytest.raises(InputError, match="bolus_mg"):
        PCASpec(bolus_mg=0.0)


def test_scenario_runs_pca():
    """The ``postop_pca`` scenario runs PCA: cumulative morphine rises, the PCA boluses
    reach the reported morphine concentration, and pain on PCA sits near the threshold."""
    from ketasim.scenarios import simulate
    from ketasim.scenarios.presets import load_scenario, preset_path

    s = load_scenario(preset_path("postop_pca"))
    s = s.model_copy(update={"tests": [], "horizon": "12.0 h"})
    ds = simulate(s)
    mg = ds.morphine_mg.values
    assert mg[-1] > mg[0] + 5 and np.all(np.diff(mg) >= 0)
    late = ds.time.values > 6
    assert ds.morphine_plasma_ng_mL.values[late].min() > 5.0
    assert abs(ds.ongoing_nrs.values[late].mean() - 3.0) < 1.0
    assert "nmda_upregulation" in ds and "mu_desensitisation" in ds
