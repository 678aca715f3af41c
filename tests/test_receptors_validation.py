"""Receptor layer: conventions, units at the edges, validation, caps and provenance."""

import json

import numpy as np
import pytest
from scipy.linalg import expm as scipy_expm
from typer.testing import CliRunner

import ketasim.receptors as R
from ketasim.core.errors import InputError, NumericalError, UnitError, WorkLimitError
from ketasim.core.record import Record
from ketasim.receptors import clamp as C
from ketasim.receptors import kinetics as K
from ketasim.receptors import nmda as N
from ketasim.receptors.clamp import (
    Segment,
    clamp_nmda,
    gabaa_pulse_response,
    nmda_dose_response,
    pulse_train,
)

SHORT = [[Segment(20.0, -60.0, glutamate_uM=1000.0)]]


def _cli(*args):
    from ketasim.cli import app

    r = CliRunner().invoke(app, list(args))
    r.text = " ".join(r.output.split())  # rich wraps long messages
    return r


# --- kinetics.py: the generic exact-propagator numerics -----------------------------------

def test_kinetics_expm_matches_scipy_on_the_nmda_generator():
    Q = np.zeros((20, 20))
    N.nmda_fill_rate_matrix(Q, -40.0, 100.0, 1.0, 3.0, 1.0, N.nmda_params_array())
    for dt in (0.01, 1.0, 50.0):
        assert np.abs(K.expm(Q * dt) - scipy_expm(Q * dt)).max() < 1e-12


def test_kinetics_spectral_segment_equals_propagator_samples():
    p = N.nmda_params_array()
    Q = np.zeros((20, 20))
    N.nmda_fill_rate_matrix(Q, -60.0, 1000.0, 1.0, 1.0, 0.0, p)
    xeq = N.nmda_equilibrium(-60.0, 1000.0, 1.0, 1.0, 0.0, p)
    x0 = N.nmda_equilibrium(-60.0, 0.0, 1.0, 0.0, 0.0, p)
    rows = np.full(20, -1, np.int64)
    rows[N.OPEN] = 0
    rec = np.zeros((1, 301))
    x = x0.copy()
    assert K.spectral_segment(x, Q, xeq, 300, 1.0, rows, rec, 0)
    P, y, xp = K.expm(Q), np.empty(20), x0.copy()
    for k in range(300):
        K.propagate_sample(P, xp, y)
        assert rec[0, k + 1] == pytest.approx(xp[N.OPEN], abs=1e-12)
    assert np.abs(x - xp).max() < 1e-12


def test_clamp_no_longer_holds_the_generic_numerics():
    assert not hasattr(C, "_expm") and not hasattr(C, "_segment_spectral")


# --- conventions ----------------------------------------------------------------------------

def test_clamp_dataset_conventions():
    ds = clamp_nmda(SHORT * 2, labels={"ketamine_uM": [0.0, 0.0]})
    assert ds.i_nmda.dims == ("condition", "time")
    assert ds.time.attrs["units"] == "ms" and ds.i_nmda.attrs["units"] == "pA"
    assert {"open", "mg_bound", "ketamine_bound", "norketamine_bound", "voltage",
            "segments"} <= set(ds.data_vars)
    assert list(ds.input.values) == ["duration_ms", "voltage_mV", "glutamate_uM", "mg_mM",
                                     "ketamine_uM", "norketamine_uM"]
    dr = nmda_dose_response([1.0], duration_ms=100.0)
    assert dr.steady_block.dims == ("ketamine_uM",)
    gb = gabaa_pulse_response("propofol", [0.0, 1.0], total_ms=10.0)
    assert gb.peak.dims == ("concentration_uM",)


def test_units_accepted_at_the_edges():
    s = Segment("0.1 s", "-60 mV", glutamate_uM="1 mM", mg_mM="1000 uM", ketamine_uM="300 nM")
    assert s.row() == (100.0, -60.0, 1000.0, 1.0, 0.3, 0.0)
    a = clamp_nmda([[s]], dt_ms="1 ms")
    b = clamp_nmda([[Segment(100.0, -60.0, 1000.0, 1.0, 0.3)]], dt_ms=1.0)
    assert np.array_equal(a.i_nmda.values, b.i_nmda.values)
    d1 = nmda_dose_response(["0.3 uM"], voltage_mV="-60 mV", duration_ms="0.1 s")
    d2 = nmda_dose_response([0.3], voltage_mV=-60.0, duration_ms=100.0)
    assert np.array_equal(d1.steady.values, d2.steady.values)
    assert pulse_train(2, "20 Hz", "-60 mV")[1].duration_ms == 49.0
    with pytest.raises(UnitError, match="Segment.voltage_mV"):
        Segment(10.0, "-60 uM")


def test_integer_arrays_are_converted_not_truncated():
    c32 = np.array([1, 3], dtype=np.int32)
    a = nmda_dose_response(c32, duration_ms=100.0)
    b = nmda_dose_response([1.0, 3.0], duration_ms=100.0)
    assert np.array_equal(a.steady_block.values, b.steady_block.values)
    # a float ketamine in an int array would be truncated by np.asarray(x, int): not here
    blk = N.nmda_steady_state_block(-60.0, ketamine_uM=np.array([0.5, 2.5]))
    assert blk[0] > 0.1 and blk[1] > blk[0]
    assert R.transporter_occupancy(np.array([66, 67], dtype=np.int32)).dtype == np.float64
    assert gabaa_pulse_response("propofol", np.array([0, 10], dtype=np.int64),
                                total_ms=10.0).concentration_uM.dtype == np.float64


def test_curated_public_api_has_no_compiled_kernels():
    from numba.core.registry import CPUDispatcher

    assert {"NMDAParams", "AMPAParams", "GABAAParams", "OpioidParams", "Segment",
            "clamp_nmda", "nmda_dose_response", "gabaa_pulse_response", "pulse_train",
            "ic50_from_curve", "nmda_steady_state_block", "equilibrium_ic50"} <= set(R.__all__)
    for name in R.__all__:
        assert not isinstance(getattr(R, name), CPUDispatcher), name
    # kernels stay importable from their modules (the spinal layer imports them there)
    from ketasim.receptors.nmda import nmda_step_ws  # noqa: F401


# --- validation ----------------------------------------------------------------------------

def test_huge_segment_is_capped_and_the_cap_can_be_lifted():
    with pytest.raises(WorkLimitError, match=r"max_points=") as e:
        clamp_nmda([[Segment(1e9, -60.0, 1000.0)]])
    assert "1000000001" in str(e.value)
    ds = clamp_nmda([[Segment(2000.0, -60.0, 1000.0)]] * 2, max_points=5000)
    assert ds.sizes["time"] == 2001
    with pytest.raises(WorkLimitError):
        clamp_nmda([[Segment(2000.0, -60.0, 1000.0)]] * 2, max_points=4000)
    with pytest.raises(WorkLimitError, match="max_points"):
        gabaa_pulse_response("propofol", [0.0], total_ms=1e9)


@pytest.mark.parametrize("call, field", [
    (lambda: nmda_dose_response([0.0, float("nan"), 1.0]), r"ketamine_uM\[1\]"),
    (lambda: nmda_dose_response([1.0], glutamate_uM=0.0), "glutamate_uM"),
    (lambda: nmda_dose_response([1.0], gmax_nS=-1.0), "gmax_nS"),
    (lambda: clamp_nmda(SHORT, gmax_nS=-1.0), "gmax_nS"),
    (lambda: clamp_nmda(SHORT, dt_ms=float("nan")), "dt_ms"),
    (lambda: clamp_nmda(SHORT, start="hot"), "start"),
    (lambda: clamp_nmda([]), "protocols"),
    (lambda: clamp_nmda([[]]), r"protocols\[0\]"),
    (lambda: clamp_nmda([[(10.0, -60.0)]]), r"protocols\[0\]\[0\]"),
    (lambda: clamp_nmda(SHORT, params="x"), "params"),
    (lambda: clamp_nmda(SHORT, labels={"a": [1, 2]}), "labels"),
    (lambda: clamp_nmda(SHORT, record=Record(every=0.5)), "record.every"),
    (lambda: clamp_nmda(SHORT, record=Record(variables=("v",))), "record.variables"),
    (lambda: Segment(10.0, -60.0, ketamine_uM=-1.0), "Segment.ketamine_uM"),
    (lambda: Segment(10.0, 500.0), "Segment.voltage_mV"),
    (lambda: Segment(10.0, True), "Segment.voltage_mV"),
    (lambda: pulse_train(0, 10.0, -60.0), "n_pulses"),
    (lambda: pulse_train(2, 1000.0, -60.0, pulse_ms=2.0), "pulse_ms"),
    (lambda: gabaa_pulse_response("propofol", [0.0], voltage_mV=-80.0), "voltage_mV"),
    (lambda: gabaa_pulse_response("propofol", [0.0, -1.0]), r"concentration_uM\[1\]"),
    (lambda: gabaa_pulse_response("propofol", [0.0], gmax_nS=0.0), "gmax_nS"),
    (lambda: R.equilibrium_ic50(float("nan"), 0.0), "voltage_mV"),
    (lambda: R.single_channel_ratios(-1.0), "ketamine_uM"),
    (lambda: R.opioid_effects(fentanyl_uM="x uM"), "fentanyl_uM"),
    (lambda: R.transporter_occupancy([1.0, float("inf")]), r"ketamine_uM\[1\]"),
    (lambda: N.nmda_steady_state_block(-60.0, glutamate_uM=0.0), "glutamate_uM"),
])
def test_bad_input_names_the_field(call, field):
    with pytest.raises(InputError, match=field) as e:
        call()
    assert "allowed" in str(e.value)


@pytest.mark.parametrize("spec, kw, field", [
    (R.NMDAParams, {"kb": float("nan")}, "NMDAParams.kb"),
    (R.NMDAParams, {"alpha": -1.0}, "NMDAParams.alpha"),
    (R.NMDAParams, {"ket_kd0": 0.0}, "NMDAParams.ket_kd0"),
    (R.NMDAParams, {"ket_esc0": -1e-6}, "NMDAParams.ket_esc0"),
    (R.NMDAParams, {"ca_fraction": 1.5}, "NMDAParams.ca_fraction"),
    (R.NMDAParams, {"e_rev": float("inf")}, "NMDAParams.e_rev"),
    (R.NMDAParams, {"mg_zk": "0.06"}, "NMDAParams.mg_zk"),
    (R.GABAAParams, {"beta": -0.1}, "GABAAParams.beta"),
    (R.GABAAParams, {"prop_ec50": float("nan")}, "GABAAParams.prop_ec50"),
    (R.AMPAParams, {"kdes": 0.0}, "AMPAParams.kdes"),
    (R.OpioidParams, {"e_morphine": 2.0}, "OpioidParams.e_morphine"),
    (R.OpioidParams, {"k_fentanyl": -1.0}, "OpioidParams.k_fentanyl"),
])
def test_specs_are_validated_when_built(spec, kw, field):
    with pytest.raises(InputError, match=field):
        spec(**kw)
    spec()  # the defaults are valid


def test_non_finite_output_is_refused(monkeypatch):
    def bad_kernel(segs, nsteps, dt, x0s, p, record_states):
        rec = np.full((4, segs.shape[0], int(nsteps[0].sum()) + 1), np.nan)
        return rec, np.zeros((1, 1, 1))

    monkeypatch.setattr(C, "_clamp_kernel", bad_kernel)
    with pytest.raises(NumericalError, match="i_nmda"):
        clamp_nmda(SHORT)


@pytest.mark.parametrize("exp, kw, field", [
    ("m05_mg_block", {"n_voltages": 0}, "n_voltages"),
    ("m05_mg_block", {"voltage_min_mV": 10.0, "voltage_max_mV": -10.0}, "voltage_max_mV"),
    ("m15_transporters", {"ketamine_min_uM": 0.0}, "ketamine_min_uM"),
    ("m09_trapping", {"ketamine_uM": 0.0}, "ketamine_uM"),
    ("m09_trapping", {"voltage_mV": 0.0}, "voltage_mV"),
    ("m09_trapping", {"reapp_ms": 1000.0}, "reapp_ms"),
    ("m10_use_dependence", {"frequency_Hz": (1.0, float("nan"))}, r"frequency_Hz\[1\]"),
    ("m06_relief", {"n_pulses": 10, "frequency_Hz": 0.001}, "n_pulses"),
    ("m06_relief", {"g_nmda_nS": -1.0}, "g_nmda_nS"),
    ("m01_gabaa", {"propofol_uM": -1.0}, "propofol_uM"),
])
def test_experiment_params_are_validated(exp, kw, field):
    import importlib

    run = importlib.import_module(f"ketasim.experiments.{exp}").run
    with pytest.raises(InputError, match=field):
        run(**kw)


def test_cli_experiment_param_refused():
    r = _cli("experiment", "run", "m05-mg-block", "-p", "n_voltages=0")
    assert r.exit_code == 2 and "n_voltages" in r.text


# --- CLI ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["--ketamine", "0,nan,1"], "--ketamine[1]"),
    (["--ketamine", "0,,1"], "--ketamine"),
    (["--glutamate", "0"], "--glutamate"),
    (["--gmax", "-1"], "--gmax"),
    (["--dt", "0"], "--dt"),
    (["--duration", "1e9"], "--max-points"),
    (["--duration", "10.5"], "--duration"),
    (["--mg", "1 mV"], "--mg"),
    (["--voltage", "-60,500"], "--voltage[1]"),
    (["--max-points", "nan"], "--max-points"),
])
def test_cli_clamp_refuses_bad_values(args, needle):
    r = _cli("clamp", "nmda", *args)
    assert r.exit_code == 2, r.output
    assert needle in r.text and "Traceback" not in r.text


def test_cli_clamp_quantities_and_every_gabaa_voltage():
    r = _cli("clamp", "nmda", "--ketamine", "0,1 uM", "--duration", "0.5 s", "--glutamate",
             "1 mM", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["duration_ms"] == 500.0 and out["glutamate_uM"] == 1000.0
    r = _cli("clamp", "gabaa", "--voltage", "-60,0", "--concentration", "0,10", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["voltage_mV"] == [-60.0, 0.0]
    rows = {(row["voltage_mV"], row["concentration_uM"]): row for row in out["rows"]}
    assert len(rows) == 4
    # the driving force scales the current: (V - E_Cl) = 20 mV vs 80 mV
    assert rows[(0.0, 0.0)]["peak_pA"] == pytest.approx(4 * rows[(-60.0, 0.0)]["peak_pA"])
    r = _cli("clamp", "gabaa", "--voltage", "-80")
    assert r.exit_code == 2 and "--voltage" in r.text


def test_cli_clamp_out_and_plot(tmp_path):
    r = _cli("clamp", "nmda", "--ketamine", "0,1", "--duration", "200",
             "--out", str(tmp_path / "missing" / "x.json"))
    assert r.exit_code == 2 and "--out" in r.text and "does not exist" in r.text
    r = _cli("clamp", "nmda", "--ketamine", "0,1", "--duration", "200",
             "--plot", str(tmp_path))
    assert r.exit_code == 2 and "--plot" in r.text
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        import os

        if not os.access(ro, os.W_OK):  # (root can write anyway)
            r = _cli("clamp", "nmda", "--out", str(ro / "x.json"))
            assert r.exit_code == 2 and "not writable" in r.text
    finally:
        ro.chmod(0o700)
    r = _cli("clamp", "nmda", "--ketamine", "0,1", "--duration", "200",
             "--out", str(tmp_path / "x.json"), "--plot", str(tmp_path / "x.png"))
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "x.json").read_text())["rows"][1]["ketamine_uM"] == 1.0
    assert (tmp_path / "x.png").read_bytes()[:4] == b"\x89PNG"


# --- provenance ----------------------------------------------------------------------------

def _h(ds):
    return ds.attrs["params_hash"]


def test_params_hash_identifies_the_clamp_protocol():
    base = clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -60.0, 0.0)]])
    same = clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -60.0, 0.0)]])
    assert _h(base) == _h(same)
    others = [
        clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -60.0, 0.0, ketamine_uM=1)]]),
        clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -40.0, 0.0)]]),
        clamp_nmda([[Segment(30.0, -60.0, 1000.0), Segment(10.0, -60.0, 0.0)]]),
        clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -60.0, 0.0)]], dt_ms=0.5),
        clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -60.0, 0.0)]],
                   start="equilibrium"),
        clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -60.0, 0.0)]],
                   params=R.NMDAParams(ket_kd0=3.0)),
        clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -60.0, 0.0)]], gmax_nS=2.0),
        clamp_nmda([[Segment(20.0, -60.0, 1000.0), Segment(20.0, -60.0, 0.0)]] * 2),
    ]
    hashes = {_h(base), *(_h(o) for o in others)}
    assert len(hashes) == 1 + len(others)
    params = json.loads(base.attrs["params"])
    assert params["protocols"] == [[[20.0, -60.0, 1000.0, 0.0, 0.0, 0.0],
                                    [20.0, -60.0, 0.0, 0.0, 0.0, 0.0]]]
    assert params["nmda"]["ket_kd0"] == R.NMDAParams().ket_kd0


def test_params_hash_of_dose_response_and_gabaa_bench():
    a = nmda_dose_response([1.0], duration_ms=100.0)
    b = nmda_dose_response([3.0], duration_ms=100.0)
    c = nmda_dose_response([1.0], duration_ms=100.0, mg_mM=0.0)
    assert len({_h(a), _h(b), _h(c)}) == 3
    g1 = gabaa_pulse_response("propofol", [0.0, 1.0], total_ms=10.0)
    g2 = gabaa_pulse_response("propofol", [0.0, 1.0], total_ms=10.0, gmax_nS=2.0)
    g3 = gabaa_pulse_response("propofol", [0.0, 1.0], total_ms=10.0, voltage_mV=-50.0)
    assert len({_h(g1), _h(g2), _h(g3)}) == 3
