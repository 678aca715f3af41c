"""M3 (stimulus-response), M4 (sensitization), M7 (Ca2+-driven gain) experiments."""

import pytest

from ketasim.experiments.registry import get


@pytest.fixture(scope="module")
def m03():
    e = get("m03-stimulus-response")
    return e.summary(e.run(t_min=40.0, t_max=50.0, n_temps=11))


@pytest.fixture(scope="module")
def m04():
    e = get("m04-sensitization")
    return e.summary(e.run())


@pytest.fixture(scope="module")
def m07():
    e = get("m07-calcium-gain")
    return e.summary(e.run())


def test_m03_pain_grows_with_stimulus_and_touch_is_not_painful(m03):
    # M3: monotone, roughly proportional stimulus-response; innocuous touch -> NRS 0
    assert m03["monotone"]
    assert m03["linearity_r2"] > 0.75
    assert m03["touch_nrs"] == 0.0
    # human heat-pain thresholds lie between 41 and 49 degC (torebjork1984)
    assert 41.0 <= m03["pain_threshold_c"] <= 49.0
    # transfer anchor: 47 degC rated ~5/10 (price2008; [estimate]); spiking vs table within 1 NRS
    i = m03["temperatures_c"].index(47.0)
    assert m03["nrs"][i] == pytest.approx(5.0, abs=1.0)


def test_m07_benrath_ltp_magnitude(m07):
    # benrath2005: C-fibre field potentials 173 +- 15 % >= 1 h after HFS (calibration target)
    assert m07["gain_1h"]["control"] == pytest.approx(1.73, abs=0.15)


def test_m07_nmda_block_prevents_ltype_block_reduces(m07):
    # M7: blocking NMDA Ca2+ influx during conditioning prevents the gain increase;
    # blocking L-type channels reduces it (less than NMDA block does)
    assert m07["nmda_block_prevention_pct"] >= 70.0
    assert 0.0 < m07["ltype_block_reduction_pct"] < m07["nmda_block_prevention_pct"]


def test_m07_early_phase_decays_late_phase_persists(m07):
    # early (Shouval) phase relaxes with tau(rest) = 2.8 h (shouval2002): < 5 % left at 24 h
    assert m07["early_part_24h"] - 1 < 0.05 * (m07["early_part_end"] - 1) + 1e-6
    # late (Graupner-Brunel) phase is bistable: unchanged from 1 h to 24 h
    assert m07["late_part_24h"] == pytest.approx(m07["late_part_1h"], rel=0.02)
    assert m07["late_part_24h"] > 1.2


def test_m04_hyperalgesia_and_allodynia(m04):
    # M4: left/up shift of the stimulus-response curve and touch becomes painful
    assert m04["threshold_shift_c"] <= 0.0
    assert all(a >= b - 1e-9 for a, b in zip(m04["curve_nrs_1h"], m04["curve_nrs_before"],
                                             strict=True))
    assert m04["touch_nrs_before"] == 0.0 and m04["touch_nrs_1h"] > 0.3
    # secondary pin-prick hyperalgesia x2-3 after HFS (klein2004; prediction, band widened
    # for the +-30 % noise of the probe estimates)
    assert 1.8 <= m04["pinprick_ratio_1h"] <= 3.5


def test_m04_klein_pain_increase_is_a_prediction(m04):
    # klein2004: pain to test stimuli +27 % for > 3 h after HFS. Not fitted (the synaptic
    # gain is calibrated on rat LTP, benrath2005); accepted band 10-60 %.
    assert 10.0 <= m04["heat_increase_pct_3h"] <= 60.0
    assert m04["gain_3h"] > 1.3  # still sensitized at 3 h
