"""Target-controlled infusion (`ketasim.pk.tci`): peers, promises of the algorithms, pump
limits, schedules, the scenario/trial chain and the CLI.

Peers: PyTCI 1.2.0 (``plasma_infusion`` and ``effect_target``, exact integrator: the same
per-interval algorithms with an unlimited pump) and opentiva 1.1.2 (``Pump``: plasma
targeting as a loading infusion then maintenance blocks of 300, 600, 1200... s, each ending
at the target; effect-site targeting by a peak-sized bolus). Their known model port
mistakes (documented in tests/test_pk_peers.py and the model modules) are avoided by the
choice of models; the effect-site deviation of opentiva is asserted as its own cause.
"""

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketasim.core.errors import InputError, KetasimError
from ketasim.pk import Pump, get_model, list_models, parse_targets, tci
from ketasim.pk.models.base import Covariates
from ketasim.pk.simulate import build_system
from ketasim.pk.solver import solve_linear
from ketasim.pk.tci import infusion_events, schedule_of

ADULT = Covariates.single(70, 40, 170, "male")
#: a pump that never limits (the peers' algorithms have no maximum rate)
FREE = dict(max_rate="1e4 mL/h", syringe="1000 mg/mL")


def _fine(ds, drug, model, t_min, patients=ADULT):
    """Exact Cp, Ce (ng/mL) of the pump's profile on a fine grid, by the exact solver."""
    p = get_model(drug, model).parameters(patients)
    s = build_system(p, species=drug, metabolite=None)
    y = solve_linear(s.A, s.b, s.C, t_min, [], infusion_events(ds))
    return y[:, 0], y[:, 1]


# ----------------------------------------------------------------------------- PyTCI
try:  # test-only peers (make test installs them); the other tests run without them
    from PyTCI.models import propofol as pt_ppf
    from PyTCI.models import remifentanil as pt_remi
except ImportError:  # pragma: no cover
    pt_ppf = pt_remi = None
try:
    from opentiva import fentanyl as ot_fen
    from opentiva import ketamine as ot_ket
    from opentiva import pkpd as ot_pkpd
    from opentiva import propofol as ot_ppf
    from opentiva import pump as ot_pump
    from opentiva import remifentanil as ot_remi
except ImportError:  # pragma: no cover
    ot_fen = ot_ket = ot_pkpd = ot_ppf = ot_pump = ot_remi = None
needs_pytci = pytest.mark.skipif(pt_ppf is None, reason="test-only peer PyTCI: make test "
                                 "installs it")
needs_opentiva = pytest.mark.skipif(ot_pump is None, reason="test-only peer opentiva: make "
                                    "test installs it")

PYTCI_CASES = [  # drug, model, PyTCI factory, target, unit (PyTCI doses: mg for ug/mL, ug
    # for ng/mL); Schnider and Minto/Eleveld remifentanil agree with PyTCI as models
    # (test_pk_peers); its Marsh k31 and Eleveld propofol Q2 differ, so they are not used.
    ("propofol", "schnider", lambda: pt_ppf.Schnider(40, 70, 170, "m"), 3.0, "ug/mL"),
    ("remifentanil", "minto", lambda: pt_remi.Minto(40, 70, 170, "m"), 4.0, "ng/mL"),
    ("remifentanil", "eleveld", lambda: pt_remi.Eleveld(40, 70, 170, "m"), 4.0, "ng/mL"),
]


@pytest.mark.peers
@needs_pytci
@pytest.mark.parametrize("drug,name,factory,target,unit", PYTCI_CASES,
                         ids=[c[1] + "-" + c[0] for c in PYTCI_CASES])
def test_plasma_targeting_matches_pytci(drug, name, factory, target, unit):
    """Source: PyTCI 1.2.0 ``plasma_infusion(target, 1200 s, period=10)`` (exact): every
    10-s rate within 0.5 % (measured: <= 2.4e-4, Schnider; 2e-9 remifentanil)."""
    m = factory()
    m.set_integrator("exact")
    theirs = np.array(m.plasma_infusion(target, 1200, 10))
    ds = tci(drug, name, f"{target} {unit}", site="plasma", duration="20 min", **FREE)
    scale = 1000.0 if unit == "ng/mL" else 1.0
    ours = ds["rate_mg_min"].values[0, :-1] / 60.0 * scale
    np.testing.assert_allclose(ours, theirs, rtol=5e-3)


@pytest.mark.peers
@needs_pytci
@pytest.mark.parametrize("drug,name,factory,target,unit", PYTCI_CASES,
                         ids=[c[1] + "-" + c[0] for c in PYTCI_CASES])
def test_effect_targeting_matches_pytci(drug, name, factory, target, unit):
    """Source: PyTCI 1.2.0 ``effect_target(target, 480 s, period=10)`` (exact; Shafer &
    Gregg peak-targeting per interval; 8 min, look-ahead 10 min). Within 0.5 %: the
    loading dose (measured <= 1.4e-4), the total dose (<= 2.8e-4), the cumulative dose
    from 1 min on (<= 1.9e-3), Ce at every update after 30 s (<= 4.8e-4). Cp: <= 5.5e-3
    (remifentanil/Eleveld; 0.6 % allowed): at the target both codes chatter, alternating
    0 and a maintenance rate every 10 s, and Cp follows each step; single rates are
    therefore compared through their sums, not one by one."""
    m = factory()
    m.set_integrator("exact")
    theirs = np.array(m.effect_target(target, 480, 10, max_time=600))
    cp, ce = [], []
    for r in theirs:
        m.giveoverseconds(r, 10)
        cp.append(m.x1)
        ce.append(m.xeo)
    ds = tci(drug, name, f"{target} {unit}", site="effect", duration="8 min", **FREE)
    scale = 1000.0 if unit == "ng/mL" else 1.0
    ours = ds["rate_mg_min"].values[0, :-1] / 60.0 * scale
    assert ours[0] == pytest.approx(theirs[0], rel=5e-3)
    assert ours.sum() == pytest.approx(theirs.sum(), rel=5e-3)
    np.testing.assert_allclose(np.cumsum(ours)[6:], np.cumsum(theirs)[6:], rtol=5e-3)
    d = drug.replace("-", "_")
    oce = ds[f"{d}_effect_ng_mL"].values[0, 1:] / 1000.0 * scale
    ocp = ds[f"{d}_plasma_ng_mL"].values[0, 1:] / 1000.0 * scale
    np.testing.assert_allclose(oce[3:], np.array(ce)[3:], rtol=5e-3)
    np.testing.assert_allclose(ocp, np.array(cp), rtol=6e-3)


# ----------------------------------------------------------------------------- opentiva

OT_CASES = [  # opentiva's Schnider (age - 52) and Eleveld (Q2 1.83) are its port mistakes:
    # not used here (asserted against the paper in test_pk_peers.py)
    ("propofol", "marsh", lambda: ot_ppf.MarshDiprifusor(0, 40, 70, 170), 3.0, "ug/mL"),
    ("ketamine", "domino", lambda: ot_ket.Domino(0, 40, 70, 170), 1.0, "ug/mL"),
    ("ketamine", "clements", lambda: ot_ket.Clements250(0, 40, 70, 170), 1.0, "ug/mL"),
    ("fentanyl", "shafer", lambda: ot_fen.Shafer(0, 40, 70, 170), 2.0, "ng/mL"),
    ("remifentanil", "minto", lambda: ot_remi.Minto(0, 40, 70, 170), 4.0, "ng/mL"),
]


def _opentiva(model, target, effect, end_s):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = ot_pump.Pump(model, 10, end_s, max_infusion_rate=100000)
        p.add_target(0, target, 10, effect)
        out = p.run()
    return p.infusion_list, out


@pytest.mark.peers
@needs_opentiva
@pytest.mark.parametrize("drug,name,factory,target,unit", OT_CASES,
                         ids=[c[1] for c in OT_CASES])
def test_plasma_targeting_matches_opentiva(drug, name, factory, target, unit):
    """Source: opentiva 1.1.2 ``Pump.add_target(0, target, 10, effect=False)``: a 10-s
    loading infusion, then maintenance blocks of 300, 600, 1200... s, each ending at the
    target; closed-form plasma. With its block ends as our pump updates (``update_times``),
    every block's rate agrees within 0.5 % (measured 2e-9) and the plasma curve, per
    second for an hour, within 0.5 % (measured 2e-8)."""
    inf, out = _opentiva(factory(), target, False, 3600)
    ends = np.unique(np.concatenate([inf[:, 0], inf[:, 3]]))
    ends = ends[ends < 3600]
    ds = tci(drug, name, f"{target} {unit}", site="plasma", duration="60 min",
             update_times=ends / 60.0, **FREE)
    scale = 1000.0 if unit == "ng/mL" else 1.0
    t = ds["time"].values * 60.0
    ours = ds["rate_mg_min"].values[0, :-1] / 60.0 * scale
    theirs = np.array([inf[np.isclose(inf[:, 0], x), 1].sum() for x in t[:-1]])
    np.testing.assert_allclose(ours, theirs, rtol=5e-3)
    cp, _ = _fine(ds, drug, name, np.arange(1, 3600) / 60.0)
    np.testing.assert_allclose(cp[0] / 1000.0 * scale, out[1:3600, 1], rtol=5e-3)


@pytest.mark.peers
@needs_opentiva
@pytest.mark.parametrize("drug,name,factory,target,unit", OT_CASES[:2] + OT_CASES[3:],
                         ids=[c[1] for c in OT_CASES[:2] + OT_CASES[3:]])
def test_effect_loading_dose_vs_opentiva_and_its_approximate_effect_site(
        drug, name, factory, target, unit):
    """Source: opentiva 1.1.2 ``add_target(..., effect=True)`` ('original' Shafer/Gregg
    bolus-only method): its 10-s loading dose is 0.2-1.1 % larger than ours (Marsh 0.21 %,
    Shafer 0.52 %, Minto 0.66 %, Domino 1.13 %). Cause, asserted: its effect site is a
    per-second approximation (``ce_over_time``) that reads the SAME exact plasma curve as
    a lower peak; our dose scaled by (target / its peak from our plasma) equals its dose
    within 0.5 %. Our peak itself is exact (PyTCI agrees within 0.5 %, above)."""
    inf, _ = _opentiva(factory(), target, True, 600)
    ds = tci(drug, name, f"{target} {unit}", site="effect", duration="2 min", **FREE)
    scale = 1000.0 if unit == "ng/mL" else 1.0
    ours = ds["rate_mg_min"].values[0, 0] / 60.0 * 10.0 * scale
    theirs = inf[0, 1] * inf[0, 2]
    first = infusion_events(ds)[:1]
    p = get_model(drug, name).parameters(ADULT)
    s = build_system(p, species=drug, metabolite=None)
    sec = np.arange(0, 601) / 60.0
    y = solve_linear(s.A, s.b, s.C, sec, [], first)[0] / 1000.0 * scale
    assert y[1].max() == pytest.approx(target, rel=1e-3)  # exact peak at the target
    ce_ot = np.asarray(ot_pkpd.PkPdModel(factory()).ce_over_time(
        np.stack([np.arange(601.0), y[0]], 1)))
    assert theirs == pytest.approx(ours * target / ce_ot.max(), rel=5e-3)
    assert 0.0 < theirs / ours - 1 < 0.015


# ----------------------------------------------------------------------------- promises
@pytest.mark.parametrize("drug,name,target", [
    ("propofol", "eleveld", "3 ug/mL"), ("propofol", "marsh", "4 ug/mL"),
    ("remifentanil", "minto", "4 ng/mL"), ("ketamine", "kamp", "1 ug/mL"),
    ("fentanyl", "shafer", "2 ng/mL")])
def test_effect_site_reaches_target_without_overshoot(drug, name, target):
    """Shafer & Gregg 1992: the effect site rises to the target and never above it (the
    peak is planned at the target). Checked on a 2-s grid by the exact solver: max Ce <=
    target (1e-3 relative, the look-ahead grid), within 1 % of it at 15 min."""
    c = parse_targets(target)[0][1]
    ds = tci(drug, name, target, site="effect", duration="15 min")
    t = np.arange(0, 15 * 30 + 1) / 30.0
    _, ce = _fine(ds, drug, name, t)
    assert ce.max() <= c * (1 + 1e-3)
    assert ce[0, -1] == pytest.approx(c, rel=1e-2)
    assert ce[0, t >= 10].min() >= 0.98 * c


@pytest.mark.parametrize("key", [m.key for m in list_models()])
def test_every_model_both_sites(key):
    """Every ketasim PK model (all have an effect site): plasma targeting ends at the target
    (1e-9), effect-site targeting never above it (1e-3); a tenth of the drug's sanity
    limit as target, default patient (validity not checked: paediatric models)."""
    from ketasim.pk.tci import MAX_TARGET_NG_ML

    drug, name = key.split("/")
    c = MAX_TARGET_NG_ML[drug] / 10
    d = drug.replace("-", "_")
    for site in ("plasma", "effect"):
        ds = tci(drug, name, [(0, c)], site=site, duration="5 min", check_validity=False)
        v = ds[f"{d}_{site}_ng_mL"].values[0]
        assert np.all(np.isfinite(v)) and v.max() <= c * (1 + 1e-3)
        if site == "plasma":
            assert v[-1] == pytest.approx(c, rel=1e-9)


def test_plasma_at_target_at_every_update():
    """Jacobs 1990: plasma equals the target at the end of every pump interval once the
    pump can keep up (1e-9 relative)."""
    ds = tci("propofol", "schnider", "3 ug/mL at 0 min, 4 ug/mL at 5 min, 1 ug/mL at 10 min",
             site="plasma", duration="30 min", update="10 s")
    cp = ds["propofol_plasma_ng_mL"].values[0]
    tg = ds["target_ng_mL"].values
    t = ds["time"].values
    ok = (t > 0.2) & ((t < 10) | (t > 20))  # after the fall to 1 ug/mL plasma must decay
    # the value at each update is the target of the interval that ends there
    np.testing.assert_allclose(cp[1:][ok[1:]], tg[:-1][ok[1:]], rtol=1e-9)
    fall = (t > 10) & (t < 10.3)
    assert np.all(ds["rate_mg_min"].values[0][fall] == 0.0)  # pump stops while above


def test_schedule_of_targets_effect():
    """A falling target stops the pump until the effect site has come down; a rising one
    loads again; the effect site ends at each target (1 %) without overshoot."""
    ds = tci("propofol", "eleveld", "3 ug/mL at 0 min, 2 ug/mL at 15 min, 4 ug/mL at 30 min",
             duration="45 min")
    r = ds["rate_mg_min"].values[0]
    t = ds["time"].values
    assert r[(t >= 15) & (t < 15.5)].max() == 0.0
    assert r[(t >= 30) & (t < 30.2)].min() > 0.0
    ce = ds["propofol_effect_ng_mL"].values[0]
    for t_end, c in ((15.0, 3000.0), (30.0, 2000.0), (45.0, 4000.0)):
        assert ce[np.isclose(t, t_end)][0] == pytest.approx(c, rel=1e-2)
    assert ce[(t > 30)].max() <= 4000 * (1 + 1e-3)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(max_rate=st.floats(50, 1200), step=st.sampled_from([0.0, 0.1, 1.0, 5.0]),
       update=st.sampled_from([5.0, 10.0, 15.0]), site=st.sampled_from(["plasma", "effect"]),
       target=st.floats(1.0, 8.0))
def test_pump_limits_are_respected(max_rate, step, update, site, target):
    """Property: rates are within [0, max rate], multiples of the rate step, and the
    rounding and clipping never push the target site above the target."""
    ds = tci("propofol", "marsh", f"{target} ug/mL", site=site, duration="6 min",
             max_rate=f"{max_rate} mL/h", rate_step=f"{step} mL/h", update=f"{update} s")
    r = ds["rate_mL_h"].values[0]
    assert np.all(r >= 0) and np.all(r <= max_rate * (1 + 1e-12))
    if step > 0:
        np.testing.assert_allclose(r / step, np.round(r / step), atol=1e-6)
    col = "propofol_effect_ng_mL" if site == "effect" else "propofol_plasma_ng_mL"
    assert ds[col].values.max() <= target * 1000 * (1 + 1e-3)


def test_batched_patients_equal_single_runs():
    """Each patient's pump is his own: a batch of three equals three single runs."""
    cov = Covariates.from_arrays([50.0, 70.0, 110.0], [25.0, 50.0, 75.0], [160, 175, 185],
                                 ["female", "male", "male"])
    ds = tci("propofol", "eleveld", "3 ug/mL", patients=cov, duration="5 min")
    for i in range(3):
        one = tci("propofol", "eleveld", "3 ug/mL", duration="5 min", patients={
            "weight_kg": cov.weight_kg[i], "age_yr": cov.age_yr[i],
            "height_cm": cov.height_cm[i], "sex": cov.sex[i]})
        np.testing.assert_allclose(ds["rate_mg_min"].values[i], one["rate_mg_min"].values[0],
                                   rtol=1e-12, atol=1e-12)
    assert len(set(np.round(ds["infused_mg"].values[:, -1], 3))) == 3


def test_dataset_is_stamped_and_schedule_roundtrips():
    """The result carries provenance and the TCI citations; its doses (`schedule_of`) given
    to `ketasim.pk.simulate` reproduce its concentrations (1e-9)."""
    from ketasim.pk import Schedule, simulate

    ds = tci("propofol", "eleveld", "3 ug/mL", duration="10 min")
    assert "shafer_gregg1992" in ds.attrs["citations"] and ds.attrs["params_hash"]
    b, i = schedule_of(ds)
    sim = simulate("propofol", "eleveld", Schedule(b, i), times=ds["time"].values)
    np.testing.assert_allclose(sim["propofol_effect_ng_mL"].values[0],
                               ds["propofol_effect_ng_mL"].values[0], rtol=1e-8, atol=1e-6)


def test_invalid_inputs():
    with pytest.raises(InputError, match="site"):
        tci("propofol", target="3 ug/mL", site="brain")
    with pytest.raises(InputError, match="target"):
        tci("propofol", target="3 mg")
    with pytest.raises(InputError, match="distinct"):
        parse_targets([("0 min", "3 ug/mL"), (0, 2000)])
    with pytest.raises(InputError, match="pump"):
        tci("propofol", target="3 ug/mL", pump=Pump(), update="10 s")
    with pytest.raises(InputError, match="update_times"):
        tci("propofol", target="3 ug/mL", update_times=[1.0, 2.0])
    with pytest.raises(InputError, match="rate step"):
        Pump(max_rate_mL_h=1, rate_step_mL_h=5)
    with pytest.raises(KetasimError, match="patients x pump updates"):
        tci("propofol", target="3 ug/mL", duration="30 d", update="0.1 s")


# ----------------------------------------------------------------------------- chain
def test_scenario_runs_propofol_tci_with_ketamine():
    """'Propofol TCI at Ce 3 ug/mL with a ketamine infusion' through `ketasim.simulate`:
    the scenario's propofol effect site equals the TCI prediction (same model and patient,
    1e-6) and holds 3 ug/mL (1 %) while the pump runs."""
    from ketasim.scenarios import Scenario, load_scenario, to_yaml
    from ketasim.scenarios.runner import simulate

    s = Scenario(name="tci", horizon="1 h", regimens=[
        {"drug": "propofol", "tci": {"target": "3 ug/mL", "site": "effect",
                                     "model": "eleveld", "duration": "40 min"}},
        {"drug": "ketamine", "doses": [{"kind": "infusion", "rate": "0.15 mg/kg/h"}]}])
    assert load_scenario(to_yaml(s)) == s
    ds = simulate(s)
    t_h = ds["propofol_effect_ng_mL"][ds["propofol_effect_ng_mL"].dims[0]].values
    ce = ds["propofol_effect_ng_mL"].values
    ref = tci("propofol", "eleveld", "3 ug/mL", duration="40 min")
    on = (t_h * 60 >= 10) & (t_h * 60 <= 40)
    np.testing.assert_allclose(ce[on], 3000.0, rtol=1e-2)
    k = np.searchsorted(ref["time"].values, t_h[on] * 60)
    np.testing.assert_allclose(ce[on], ref["propofol_effect_ng_mL"].values[0, k], rtol=1e-6)
    assert ds["ketamine_plasma_ng_mL"].values[-1] > 0
    assert "shafer_gregg1992" in ds.attrs["citations"]


def test_scenario_schema_tci_messages():
    from ketasim.scenarios import Scenario, ScenarioError

    def bad(tci, match):
        with pytest.raises(ScenarioError, match=match):
            Scenario(name="x", regimens=[{"drug": "propofol", "tci": tci}])

    bad({"target": "3 ug/mL", "site": "brain"}, r"regimens\[0\]\.tci\.site")
    bad({"target": "3 mg"}, r"regimens\[0\]\.tci\.target")
    bad({"target": "30 ug/mL"}, "sanity limit")
    bad({"target": "3 ug/mL", "model": "nope"}, "tci.model")
    bad({"target": "3 ug/mL", "update_s": 0}, "update_s")
    with pytest.raises(ScenarioError, match="doses"):
        Scenario(name="x", regimens=[{"drug": "propofol"}])
    s = Scenario(name="x", regimens=[{"drug": "propofol", "tci": {
        "target": ["3 ug/mL at 0 min", "2 ug/mL at 30 min"]}}])
    assert s.regimens[0].tci.targets() == [(0.0, 3000.0), (30.0, 2000.0)]


def test_trial_batch_gives_each_patient_his_own_pump():
    """Trials: the batch runner's propofol plasma course (no PK variability) equals each
    patient's own TCI prediction (1e-6): per-patient pumps from covariates."""
    from ketasim.trials import load_trial
    from ketasim.trials.batch import _pk_block, covariates

    t = load_trial({"name": "w", "base": "healthy_volunteer", "population": {"size": 3},
                    "iiv": {"pk": False, "afferent_drive_cv": 0.0, "transfer_cv": 0.0,
                            "nmda_sensitivity_cv": 0.0}, "allocation": "all_arms",
                    "arms": [{"name": "p", "regimens": [{"drug": "propofol", "tci": {
                        "target": "3 ug/mL", "site": "plasma", "model": "eleveld"}},
                        {"drug": "ketamine", "doses": [{"kind": "bolus", "dose": "0.5 mg/kg"}]}
                    ]}], "outcomes": [{"name": "pain", "kind": "ongoing_pain",
                                       "time": "30 min"}], "every": "10 min"})
    cov = covariates(t)
    idx = np.arange(3)
    sub = Covariates(*(getattr(cov, k)[idx] for k in ("weight_kg", "age_yr", "height_cm",
                                                        "sex")))
    t_min = np.array([0.0, 10.0, 20.0, 30.0])
    regs = t.arms[0].regimens
    conc, _ = _pk_block(regs, sub, t, idx, t_min)
    ref = tci("propofol", "eleveld", "3 ug/mL", site="plasma", patients=sub,
              duration="30 min")
    k = np.searchsorted(ref["time"].values, t_min)
    np.testing.assert_allclose(conc["propofol"][0], ref["propofol_plasma_ng_mL"].values[:, k],
                               rtol=1e-6, atol=1e-9)
    assert np.ptp(ref["infused_mg"].values[:, -1]) > 0  # the pumps differ by patient


# ----------------------------------------------------------------------------- CLI
def test_cli_table_and_json():
    from typer.testing import CliRunner

    from ketasim.cli import app

    r = CliRunner().invoke(app, ["tci", "propofol", "--model", "eleveld", "--target",
                                 "3 ug/mL at 0 min, 2 ug/mL at 10 min", "--site", "effect",
                                 "--duration", "20 min", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["site"] == "effect" and out["time_min"][-1] == 20.0
    assert out["targets"] == [{"time_min": 0.0, "target_ng_mL": 3000.0},
                              {"time_min": 10.0, "target_ng_mL": 2000.0}]
    assert max(out["rate_mL_h"]) == pytest.approx(1200.0)
    assert out["effect_ng_mL"][-1] == pytest.approx(2000.0, rel=1e-2)
    assert out["mean_rate_mL_h"][-1] == 0.0 and out["citations"]
    r = CliRunner().invoke(app, ["tci", "remifentanil", "--target", "4 ng/mL", "--site",
                                 "plasma", "--duration", "5 min"], env={"COLUMNS": "200"})
    # the table (its headers may wrap at the console's width, whatever COLUMNS says when
    # another test created the console first)
    assert r.exit_code == 0 and "plasma" in r.output and "Minto" in r.output
    r = CliRunner().invoke(app, ["tci", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "Shafer & Gregg" in r.output


def test_cli_simulate_runs_a_tci_scenario(tmp_path):
    """`ketasim simulate FILE` with 'propofol TCI at Ce 3 ug/mL with a ketamine infusion':
    the summary's propofol effect-site course holds the target (1 %) after 10 min."""
    from typer.testing import CliRunner

    from ketasim.cli import app

    f = tmp_path / "tci.yaml"
    f.write_text("name: propofol_tci_ketamine\nhorizon: 30 min\nregimens:\n"
                 "  - drug: propofol\n    tci: {target: 3 ug/mL, site: effect, "
                 "model: eleveld}\n  - drug: ketamine\n    doses:\n"
                 "      - {kind: infusion, rate: 0.15 mg/kg/h}\n")
    r = CliRunner().invoke(app, ["simulate", str(f), "--out", str(tmp_path / "o"), "--json"])
    assert r.exit_code == 0, r.output
    tc = json.loads(r.output)["time_courses"]
    t = np.array(tc["time_h"]) * 60
    ce = np.array(tc["propofol_effect_ng_mL"])
    np.testing.assert_allclose(ce[t >= 10], 3000.0, rtol=1e-2)
    assert max(tc["ketamine_plasma_ng_mL"]) > 0
