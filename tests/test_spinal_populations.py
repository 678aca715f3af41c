"""Spinal layer: NMDA receptor populations (subunit mixtures, ketamine's allosteric site).

Every NMDA synapse of the circuit integrates the populations of its receptor model
(`ketasim.receptors.populations`): one per subunit part, two exchanging ones per part with
the allosteric site (abbott_2024). The single-population path must stay the model of before,
bit for bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketasim.core.errors import InputError
from ketasim.core.record import Record
from ketasim.receptors.nmda import NMDA_N_STATES, NMDAParams, nmda_equilibrium, nmda_workspace
from ketasim.receptors.populations import nmda_populations, pair_equilibrium
from ketasim.receptors.subunits import NMDAMixture
from ketasim.spinal import Condition, simulate, train
from ketasim.spinal.circuit import (
    nmda_initial_states,
    nmda_peak_open_fraction,
    weight_matrix,
)
from ketasim.spinal.params import DEFAULT
from ketasim.spinal.synapses import pair_rates, populations_step

WINDUP = train(n=15, frequency_Hz=1.0, intensity=2.0)
ALL = Record(every=0.5, variables="all")


def _run(pr, conds, nmda, **kw):
    return simulate(pr, conds, nmda=nmda, record=ALL, **kw)


def _same(a, b, atol=0.0):
    np.testing.assert_array_equal(a.spike_times.values, b.spike_times.values)
    for name in ("v", "v_dend", "i_nmda", "ca_i", "i_can", "v_int"):
        np.testing.assert_allclose(a[name].values, b[name].values, rtol=0.0, atol=atol,
                                   err_msg=name)


@pytest.fixture(scope="module")
def single():
    conds = [Condition(), Condition(ketamine_uM=0.3)]
    return conds, _run(train(6, 1.0, intensity=2.0), conds, NMDAParams())


def test_one_part_mixture_is_the_single_model_bit_for_bit(single):
    conds, base = single
    one = NMDAMixture((("default", NMDAParams(), 1.0),))
    _same(base, _run(train(6, 1.0, intensity=2.0), conds, one))
    # "2A" is the default set (subunits docstring): same run
    _same(base, _run(train(6, 1.0, intensity=2.0), conds, "2A"))


def test_two_identical_halves_equal_the_single_set(single):
    conds, base = single
    half = NMDAMixture((("a", NMDAParams(), 0.5), ("b", NMDAParams(), 0.5)))
    _same(base, _run(train(6, 1.0, intensity=2.0), conds, half), atol=1e-12)


def test_empty_site_without_ketamine_changes_nothing():
    site = NMDAParams(allo_gating_factor=3.0)
    # at ketamine 0 the site is empty at rest: all receptors in the site-free member
    x, m = nmda_initial_states(nmda_populations(site), -65.0, 1.0, 0.0, 0.0)
    assert m.tolist() == [1.0, 0.0]
    pr = train(6, 1.0, intensity=2.0)
    _same(_run(pr, Condition(), NMDAParams()), _run(pr, Condition(), site))


@pytest.fixture(scope="module")
def site_windup():
    """15-shock 1 Hz wind-up at 0.3 uM free ketamine, without and with the site (m = 3)."""
    rec = Record(every=0.1, variables=("i_nmda",))
    c = Condition(ketamine_uM=0.3)
    return [simulate(WINDUP, c, nmda=n, record=rec)
            for n in (NMDAParams(), NMDAParams(allo_gating_factor=3.0))]


def test_site_lowers_the_nmda_charge_of_a_windup_train(site_windup):
    # integrated NMDA current over the train (pC); the site (abbott_2024 EC50 0.1 uM,
    # gating factor 3 [estimate]) removes part of it at 0.3 uM; value of this model, pinned
    off, on = (float(d.i_nmda.sum()) * 0.1 * 1e-3 for d in site_windup)
    assert off < 0.0 and on < 0.0
    assert on / off == pytest.approx(0.507, abs=0.02)


def test_weights_are_peak_conductances_of_the_mixture():
    dt = 0.025
    for model in (None, "lamina_I", "2B=0.5,2D=0.5", NMDAParams(allo_gating_factor=3.0)):
        po = nmda_peak_open_fraction(dt, DEFAULT.glu_pulse_um, DEFAULT.glu_pulse_ms,
                                     nmda=model)
        w = weight_matrix(DEFAULT, dt, model)
        assert w[6, 1] * po == pytest.approx(DEFAULT.w_int_wdr_nmda, rel=1e-12)
    # the mixture's peak is the peak of its weighted sum, not the weighted sum of its peaks
    mix = nmda_peak_open_fraction(dt, 1000.0, 1.0, nmda="2B=0.5,2D=0.5")
    parts = [nmda_peak_open_fraction(dt, 1000.0, 1.0, nmda=s) for s in ("2B", "2D")]
    assert mix < 0.5 * sum(parts)
    assert mix > 0.5 * max(parts)
    # the site does not change the drug-free pulse (site empty)
    assert nmda_peak_open_fraction(dt, 1000.0, 1.0, nmda=NMDAParams(allo_gating_factor=3.0)) \
        == nmda_peak_open_fraction(dt, 1000.0, 1.0)


def test_named_mixtures_run_and_are_recorded():
    pr = train(3, 1.0, intensity=2.0)
    ds = simulate(pr, [Condition(), Condition(ketamine_uM=0.3)], nmda="lamina_I")
    assert ds.n_spikes.values[0] > 0
    assert "hildebrand_2014" in ds.attrs["citations"].split(";")
    assert '"lamina_I"' in ds.attrs["params"]
    b = simulate(pr, Condition(), nmda="2B=0.5,2D=0.5")
    assert b.attrs["params_hash"] != ds.attrs["params_hash"]


def test_per_population_calcium_fractions():
    # two halves with Ca2+ fractions 0.1 and 0.3 carry the Ca2+ of one set with 0.2
    pr = train(2, 1.0, intensity=2.0)
    p = NMDAParams()
    mix = NMDAMixture((("a", dataclasses.replace(p, ca_fraction=0.1), 0.5),
                       ("b", dataclasses.replace(p, ca_fraction=0.3), 0.5)))
    a = _run(pr, Condition(), mix)
    b = _run(pr, Condition(), dataclasses.replace(p, ca_fraction=0.2))
    _same(a, b, atol=1e-6)  # equal up to round-off (amplified near spikes: ~5e-9)
    c = _run(pr, Condition(), p)
    assert float(c.ca_i.max()) < float(b.ca_i.max())


def test_bad_models_raise_named_errors():
    pr = train(1, 1.0)
    with pytest.raises(InputError, match="nmda"):
        simulate(pr, nmda="fast")
    with pytest.raises(InputError, match="nmda"):
        simulate(pr, nmda=3)
    mix = NMDAMixture((("a", NMDAParams(), 0.5), ("b", NMDAParams(e_rev=5.0), 0.5)))
    with pytest.raises(InputError, match="e_rev"):
        simulate(pr, nmda=mix)
    with pytest.raises(InputError, match="nmda_expeuler"):
        simulate(pr, nmda="lamina_I", nmda_expeuler=True)
    with pytest.raises(InputError, match="nmda_expeuler"):
        simulate(pr, nmda=NMDAParams(allo_gating_factor=2.0), nmda_expeuler=True)


def test_brian2_crosscheck_path_keeps_one_population():
    pr = train(2, 1.0, intensity=2.0)
    kw = dict(exact_gates=True, nmda_expeuler=True, dt_ms=0.01, nmda_dt_ms=0.01)
    a = _run(pr, Condition(ketamine_uM=1.0), None, **kw)
    b = _run(pr, Condition(ketamine_uM=1.0), NMDAMixture((("x", NMDAParams(), 1.0),)), **kw)
    _same(a, b)


# --- the pair exchange (kernel level)

def _drive(pops, n_steps, dt, ket, mg=1.0, seed=0, x=None, m=None):
    """Step one synapse's populations through glutamate pulses and voltage swings; return
    the per-part mass after every step."""
    rng = np.random.default_rng(seed)
    if x is None:
        x, m = nmda_initial_states(pops, -65.0, mg, ket, 0.0)
    x, m = x.copy(), m.copy()
    pair = np.stack([pops.partner, pops.occupied], axis=1).astype(np.int64)
    fx = np.zeros((pops.n, 5))
    ex = np.ones((pops.n, 5))
    pair_rates(pair, pops.kon_pos, pops.koff_pos, ket, dt, fx, ex)
    ws = nmda_workspace()
    part = [k for k in range(pops.n) if pops.occupied[k] == 0]
    out = np.zeros((n_steps, len(part)))
    for i in range(n_steps):
        glu = 1000.0 if i % 50 < 10 else 0.0
        v = float(rng.uniform(-80.0, 0.0))
        populations_step(x, m, dt, v, glu, mg, ket, 0.0, pops.params, pair, fx, ex, ws)
        for j, k in enumerate(part):
            out[i, j] = m[k] + (m[pops.partner[k]] if pops.partner[k] >= 0 else 0.0)
    return x, m, out


def test_pair_exchange_conserves_each_part_over_a_run():
    mix = NMDAMixture((("a", NMDAParams(allo_gating_factor=3.0), 0.3),
                       ("b", NMDAParams(), 0.2),
                       ("c", NMDAParams(allo_gating_factor=2.0, allo_kd_uM=0.05), 0.5)))
    pops = nmda_populations(mix)
    x, m, parts = _drive(pops, 20000, 0.1, 0.3)
    np.testing.assert_allclose(parts, np.broadcast_to([0.3, 0.2, 0.5], parts.shape),
                               rtol=0.0, atol=1e-12)
    assert m[1] > 0.05 and m[4] > 0.05  # receptors did move into the occupied members
    assert np.all(x >= 0.0)
    np.testing.assert_allclose(x.sum(axis=1), 1.0, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(w=st.floats(0.05, 0.95), gating=st.floats(1.1, 20.0), ket=st.floats(0.0, 5.0),
       seed=st.integers(0, 1000))
def test_property_part_totals_stay_their_weights(w, gating, ket, seed):
    mix = NMDAMixture((("site", NMDAParams(allo_gating_factor=gating), w),
                       ("free", NMDAParams(), 1.0 - w)))
    pops = nmda_populations(mix)
    _, m, parts = _drive(pops, 2000, 0.1, ket, seed=seed)
    np.testing.assert_allclose(parts[:, 0], w, rtol=0.0, atol=1e-12)
    np.testing.assert_allclose(parts[:, 1], 1.0 - w, rtol=0.0, atol=1e-12)
    assert np.all(m >= 0.0)


def test_split_step_converges_to_the_pair_equilibrium_in_mg():
    # pair_equilibrium (detailed balance across the pair) is the fixed point of gating step +
    # exact exchange, with Mg2+ and ketamine in the pore (needs the same pore in both members)
    pops = nmda_populations(NMDAParams(allo_gating_factor=3.0))
    v, glu, mg, ket = -40.0, 10.0, 1.0, 0.5
    x = np.stack([nmda_equilibrium(-65.0, 0.0, mg, 0.0, 0.0, pops.params[k]) for k in (0, 1)])
    m = np.array([1.0, 0.0])
    pair = np.stack([pops.partner, pops.occupied], axis=1).astype(np.int64)
    fx, ex = np.zeros((2, 5)), np.ones((2, 5))
    dt = 50.0  # the fixed point of both steps does not depend on dt (trapped ketamine is slow)
    pair_rates(pair, pops.kon_pos, pops.koff_pos, ket, dt, fx, ex)
    ws = nmda_workspace()
    for _ in range(20000):
        populations_step(x, m, dt, v, glu, mg, ket, 0.0, pops.params, pair, fx, ex, ws)
    ref = pair_equilibrium(pops, v, glu, mg, ket, 0.0)
    assert ref.shape == (2, NMDA_N_STATES)
    np.testing.assert_allclose(x * m[:, None], ref, rtol=0.0, atol=1e-11)
    assert m[1] == pytest.approx(ref[1].sum(), abs=1e-11) and 0.5 < m[1] < 0.9
