"""NMDA kernel: numerics, invariants (hypothesis) and the Mg2+/ketamine science (M5, M9, M10)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from ketasim.core.errors import InputError
from ketasim.core.record import Record
from ketasim.receptors import nmda as N
from ketasim.receptors.clamp import Segment, clamp_nmda, nmda_dose_response

P = N.nmda_params_array()

volt = st.floats(-120, 60)
conc = st.floats(0, 100)
mgs = st.floats(0, 3)
glus = st.sampled_from([0.0, 1.0, 30.0, 1000.0])


def _Q(v, g, mg, k, nk):
    Q = np.zeros((20, 20))
    N.nmda_fill_rate_matrix(Q, v, g, mg, k, nk, P)
    return Q


@settings(max_examples=40, deadline=None)
@given(v=volt, g=glus, mg=mgs, k=conc, nk=conc)
def test_equilibrium_is_stationary_and_detailed_balanced(v, g, mg, k, nk):
    # detailed balance is required: every cycle (closed-state egress, blocked-arm gating) is a
    # passive binding/gating loop, so flux j->i equals flux i->j at equilibrium
    Q = _Q(v, g, mg, k, nk)
    x = N.nmda_equilibrium(v, g, mg, k, nk, P)
    assert abs(x.sum() - 1) < 1e-12 and x.min() >= 0
    assert np.abs(Q @ x).max() < 1e-9 * max(1.0, np.abs(Q).max())
    flux = Q * x[None, :]
    assert np.allclose(flux, flux.T, atol=1e-12 * max(1.0, np.abs(Q).max()))


@settings(max_examples=40, deadline=None)
@given(v=volt, g=glus, mg=mgs, k=conc, nk=conc, dt=st.sampled_from([0.025, 0.1, 1.0, 50.0]),
       seed=st.integers(0, 1000))
def test_step_conserves_and_stays_in_unit_interval(v, g, mg, k, nk, dt, seed):
    x = np.random.default_rng(seed).dirichlet(np.ones(20))
    ref = np.linalg.solve(np.eye(20) - dt * _Q(v, g, mg, k, nk), x)
    N.nmda_step_ws(x, dt, v, g, mg, k, nk, P, N.nmda_workspace())
    assert abs(x.sum() - 1) < 1e-12
    assert x.min() >= 0 and x.max() <= 1
    assert np.abs(x - ref).max() < 1e-10  # structured elimination == dense backward Euler



def test_block_elimination_step_equals_dense_solve():
    # The step solves (I - dt Q) x_new = x by block (Schur-complement) elimination; the
    # reference is numpy's dense LU solve of the same 20x20 system (exact up to rounding).
    # Cases cover zero drug/Mg (the skipped-exponential path), sparse states with exact
    # zeros (as the engine's drug-free arms), stiff dt and one workspace reused throughout.
    rng = np.random.default_rng(7)
    ws = N.nmda_workspace()
    for case in range(300):
        x = rng.dirichlet(np.full(20, 0.5))
        if case % 3 == 0:
            x[rng.random(20) < 0.5] = 0.0
            x[0] += 1.0 - x.sum()
        dt = 10.0 ** rng.uniform(-3, 2)
        v = rng.uniform(-120, 60)
        g = 0.0 if case % 4 == 0 else 10.0 ** rng.uniform(-2, 3)
        mg = (0.0, 1.0, rng.uniform(0, 3))[case % 3]
        k = 0.0 if case % 5 < 2 else 10.0 ** rng.uniform(-2, 2)
        nk = 0.0 if case % 7 < 3 else 10.0 ** rng.uniform(-2, 2)
        ref = np.linalg.solve(np.eye(20) - dt * _Q(v, g, mg, k, nk), x)
        N.nmda_step_ws(x, dt, v, g, mg, k, nk, P, ws)
        assert np.abs(x - ref).max() < 1e-12, (case, dt, v, g, mg, k, nk)
        assert abs(x.sum() - 1.0) < 1e-14 and x.min() >= 0.0
    y = N.nmda_equilibrium(-65.0, 0.0, 1.0, 0.0, 0.0, P)
    y2 = y.copy()
    N.nmda_step(y, 0.1, -65.0, 1000.0, 1.0, 0.0, 0.0, P)
    N.nmda_step_ws(y2, 0.1, -65.0, 1000.0, 1.0, 0.0, 0.0, P, ws)
    assert np.array_equal(y, y2)  # nmda_step is the same kernel with its own scratch

@settings(max_examples=30, deadline=None)
@given(v=volt, mg=mgs, c1=st.floats(0, 50), dc=st.floats(0.01, 50))
def test_block_monotone_in_ketamine(v, mg, c1, dc):
    b = N.nmda_steady_state_block(v, 1000.0, mg, [c1, c1 + dc])
    assert b[1] > b[0]


def test_backward_euler_converges_to_exact_propagator():
    x0 = N.nmda_equilibrium(-40.0, 0.0, 1.0, 0.0, 0.0, P)
    exact = expm(_Q(-40.0, 1000.0, 1.0, 3.0, 0.0) * 20.0) @ x0
    ds = clamp_nmda([[Segment(20.0, -40.0, 1000.0, 1.0, 3.0)]], dt_ms=1.0)
    assert ds.open.values[0, -1] == pytest.approx(exact[N.OPEN], rel=1e-9)
    x = x0.copy()
    ws = N.nmda_workspace()
    for _ in range(800):
        N.nmda_step_ws(x, 0.025, -40.0, 1000.0, 1.0, 3.0, 0.0, P, ws)
    assert x[N.OPEN] == pytest.approx(exact[N.OPEN], rel=0.01)  # first order, dt 0.025 ms


def test_m05_jahr_stevens_block_within_5_percent():
    # Jahr & Stevens 1990: B(V) = 1/(1 + [Mg]/3.57 exp(-0.062 V)); claim M5: within 5 % from
    # -80 to +20 mV at 1 mM. (Calibrated at equilibrium; this checks the kinetic clamp run.)
    from ketasim.experiments.m05_mg_block import run, summary

    s = summary(run(n_voltages=11))
    assert s["max_abs_dev_js"] < 0.05
    assert s["max_rel_dev_js"] < 0.05
    assert s["b_model_at"]["-80"] == pytest.approx(0.024, abs=0.003)  # Jahr & Stevens 1990 formula
    assert s["b_model_at"]["0"] == pytest.approx(0.78, abs=0.01)
    assert s["negative_slope"]
    # NMDA I-V in Mg2+ peaks around -20 to -30 mV (Nowak 1984 / Mayer 1984 [estimate]; JS-derived)
    assert -40 <= s["v_peak_inward_mV"] <= -15
    # glutamate alone at rest: JS B(-65 mV) = 0.059, i.e. ~94 % of the current is corked
    assert s["rest_vs_no_mg"] == pytest.approx(0.059, abs=0.01)


def test_m09_mealing_trapping():
    from ketasim.experiments.m09_trapping import run, summary

    s = summary(run(reapp_ms=60000.0))
    # fit targets, Mealing et al. 1999 JPET 288:204. Mealing's 80 % block after 30 s of 10 uM
    # is one weighted point of the joint fit (ketasim.receptors.calibrate) and CONFLICTS with the
    # Mg2+-free potency targets (Kotermanski & Johnson 2009 IC50 0.33 uM; Orser 1997 Po x0.24):
    # at that affinity the block is at equilibrium within seconds. The compromise is 0.96.
    assert s["block_30s"] == pytest.approx(0.964, abs=0.01)
    assert s["block_30s"] > 0.80  # the known deviation: too much block, never too little
    assert s["trapped_retained"] == pytest.approx(0.86, abs=0.02)
    # predictions: current-based retention at re-application close to Mealing's 86 %
    assert s["retained_current_based"] == pytest.approx(0.86, abs=0.05)
    # Mealing: "fully relieved after 50 s of NMDA alone"
    assert s["relief_50s"] > 0.95
    # closed-channel entry (detailed balance with Mealing's egress; Orser 1997 saw ketamine
    # reach closed channels through the membrane): with the fitted affinity 30 s of 10 uM
    # without agonist blocks ~65 % (prediction; with the former Mealing-only fit it was < 1/3
    # of the co-application block, a claim that no longer holds)
    assert s["block_without_agonist"] == pytest.approx(0.65, abs=0.05)
    assert s["block_without_agonist"] < s["block_30s"]
    # use dependence (MacDonald 1987 [estimate]): block develops much faster with agonist (open
    # channels) than without: 2 s of 10 uM at -60 mV
    x0 = N.nmda_equilibrium(-60.0, 0.0, 0.0, 0.0, 0.0, P)
    k_ag = (expm(_Q(-60.0, 1000.0, 0.0, 10.0, 0.0) * 2000.0) @ x0)[10:15].sum()
    k_no = (expm(_Q(-60.0, 0.0, 0.0, 10.0, 0.0) * 2000.0) @ x0)[10:15].sum()
    assert k_ag > 10 * k_no
    # non-competitive: 1000x more glutamate does not reduce the block (M9)
    b = s["block_vs_glutamate"]
    assert b["10000"] >= b["10"] - 0.02


def test_m10_use_dependence_and_mg_shift():
    from ketasim.experiments.m10_use_dependence import run, summary

    s = summary(run(frequency_Hz=(0.1, 1.0, 10.0), voltage_sweep_mV=(-80.0, -50.0, -20.0),
                    train_ms=10000.0))
    f = list(s["block_vs_freq"].values())
    assert f[0] < f[1] < f[2]
    assert f[2] > 3 * f[0]
    v = list(s["block_vs_voltage"].values())
    assert v[0] < v[1] < v[2]  # in 1 mM Mg2+ depolarisation lets ketamine in (M10)
    # Mg2+ raises ketamine's IC50 at -66 mV: an OUTPUT of the model (nothing fitted in Mg2+).
    # Kotermanski & Johnson 2009 (GluN1/2A, 2B): ~15-fold [estimate, from memory, unverified]
    assert 8 < s["mg_shift"] < 30
    # fit target (0 Mg2+): Kotermanski & Johnson 2009 GluN1/2A IC50 0.33 uM at -66 mV [M digits]
    assert s["ic50_0mg_uM"] == pytest.approx(0.33, rel=0.15)
    # VALIDATION (not fitted): 1 mM Mg2+ IC50; Kotermanski & Johnson 2009 ~5 uM for 2A/2B [estimate]
    assert 3.0 < s["ic50_1mg_uM"] < 9.0
    # Orser 1997 (1 uM, cell-attached): the opening-frequency reduction (x0.44) exceeds the
    # open-time reduction (x0.68); the model keeps that ordering (magnitudes: see report)
    sc = s["single_channel"]["1"]
    assert sc["opening_freq_ratio"] < sc["open_time_ratio"]
    assert sc["po_ratio"] < 1.0
    # fit target: Orser 1997 Po x0.24 at 1 uM (weight 0.05); the model gets it from fewer
    # openings, not shorter ones (open time ~unchanged: known deviation)
    assert sc["po_ratio"] == pytest.approx(0.24, abs=0.05)


def _ic50(drug):
    lo, hi = -4.0, 4.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        c = [10 ** mid, 0.0] if drug == "ket" else [0.0, 10 ** mid]
        b = N.nmda_steady_state_block(-60.0, 1000.0, 0.0, *c)
        lo, hi = (mid, hi) if b < 0.5 else (lo, mid)
    return 10 ** (0.5 * (lo + hi))


def test_norketamine_weaker_than_ketamine():
    # Ebert 1997: S-norketamine Ki 1.7 uM vs S-ketamine 0.3 uM (x5.7) at the same site; the
    # potency ratio (IC50 at -60 mV, 0 Mg2+) is the claim, independent of the ketamine fit
    assert _ic50("nk") / _ic50("ket") == pytest.approx(1.7 / 0.3, rel=0.05)
    bk = N.nmda_steady_state_block(-60.0, 1000.0, 0.0, 3.0, 0.0)
    bn = N.nmda_steady_state_block(-60.0, 1000.0, 0.0, 0.0, 3.0)
    assert 0 < bn < bk


def test_mg_and_ketamine_compete():
    # exclusive occupancy: Mg2+ reduces the ketamine-bound fraction at the same [ketamine].
    # Tested below saturation (0.3 uM ~ IC50 at -60 mV, 0 Mg2+; since the joint fit 3 uM
    # occupies ~90 % of the sites in 0 Mg2+, which masks the competition factor)
    x0 = N.nmda_equilibrium(-60.0, 1000.0, 0.0, 0.3, 0.0, P)
    x1 = N.nmda_equilibrium(-60.0, 1000.0, 1.0, 0.3, 0.0, P)
    assert N.nmda_blocked_fractions(x1)[1] < 0.2 * N.nmda_blocked_fractions(x0)[1]


def test_dose_response_and_bad_input():
    ds = nmda_dose_response([1.0, 10.0], voltage_mV=-60.0, mg_mM=0.0, duration_ms=2000.0)
    assert (np.diff(ds.steady_block.values) > 0).all()
    assert ds.steady.attrs["units"] == "pA"
    with pytest.raises(InputError, match="ketamine"):
        nmda_dose_response([-1.0])
    with pytest.raises(InputError, match="duration"):
        clamp_nmda([[Segment(1.5, -60.0)]], dt_ms=1.0)
    with pytest.raises(InputError, match="NMDAParams.kb"):
        N.NMDAParams(kb=-1.0)


@pytest.mark.parametrize("v,mg,ket,nk", [(-100.0, 1.0, 0.03, 0.0), (-30.0, 1.0, 10.0, 3.0),
                                          (40.0, 2.0, 100.0, 0.0), (-60.0, 0.0, 1.0, 0.0)])
def test_spectral_path_matches_propagator_path(v, mg, ket, nk):
    # long segments use the symmetrised-generator spectral solution, recording the state
    # occupancies forces the
    # propagator path; both are exact, so they must agree to round-off
    prot = [[Segment(300.0, v, 1000.0, mg, ket, nk), Segment(300.0, v, 0.0, mg, 0.0, 0.0),
             Segment(300.0, v, 1000.0, mg, 0.0, 0.0)]]
    a = clamp_nmda(prot, dt_ms=1.0)
    b = clamp_nmda(prot, dt_ms=1.0, record=Record(variables=("occupancy",)))
    for var in ("open", "mg_bound", "ketamine_bound", "norketamine_bound"):
        assert np.abs(a[var].values - b[var].values).max() < 1e-9
    assert np.allclose(b.occupancy.sum("state"), 1.0)


def test_ketamine_defaults_are_the_joint_fit():
    # the shipped ketamine rates are the optimum of the documented weighted fit (targets:
    # Mealing 1999, Orser 1997, Kotermanski & Johnson 2009; ketasim.receptors.calibrate)
    from ketasim.receptors.calibrate import fit_ketamine_joint, joint_residuals

    fit, d = fit_ketamine_joint(), N.NMDAParams()
    r = joint_residuals(d)
    # residuals in weight units: trapping/relief met, potency met, Mealing 80 % missed (+3.3)
    assert abs(r["retained_120s"]) < 0.1 and abs(r["relief_at_tau"]) < 0.1
    assert abs(r["ic50_0mg_uM"]) < 0.5 and abs(r["po_ratio_1uM"]) < 1.0
    assert r["block_30s"] == pytest.approx(3.3, abs=0.2)
    for name in ("ket_koff0", "ket_kd0", "ket_esc0"):
        assert getattr(fit, name) == pytest.approx(getattr(d, name), rel=1e-3)


def test_steady_state_block_rejects_bad_input():
    with pytest.raises(InputError, match="ketamine_uM"):
        N.nmda_steady_state_block(-60.0, ketamine_uM=-1.0)
    with pytest.raises(InputError, match="voltage_mV"):
        N.nmda_steady_state_block(float("nan"))
