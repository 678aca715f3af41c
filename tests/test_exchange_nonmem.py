"""NONMEM-style datasets: reading, simulation (PRED/IPRED), writing, errors naming row/column."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

from ketasim.core.errors import KetasimError, ValidityRangeError
from ketasim.exchange.nonmem import (
    NonmemDataError,
    compartment_table,
    read_nonmem,
    simulate_nonmem,
    write_nonmem,
)
from ketasim.pk import simulate
from ketasim.pk.models.base import ModelSpec

DATA = Path(__file__).parent / "data"


def _one_cmt(v_per_kg: float, cl_per_kg_h: float, drug: str = "thiopental") -> ModelSpec:
    """A one-compartment model (the drug is only a label; thiopental has only the IV route)."""
    return ModelSpec(drug, "test1cmt", "test one-compartment", "opentiva2023",
                     lambda c: {"V1": v_per_kg * c.weight_kg,
                                "CL": cl_per_kg_h * c.weight_kg / 60.0})


def _sim(text, drug="ketamine", model="kamp", **kw):
    return simulate_nonmem(io.StringIO(text), drug, model, **kw)


def test_hand_computed_bolus_plus_infusion():
    """One compartment, V = 20 L, CL = 5 L/h (k = 0.25/h): 100 mg bolus at 0 and 50 mg/h
    for 2 h from 1 h. Exact: C = D/V e^{-kt} + R/CL (1 - e^{-k(t-1)}) during the infusion,
    then R/CL (1 - e^{-2k}) e^{-k(t-3)} (textbook superposition; hand formula here)."""
    spec = _one_cmt(20 / 70, 5 / 70)
    text = ("ID,TIME,AMT,RATE,EVID,WT\n1,0,100,0,1,70\n1,0.5,0,0,0,70\n1,1,100,50,1,70\n"
            + "".join(f"1,{t},0,0,0,70\n" for t in (1, 2, 3, 5, 8)))
    ds = simulate_nonmem(io.StringIO(text), "thiopental", spec, conc_unit="mg/L")
    k, V, D, R = 0.25, 20.0, 100.0, 50.0

    def exact(t):
        c = D / V * math.exp(-k * t)
        if 1 < t <= 3:
            c += R / (k * V) * (1 - math.exp(-k * (t - 1)))
        elif t > 3:
            c += R / (k * V) * (1 - math.exp(-2 * k)) * math.exp(-k * (t - 3))
        return c

    got = ds["PRED"].values[[1, 3, 4, 5, 6, 7]]
    want = [exact(t) for t in (0.5, 1, 2, 3, 5, 8)]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert ds["PRED"].values[0] == pytest.approx(D / V, rel=1e-12)  # after the bolus
    assert ds.attrs["ipred"].startswith("IPRED = PRED")
    np.testing.assert_array_equal(ds["IPRED"].values, ds["PRED"].values)


def test_steady_state_bolus_and_constant_infusion():
    """SS=1: C(t after dose) = D/V e^{-kt} / (1 - e^{-k tau}); constant infusion at steady
    state (SS=1, AMT=0, RATE=R): C = R/CL (textbook accumulation formulas)."""
    spec = _one_cmt(20 / 70, 5 / 70)
    k, V, D, tau = 0.25, 20.0, 100.0, 6.0
    text = "ID,TIME,AMT,II,SS,RATE,WT\n1,0,100,6,1,0,70\n1,2,0,0,0,0,70\n" \
           "2,0,0,0,1,10,70\n2,4,0,0,0,0,70\n"
    ds = simulate_nonmem(io.StringIO(text), "thiopental", spec, conc_unit="mg/L")
    p = ds["PRED"].values
    assert p[0] == pytest.approx(D / V / (1 - math.exp(-k * tau)), rel=1e-10)
    assert p[1] == pytest.approx(D / V * math.exp(-2 * k) / (1 - math.exp(-k * tau)),
                                 rel=1e-10)
    assert p[3] == pytest.approx(10 / 5, rel=1e-10)


def test_ss_equals_long_addl_series():
    """An SS=1 dose equals the limit of many ADDL doses (kamp, 3 compartments + effect)."""
    ss = _sim("ID,TIME,AMT,II,SS\n1,0,20,8,1\n1,3,0,0,0\n")
    many = _sim("ID,TIME,AMT,II,ADDL\n1,0,20,8,400\n1,3203,0,0,0\n")
    assert ss["PRED"].values[1] == pytest.approx(many["PRED"].values[1], rel=1e-9)


def test_addl_equals_explicit_records():
    """ADDL/II expansion gives the same predictions as writing each dose as a record."""
    obs = (1, 5, 9.25, 13, 20)
    a = _sim("ID,TIME,AMT,RATE,II,ADDL\n1,0,10,20,4,3\n" + "".join(
        f"1,{t},0,0,0,0\n" for t in obs))
    recs = sorted([(t, 10, 20) for t in (0, 4, 8, 12)] + [(t, 0, 0) for t in obs])
    b = _sim("ID,TIME,AMT,RATE\n" + "".join(f"1,{t},{a_},{r}\n" for t, a_, r in recs))
    got_b = [b["PRED"].values[i] for i, rec in enumerate(recs) if rec[1] == 0]
    np.testing.assert_allclose(a["PRED"].values[1:], got_b, rtol=1e-12)


def test_matches_pk_simulate_and_is_batch_invariant():
    """Same doses through `ketasim.pk.simulate` (min, ng/mL) and through a dataset with
    other individuals around it: identical predictions."""
    pk = simulate("ketamine", "domino", {"bolus": ["35 mg"],
                                         "infusion": ["12 mg/h at 30 min for 60 min"]},
                  {"weight_kg": 80}, times=[10, 45, 120])
    rows = "1,0,35,0,80\n1,10,0,0,80\n1,30,12,0.2,80\n1,45,0,0,80\n1,120,0,0,80\n"
    others = "".join(f"{i},0,{5 * i},0,{50 + i}\n{i},{i},0,0,{50 + i}\n" for i in range(2, 90))
    ds = _sim("ID,TIME,AMT,RATE,WT\n" + others + rows.replace("1,", "1,", 1),
              model="domino", time_unit="min")
    got = ds["PRED"].values[[-4, -2, -1]]
    np.testing.assert_allclose(got, pk["ketamine_plasma_ng_mL"].values[0], rtol=1e-10)


def test_pheno_against_nonmem_output():
    """Published worked example: phenobarbital in neonates (Grasela & Donn 1985, NONMEM's
    'pheno'). Expected values are NONMEM 7.5.1's own PRED and CIPREDI (pheno.tab, printed
    to 5 significant digits) at its final estimates, as shipped with pharmpy-core 2.1.1;
    subset in tests/data/nonmem_pheno_subset.csv. APGR < 5 changes V: the two groups run
    with their own one-compartment ModelSpec (ketasim covariates have no APGR)."""
    data = read_nonmem(DATA / "nonmem_pheno_subset.csv")
    th1, th2, th3 = 4.69555e-03, 9.84258e-01, 1.58920e-01
    checked = 0
    for low_apgr in (False, True):
        sel = (data["APGR"].values < 5) == low_apgr
        sub = data.isel(record=np.flatnonzero(sel))
        spec = _one_cmt(th2 * (1 + th3 if low_apgr else 1.0), th1 * 60 / 60)
        ids, first = np.unique(sub["ID"].values, return_index=True)
        etas = {"CL": sub["ETA1"].values[np.sort(first)],
                "V1": sub["ETA2"].values[np.sort(first)]}
        ds = simulate_nonmem(sub, "thiopental", spec, time_unit="h", amt_unit="mg",
                             conc_unit="mg/L", etas=etas, check_validity=False)
        np.testing.assert_allclose(ds["PRED"].values, sub["NM_PRED"].values, rtol=6e-5)
        np.testing.assert_allclose(ds["IPRED"].values, sub["NM_CIPREDI"].values, rtol=6e-5)
        checked += ds.sizes["record"]
    assert checked == data.sizes["record"] == 117


def test_independent_ode_flint_metabolite_effect_depot():
    """S-ketamine (Flint 2017: 2 compartments, effect site, S-norketamine) with an IM dose
    (depot, F 0.93), an infusion and observations of CMT 1, 3 (effect) and 4 (metabolite)
    against an independent scipy ODE integration (LSODA, rtol 1e-11) of the same equations
    written out here by hand."""
    from scipy.integrate import solve_ivp

    obs = "".join(f"1,{t},0,0,{c},0,20,6\n" for t in (0.25, 0.75, 2, 4) for c in (1, 3, 4))
    i = obs.index("1,0.75")
    text = ("ID,TIME,AMT,RATE,CMT,EVID,WT,AGE\n1,0,5,0,5,1,20,6\n" + obs[:i]
            + "1,0.5,3,6,1,1,20,6\n" + obs[i:])
    ds = _sim(text, drug="s-ketamine", model="flint")
    s = 20 / 70
    V1, V2, CL, Q, ke0 = 7.73 * s, 545 * s, 112 * s**0.75, 196 * s**0.75, 1.10 * 60
    MV, MCL, ka, F = 1.0 * s, 53.2 * s**0.75, 0.058 * 60, 0.93

    def rhs(t, x):
        a1, a2, ce, m, dep = x
        r = 6.0 if 0.5 <= t < 1.0 else 0.0
        return [r + ka * dep - (CL + Q) / V1 * a1 + Q / V2 * a2, Q / V1 * a1 - Q / V2 * a2,
                ke0 * (a1 / V1 - ce), CL / V1 * a1 - MCL / MV * m, -ka * dep]

    ts = [0.25, 0.75, 2, 4]
    sol = solve_ivp(rhs, (0, 4), [0, 0, 0, 0, F * 5], method="LSODA", rtol=1e-11,
                    atol=1e-14, t_eval=ts, max_step=0.05)
    want = np.stack([sol.y[0] / V1, sol.y[2], sol.y[3] / MV], axis=1).ravel() * 1000
    got = np.delete(ds["PRED"].values, [0, 4])
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_reset_evid3_restarts_from_zero():
    """EVID 3 empties every compartment: the rest equals a fresh individual."""
    a = _sim("ID,TIME,AMT,EVID\n1,0,30,1\n1,5,0,3\n1,6,20,1\n1,7,0,0\n")
    b = _sim("ID,TIME,AMT,EVID\n1,0,20,1\n1,1,0,0\n")
    assert a["PRED"].values[3] == pytest.approx(b["PRED"].values[1], rel=1e-12)


def test_ipred_from_iiv_seeded_and_from_eta_file(tmp_path):
    """iiv=True draws etas from the model's omegas (reproducible by seed); an eta table
    with ID and ETA_CL gives IPRED = typical x exp(eta) (one-compartment check)."""
    text = "ID,TIME,AMT\n1,0,30\n1,2,0\n2,0,30\n2,2,0\n"
    a = _sim(text, iiv=True, seed=4)
    b = _sim(text, iiv=True, seed=4)
    np.testing.assert_array_equal(a["IPRED"].values, b["IPRED"].values)
    assert not np.allclose(a["IPRED"].values, a["PRED"].values)
    spec = _one_cmt(20 / 70, 5 / 70)
    (tmp_path / "etas.csv").write_text("ID,ETA_CL\n1,0.5\n2,0\n")
    ds = simulate_nonmem(io.StringIO(text), "thiopental", spec, etas=tmp_path / "etas.csv",
                         conc_unit="mg/L")
    assert ds["IPRED"].values[1] == pytest.approx(30 / 20 * math.exp(-0.25 * math.exp(.5)
                                                                     * 2), rel=1e-10)
    assert ds["IPRED"].values[3] == pytest.approx(ds["PRED"].values[3], rel=1e-12)


def test_round_trip(tmp_path):
    """write -> read keeps every column and PRED/IPRED; the provenance header is '#'
    lines; simulating the written file again gives the same PRED."""
    text = "ID,TIME,AMT,RATE,CMT,DV,WT,AGE,SEX\n1,0,35,0,1,.,80,50,1\n1,1.5,0,0,1,95.2,80,50,1\n"
    ds = _sim(text)
    p = write_nonmem(ds, tmp_path / "pred.csv")
    lines = p.read_text().splitlines()
    assert lines[0].startswith("#") and any("cite: Kamp" in x for x in lines)
    assert any(ds.attrs["params_hash"] in x for x in lines)
    back = read_nonmem(p)
    for col in ("ID", "TIME", "AMT", "RATE", "CMT", "WT", "AGE", "SEX", "PRED", "IPRED"):
        np.testing.assert_allclose(back[col].values, ds[col].values, rtol=1e-15)
    assert np.isnan(back["DV"].values[0]) and back["DV"].values[1] == 95.2
    again = simulate_nonmem(back, "ketamine", "kamp")
    np.testing.assert_array_equal(again["PRED"].values, ds["PRED"].values)


def test_compartment_table_per_model():
    """CMT numbering follows ketasim's state vector (documented in the module)."""
    assert compartment_table("propofol", "marsh") == [
        (1, "central", "propofol_plasma"), (2, "peripheral1", "propofol_peripheral1"),
        (3, "peripheral2", "propofol_peripheral2"), (4, "effect", "propofol_effect")]
    assert compartment_table("ketamine", "kamp")[4][1] == "depot_im"


BAD = [
    ("ID,TIME,AMT\n1,0,x\n", 1, "AMT"),
    ("ID,TIME,AMT\n1,0,10\n1,-1,0\n", 2, "TIME"),
    ("ID,TIME,AMT\n1,2,10\n1,1,0\n", 2, "TIME"),
    ("ID,TIME,AMT,EVID\n1,0,10,7\n", 1, "EVID"),
    ("ID,TIME,AMT,EVID\n1,0,0,1\n", 1, "AMT"),
    ("ID,TIME,AMT\n1,0,-5\n", 1, "AMT"),
    ("ID,TIME,AMT,RATE\n1,0,10,-2\n", 1, "RATE"),
    ("ID,TIME,AMT,SS,II\n1,0,10,2,12\n", 1, "SS"),
    ("ID,TIME,AMT,SS,II\n1,0,10,1,0\n", 1, "II"),
    ("ID,TIME,AMT,ADDL,II\n1,0,10,3,0\n", 1, "II"),
    ("ID,TIME,AMT,ADDL,II\n1,0,10,1.5,2\n", 1, "ADDL"),
    ("ID,TIME,AMT,CMT\n1,0,10,9\n", 1, "CMT"),
    ("ID,TIME,AMT,CMT\n1,0,10,4\n", 1, "CMT"),  # the effect site takes no dose
    ("ID,TIME,AMT,CMT,EVID\n1,0,10,1,1\n1,1,0,5,0\n", 2, "CMT"),  # depot not observable
    ("ID,TIME,AMT,RATE,CMT\n1,0,10,5,5\n", 1, "CMT"),  # infusion into a depot
    ("ID,TIME,AMT,MDV\n1,0,10,3\n", 1, "MDV"),
    ("ID,TIME,AMT,WT\n1,0,10,7000\n", 1, "WT"),
    ("ID,TIME,AMT,WT\n1,0,10,.\n", 1, "WT"),
    ("ID,TIME,AMT,SEX\n1,0,10,2\n", 1, "SEX"),
    ("ID,TIME,AMT,SS,II,RATE\n1,0,10,1,2,1\n", 1, "RATE"),  # 10 h infusion, II 2 h
    ("ID,TIME,AMT\n1,0,10\n1,1\n", 2, "*"),
    ("ID,TIME,AMT,EVID\n1,0,10,1\n1,1,5,0\n", 2, "AMT"),
    ("ID,TIME,AMT\n.,0,10\n", 1, "ID"),
]


@pytest.mark.parametrize("text,row,col", BAD)
def test_bad_records_name_row_and_column(text, row, col):
    """Every bad record raises NonmemDataError naming its row, line and column."""
    with pytest.raises(NonmemDataError) as exc:
        _sim(text)
    assert exc.value.row == row and exc.value.column == col
    assert f"row {row} (line {row + 1}), column {col}" in str(exc.value)


def test_other_bad_inputs():
    with pytest.raises(KetasimError, match="TIME"):
        _sim("ID,AMT\n1,10\n")
    with pytest.raises(KetasimError, match="at least one data record"):
        _sim("ID,TIME\n")
    with pytest.raises(KetasimError, match="time_unit"):
        _sim("ID,TIME,AMT\n1,0,1\n", time_unit="kg")
    with pytest.raises(KetasimError, match="conc_unit"):
        _sim("ID,TIME,AMT\n1,0,1\n", conc_unit="mg")
    with pytest.raises(KetasimError, match="sex_coding"):
        _sim("ID,TIME,AMT\n1,0,1\n", sex_coding="m/f")
    with pytest.raises(ValidityRangeError, match="row 1 .*column WT"):
        _sim("ID,TIME,AMT,WT\n1,0,1,5\n", model="domino")
    with pytest.raises(KetasimError, match="etas"):
        _sim("ID,TIME,AMT\n1,0,1\n", etas={"XX": [0.1]})
    with pytest.raises(KetasimError, match="data"):
        simulate_nonmem("/no/such/file.csv", "ketamine")
    with pytest.raises(KetasimError, match="column"):
        read_nonmem(io.StringIO("ID,TIME,ID\n1,0,1\n"))


def test_cli_nonmem_simulate_and_compartments(tmp_path):
    """`ketasim nonmem simulate` writes PRED/IPRED equal to the Python function's;
    `--help` documents the columns; `compartments --json` gives the CMT table."""
    import json

    from typer.testing import CliRunner

    from ketasim.cli import app

    run = CliRunner()
    r = run.invoke(app, ["nonmem", "simulate", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "ADDL" in r.output and "PRED" in r.output
    out = tmp_path / "pred.csv"
    r = run.invoke(app, ["nonmem", "simulate", str(DATA / "nonmem_small.csv"), "--model",
                         "ketamine/kamp", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["records"] == 6 and summary["individuals"] == 2
    back = read_nonmem(out)
    want = simulate_nonmem(DATA / "nonmem_small.csv", "ketamine", "kamp")
    np.testing.assert_allclose(back["PRED"].values, want["PRED"].values, rtol=1e-15)
    assert summary["params_hash"] == want.attrs["params_hash"]
    r = run.invoke(app, ["nonmem", "compartments", "propofol", "--model", "marsh", "--json"])
    assert json.loads(r.output)[0] == [1, "central", "propofol_plasma"]


def test_same_time_records_in_file_order():
    """NONMEM processes records in file order: an observation written before a bolus of the
    same time is the trough (pre-dose), one after it includes the dose (one compartment,
    V = 20 L: 100 mg -> +5 mg/L); a second bolus record at that time is not in the first
    dose record's prediction. Expected values: C = D/V e^{-kt} by hand."""
    spec = _one_cmt(20 / 70, 5 / 70)
    text = ("ID,TIME,AMT,EVID\n1,0,100,1\n1,4,0,0\n1,4,100,1\n1,4,50,1\n1,4,0,0\n"
            "1,6,0,0\n")
    ds = simulate_nonmem(io.StringIO(text), "thiopental", spec, conc_unit="mg/L")
    trough = 5 * math.exp(-1.0)
    np.testing.assert_allclose(ds["PRED"].values[1:5],
                               [trough, trough + 5, trough + 7.5, trough + 7.5], rtol=1e-12)
    assert ds["PRED"].values[5] == pytest.approx((trough + 7.5) * math.exp(-0.5), rel=1e-12)
