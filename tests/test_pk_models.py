"""Published model parameters, covariate equations, ke0 re-derivation and validity ranges."""

import numpy as np
import pytest

from ketasim.core.errors import UnknownNameError, ValidityRangeError
from ketasim.pk import get_model, list_models, simulate
from ketasim.pk.analysis import ke0_for_tpeak, time_to_peak_effect
from ketasim.pk.models.base import Covariates, ffm_alsallami, lbm_james

ADULT = Covariates.single(70, 40, 170, "male")
CHILD = Covariates.single(20, 6, 115, "male")
REF35 = Covariates.single(70, 35, 170, "male")


@pytest.mark.parametrize("name", ["domino", "clements", "hijazi", "kamp", "herd", "hornik"])
def test_ketamine_ke0_gives_one_minute_peak(name):
    # opentiva2023 derives these ke0 from a 1-min time to peak effect; we re-derive it
    cov = CHILD if name in ("herd", "hornik") else ADULT
    assert time_to_peak_effect(get_model("ketamine", name), cov) == pytest.approx(1.0,
                                                                                 abs=0.01)


def test_flint_ke0_is_our_tpeak_one_minute_value():
    assert ke0_for_tpeak(get_model("s-ketamine", "flint"), 1.0, CHILD) == pytest.approx(
        1.10, abs=0.01)


def test_ketamine_parameters_at_source_values():
    # kamp2020: V1 25, V2 56, V3 157 L; CL 84, Q2 161, Q3 79 L/h at 70 kg
    p = get_model("ketamine", "kamp").parameters(ADULT)
    assert [p[k][0] for k in ("V1", "V2", "V3")] == pytest.approx([25, 56, 157])
    assert [p[k][0] * 60 for k in ("CL", "Q2", "Q3")] == pytest.approx([84, 161, 79])
    # weight scaling choice (documented): clearances (W/70)^0.75, volumes W/70
    p100 = get_model("ketamine", "kamp").parameters(Covariates.single(100, 40, 180, "m"))
    assert p100["CL"][0] * 60 == pytest.approx(84 * (100 / 70) ** 0.75)
    assert p100["V3"][0] == pytest.approx(157 * 100 / 70)
    # domino1984 (ports): V1 0.063 L/kg, k10 0.4381 -> CL = 0.4381 x 4.41 L/min
    d = get_model("ketamine", "domino").parameters(ADULT)
    assert d["V1"][0] == pytest.approx(4.41) and d["CL"][0] == pytest.approx(0.4381 * 4.41)
    # flint2017 Table 3 at 70 kg-equivalent: CL 112 L/h, V1 7.73 L; CL_nk/fm 53.2 L/h
    f = get_model("s-ketamine", "flint").parameters(Covariates.single(35, 12, 150, "f"))
    s = 35 / 70
    assert f["CL"][0] * 60 == pytest.approx(112 * s**0.75)
    assert f["V2"][0] == pytest.approx(545 * s)
    assert f["M_CL"][0] * 60 == pytest.approx(53.2 * s**0.75)


def test_eleveld_propofol_reference_individual_equals_thetas():
    # eleveld2018 Table 2 (theta1-6) for the 35 y, 70 kg, 170 cm male without opioids
    p = get_model("propofol", "eleveld").parameters(REF35)
    assert p["V1"][0] == pytest.approx(6.28)
    assert p["V2"][0] == pytest.approx(25.5)
    assert p["V3"][0] == pytest.approx(273)
    assert p["CL"][0] == pytest.approx(1.79)
    assert p["Q3"][0] == pytest.approx(1.11)
    # Q2 = theta5 (1 + theta16 (1 - fQ3mat)); theta5 = 1.75 (opentiva has 1.83, a typo)
    q3mat = (35 * 52 + 40) / (35 * 52 + 40 + 68.3)
    assert p["Q2"][0] == pytest.approx(1.75 * (1 + 1.30 * (1 - q3mat)))
    assert p["ke0"][0] == pytest.approx(0.146)
    fem = get_model("propofol", "eleveld").parameters(Covariates.single(70, 35, 170, "f"))
    assert fem["CL"][0] == pytest.approx(2.10)  # theta15


def test_eleveld_remifentanil_reference_individual():
    # eleveld2017 reference values: V1 5.81, V2 8.82, V3 5.03 L; CL 2.58, Q2 1.72, Q3 0.124
    p = get_model("remifentanil", "eleveld").parameters(REF35)
    got = [p[k][0] for k in ("V1", "V2", "V3", "CL", "Q2", "Q3", "ke0")]
    assert got == pytest.approx([5.81, 8.82, 5.03, 2.58, 1.72, 0.124, 1.09], rel=1e-9)


def test_covariate_helpers():
    # james1976: 1.1 W - 128 (W/H)^2 (men)
    assert lbm_james(ADULT)[0] == pytest.approx(1.1 * 70 - 128 * (70 / 170) ** 2)
    # alsallami2015 adult man: 9270 W / (6680 + 216 BMI)
    bmi = 70 / 1.7**2
    assert ffm_alsallami(REF35)[0] == pytest.approx(9270 * 70 / (6680 + 216 * bmi), rel=1e-4)


def test_thiopental_k12_falls_with_age_unlike_opentiva():
    # stanski1990: k12 = 0.480 - 0.00288 (age - 35) above 35 y (opentiva: constant 0.379)
    from ketasim.pk.models.thiopental import k12_stanski
    assert k12_stanski(30) == pytest.approx(0.480)
    assert k12_stanski(60) == pytest.approx(0.480 - 0.00288 * 25)
    assert k12_stanski(80) == pytest.approx(0.480 - 0.00288 * 45)


def test_morphine_sex_specific_ke0():
    # sarton2000: ke0 0.0073/min (men), 0.0024/min (women)
    m = get_model("morphine", "sarton")
    assert m.parameters(ADULT)["ke0"][0] == pytest.approx(0.0073)
    assert m.parameters(Covariates.single(60, 40, 165, "f"))["ke0"][0] == pytest.approx(0.0024)
    ds_m = simulate("morphine", "sarton", {"bolus": ["0.1 mg/kg"]}, ADULT, [30.0])
    ds_f = simulate("morphine", "sarton", {"bolus": ["0.1 mg/kg"]},
                    dict(weight_kg=70, age_yr=40, height_cm=170, sex="f"), [30.0])
    ce_f = ds_f["morphine_effect_ng_mL"].values[0, 0]
    assert ce_f < 0.5 * ds_m["morphine_effect_ng_mL"].values[0, 0]


def test_time_to_peak_effect_of_comparators():
    # schnider1999: TTPE 1.6 min for propofol (ke0 0.456) at their reference patient
    # (53 y, 77 kg, 177 cm man); shafer1990 + ke0 0.12: TTPE ~3.6 min [secondary]
    ref = Covariates.single(77, 53, 177, "m")
    assert time_to_peak_effect(get_model("propofol", "schnider"), ref) == pytest.approx(
        1.6, abs=0.1)
    assert time_to_peak_effect(get_model("fentanyl", "shafer"), ADULT) == pytest.approx(
        3.6, abs=0.1)


@pytest.mark.parametrize("drug,model,cov,field", [
    ("ketamine", "herd", ADULT, "age_yr"),
    ("ketamine", "hornik", Covariates.single(70, 40, 170, "m"), "age_yr"),
    ("s-ketamine", "flint", ADULT, "weight_kg"),
    ("propofol", "schnider", Covariates.single(110, 40, 165, "f"), "bmi"),
    ("fentanyl", "shafer", Covariates.single(120, 40, 180, "m"), "weight_kg"),
    ("propofol", "schnider", Covariates.single(70, 18, 170, "m"), "age_yr"),
])
def test_validity_range_errors_name_the_field(drug, model, cov, field):
    with pytest.raises(ValidityRangeError) as e:
        get_model(drug, model).parameters(cov)
    assert e.value.field == field


def test_unknown_drug_and_model():
    with pytest.raises(UnknownNameError, match="drug"):
        get_model("ketamin")
    with pytest.raises(UnknownNameError, match="model"):
        get_model("ketamine", "marsh")


def test_every_model_has_citation_validity_and_positive_parameters():
    import ketasim.core.citations as C
    for m in list_models():
        assert m.validity and m.omega_source
        for key in m.citations:
            C.get(key)
        lo = {k: v[0] for k, v in m.validity.items()}
        hi = {k: v[1] for k, v in m.validity.items()}
        w = float(np.clip(30, lo.get("weight_kg", 0), hi.get("weight_kg", 999)))
        a = float(np.clip(10, lo.get("age_yr", 0), hi.get("age_yr", 999)))
        cov = Covariates.single(w, a, 140 if a < 18 else 170, "m")
        if "height_cm" in m.validity:
            cov = Covariates.single(max(w, 50), max(a, 30), 170, "m")
        p = m.parameters(cov)
        assert all(np.all(v > 0) for v in p.values()), m.key


def test_herd_children_after_1mg_per_kg_against_the_abstract():
    """herd2007 abstract: after 1 mg/kg IV, at 10 min 'almost all the children will still
    have a serum concentration above 0.1 mg/l' and 'half ... below 0.75 mg/l'.

    With the abstract's own parameters and BSV, the first statement holds; the simulated
    median is 0.46 mg/L, not 0.75 (their Vss 141 L/70 kg cannot give 0.75 mg/L at 10 min
    after 1 mg/kg: D/Vss alone is 0.50 mg/L). We assert our number and keep the gap visible.
    """
    rng = np.random.default_rng(0)
    n = 3000
    w = np.clip(rng.normal(32.5, 15.6, n), 10.8, 74.8)  # herd2007 cohort: 32.5 +- 15.6 kg
    a = np.clip(rng.normal(8.3, 3.5, n), 1, 14)  # 8.3 +- 3.5 y
    c = Covariates.from_arrays(w, a, np.full(n, 130.0), np.zeros(n))
    ds = simulate("ketamine", "herd", {"bolus": ["1 mg/kg"]}, c, [10], iiv=True, seed=3)
    x = ds["ketamine_plasma_ng_mL"].values[:, 0]
    assert np.mean(x > 100) > 0.99
    assert 400 < np.median(x) < 520


@pytest.mark.parametrize("weight,age,height", [(14, 3.3, 95), (50, 15, 165)])
def test_hornik_2_mg_per_kg_keeps_750_ng_ml_for_20_min(weight, age, height):
    # hornik2018 abstract: "2 mg/kg intravenously ... provide adequate sedation (plasma
    # ketamine concentrations >750 ng/mL) for procedures lasting up to 20 minutes"
    # (median child 3.3 y, 14 kg)
    ds = simulate("ketamine", "hornik", {"bolus": ["2 mg/kg"]},
                  dict(weight_kg=weight, age_yr=age, height_cm=height, sex="m"), [20.0])
    assert ds["ketamine_plasma_ng_mL"].values[0, 0] > 750


def test_hijazi_against_its_abstract():
    # hijazi2003 abstract: total CL 36.0 mL/min/kg, V(beta) 16.0 L/kg, t1/2 4.9 h (means)
    p = get_model("ketamine", "hijazi").parameters(ADULT)
    assert p["CL"][0] / 70 * 1000 == pytest.approx(36.0, rel=0.01)
    from ketasim.pk.simulate import build_system
    s = build_system(p, species="ketamine", metabolite=None)
    beta = -np.max(np.linalg.eigvals(s.A[0, :2, :2]).real)
    assert np.log(2) / beta / 60 == pytest.approx(4.9, rel=0.03)
    assert p["CL"][0] / beta / 70 == pytest.approx(16.0, rel=0.05)


@pytest.mark.parametrize("model", ["domino", "clements", "hijazi", "kamp"])
def test_antidepressant_infusion_concentration(model):
    # Zanos 2018 Pharmacol Rev Table 1 (PMC6020109): 0.5 mg/kg over 40 min gives 185 ng/mL
    # (Zarate 2006) and 100-250 ng/mL (Krystal 1994). Validation, not a fit: our adult
    # models give 177-253 ng/mL at the end of the infusion.
    ds = simulate("ketamine", model, {"bolus": ["0.5 mg/kg over 40 min"]}, times=[40])
    assert 150 < ds["ketamine_plasma_ng_mL"].values[0, 0] < 260


def test_kamp_against_measured_10_mg_iv_bolus():
    # pharmacotherapy2022_in Table 6 (PMC9118341), racemic ketamine 10 mg IV, n = 9:
    # Cmax 296 ng/mL at Tmax 2 min, AUC 113 ug.h/L (geometric means; body weight not in
    # the table, we assume 70 kg). Validation, not a fit: Kamp gives 263 ng/mL and 119.
    ds = simulate("ketamine", "kamp", {"bolus": ["10 mg"]}, times=np.arange(0, 1440.5, 0.5))
    c = ds["ketamine_plasma_ng_mL"].values[0]
    assert c[4] == pytest.approx(296, rel=0.15)  # t = 2 min
    cl = get_model("ketamine", "kamp").parameters(ADULT)["CL"][0] * 60  # L/h
    assert 10 / cl * 1000 == pytest.approx(113, rel=0.08)  # AUC(0-inf) = dose / CL


def test_kamp_steady_state_of_long_term_analgosedation():
    # analgosedation_ejdmp: 9 ICU patients with normal liver/kidney function, 1.1-1.3
    # mg/kg/h for 3 days -> ketamine 1.2 +- 0.3 ug/mL at steady state (validation only)
    ds = simulate("ketamine", "kamp", {"infusion": ["1.2 mg/kg/h"]}, times=[3 * 24 * 60.0])
    assert 900 < ds["ketamine_plasma_ng_mL"].values[0, 0] < 1500


def test_otto_adult_s_ketamine_at_source_values_and_steady_state():
    # otto2021 Table 3 (Fanta 2015 S-ketamine fixed): V1 133, Vp1 187, Vp2 98.8 L; CL 95.2,
    # Q1 23.2, Q2 157 L/h; S-norketamine V 98.6, Vp 160 L, CL 57.7, Q 42.8 L/h, at 70 kg
    spec = get_model("s-ketamine", "otto")
    p = spec.parameters(ADULT)
    assert [p[k][0] for k in ("V1", "V2", "V3", "M_V1", "M_V2")] == pytest.approx(
        [133, 187, 98.8, 98.6, 160])
    assert [p[k][0] * 60 for k in ("CL", "Q2", "Q3", "M_CL", "M_Q2")] == pytest.approx(
        [95.2, 23.2, 157, 57.7, 42.8])
    # fanta2015 abstract (read at the source): "clearance was high, 95 L/h/70 kg"
    assert p["CL"][0] * 60 == pytest.approx(95, rel=0.005)
    # olofsen2012 abstract: pain-intensity blood-effect-site t1/2 11.8 min
    assert np.log(2) / p["ke0"][0] == pytest.approx(11.8)
    # scaling: central volumes (W/70)^1, elimination clearances ^0.75, the rest unscaled
    q = spec.parameters(Covariates.single(100, 40, 180, "m"))
    assert q["V1"][0] == pytest.approx(133 * 100 / 70)
    assert q["M_CL"][0] * 60 == pytest.approx(57.7 * (100 / 70) ** 0.75)
    assert q["V2"][0] == pytest.approx(187) and q["M_Q2"][0] * 60 == pytest.approx(42.8)
    # steady state of a 0.3 mg/kg/h infusion (21 mg/h at 70 kg): C = R / CL for the parent
    # and, with every eliminated S-ketamine mass forming S-norketamine (fm 1, no molar-mass
    # conversion, as run by Otto), R / CL_nk for the metabolite
    pt = {"weight_kg": 70.0, "age_yr": 40.0, "height_cm": 170.0, "sex": "male"}
    ds = simulate("s-ketamine", "otto", {"infusion": ["0.3 mg/kg/h"]}, pt, [3e4])
    assert float(ds.s_ketamine_plasma_ng_mL[0, -1]) == pytest.approx(21e3 / 95.2, rel=1e-4)
    assert float(ds.s_norketamine_plasma_ng_mL[0, -1]) == pytest.approx(21e3 / 57.7, rel=1e-4)


def test_otto_refuses_a_child():
    with pytest.raises(ValidityRangeError, match="weight_kg.*40-120.*otto"):
        get_model("s-ketamine", "otto").parameters(CHILD)
