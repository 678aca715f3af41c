"""Ca2+-driven gain rules (M7): Shouval 2002 early phase and Graupner & Brunel 2012 late phase."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketasim.core.errors import InputError
from ketasim.core.record import Record
from ketasim.spinal.plasticity import (
    W_REST,
    CalciumGainSpec,
    LatePhaseSpec,
    calcium_drive_stats,
    eta,
    gain_from_state,
    gain_parts,
    gain_parts_nb,
    integrate_calcium_gain,
    omega,
    params_vector,
    relax_at_rest,
    slow_plasticity_step,
)


def test_m07_shouval_omega_windows():
    # shouval2002 parameters (folmez/CaDP-MatLab implementation): Omega = 0.25 at rest,
    # ~0 at 0.45 uM (LTD window), 1.0 above ~0.65 uM (LTP)
    assert omega(0.0) == pytest.approx(0.25, abs=1e-3)
    assert omega(0.45) == pytest.approx(0.0, abs=0.01)
    assert omega(0.8) == pytest.approx(1.0, abs=0.01)


def test_m07_shouval_learning_time_constants():
    # shouval2002 eta(c): tau ~ 2.8 h at rest, 100 s at 0.1 uM, 1.8 s at 0.5 uM
    assert 1 / eta(0.0) / 3600 == pytest.approx(2.78, rel=0.01)
    assert 1 / eta(0.1) == pytest.approx(100.0, rel=0.01)
    assert 1 / eta(0.5) == pytest.approx(1.8, rel=0.01)


def test_m07_graupner_fixed_point_and_persistence():
    # graupner2012: under sustained c > theta_p the efficacy tends to gp/(gp+gd) = 0.617;
    # above rho* = 0.5 it then stays UP (bistable) after the drive stops.
    spec = CalciumGainSpec().with_(late=CalciumGainSpec().late.__class__(spread=0.0,
                                                                         n_classes=1))
    ca = np.zeros((1, 400_000))  # 400 s at 1 ms
    ca[0, :20_000] = 3.0  # 20 s of high Ca2+
    ds = integrate_calcium_gain(ca, 1.0, spec, record=Record(every=1000.0))
    rho = ds.rho_bar.values[0]
    assert rho[19] == pytest.approx(321.808 / (321.808 + 200.0), abs=0.01)
    assert rho[-1] > rho[19]  # drifts towards UP without drive, never back down


def test_m07_early_phase_decays_late_persists():
    # early phase relaxes to W_rest with tau(0) = 2.78 h (shouval2002); late phase stays
    spec = CalciumGainSpec()
    w = np.array([1.0])
    rho = np.ones((1, spec.late.n_classes)) * 0.9
    p = params_vector(spec)
    stats0 = calcium_drive_stats(np.zeros((1, 10)), 1.0, spec)
    for _ in range(int(2.78 * 3600 / 10)):
        slow_plasticity_step(w, rho, stats0["A"], stats0["B"], stats0["f_p"], stats0["f_d"],
                             10.0, p)
    # after one time constant: W - 0.25 = 0.75 e^-1
    assert w[0] - 0.25 == pytest.approx(0.75 * np.exp(-1), rel=0.02)
    assert rho.min() > 0.9  # the late phase does not decay at rest


def test_m07_slow_model_matches_traces_for_stationary_drive():
    # the averaged rule (used by the slow model) reproduces the full rule on a periodic Ca2+
    # pattern (bursts of 50 ms every 500 ms), within 2 % of the gain after 60 s.
    spec = CalciumGainSpec()
    period = np.zeros(500)
    period[:50] = 1.2
    ca = np.tile(period, 120)[None, :]
    full = integrate_calcium_gain(ca, 1.0, spec, record=Record(every=1000.0)).gain.values[0, -1]
    st_ = calcium_drive_stats(np.tile(period, 4)[None, :], 1.0, spec, skip_ms=500)
    w = np.array([0.25])
    rho = np.zeros((1, spec.late.n_classes))
    for _ in range(600):
        slow_plasticity_step(w, rho, st_["A"], st_["B"], st_["f_p"], st_["f_d"], 0.1,
                             params_vector(spec))
    slow = gain_from_state(w, rho.mean(1), spec)[0]
    assert slow == pytest.approx(full, rel=0.02)


def test_m07_ltd_window_lowers_gain():
    # moderate Ca2+ (between a1 = 0.35 and a2 = 0.55 uM) depresses (shouval2002), the
    # mechanism behind LFS-induced LTD (klein2004: -27 % pain after 1 Hz conditioning)
    ds = integrate_calcium_gain(np.full((1, 30_000), 0.45), 1.0, record=Record(every=1000.0))
    # W relaxes towards Omega(0.45) ~ 0 with tau(0.45) ~ 2.4 s: early factor < 1 (depression)
    assert ds.W.values[0, -1] < 0.05
    spec = CalciumGainSpec()
    assert gain_from_state(ds.W.values[0, -1], 0.0, spec) < 1 - 0.9 * spec.early_amp / 3


@settings(max_examples=20, deadline=None)
@given(st.floats(0.0, 5.0), st.floats(0.0, 5.0))
def test_state_bounds_and_monotone_in_calcium(c1, c2):
    lo, hi = sorted((c1, c2))
    ca = np.array([np.full(3000, lo), np.full(3000, hi)])
    ds = integrate_calcium_gain(ca, 1.0, record=Record(every=100.0))
    assert np.all((ds.W >= 0) & (ds.W <= 1)) and np.all((ds.rho >= 0) & (ds.rho <= 1))
    # above the LTP threshold more Ca2+ never gives less late-phase potentiation
    if lo > 0.7:
        assert ds.rho_bar.values[1, -1] >= ds.rho_bar.values[0, -1] - 1e-12


def test_bad_inputs_name_the_field():
    with pytest.raises(InputError, match="dt_ms"):
        integrate_calcium_gain(np.zeros((1, 10)), 0.0)
    with pytest.raises(InputError, match="ca_drive"):
        integrate_calcium_gain(np.array([[np.nan]]), 1.0)
    with pytest.raises(InputError, match="late_max"):
        CalciumGainSpec(late_max=-1)
    with pytest.raises(InputError, match="record.every"):
        integrate_calcium_gain(np.zeros((1, 10)), 1.0, record=Record(every=1.5))
    with pytest.raises(InputError, match="LatePhaseSpec.n_classes"):
        LatePhaseSpec(n_classes=0)


def test_integrate_conventions_condition_and_ms():
    ds = integrate_calcium_gain(np.zeros((2, 100)), 0.5, record=Record(every="10 ms"))
    assert ds.gain.dims == ("condition", "time") and ds.time.attrs["units"] == "ms"
    np.testing.assert_allclose(ds.time.values[:2], [10.0, 20.0])


def test_gain_parts_is_the_one_gain_definition():
    # G = (1 + early_amp (W - W_rest)/(1 - W_rest)) (1 + (late_max - 1) rho_bar)
    spec = CalciumGainSpec(early_amp=0.2, late_max=1.6)
    e, l_ = gain_parts(np.array([0.25, 1.0]), np.array([0.0, 0.5]), spec)
    np.testing.assert_allclose(e, [1.0, 1.2])
    np.testing.assert_allclose(l_, [1.0, 1.3])
    np.testing.assert_allclose(gain_from_state([0.25, 1.0], [0.0, 0.5], spec), [1.0, 1.56])
    assert gain_parts_nb(1.0, 0.5, 0.2, 1.6) == pytest.approx((1.2, 1.3))


def test_relax_at_rest_decays_early_phase_in_hours():
    w, rho = relax_at_rest(np.array([1.0]), np.full((1, 8), 0.9), 2.78)
    assert w[0] - W_REST == pytest.approx(0.75 * np.exp(-1), rel=0.02)
    with pytest.raises(InputError, match="hours"):
        relax_at_rest(np.array([1.0]), np.zeros((1, 8)), -1.0)
