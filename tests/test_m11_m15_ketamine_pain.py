"""M11 (ketamine and sensitization) and M15 (descending control) experiments."""

import numpy as np
import pytest

from ketasim.experiments.registry import get


@pytest.fixture(scope="module")
def m15():
    e = get("m15-descending")
    return e.summary(e.run(ketamine_uM=(0.0, 1.0, 10.0, 100.0)))


def test_m15_transporter_occupancy_from_published_affinity(m15):
    # nishimura_1998: NET Ki 66.8 uM, SERT 162 uM -> occupancy c/(c + Ki) at 1 uM
    assert m15["at_1uM"]["net_occupancy"] == pytest.approx(1 / 67.8, rel=0.02)
    assert m15["sert_occupancy"][1] == pytest.approx(1 / 163.0, rel=0.02)


def test_m15_descending_contribution_is_weak_at_analgesic_levels(m15):
    # M15: the reuptake effect is real but weak at analgesic levels: < 1 percentage point of
    # extra inhibition and < 0.3 NRS at 1 uM; it grows with concentration
    extra = np.asarray(m15["extra_inhibition_pct"])
    assert 0 < m15["at_1uM"]["extra_inhibition_pct"] < 1.0
    assert np.all(np.diff(extra) > 0)
    assert abs(m15["at_1uM"]["nrs_nmda_only"] - m15["at_1uM"]["nrs_full"]) < 0.3
    assert m15["nrs_spinalized"] >= m15["nrs_full"][0]  # removing descending tone hurts more


@pytest.fixture(scope="module")
def m11():
    e = get("m11-ketamine-sensitization")
    return e.summary(e.run())


def test_m11_prevention_grows_with_ketamine(m11):
    # M11 (a): NMDA block during conditioning prevents the gain increase, dose-dependently
    # (benrath2005: low-dose S(+)-ketamine before HFS blocked LTP; validation, not fitted).
    # The receptor layer's potency in 1 mM Mg2+ (IC50 ~5.5 uM) puts most of the effect at
    # tens of uM; the clinical range gives a partial effect (reported, not asserted).
    p = m11["prevention_pct"]
    assert all(b >= a - 2.0 for a, b in zip(p, p[1:], strict=False))
    assert p[-1] > 30.0


def test_m11_reversal_acts_on_expression_not_on_the_stored_state(m11):
    # M11 (b): with ketamine present the sensitized responses fall (expression); after
    # washout the late-phase state is unchanged (bistable late phase, no drive to depress)
    assert m11["reversal_heat_nrs"][-1] < m11["reversal_heat_nrs"][0]
    assert m11["reversal_touch_nrs"][-1] < m11["reversal_touch_nrs"][0]
    assert m11["gain_after_ketamine_washout"] == pytest.approx(
        m11["gain_same_time_no_ketamine"], rel=0.02)


def test_m11_neuropathic_ketamine_beats_equianalgesic_opioid(m11):
    # M11 (c): at doses equi-analgesic for acute heat pain, ketamine relieves ongoing
    # neuropathic pain more than the opioid (presynaptic mu action lost on injured
    # afferents, kohno2005; ectopic A-fibre drive has no mu receptors to act on)
    npd = m11["neuropathic"]
    eq = npd["equianalgesic_normal_relief_pct"]
    assert eq["ketamine"] == pytest.approx(eq["opioid"], abs=1.0)
    assert npd["ongoing_relief_pct"]["ketamine"] > npd["ongoing_relief_pct"]["opioid"] + 10


def test_m11_opioid_relief_is_computed_not_copied(m11):
    # the opioid's acute relief is its own spiking result at the chosen mu occupancy: the
    # expected value comes from an independent run of the spiking model (47 degC heat, same
    # seed and window as the experiment) through the calibrated pain transfer
    from ketasim.clinical.pain import heat_to_c_rate, nrs_from_output
    from ketasim.experiments._pain_common import TEST_TEMPERATURE_C, pain_model, spiking_steady
    from ketasim.spinal import Condition

    npd = m11["neuropathic"]
    mu = npd["mu_occupancy"]
    assert 0.0 < mu < 1.0
    _, transfer = pain_model()
    r = float(heat_to_c_rate(TEST_TEMPERATURE_C))
    base, opioid = spiking_steady([Condition(), Condition(mu_occupancy=mu)], c_rate_Hz=r,
                                  duration_ms=12000.0, seed=3)
    n0, n_o = nrs_from_output([base, opioid], transfer)
    expected = 100 * (1 - n_o / n0)
    assert npd["equianalgesic_normal_relief_pct"]["opioid"] == pytest.approx(expected, abs=1e-6)


def test_experiment_parameters_are_validated():
    from ketasim.core.errors import InputError

    with pytest.raises(InputError, match="ketamine_eq_uM"):
        get("m11-ketamine-sensitization").run(ketamine_eq_uM=-1.0)
    with pytest.raises(InputError, match=r"ketamine_uM\[1\]"):
        get("m15-descending").run(ketamine_uM=(0.0, -3.0))
    with pytest.raises(InputError, match="mode"):
        get("m04-sensitization").run(mode="burn")
    with pytest.raises(InputError, match="n_temps"):
        get("m03-stimulus-response").run(n_temps=0)
    with pytest.raises(InputError, match="hours"):
        get("m07-calcium-gain").run(hours=0.0)


def test_m15_low_dose_ketamine_spares_normal_responses(m15):
    # benrath2005: low-dose S(+)-ketamine "does not affect C-fibre-evoked potentials alone";
    # in the model 1 uM free ketamine changes the unsensitized heat response by < 5 %
    # (validation of use-dependence, M10; not fitted)
    base = m15["nrs_full"][0]
    assert m15["at_1uM"]["nrs_full"] == pytest.approx(base, rel=0.05)


def test_m11_partial_block_during_ongoing_drive_lowers_the_state(m11):
    # a partial NMDA block while the injury-like drive continues moves the stored gain down
    # (Ca2+ shifts towards the depression side of the rules; shouval2002, graupner2012),
    # unlike a block at rest (previous test). Size: reported; here only its sign and bound.
    g = m11["ongoing_drive_gain"]
    assert g["ketamine_from_12h"] < g["no_ketamine"]
    assert 0 < m11["ongoing_drive_state_reversal_pct"] < 100


def test_m11_equianalgesic_opioid_relief_comes_from_its_own_run():
    # at 1 uM the interpolated occupancy gives an opioid relief (3.49 %) that differs from
    # ketamine's (2.18 %) by the spike-count discreteness of a 6 s window; the value returned
    # must be the opioid's, checked against an independent spiking run at that occupancy
    from ketasim.clinical.pain import heat_to_c_rate, nrs_from_output
    from ketasim.experiments._pain_common import TEST_TEMPERATURE_C, pain_model, spiking_steady
    from ketasim.experiments.m11_ketamine_sensitization import _equianalgesic_mu
    from ketasim.spinal import Condition

    mu, relief_k, relief_o = _equianalgesic_mu(1.0, 3, 12000.0)
    _, transfer = pain_model()
    r = float(heat_to_c_rate(TEST_TEMPERATURE_C))
    base, opioid = spiking_steady([Condition(), Condition(mu_occupancy=mu)], c_rate_Hz=r,
                                  duration_ms=12000.0, seed=3)
    n0, n_o = nrs_from_output([base, opioid], transfer)
    assert relief_o == pytest.approx(100 * (1 - n_o / n0), abs=1e-9)
    assert relief_o == pytest.approx(relief_k, abs=2.0)  # equi-analgesic within the grid error
