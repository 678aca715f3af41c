"""Virtual patients, inter-individual variability, seeds; free fraction; CLI; experiment."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from ketasim.core.errors import InputError, UnknownNameError
from ketasim.pk import (
    apply_iiv,
    free_concentration_umol,
    free_fraction,
    get_model,
    simulate,
    virtual_patients,
)


def test_virtual_patients_plausible_and_reproducible():
    c = virtual_patients(20000, seed=7)
    assert np.array_equal(c.weight_kg, virtual_patients(20000, seed=7).weight_kg)
    assert not np.array_equal(c.weight_kg, virtual_patients(20000, seed=8).weight_kg)
    assert 18.5 <= c.bmi.min() and c.bmi.max() <= 40.0
    assert 18 <= c.age_yr.min() and c.age_yr.max() <= 80
    assert abs(c.sex.mean() - 0.5) < 0.02
    # fryar2021: mean height men 175.4 cm, women 161.7 cm
    assert c.height_cm[c.sex == 0].mean() == pytest.approx(175.4, abs=0.5)
    assert c.height_cm[c.sex == 1].mean() == pytest.approx(161.7, abs=0.5)
    # weight and height correlate (BMI construction), as in people
    assert np.corrcoef(c.weight_kg, c.height_cm)[0, 1] > 0.3
    # fryar2021: mean weight men ~90.6 kg, women ~77.5 kg (our BMI bounds trim the tails)
    assert 80 < c.weight_kg[c.sex == 0].mean() < 95
    assert 68 < c.weight_kg[c.sex == 1].mean() < 82


def test_virtual_patients_bad_input():
    with pytest.raises(InputError):
        virtual_patients(0)
    with pytest.raises(InputError):
        virtual_patients(10, p_female=2)


def test_iiv_matches_published_omegas():
    m = get_model("propofol", "eleveld")
    c = virtual_patients(20000, seed=1)
    p0 = m.parameters(c)
    p = apply_iiv(m, p0, seed=1)
    # eleveld2018: omega^2(CL) 0.265, omega^2(V1) 0.610
    assert np.std(np.log(p["CL"] / p0["CL"])) == pytest.approx(np.sqrt(0.265), rel=0.03)
    assert np.std(np.log(p["V1"] / p0["V1"])) == pytest.approx(np.sqrt(0.610), rel=0.03)
    f = get_model("s-ketamine", "flint")
    kids = dict(weight_kg=np.full(20000, 15.0), age_yr=3.0, height_cm=95.0, sex="f")
    from ketasim.pk.simulate import _as_covariates
    q0 = f.parameters(_as_covariates(kids))
    q = apply_iiv(f, q0, seed=2)
    e1, e2 = np.log(q["CL"] / q0["CL"]), np.log(q["M_CL"] / q0["M_CL"])
    # flint2017 Table 3: r(CL, CL_nk) = 0.506
    assert np.corrcoef(e1, e2)[0, 1] == pytest.approx(0.506, abs=0.03)


def test_simulate_with_iiv_is_seeded():
    c = virtual_patients(50, seed=3)
    sched = {"infusion": ["0.15 mg/kg/h for 2 h"]}
    a = simulate("ketamine", "kamp", sched, c, [120], iiv=True, seed=11)
    b = simulate("ketamine", "kamp", sched, c, [120], iiv=True, seed=11)
    d = simulate("ketamine", "kamp", sched, c, [120], iiv=False)
    np.testing.assert_array_equal(a["ketamine_plasma_ng_mL"], b["ketamine_plasma_ng_mL"])
    assert a["ketamine_plasma_ng_mL"].std() > 2 * d["ketamine_plasma_ng_mL"].std()
    assert a.attrs["seed"] == 11


def test_free_fraction_helper():
    # dayton1983 (fu 0.53) and the molar mass 237.73 g/mol (ketasim.core.units.MOLAR_MASS)
    assert free_fraction("ketamine") == 0.53
    ds = simulate("ketamine", "domino", {"bolus": ["1 mg/kg"]}, times=[10])
    fu = free_concentration_umol(ds["ketamine_plasma_ng_mL"], "ketamine")
    cp = float(ds["ketamine_plasma_ng_mL"][0, 0])
    assert float(fu[0, 0]) == pytest.approx(cp * 0.53 / 237.73)
    assert fu.attrs["units"] == "umol/L"
    assert free_fraction("s_norketamine") == 0.53
    with pytest.raises(UnknownNameError):
        free_fraction("caffeine")


runner = CliRunner()


def _app():
    from ketasim.cli import app
    return app


def test_cli_pk_json_keys_and_values():
    r = runner.invoke(_app(), ["pk", "ketamine", "--model", "domino", "--bolus", "2 mg/kg",
                               "--infusion", "0.15 mg/kg/h for 2 h at 30 min",
                               "--at", "1,5,10,30,60 min", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) == {"drug", "model", "patient", "schedule", "time_min", "plasma_ng_mL",
                        "effect_ng_mL", "plasma_uM", "effect_uM", "metabolite",
                        "citations", "params_hash"}
    ds = simulate("ketamine", "domino", {"bolus": ["2 mg/kg"],
                                         "infusion": ["0.15 mg/kg/h for 2 h at 30 min"]},
                  times=[1, 5, 10, 30, 60])
    np.testing.assert_allclose(out["plasma_ng_mL"], ds["ketamine_plasma_ng_mL"].values[0],
                               rtol=1e-6)
    assert out["metabolite"] is None


@pytest.mark.parametrize("patient", [
    ["--model", "flint", "--weight-kg", "20", "--age-yr", "6", "--height-cm", "115"],
    ["--weight-kg", "70", "--age-yr", "40", "--height-cm", "175"],  # default: adult otto
])
def test_cli_pk_metabolite_table_and_plot(tmp_path, patient):
    png = tmp_path / "pk.png"
    r = runner.invoke(_app(), ["pk", "esketamine", *patient, "--infusion", "1 mg/kg/h",
                               "--at", "0:24:6 h", "--plot", str(png), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["metabolite"]["name"] == "s_norketamine"
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("args,needle", [
    (["pk", "ketamine", "--infusion", "2 mg/kg"], "--infusion"),
    (["pk", "ketamine", "--bolus", "2 mg/kg/h"], "--bolus"),
    (["pk", "ketamine", "--model", "herd", "--bolus", "1 mg/kg"], "age_yr"),
    (["pk", "ketamin", "--bolus", "1 mg/kg"], "drug"),
    (["pk", "ketamine", "--model", "x", "--bolus", "1 mg/kg"], "model"),
    (["pk", "ketamine", "--bolus", "1 mg/kg", "--sex", "x"], "sex"),
    (["pk", "ketamine", "--bolus", "1 mg/kg", "--weight-kg", "-3"], "--weight-kg"),
    (["pk", "ketamine", "--bolus", "1 mg/kg", "--weight", "-3"], "--weight-kg"),
])
def test_cli_errors_exit_2_naming_the_field(args, needle):
    r = runner.invoke(_app(), args)
    assert r.exit_code == 2
    assert f"{needle}:" in r.output.replace("\n", " ")


def test_pk_regimens_experiment_quick():
    from ketasim.experiments import experiments
    exp = experiments()["pk-regimens"]
    ds = exp.run(infusion_rates_mg_kg_h=(0.15,), bolus_doses_mg_kg=(2.0,), infusion_h=24.0,
                 horizon_h=24.0,
                 dt_min=2.0, models=("domino", "kamp", "herd"))
    s = exp.summary(ds)
    json.dumps(s)
    # after 24 h the 0.15 mg/kg/h infusion is close to (below) its plateau R/CL
    for m in ("domino", "kamp", "herd"):
        f = s["fraction_of_steady_state"][m]["inf 0.15 mg/kg/h"]
        assert 0.85 < f <= 1.0
    assert s["patient"]["herd"] == "child"
    # 2 mg/kg bolus: effect-site peak 1 min after the bolus by construction of ke0 (the 2-min
    # grid reports 2 min) and above the 1200 ng/mL anaesthetic range lower bound (Zanos 2018
    # Table 1 cites 1200-2400 ng/mL Cmax after 1-2 mg/kg IV)
    assert s["time_to_peak_effect_min"]["kamp"]["bolus 2 mg/kg"] <= 2.0
    assert s["peak_effect_ng_ml"]["kamp"]["bolus 2 mg/kg"] > 1200
