"""Validation at the pk edges, caps on work, units, seeds and provenance of pk results."""

import numpy as np
import pytest
from typer.testing import CliRunner

from ketasim.core.errors import InputError, UnitError, UnknownNameError, WorkLimitError
from ketasim.core.units import ureg
from ketasim.pk import (
    Bolus,
    Covariates,
    Infusion,
    apply_iiv,
    free_concentration_umol,
    get_model,
    parse_bolus,
    parse_infusion,
    parse_times,
    simulate,
    time_to_peak_effect,
    virtual_patients,
)

B = {"bolus": ["0.5 mg/kg"]}


def _msg(exc):
    return str(exc.value)


# --- conventions --------------------------------------------------------------------------
def test_output_names_units_and_coordinates():
    ds = simulate("s-ketamine", "flint", {"infusion": ["1 mg/kg/h"]},
                  {"weight_kg": 20, "age_yr": 6, "height_cm": 115, "sex": "f"}, [10, 60])
    assert set(ds.data_vars) == {
        "s_ketamine_plasma_ng_mL", "s_ketamine_plasma_uM", "s_ketamine_effect_ng_mL",
        "s_ketamine_effect_uM", "s_norketamine_plasma_ng_mL", "s_norketamine_plasma_uM"}
    for v in ds.data_vars:
        assert ds[v].dims == ("patient", "time")
        assert ds[v].attrs["units"] == ("ng/mL" if v.endswith("ng_mL") else "umol/L")
    assert ds["time"].attrs["units"] == "min"
    assert {"weight_kg", "age_yr", "height_cm", "sex"} <= set(ds.coords)


def test_public_api_is_curated():
    import ketasim.pk as pk
    assert "simulate" in pk.__all__ and "virtual_patients" in pk.__all__
    assert not any(n.startswith("_") or n in ("solve_linear", "build_system")
                   for n in pk.__all__)
    for n in pk.__all__:
        assert hasattr(pk, n)


def test_quantities_accepted_at_the_edges():
    ref = simulate("ketamine", "kamp", B, {"weight_kg": 70, "height_cm": 170}, [5, 60])
    q = simulate("ketamine", "kamp", {"bolus": [0.5 * ureg("mg/kg")]},
                 {"weight_kg": "70000 g", "height_cm": "1.7 m"}, "5,60 min")
    np.testing.assert_allclose(q["ketamine_plasma_ng_mL"], ref["ketamine_plasma_ng_mL"],
                               rtol=1e-12)
    h = simulate("ketamine", "kamp", B, times=np.array([5, 60]) * ureg.min / 60 * 60)
    np.testing.assert_allclose(h["ketamine_plasma_ng_mL"], ref["ketamine_plasma_ng_mL"])
    a = simulate("ketamine", "kamp", B, times=[30], ke0="0.5 1/min")
    b = simulate("ketamine", "kamp", B, times=[30], ke0=0.5)
    assert a["ketamine_effect_ng_mL"].item() == b["ketamine_effect_ng_mL"].item()
    assert parse_times("0.5,1 h").tolist() == [30.0, 60.0]
    assert parse_infusion(0.15 * ureg("mg/kg/h")).mg_per_kg_per_h == pytest.approx(0.15)
    assert float(free_concentration_umol("237.73 ng/mL", "ketamine")) == pytest.approx(0.53)


# --- refused inputs: field, value and what is allowed --------------------------------------
@pytest.mark.parametrize("text", ["0.5 mg/kg foo", "0.5 mg/kg 3", "0.5 mg/kg at 30 min 2",
                                  "0.5 mg/kg at 30 min foo", "2 3 mg"])
def test_trailing_junk_after_a_unit_is_refused(text):
    with pytest.raises(UnitError) as e:
        parse_bolus(text)
    assert e.value.field.startswith("bolus") and text.split(" at ")[-1] in _msg(e)


def test_junk_in_times_and_infusions_refused():
    with pytest.raises(InputError, match="infusion 'for'"):
        parse_infusion("0.1 mg/kg/h for 2 h 3")
    with pytest.raises(InputError) as e:
        parse_times("1,5 h 2")
    assert e.value.field == "times"


def test_output_grid_is_capped_and_the_cap_can_be_lifted():
    with pytest.raises(WorkLimitError) as e:
        simulate("ketamine", "kamp", B, times="0:30:1e-6 d")
    assert "max_points=" in _msg(e) and "1000000" in _msg(e) and e.value.field.startswith(
        "times")
    with pytest.raises(WorkLimitError, match="patients x output times"):
        simulate("ketamine", "kamp", B, virtual_patients(2000, seed=1), "0:24:0.01 h")
    ds = simulate("ketamine", "kamp", B, virtual_patients(2000, seed=1), "0:24:0.01 h",
                  max_points=5_000_000, molar=False)
    assert ds.sizes == {"patient": 2000, "time": 2401}
    with pytest.raises(WorkLimitError, match="max_patients="):
        virtual_patients(10**8)


def test_string_where_a_number_belongs():
    with pytest.raises(InputError) as e:
        simulate("ketamine", "kamp", B, {"weight_kg": "heavy"}, [1])
    assert e.value.field == "weight_kg" and "heavy" in _msg(e)
    with pytest.raises(InputError) as e:
        simulate("ketamine", "kamp", B, times=[1], seed="1")
    assert e.value.field == "seed" and "integer" in _msg(e)
    with pytest.raises(InputError) as e:
        simulate("ketamine", "kamp", {"bolus": ["10 mg oral"]}, times=[1],
                 route_params={"oral": {"F": "lots"}})
    assert e.value.field == "route_params['oral']['F']"
    with pytest.raises(InputError):
        virtual_patients("10")
    with pytest.raises(InputError, match="ke0"):
        simulate("ketamine", "kamp", B, times=[1], ke0="fast")


def test_unknown_keys_are_named():
    with pytest.raises(UnknownNameError) as e:
        simulate("ketamine", "kamp", {"bolus": ["10 mg oral"]}, times=[1],
                 route_params={"oral": {"Fx": 0.1}})
    assert "Fx" in _msg(e) and "'F'" in _msg(e) and "'ka'" in _msg(e)
    with pytest.raises(UnknownNameError, match="oral") as e:
        simulate("propofol", "marsh", B, times=[1], route_params={"oral": {"F": 0.1}})
    with pytest.raises(UnknownNameError) as e:
        simulate("ketamine", "kamp", B, {"weight": 70}, [1])
    assert "weight_kg" in _msg(e) and e.value.value == "weight"
    with pytest.raises(UnknownNameError) as e:
        simulate("ketamine", "kamp", {"bolus": ["1 mg/kg"], "infusions": ["1 mg/h"]}, times=[1])
    assert "infusions" in _msg(e)


def test_bolus_infusion_mixup_speaks_the_callers_language():
    with pytest.raises(UnitError) as e:
        simulate("ketamine", "kamp", {"bolus": ["0.15 mg/kg/h"]}, times=[1])
    assert "pass it as an infusion" in _msg(e) and "--" not in _msg(e)
    with pytest.raises(UnitError) as e:
        simulate("ketamine", "kamp", {"infusion": ["2 mg/kg"]}, times=[1])
    assert "pass it as a bolus" in _msg(e) and "--" not in _msg(e)
    r = CliRunner().invoke(_app(), ["pk", "ketamine", "--bolus", "0.15 mg/kg/h"])
    assert r.exit_code == 2 and "use --infusion" in r.output.replace("\n", " ")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0.0])
def test_non_finite_or_negative_values_refused(bad):
    with pytest.raises(InputError, match="weight_kg"):
        simulate("ketamine", "kamp", B, {"weight_kg": bad}, [1])
    with pytest.raises(InputError, match="mg_per_kg"):
        Bolus(mg_per_kg=bad)
    with pytest.raises(InputError, match="mg_per_h"):
        Infusion(mg_per_h=bad)
    with pytest.raises(InputError, match="times"):
        simulate("ketamine", "kamp", B, times=[1.0, bad if bad != 0 else -5.0])
    if bad != 0:
        with pytest.raises(InputError, match="ke0"):
            simulate("ketamine", "kamp", B, times=[1], ke0=bad)
    with pytest.raises(InputError):
        Covariates(np.array([bad]), np.array([40.0]), np.array([170.0]), np.array([0.0]))
    with pytest.raises(InputError, match="sex"):
        Covariates(np.array([70.0]), np.array([40.0]), np.array([170.0]), np.array([0.5]))


def test_other_refusals():
    with pytest.raises(InputError, match="dtype"):
        simulate("ketamine", "kamp", B, times=[1], dtype="int32")
    with pytest.raises(InputError, match="iiv"):
        simulate("ketamine", "kamp", B, times=[1], iiv="yes")
    with pytest.raises(InputError, match="model"):
        simulate("ketamine", get_model("propofol", "marsh"), B, times=[1])
    with pytest.raises(InputError, match="age_range"):
        virtual_patients(5, age_range=(80, 18))
    with pytest.raises(InputError, match="fu"):
        free_concentration_umol(100.0, "ketamine", fu=1.5)
    with pytest.raises(InputError, match="c_ng_ml"):
        free_concentration_umol([1.0, np.nan], "ketamine")
    with pytest.raises(InputError, match="horizon"):
        time_to_peak_effect(get_model("ketamine", "kamp"), horizon=-1)
    with pytest.raises(InputError, match="over"):
        Bolus(mg=10, route="oral", over=5)


# --- seeds ---------------------------------------------------------------------------------
def test_seeds_default_to_a_fixed_value():
    c = virtual_patients(30)
    np.testing.assert_array_equal(c.weight_kg, virtual_patients(30, seed=0).weight_kg)
    a = simulate("ketamine", "kamp", B, c, [30], iiv=True)
    b = simulate("ketamine", "kamp", B, c, [30], iiv=True, seed=0)
    np.testing.assert_array_equal(a["ketamine_plasma_ng_mL"], b["ketamine_plasma_ng_mL"])
    assert a.attrs["seed"] == 0
    m = get_model("ketamine", "kamp")
    p = m.parameters(c)
    np.testing.assert_array_equal(apply_iiv(m, p)["CL"], apply_iiv(m, p, seed=0)["CL"])
    for call in (lambda: virtual_patients(3, seed=None), lambda: apply_iiv(m, p, seed=None),
                 lambda: simulate("ketamine", "kamp", B, times=[1], seed=None),
                 lambda: simulate("ketamine", "kamp", B, times=[1], seed=-1)):
        with pytest.raises(InputError, match="seed"):
            call()


# --- provenance ----------------------------------------------------------------------------
def _hash(**kw):
    args = dict(drug="ketamine", model="kamp", schedule=B, patients=None, times=[1, 5])
    args.update(kw)
    return simulate(**args).attrs["params_hash"]


def test_params_hash_identifies_the_run():
    base = _hash()
    assert base == _hash()
    assert base == _hash(schedule={"bolus": ["500 ug/kg"]})  # normalised doses
    different = {
        "model": _hash(model="domino"),
        "times": _hash(times=[1, 6]),
        "dose": _hash(schedule={"bolus": ["0.6 mg/kg"]}),
        "patient": _hash(patients={"weight_kg": 71}),
        "iiv": _hash(iiv=True),
        "seed": _hash(iiv=True, seed=1),
        "ke0": _hash(ke0=0.5),
        "route": _hash(schedule={"bolus": ["10 mg oral"]}),
        "route_params": _hash(schedule={"bolus": ["10 mg oral"]},
                              route_params={"oral": {"F": 0.1}}),
    }
    hashes = [base, *different.values()]
    assert len(set(hashes)) == len(hashes), different
    # a long grid is summarised by a digest, still sensitive to one changed time
    t = np.arange(0, 600.0)
    t2 = t.copy()
    t2[300] += 0.5
    assert _hash(times=t) != _hash(times=t2)


# --- CLI -----------------------------------------------------------------------------------
def _app():
    from ketasim.cli import app
    return app


@pytest.mark.parametrize("args,needle", [
    (["--bolus", "0.5 mg/kg foo"], "--bolus:"),
    (["--bolus", "0.5 mg/kg", "--at", "0:30:1e-6 d"], "--max-points"),
    (["--bolus", "0.5 mg/kg", "--weight-kg", "nan"], "--weight-kg:"),
    (["--bolus", "0.5 mg/kg", "--age-yr", "old"], "--age-yr:"),
    (["--bolus", "0.5 mg/kg", "--ke0", "-1"], "ke0:"),
    (["--bolus", "0.5 mg/kg", "--plot", "/nonexistent-dir/x.png"], "--plot:"),
])
def test_cli_refusals(args, needle):
    r = CliRunner().invoke(_app(), ["pk", "ketamine", *args])
    assert r.exit_code == 2, r.output
    assert needle in r.output.replace("\n", " ")


def test_cli_quantity_flags():
    import json
    r = CliRunner().invoke(_app(), ["pk", "ketamine", "--bolus", "0.5 mg/kg", "--weight-kg",
                                    "154.32 lb", "--height-cm", "1.7 m", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["patient"]["weight_kg"] == pytest.approx(70.0, abs=0.01)
    assert out["patient"]["height_cm"] == pytest.approx(170.0)


def test_pk_regimens_rejects_inconsistent_params():
    from ketasim.experiments import experiments
    exp = experiments()["pk-regimens"]
    with pytest.raises(InputError) as e:
        exp.run(infusion_h=10, horizon_h=2)
    assert e.value.field == "infusion_h" and "horizon_h" in _msg(e)
    with pytest.raises(InputError, match="dt_min"):
        exp.run(dt_min=0.7)
    with pytest.raises(InputError, match="infusion_h"):
        exp.run(infusion_h="4")
    with pytest.raises(InputError, match=r"models\[1\]"):
        exp.run(models=("kamp", "marsh"))
    with pytest.raises(WorkLimitError, match="max_points="):
        exp.run(horizon_h=720, dt_min=0.001)
    r = CliRunner().invoke(_app(), ["experiment", "run", "pk-regimens", "-p", "infusion_h=10",
                                    "-p", "horizon_h=2"])
    assert r.exit_code == 2 and "infusion_h" in r.output


def test_pk_regimens_stamp_has_the_grid():
    from ketasim.experiments import experiments
    exp = experiments()["pk-regimens"]
    kw = dict(infusion_rates_mg_kg_h=(0.15,), bolus_doses_mg_kg=(), infusion_h=1.0,
              horizon_h=1.0, models=("kamp",))
    a = exp.run(**kw)
    assert a.attrs["params_hash"] != exp.run(**kw, dt_min=2.0).attrs["params_hash"]
    assert a.attrs["params_hash"] != exp.run(**{**kw, "horizon_h": 2.0}).attrs["params_hash"]
