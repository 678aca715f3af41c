"""Analytical identities and property tests of the exact PK solver."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketasim.core.errors import InputError
from ketasim.pk import get_model, simulate
from ketasim.pk.models.base import Covariates
from ketasim.pk.simulate import build_system
from ketasim.pk.solver import solve_linear

ADULT = Covariates.single(70, 40, 170, "male")


def _one_cmt(V=10.0, CL=1.0, ke0=0.5):
    p = {"V1": np.array([V]), "CL": np.array([CL]), "ke0": np.array([ke0])}
    return build_system(p, species="ketamine", metabolite=None)


def test_one_compartment_bolus_and_effect_site_closed_form():
    # closed form: Cp = D/V e^{-kt}; Ce = D/V ke0/(ke0-k) (e^{-kt} - e^{-ke0 t})
    s = _one_cmt()
    t = np.array([0.0, 0.5, 3.0, 17.0, 60.0])
    y = solve_linear(s.A, s.b, s.C, t, boluses=[(0.0, 0, np.array([5.0]))])
    k, ke0, c0 = 0.1, 0.5, 5.0 / 10 * 1000
    np.testing.assert_allclose(y[0, 0], c0 * np.exp(-k * t), rtol=1e-10)
    ce = c0 * ke0 / (ke0 - k) * (np.exp(-k * t) - np.exp(-ke0 * t))
    np.testing.assert_allclose(y[0, 1], ce, rtol=1e-9, atol=1e-9)


def test_one_compartment_infusion_closed_form():
    # Cp = R/CL (1 - e^{-kt}) during, then decays from the end value
    s = _one_cmt()
    t = np.array([1.0, 10.0, 30.0, 45.0])
    y = solve_linear(s.A, s.b, s.C, t, infusions=[(0.0, 30.0, np.array([2.0]))])
    k = 0.1
    during = 2.0 / 1.0 * (1 - np.exp(-k * t[:3])) * 1000
    after = 2.0 * (1 - np.exp(-k * 30)) * np.exp(-k * 15) * 1000
    np.testing.assert_allclose(y[0, 0], [*during, after], rtol=1e-10)


def test_oral_one_compartment_bateman():
    # Bateman: C = F D ka / (V (ka - k)) (e^{-kt} - e^{-ka t})
    ds = simulate("ketamine", "domino", {"bolus": ["50 mg oral"]}, times=[5.0])
    assert ds["ketamine_plasma_ng_mL"].values[0, 0] > 0
    from ketasim.pk.routes import KETAMINE_ROUTES
    r = KETAMINE_ROUTES["oral"]
    p = {"V1": np.array([100.0]), "CL": np.array([1.0])}
    s = build_system(p, species="ketamine", metabolite=None, routes=(r,))
    t = np.array([10.0, 60.0, 240.0])
    y = solve_linear(s.A, s.b, s.C, t, boluses=[(0.0, s.depot["oral"], np.array([r.F * 50]))])
    k, ka = 0.01, r.ka
    c = r.F * 50 * ka / (100 * (ka - k)) * (np.exp(-k * t) - np.exp(-ka * t)) * 1000
    np.testing.assert_allclose(y[0, 0], c, rtol=1e-9)


def test_mass_balance_three_compartments_with_elimination_sink():
    # amounts in all compartments + eliminated amount == dose, at every time
    p = get_model("ketamine", "kamp").parameters(ADULT)
    s = build_system(p, species="ketamine", metabolite=None)
    n = s.n
    A = np.zeros((1, n + 1, n + 1))
    A[:, :n, :n] = s.A
    A[0, n, 0] = p["CL"][0] / p["V1"][0]  # sink collects k10 * A1
    C = np.zeros((1, 1, n + 1))
    C[0, 0, [0, 1, 2, n]] = 1.0  # A1 + A2 + A3 + eliminated
    b = np.zeros((1, n + 1))
    b[0, 0] = 1
    t = np.array([0.1, 1, 10, 100, 1000, 5000])
    y = solve_linear(A, b, C, t, boluses=[(0.0, 0, np.array([35.0]))],
                     infusions=[(2.0, 500.0, np.array([0.2]))])
    given = 35.0 + 0.2 * (np.clip(t, 2, 500) - 2)
    np.testing.assert_allclose(y[0, 0], given, rtol=1e-9)


@pytest.mark.parametrize("model", ["domino", "clements", "hijazi", "kamp"])
def test_steady_state_equals_rate_over_clearance(model):
    # source: definition of clearance; Css = R / CL (R 10.5 mg/h = 0.15 mg/kg/h x 70 kg)
    ds = simulate("ketamine", model, {"infusion": ["0.15 mg/kg/h"]}, times=[20 * 24 * 60.0])
    cl = get_model("ketamine", model).parameters(ADULT)["CL"][0]
    css = 10.5 / 60 / cl * 1000
    assert ds["ketamine_plasma_ng_mL"].values[0, 0] == pytest.approx(css, rel=1e-4)
    assert ds["ketamine_effect_ng_mL"].values[0, 0] == pytest.approx(css, rel=1e-4)


def test_metabolite_steady_state():
    # at steady state the whole infusion is eliminated into S-NK: C_nk = R / (CL_nk/fm)
    child = dict(weight_kg=20, age_yr=6, height_cm=115, sex="f")
    ds = simulate("s-ketamine", "flint", {"infusion": ["1 mg/kg/h"]}, child, [3e4])
    cl_nk = 53.2 / 60 * (20 / 70) ** 0.75  # flint2017 Table 3, allometric
    assert ds["s_norketamine_plasma_ng_mL"].values[0, 0] == pytest.approx(20 / 60 / cl_nk * 1000,
                                                                   rel=1e-4)


def test_superposition_of_doses():
    one = simulate("propofol", "schnider", {"bolus": ["1 mg/kg"]}, times="0:90:3 min")
    two = simulate("propofol", "schnider", {"bolus": ["1 mg/kg", "1 mg/kg at 30 min"]},
                   times="0:90:3 min")
    shifted = simulate("propofol", "schnider", {"bolus": ["1 mg/kg"]}, times="0:60:3 min")
    a = one["propofol_plasma_ng_mL"].values[0]
    expect = a.copy()
    expect[10:] += shifted["propofol_plasma_ng_mL"].values[0]
    np.testing.assert_allclose(two["propofol_plasma_ng_mL"].values[0], expect, rtol=1e-9)


def test_bolus_is_the_limit_of_a_short_infusion():
    t = "1,5,30,120 min"
    bol = simulate("ketamine", "domino", {"bolus": ["1 mg/kg"]}, times=t)
    for over, tol in (("0.06 s", 1e-3), ("0.0006 s", 1e-5)):
        inf = simulate("ketamine", "domino", {"bolus": [f"1 mg/kg over {over}"]}, times=t)
        np.testing.assert_allclose(inf["ketamine_effect_ng_mL"], bol["ketamine_effect_ng_mL"],
                                   rtol=tol)


_bolus = st.tuples(st.floats(0.05, 3.0), st.floats(0, 240))
_inf = st.tuples(st.floats(0.01, 1.0), st.floats(0, 240), st.floats(1, 600))


def _sched(bols, infs):
    return {"bolus": [f"{d} mg/kg at {t} min" for d, t in bols],
            "infusion": [f"{r} mg/kg/h at {t} min for {dur} min" for r, t, dur in infs]}


@settings(max_examples=25, deadline=None)
@given(bols=st.lists(_bolus, min_size=1, max_size=3), infs=st.lists(_inf, max_size=2),
       scale=st.floats(0.1, 5.0), model=st.sampled_from(["domino", "kamp", "clements"]))
def test_random_regimens_finite_nonnegative_linear(bols, infs, scale, model):
    t = np.linspace(0, 900, 31)
    base = simulate("ketamine", model, _sched(bols, infs), times=t)
    scaled = simulate("ketamine", model, _sched([(d * scale, s) for d, s in bols],
                                                [(r * scale, s, u) for r, s, u in infs]),
                      times=t)
    for v in ("ketamine_plasma_ng_mL", "ketamine_effect_ng_mL"):
        x = base[v].values
        assert np.all(np.isfinite(x)) and np.all(x >= -1e-9 * x.max())
        np.testing.assert_allclose(scaled[v].values, scale * x, rtol=1e-7,
                                   atol=1e-9 * x.max())


@settings(max_examples=25, deadline=None)
@given(bols=st.lists(_bolus, min_size=1, max_size=3), infs=st.lists(_inf, max_size=2),
       extra=st.lists(st.floats(0, 900), min_size=1, max_size=20))
def test_output_grid_independence(bols, infs, extra):
    probe = np.array([3.0, 47.5, 333.3, 899.0])
    a = simulate("ketamine", "kamp", _sched(bols, infs), times=probe)
    b = simulate("ketamine", "kamp", _sched(bols, infs),
                 times=np.concatenate([extra, probe[::-1], np.linspace(0, 900, 7)]))
    got = b["ketamine_plasma_ng_mL"].values[0, len(extra):len(extra) + 4][::-1]
    np.testing.assert_allclose(got, a["ketamine_plasma_ng_mL"].values[0], rtol=1e-9, atol=1e-12)


def test_batch_equals_individual_solves():
    cov = Covariates.from_arrays([50, 70, 110], [30, 50, 70], [160, 175, 185],
                                 ["f", "m", "m"])
    sched = {"bolus": ["0.5 mg/kg"], "infusion": ["0.15 mg/kg/h for 2 h"]}
    batch = simulate("ketamine", "kamp", sched, cov, "0:180:30 min")
    for i in range(3):
        one = simulate("ketamine", "kamp", sched,
                       dict(weight_kg=cov.weight_kg[i], age_yr=cov.age_yr[i],
                            height_cm=cov.height_cm[i], sex=int(cov.sex[i])), "0:180:30 min")
        np.testing.assert_allclose(batch["ketamine_plasma_ng_mL"].values[i],
                                   one["ketamine_plasma_ng_mL"].values[0], rtol=1e-12)


def test_units_and_provenance():
    ds = simulate("ketamine", "domino", {"bolus": ["2 mg/kg"]}, times=[1, 5])
    assert ds["ketamine_plasma_ng_mL"].attrs["units"] == "ng/mL"
    assert ds["ketamine_plasma_uM"].attrs["units"] == "umol/L"
    # 1 umol/L = 237.73 ng/mL (ketasim.core.units.MOLAR_MASS)
    np.testing.assert_allclose(ds["ketamine_plasma_uM"] * 237.73, ds["ketamine_plasma_ng_mL"])
    assert "domino1984" in ds.attrs["citations"]
    assert ds["time"].attrs["units"] == "min"


@pytest.mark.parametrize("times", [[-1.0], [np.nan], []])
def test_bad_times_raise(times):
    with pytest.raises(InputError):
        simulate("ketamine", "domino", {"bolus": ["1 mg/kg"]}, times=times)
