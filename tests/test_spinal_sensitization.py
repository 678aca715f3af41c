"""Sensitization on the spiking model and its slow reduction (M4, M7): one mechanism, two
time resolutions. The spiking model is the truth; the slow model must agree with it. Also
the content-keyed caches of the drive table and the calibration."""

import json

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ketasim.core.cache as kcache
import ketasim.spinal.calibration as kcal
import ketasim.spinal.drive_table as kdt
from ketasim.core.errors import InputError, WorkLimitError
from ketasim.core.record import Record
from ketasim.receptors.nmda import NMDAParams
from ketasim.spinal import DEFAULT, Condition, simulate
from ketasim.spinal.drive_table import interp3_many, table_key
from ketasim.spinal.plasticity import calcium_drive_stats, gain_from_state
from ketasim.spinal.sensitization import (
    DEFAULT_SENSITIZATION,
    CircuitModulation,
    SensitizationSpec,
    calibrated_spec,
    descending_modulation,
    load_drive_table,
    modulated_params,
    modulation_from_gain,
    plasticity_drive,
    run_with_plasticity,
    simulate_slow,
    steady_output,
    steady_protocol,
)


@pytest.fixture(scope="module")
def table():
    return load_drive_table(calibrated_spec())


def test_modulation_acts_on_spinal_parameters():
    p = modulated_params(DEFAULT, CircuitModulation(gain=1.5, ffi_scale=0.5, release_factor=0.8))
    assert p.w_int_wdr_nmda == pytest.approx(1.5 * DEFAULT.w_int_wdr_nmda)
    assert p.w_ad_ampa == pytest.approx(1.5 * 0.8 * DEFAULT.w_ad_ampa)
    assert p.w_aff_ffi_gly == pytest.approx(0.5 * DEFAULT.w_aff_ffi_gly)
    assert p.w_c_int_ampa == pytest.approx(0.8 * DEFAULT.w_c_int_ampa)
    # disinhibition grows with the gain and saturates at ffi_loss_max (klein2004 calibration)
    m = modulation_from_gain(DEFAULT_SENSITIZATION.gain.late_max)
    assert m.ffi_scale == pytest.approx(1 - DEFAULT_SENSITIZATION.ffi_loss_max)
    assert descending_modulation(0.0, 0.0) == CircuitModulation()
    with pytest.raises(InputError, match="gain"):
        modulation_from_gain(-1.0)


def test_specs_reject_bad_fields_by_name():
    with pytest.raises(InputError, match=r"SensitizationSpec.ffi_loss_max: got 1.5"):
        SensitizationSpec(ffi_loss_max=1.5)
    with pytest.raises(InputError, match=r"CircuitModulation.gain: got nan"):
        CircuitModulation(gain=float("nan"))
    with pytest.raises(InputError, match="base"):
        modulated_params("not params", CircuitModulation())


def _fake_run(i_nmda, i_cal):
    dims = ("condition", "time")
    return xr.Dataset({"i_nmda": (dims, np.atleast_2d(i_nmda)),
                       "i_cal": (dims, np.atleast_2d(i_cal))})


def test_plasticity_drive_reads_the_receptor_models_ca_fraction():
    # D = ca_fraction |I_NMDA| + ltype_weight |I_CaL|, with the Ca2+ fraction of the receptor
    # layer's NMDAParams (burnashev_1995: 10 %), not a fallback constant
    sp = _fake_run([-100.0, -50.0], [-20.0, 0.0])
    d = plasticity_drive(sp)
    assert NMDAParams().ca_fraction == 0.10
    np.testing.assert_allclose(d, [[0.10 * 100 + 0.1 * 20, 0.10 * 50]])
    d2 = plasticity_drive(sp, nmda=NMDAParams(ca_fraction=0.2))
    np.testing.assert_allclose(d2 - d, [[0.1 * 100, 0.1 * 50]])
    with pytest.raises(InputError, match="record=Record"):
        plasticity_drive(xr.Dataset())


def test_m07_drive_table_matches_spiking_model_off_grid(table):
    # the reduced model's drive comes from the spiking model; check an off-grid point
    # (C 3 Hz, ketamine 0.5 uM, gain 1.2) against a fresh spiking run (other seed)
    r, k, g = 3.0, 0.5, 1.2
    cond = Condition(params=modulated_params(DEFAULT, modulation_from_gain(g)), ketamine_uM=k)
    spec = calibrated_spec()
    sp = simulate(steady_protocol(12000.0).with_rate_drive("c", r), [cond],
                  record=Record(0.5, "all"), seed=99, max_spikes=10_000)
    out = steady_output(sp, 6000.0)[0]
    st_ = calcium_drive_stats(plasticity_drive(sp, spec), 0.5, spec.gain, skip_ms=6000.0)
    # output: within 25 % (Poisson drive, 6 s window)
    assert table.output(r, k, g) == pytest.approx(out, abs=max(2.0, 0.25 * out))

    def interp(arr):
        o = np.empty(1)
        interp3_many(table.c_rate_Hz, table.ketamine_uM, table.gain, np.ascontiguousarray(arr),
                     np.array([r]), np.array([k]), np.array([g]), o)
        return o[0]

    # early-rule target W_inf = A/B and late-rule drive (mean fraction above theta_p)
    assert interp(table.a / table.b) == pytest.approx(st_["A"][0] / st_["B"][0], abs=0.1)
    assert interp(table.f_p.mean(-1)) == pytest.approx(st_["f_p"].mean(), abs=0.1)


def test_m07_slow_model_reproduces_spiking_gain_under_barrage(table):
    # 60 s of an 8 Hz C barrage: gain from the calcium rules on the spiking model's Ca2+
    # versus the slow model's table-driven rules (which start from the table's steady state,
    # while the spiking run has a ~5 s build-up): agree within 15 % of the change
    prot = steady_protocol(60_000.0).with_rate_drive("c", 8.0)
    spec = calibrated_spec()
    _, pl = run_with_plasticity(prot, [Condition()], spec, seed=7)
    g_spk = float(pl.gain.values[0, -1])
    slow = simulate_slow(table, np.full((1, 1), 8.0), np.zeros((1, 1)), schedule_dt_h="1 min",
                         dt_h="1 s", record=Record(every="1 min", variables="all"), spec=spec)
    g_slow = float(slow.gain.values[0, -1])
    assert g_slow - 1 == pytest.approx(g_spk - 1, abs=max(0.02, 0.15 * abs(g_spk - 1)))


def test_slow_model_conventions_and_one_gain_formula(table):
    spec = calibrated_spec()
    ds = simulate_slow(table, np.full((2, 6), 4.0), np.zeros((2, 6)), schedule_dt_h=1 / 6,
                       record=Record(every="30 min", variables=("gain", "W", "rho_bar")),
                       spec=spec)
    assert ds.gain.dims == ("condition", "time") and ds.time.attrs["units"] == "h"
    np.testing.assert_allclose(ds.time.values, [0.5, 1.0])
    assert "out_Hz" not in ds
    # the compiled kernel and the Python readout use the same gain definition
    np.testing.assert_allclose(ds.gain.values, gain_from_state(ds.W, ds.rho_bar, spec.gain),
                               rtol=1e-12)
    np.testing.assert_allclose(ds.gain_end.values, ds.gain.values[:, -1], rtol=1e-12)
    # provenance: complete inputs (a different schedule hashes differently); merged citations
    ds2 = simulate_slow(table, np.full((2, 6), 2.0), np.zeros((2, 6)), schedule_dt_h=1 / 6,
                        record=Record(every="30 min", variables=("gain",)), spec=spec)
    assert ds.attrs["params_hash"] != ds2.attrs["params_hash"]
    cites = ds.attrs["citations"].split(";")
    assert {"shouval2002", "graupner2012", "burnashev_1995", "aguiar2010"} <= set(cites)


def test_slow_model_rejects_bad_inputs_by_name(table):
    z = np.zeros((1, 2))
    with pytest.raises(InputError, match="c_rate_Hz"):
        simulate_slow(table, np.full((1, 2), 1e3), z, schedule_dt_h=1.0)
    with pytest.raises(InputError, match="dt_h"):
        simulate_slow(table, z, z, schedule_dt_h="1 min", dt_h="7 s")
    with pytest.raises(InputError, match="record.every"):
        simulate_slow(table, z, z, schedule_dt_h=1.0, record=Record(every="90 s"))
    with pytest.raises(InputError, match="schedule_dt_h"):
        simulate_slow(table, z, z, schedule_dt_h=-1.0)
    with pytest.raises(InputError, match="record.variables"):
        simulate_slow(table, z, z, schedule_dt_h=1.0, record=Record(variables=("v",)))
    with pytest.raises(WorkLimitError, match="max_steps"):
        simulate_slow(table, np.zeros((100, 1000)), np.zeros((100, 1000)), schedule_dt_h=1.0,
                      max_steps=1e6)


def test_table_key_tracks_the_inputs():
    spec = DEFAULT_SENSITIZATION
    k0 = table_key(spec, DEFAULT, (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0)
    assert k0 == table_key(spec, DEFAULT, (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0)
    assert k0 != table_key(spec, DEFAULT.replace(w_ad_ampa=DEFAULT.w_ad_ampa * 1.01),
                           (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0)
    assert k0 != table_key(SensitizationSpec(ffi_loss_max=0.3), DEFAULT, (0.0,), (0.0,), (1.0,),
                           1e3, 0.0, 0)
    assert k0 != table_key(spec, DEFAULT, (0.0,), (0.0,), (1.0,), 1e3, 0.0, 1)


def _edit_source(monkeypatch, filename):
    """Pretend ``filename`` (a ketasim source) changed: its content hash differs."""
    real = kcache._file_hash

    def fake(path, mtime_ns, size):
        h = real(path, mtime_ns, size)
        return h + b"edited" if path.name == filename else h

    monkeypatch.setattr(kcache, "_file_hash", fake)


def test_kernel_and_table_keys_change_when_an_imported_file_changes(monkeypatch):
    # the spinal engine inlines the receptor layer's NMDA kernels: an edit of nmda.py must
    # change the engine's fingerprint (so numba recompiles, `kcache._KernelLocator`) and the
    # drive table's key; an edit of a file outside the closure changes neither
    eng = kcache.fingerprint("ketasim.spinal.engine")
    kdir = kcache.kernel_cache_dir("ketasim.spinal.engine")
    key = table_key(DEFAULT_SENSITIZATION, DEFAULT, (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0)
    _edit_source(monkeypatch, "solver.py")  # ketasim.pk.solver: not imported by the engine
    assert kcache.fingerprint("ketasim.spinal.engine") == eng
    _edit_source(monkeypatch, "nmda.py")
    assert kcache.fingerprint("ketasim.spinal.engine") != eng
    assert kcache.kernel_cache_dir("ketasim.spinal.engine") != kdir
    assert table_key(DEFAULT_SENSITIZATION, DEFAULT, (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0) != key


TINY = {"c_rates": (0.0, 2.0), "ketamine_uM": (0.0,), "gains": (1.0, 1.5),
        "duration_ms": 400.0, "skip_ms": 100.0}


def test_changed_engine_computes_a_fresh_table_and_never_reads_the_old(tmp_path, monkeypatch):
    monkeypatch.setenv("KETASIM_CACHE", str(tmp_path))
    monkeypatch.setattr(kdt, "SHIPPED_DIR", tmp_path / "none")
    calls = []
    real = kdt.compute_drive_table

    def counting(*a, **kw):
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(kdt, "compute_drive_table", counting)
    t1 = load_drive_table(**TINY)
    old = tmp_path / f"drive_table_{t1.key}.npz"
    assert old.exists() and len(calls) == 1
    assert load_drive_table(**TINY).key == t1.key and len(calls) == 1  # a hit reads the file
    # poison the old file: if the new model read it, out_Hz would be 999
    t1.__class__(**{**t1.__dict__, "out_Hz": np.full_like(t1.out_Hz, 999.0)}).save(old)
    _edit_source(monkeypatch, "engine.py")
    t2 = load_drive_table(**TINY)
    assert t2.key != t1.key and len(calls) == 2
    assert (tmp_path / f"drive_table_{t2.key}.npz").exists()
    assert np.all(t2.out_Hz < 999.0)
    np.testing.assert_array_equal(t2.out_Hz, t1.out_Hz)  # same code really, same numbers


def test_changed_engine_recalibrates_and_never_reads_the_old(tmp_path, monkeypatch):
    monkeypatch.setenv("KETASIM_CACHE", str(tmp_path))
    monkeypatch.setattr(kcal, "SHIPPED_DIR", tmp_path / "none")
    calls = []

    def fake_calibrate(spec, **kw):  # the real one takes ~40 s; the cache logic is the same
        calls.append(1)
        return {"ca_scale": 0.2 + 0.1 * len(calls), "late_max": 1.5}

    monkeypatch.setattr(kcal, "calibrate", fake_calibrate)
    s1 = calibrated_spec()
    key1 = kcal.calibration_key(DEFAULT_SENSITIZATION, DEFAULT)
    path1 = tmp_path / f"calibration_{key1}.json"
    assert json.loads(path1.read_text())["ca_scale"] == pytest.approx(0.3)
    assert calibrated_spec() == s1 and len(calls) == 1
    _edit_source(monkeypatch, "circuit.py")
    s2 = calibrated_spec()
    key2 = kcal.calibration_key(DEFAULT_SENSITIZATION, DEFAULT)
    assert key2 != key1 and len(calls) == 2
    assert (tmp_path / f"calibration_{key2}.json").exists()
    assert s2.gain.ca_scale == pytest.approx(0.4)  # fresh, not the old file's 0.3


def test_no_partial_or_foreign_cache_files_are_shipped():
    # every shipped file carries a current key (16 hex digits), none is a leftover temp file
    names = sorted(p.name for p in kdt.SHIPPED_DIR.iterdir())
    assert names, "the package ships a calibration and a drive table"
    for n in names:
        stem = n.split(".")[0]
        assert stem.rsplit("_", 1)[0] in ("calibration", "drive_table") and len(
            stem.rsplit("_", 1)[1]) == 16, n
    spec = calibrated_spec()
    assert f"calibration_{kcal.calibration_key(DEFAULT_SENSITIZATION, DEFAULT)}.json" in names
    assert f"drive_table_{load_drive_table(spec).key}.npz" in names


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.floats(0.0, 16.0), st.floats(0.0, 3.0), st.floats(0.5, 6.0))
def test_slow_model_gain_stays_in_its_range(table, rate, ket, hours):
    # property: whatever the (constant) drive, the gain stays within the range the two
    # phases allow, [1 - early_amp/3, (1 + early_amp) late_max], and the states in [0, 1]
    spec = calibrated_spec()
    n = int(hours * 6)
    ds = simulate_slow(table, np.full((1, n), rate), np.full((1, n), ket),
                       schedule_dt_h="10 min", spec=spec)
    lo = 1 - spec.gain.early_amp / 3 - 1e-9
    hi = (1 + spec.gain.early_amp) * spec.gain.late_max + 1e-9
    assert np.all((ds.gain >= lo) & (ds.gain <= hi))
    assert np.all((ds.rho_end >= 0) & (ds.rho_end <= 1)) and 0 <= float(ds.W_end[0]) <= 1


@pytest.mark.parametrize("mod", ["modulation", "protocols", "drive_table", "slow", "calibration",
                                 "sensitization", "plasticity", "descending"])
def test_docstring_examples(mod):
    import doctest
    import importlib

    m = importlib.import_module(f"ketasim.spinal.{mod}")
    res = doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
