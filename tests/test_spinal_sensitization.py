"""Sensitization on the spiking model and its slow reduction (M4, M7): one mechanism, two
time resolutions. The spiking model is the truth; the slow model must agree with it."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketasim.core.errors import InputError
from ketasim.spinal import DEFAULT, Condition
from ketasim.spinal.sensitization import (
    DEFAULT_SENSITIZATION,
    CircuitModulation,
    calcium_drive_stats,
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


def test_m07_drive_table_matches_spiking_model_off_grid(table):
    # DESIGN.md: the reduced model's drive comes from the spiking model; check an off-grid
    # point (C 3 Hz, ketamine 0.5 uM, gain 1.2) against a fresh spiking run (other seed)
    from ketasim.core.record import Record
    from ketasim.spinal import simulate

    r, k, g = 3.0, 0.5, 1.2
    cond = Condition(params=modulated_params(DEFAULT, modulation_from_gain(g)), ketamine_uM=k)
    spec = calibrated_spec()
    sp = simulate(steady_protocol(12000.0).with_rate_drive("c", r), [cond],
                  record=Record(0.5, "all"), seed=99, max_spikes=10_000)
    out = steady_output(sp, 6000.0)[0]
    st = calcium_drive_stats(plasticity_drive(sp, spec), 0.5, spec.gain, skip_ms=6000.0)
    # output: within 25 % (Poisson drive, 6 s window)
    assert table.output(r, k, g) == pytest.approx(out, abs=max(2.0, 0.25 * out))
    # early-rule target W_inf = A/B and late-rule drive (mean fraction above theta_p)
    from ketasim.spinal.sensitization import _interp3_many

    def interp(arr):
        o = np.empty(1)
        _interp3_many(table.c_rate_hz, table.ketamine_um, table.gain, np.ascontiguousarray(arr),
                      np.array([r]), np.array([k]), np.array([g]), o)
        return o[0]

    assert interp(table.a / table.b) == pytest.approx(st["A"][0] / st["B"][0], abs=0.1)
    assert interp(table.f_p.mean(-1)) == pytest.approx(st["f_p"].mean(), abs=0.1)


def test_m07_slow_model_reproduces_spiking_gain_under_barrage(table):
    # 60 s of an 8 Hz C barrage: gain from the calcium rules on the spiking model's Ca2+
    # versus the slow model's table-driven rules (which start from the table's steady state,
    # while the spiking run has a ~5 s build-up): agree within 15 % of the change
    prot = steady_protocol(60_000.0).with_rate_drive("c", 8.0)
    spec = calibrated_spec()
    _, pl = run_with_plasticity(prot, [Condition()], spec, seed=7)
    g_spk = float(pl.gain.values[0, -1])
    slow = simulate_slow(table, np.full((1, 1), 8.0), np.zeros((1, 1)), schedule_dt_s=60.0,
                         dt_s=1.0, record_dt_s=60.0, spec=spec)
    g_slow = float(slow.gain.values[0, -1])
    assert g_slow - 1 == pytest.approx(g_spk - 1, abs=max(0.02, 0.15 * abs(g_spk - 1)))


def test_slow_model_rejects_out_of_grid_inputs(table):
    with pytest.raises(InputError, match="c_rate_hz"):
        simulate_slow(table, np.full((1, 2), 1e3), np.zeros((1, 2)), schedule_dt_s=60.0)
    with pytest.raises(InputError, match="dt_s"):
        simulate_slow(table, np.zeros((1, 2)), np.zeros((1, 2)), schedule_dt_s=60.0, dt_s=7.0)


def test_table_key_tracks_the_spiking_model():
    # the cache is keyed by what the table depends on: a changed circuit never reads a
    # stale table (DESIGN.md: if they disagree, the detailed model wins)
    from ketasim.spinal.sensitization import table_key

    spec = DEFAULT_SENSITIZATION
    k0 = table_key(spec, DEFAULT, (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0)
    assert k0 == table_key(spec, DEFAULT, (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0)
    assert k0 != table_key(spec, DEFAULT.replace(w_ad_ampa=DEFAULT.w_ad_ampa * 1.01),
                           (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0)
    assert k0 != table_key(spec.__class__(ffi_loss_max=0.3), DEFAULT, (0.0,), (0.0,), (1.0,),
                           1e3, 0.0, 0)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.floats(0.0, 16.0), st.floats(0.0, 3.0), st.floats(0.5, 6.0))
def test_slow_model_gain_stays_in_its_range(table, rate, ket, hours):
    # property: whatever the (constant) drive, the gain stays within the range the two
    # phases allow, [1 - early_amp/3, (1 + early_amp) late_max], and the states in [0, 1]
    spec = calibrated_spec()
    n = int(hours * 6)
    ds = simulate_slow(table, np.full((1, n), rate), np.full((1, n), ket),
                       schedule_dt_s=600.0, spec=spec)
    lo = 1 - spec.gain.early_amp / 3 - 1e-9
    hi = (1 + spec.gain.early_amp) * spec.gain.late_max + 1e-9
    assert np.all((ds.gain >= lo) & (ds.gain <= hi))
    assert np.all((ds.rho_end >= 0) & (ds.rho_end <= 1)) and 0 <= float(ds.W_end[0]) <= 1
