"""Spinal layer: wind-up (M8), NMDA dependence, ketamine vs propofol (M10/M2, M1), engine.

Expected values and their sources are in the comments. Protocols are shortened (8 shocks at
1 Hz) to keep the suite fast; the full 15-shock runs are the m08/m10/m01 experiments.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketasim.core.errors import InputError
from ketasim.core.record import Record
from ketasim.spinal import (
    Condition,
    Protocol,
    SpinalParams,
    recruitment,
    score,
    shock,
    simulate,
    train,
)
from ketasim.spinal import layout as E
from ketasim.spinal.params import FIELDS


@pytest.fixture(scope="module")
def batch_1hz():
    p = SpinalParams()
    conds = [Condition(p, label="control"), Condition(p.replace(nmda_scale=0.0), label="ap5"),
             Condition(ketamine_uM=100.0, label="ket100"),
             Condition(propofol_uM=1.0, label="propofol1")]
    return simulate(train(8, 1.0), conds, seed=0)


def _absolute_windup(r):
    r = np.asarray(r, float)
    return float(np.sum(r - r[0]))


def test_m08_windup_frequency_dependence(batch_1hz):
    # aguiar2010 (our NEURON rerun): 4 -> 11 spikes at 1 Hz (x2.75); in the wind-up literature
    # last/first about 1.5-3 at 0.5-1 Hz. We accept >= 2 at 1 Hz after 8 shocks.
    r = batch_1hz.response.sel(condition=0).values
    assert r[-1] / r[0] >= 2.0
    assert r[0] >= 3  # a C response exists at the first shock (>= 3 spikes, aguiar2010: 4)
    # after-discharges grow (dickenson1987 "post-discharges")
    ad = batch_1hz.after_discharge.sel(condition=0).values
    assert ad[-1] >= ad[0] + 5


def test_m08_no_windup_at_0_1_Hz():
    # aguiar2010 rerun: 4 -> 5 at 0.1 Hz; mendell1966: wind-up needs intervals <~ 3 s
    ds = simulate(train(3, 0.1), Condition(), seed=0)
    r = ds.response.values[0]
    assert 0.7 <= r[-1] / r[0] <= 1.3


def test_nmda_block_keeps_first_response_and_flattens_windup(batch_1hz):
    # dickenson1987: AP5 reduces wind-up with minor change of the first C response;
    # issue target: full block keeps >= 70 % of the first response, wind-up flat
    c = batch_1hz.response.sel(condition=0).values
    a = batch_1hz.response.sel(condition=1).values
    assert a[0] >= 0.7 * c[0]
    assert a[-1] / a[0] <= 1.3
    assert _absolute_windup(a) <= 0.2 * _absolute_windup(c)


def test_m10_ketamine_cuts_windup_more_than_first_response(batch_1hz):
    # davies1987 / dickenson1987: NMDA antagonists reduce wind-up without suppressing the
    # initial response. In our model this needs high free ketamine (see report): at 100 uM the
    # absolute wind-up falls below 30 % while the first response stays >= 80 %.
    c = batch_1hz.response.sel(condition=0).values
    k = batch_1hz.response.sel(condition=2).values
    assert k[0] >= 0.8 * c[0]
    assert _absolute_windup(k) <= 0.3 * _absolute_windup(c)


def test_m1_propofol_leaves_windup_ratio(batch_1hz):
    # cuellar2005 (and Petersen-Felix 1996, Goto 1994): GABA-A hypnotics do not
    # abolish temporal summation; ratio within 25 % of control at 1 uM free propofol
    c = batch_1hz.windup_ratio.sel(condition=0).item()
    pr = batch_1hz.windup_ratio.sel(condition=3).item()
    assert abs(pr / c - 1.0) <= 0.25


def test_rest_is_stable_and_silent():
    ds = simulate(Protocol(500.0), Condition(), record=Record(1.0, ("v",)))
    assert ds.n_spikes.item() == 0
    assert np.all(np.abs(ds.v.values - (-65.0)) < 1.0)  # e_leak -65 mV (aguiar2010)


def test_batch_equals_single_runs():
    # the batch is a loop over independent conditions: same events -> identical spikes
    pr = train(2, 1.0)
    conds = [Condition(), Condition(ketamine_uM=10.0)]
    both = simulate(pr, conds, seed=3)
    for i, c in enumerate(conds):
        one = simulate(pr, c, seed=3)
        n = one.n_spikes.item()
        assert both.n_spikes.values[i] == n
        np.testing.assert_array_equal(both.spike_times.values[i, :n],
                                      one.spike_times.values[0, :n])


def test_engine_param_index_matches_fields():
    for i, name in enumerate(FIELDS):
        assert getattr(E, f"P_{name.upper()}") == i


def test_score_windows():
    # cuellar2005 windows: 0-100 A, 100-400 C, 400-1000 after-discharge, cut at next shock
    a, c, ad = score(np.array([10.0, 150.0, 450.0, 999.0, 1050.0]), np.array([0.0, 1000.0]),
                     3000.0)
    assert list(a) == [1, 1] and list(c) == [1, 0] and list(ad) == [2, 0]


def test_bad_inputs_raise_named_errors():
    with pytest.raises(InputError, match="frequency_Hz"):
        train(3, 0.0)
    with pytest.raises(InputError, match="dt_ms"):
        simulate(train(1, 1.0), dt_ms=1.0)
    with pytest.raises(InputError, match="ketamine_uM"):
        simulate(train(1, 1.0), Condition(ketamine_uM=-1.0))
    with pytest.raises(InputError, match="SpinalParams field"):
        SpinalParams().replace(not_a_field=1.0)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.0, 10.0), st.floats(0.0, 10.0))
def test_recruitment_monotone_and_bounded(i1, i2):
    lo, hi = sorted((i1, i2))
    for f in ("abeta", "adelta", "c"):
        a, b = recruitment(lo, f), recruitment(hi, f)
        assert 0.0 <= a <= b <= 1.0


def test_opioid_reduces_c_response_through_receptor_layer():
    # receptors.opioid: fentanyl at 10 x its K (1.35 nM) activates ~90 % of mu receptors;
    # C-fibre release falls by mu_presyn_max x r (~60 %), so the C response must fall
    pr = train(1, 1.0)
    ds = simulate(pr, [Condition(), Condition(fentanyl_uM=0.0135)], seed=1)
    r = ds.response.values[:, 0]
    assert r[1] <= 0.7 * r[0]


# --- validation: bad input raises an InputError naming the field (never NaN/0 spikes/segfault)

@pytest.mark.parametrize("name", FIELDS)
def test_nan_in_any_spinal_param_raises_naming_the_field(name):
    with pytest.raises(InputError, match=rf"SpinalParams\.{name}: got nan"):
        SpinalParams().replace(**{name: float("nan")})


@pytest.mark.parametrize("kw,field", [({"temperature_c": -300.0}, "temperature_c"),
                                      ({"temperature_c": 60.0}, "temperature_c"),
                                      ({"nmda_scale": -1.0}, "nmda_scale"),
                                      ({"g_na": -5.0}, "g_na"),
                                      ({"w_int_wdr_nmda": float("inf")}, "w_int_wdr_nmda"),
                                      ({"mu_presyn_max": 1.5}, "mu_presyn_max"),
                                      ({"g_leak_s_cm2": 0.0}, "g_leak_s_cm2"),
                                      ({"e_leak": -300.0}, "e_leak")])
def test_out_of_range_spinal_params_raise(kw, field):
    with pytest.raises(InputError, match=rf"SpinalParams\.{field}: got"):
        SpinalParams().replace(**kw)


@pytest.mark.parametrize("kw,field", [
    ({"ketamine_uM": float("nan")}, "ketamine_uM"),
    ({"propofol_uM": -1.0}, "propofol_uM"),
    ({"mu_occupancy": 1.5}, "mu_occupancy"),
    ({"fentanyl_uM": "3 mV"}, "fentanyl_uM"),
    ({"ketamine_uM": ([0.0, 10.0], [1.0, float("nan")])}, "ketamine_uM values"),
    ({"ketamine_uM": ([10.0, 0.0], [1.0, 2.0])}, "ketamine_uM times_ms"),
    ({"ketamine_uM": ([0.0, 10.0], [1.0])}, "ketamine_uM time course"),
    ({"params": "default"}, "params"),
])
def test_bad_condition_raises_naming_the_field(kw, field):
    with pytest.raises(InputError, match=field):
        Condition(**kw)


def test_condition_accepts_quantities_and_normalises_courses():
    c = Condition(ketamine_uM="300 nM", norketamine_uM=(np.array([0.0, 1e3]), [0, 2]))
    assert c.ketamine_uM == pytest.approx(0.3)
    assert c.norketamine_uM == ((0.0, 1000.0), (0.0, 2.0))


def test_protocol_inputs_are_validated_and_capped():
    from ketasim.core.errors import WorkLimitError
    with pytest.raises(WorkLimitError, match="max_shocks"):
        train(100_000, 10.0)
    assert len(train(20, 10.0, max_shocks=20).stim_times_ms) == 20
    with pytest.raises(InputError, match="frequency_Hz"):
        train(3, float("nan"))
    with pytest.raises(InputError, match="intensity"):
        train(3, 1.0, intensity=-1.0)
    with pytest.raises(InputError, match="duration_ms"):
        Protocol(float("nan"))
    with pytest.raises(InputError, match="duration_ms"):
        Protocol(1e12)
    with pytest.raises(InputError, match="stim_times_ms"):
        Protocol(100.0, (150.0,), (2.0,))
    with pytest.raises(InputError, match="rate_Hz"):
        Protocol(100.0).with_rate_drive("c", -1.0)
    with pytest.raises(InputError, match="fibre"):
        Protocol(100.0).with_rate_drive("gamma", 1.0)
    with pytest.raises(InputError, match="rate_Hz"):
        Protocol(100.0).with_background(float("nan"))
    assert shock("0.5 s", duration_ms="1 s").duration_ms == 1000.0


def test_simulate_arguments_are_validated_and_capped():
    from ketasim.core.errors import UnknownNameError, WorkLimitError
    pr = train(1, 1.0)
    with pytest.raises(WorkLimitError, match="max_steps"):
        simulate(pr, max_steps=1000)
    with pytest.raises(UnknownNameError, match="record.variables"):
        simulate(pr, record=Record(1.0, ("not_a_trace",)))
    with pytest.raises(InputError, match="record.every"):
        simulate(pr, record=Record(0.001, ("v",)))
    with pytest.raises(InputError, match="nmda"):
        simulate(pr, nmda="fast")
    with pytest.raises(InputError, match="seed"):
        simulate(pr, seed=-1)
    with pytest.raises(InputError, match="dt_ms"):
        simulate(pr, dt_ms=float("nan"))
    with pytest.raises(InputError, match="conditions"):
        simulate(pr, 3)


# --- result layout, receptor specs and provenance

@pytest.fixture(scope="module")
def short_runs():
    pr = train(1, 1.0)
    a = simulate(pr, Condition())
    b = simulate(pr, [Condition(ketamine_uM=1.0), Condition(ketamine_uM=([0.0, 2e3], [0.0, 4.0]))],
                 record=Record("1 ms", ("v", "i_nmda")))
    return pr, a, b


def test_coordinates_do_not_depend_on_the_input(short_runs):
    from ketasim.spinal import DRUGS
    _, a, b = short_runs
    assert set(a.coords) | {"time"} == set(b.coords)
    for d in DRUGS:
        assert a[d].dims == ("condition",) and a[d].item() == 0.0
    assert b.ketamine_uM.values[0] == 1.0
    # a time course is shown by its mean over the protocol (a ramp 0 -> 4 uM over its 2 s)
    assert b.ketamine_uM.values[1] == pytest.approx(2.0, abs=0.01)
    assert b.time.attrs["units"] == "ms" and b.time.values[1] == 1.0
    assert set(b.data_vars) >= {"v", "i_nmda"} and "ca_i" not in b
    assert "time" not in a.dims


def test_params_hash_identifies_the_run(short_runs):
    pr, a, _ = short_runs
    from ketasim.receptors.nmda import NMDAParams
    hashes = {a.attrs["params_hash"]}
    for ds in (simulate(pr, Condition(ketamine_uM=1.0)),
               simulate(pr, Condition(SpinalParams().replace(nmda_scale=0.5))),
               simulate(pr, Condition(), seed=1),
               simulate(train(1, 1.0, intensity=1.5), Condition()),
               simulate(pr, Condition(), nmda=NMDAParams(ket_koff0=1e-3)),
               simulate(pr, Condition(), record=Record(1.0, ("v",)))):
        hashes.add(ds.attrs["params_hash"])
    assert len(hashes) == 7
    again = simulate(pr, Condition())
    assert again.attrs["params_hash"] == a.attrs["params_hash"]


def test_citations_merge_the_receptor_layer(short_runs):
    from ketasim.receptors.gabaa import GABAAParams
    from ketasim.receptors.nmda import NMDAParams
    cites = short_runs[1].attrs["citations"].split(";")
    for key in (*NMDAParams().citations, *GABAAParams().citations, "aguiar2010"):
        assert key in cites


def test_nmda_spec_is_passed_to_the_engine():
    from ketasim.receptors.nmda import NMDAParams
    pr = train(4, 1.0)
    cond = Condition(ketamine_uM=3.0)
    base = simulate(pr, cond)
    same = simulate(pr, cond, nmda=NMDAParams())
    np.testing.assert_array_equal(base.spike_times.values, same.spike_times.values)
    # a 100x weaker ketamine (Kd0 x100) at the circuit level: response close to control
    weak = simulate(pr, cond, nmda=NMDAParams(ket_kd0=NMDAParams().ket_kd0 * 100))
    ctrl = simulate(pr, Condition())
    assert weak.n_spikes.item() != base.n_spikes.item()
    assert abs(weak.n_spikes.item() - ctrl.n_spikes.item()) < abs(
        base.n_spikes.item() - ctrl.n_spikes.item())


def test_crosscheck_nmda_scheme_agrees_with_receptor_kernel():
    # the Brian2 cross-check's exponential-Euler NMDA step and the receptor layer's backward
    # Euler converge to the same trajectory (1 ms glutamate pulse, -40 mV, 1 mM Mg2+, 1 uM
    # ketamine): peak open fractions differ by 4.7 % at 0.01 ms and < 1.5 % at 0.002 ms
    from ketasim.receptors.nmda import (
        NMDA_N_STATES,
        nmda_equilibrium,
        nmda_params_array,
        nmda_step_ws,
        nmda_workspace,
    )
    from ketasim.spinal.synapses import nmda_step_expeuler
    p = nmda_params_array()
    ws = nmda_workspace()
    Q = np.zeros((NMDA_N_STATES, NMDA_N_STATES))
    err = []
    for dt in (0.01, 0.002):
        xa = nmda_equilibrium(-65.0, 0.0, 1.0, 1.0, 0.0, p)
        xb = xa.copy()
        pa = pb = 0.0
        for k in range(int(100.0 / dt)):
            glu = 1000.0 if k < int(1.0 / dt) else 0.0
            nmda_step_ws(xa, dt, -40.0, glu, 1.0, 1.0, 0.0, p, ws)
            nmda_step_expeuler(xb, dt, -40.0, glu, 1.0, 1.0, 0.0, p, Q)
            pa, pb = max(pa, xa[3]), max(pb, xb[3])
        err.append(abs(pb / pa - 1.0))
    assert err[1] < 0.015 and err[1] < err[0] / 3
