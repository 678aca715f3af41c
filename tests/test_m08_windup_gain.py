"""m08-windup-gain: how the WDR model turns NMDA conductance into wind-up.

The numbers asserted here are properties of the model as calibrated (ketasim.spinal.params),
not fitted targets: no verified graded NMDA-antagonist data on wind-up exist to fit them on.
Only the full-block checks rest on a source (dickenson1987: the first C response is kept and
wind-up is flat with AP5, the model's own calibration target), and the knock-outs on a
qualitative one (morisset1999: plateau potentials are L-type and I_CAN dependent).
"""

from __future__ import annotations

import pytest

from ketasim.core.errors import KetasimError
from ketasim.experiments import get
from ketasim.report import check_story

EXP = get("m08-windup-gain")


@pytest.fixture(scope="module")
def s1():
    """1 Hz, 15 shocks, intact and both knock-outs (12 conditions in one batch)."""
    return EXP.summary(EXP.run(nmda_scales=(1.0, 0.83, 0.5, 0.0), frequencies_Hz=(1.0,)))


@pytest.fixture(scope="module")
def s05():
    """0.5 Hz, 15 shocks, intact and without I_CAN."""
    return EXP.summary(EXP.run(nmda_scales=(0.5, 0.7, 0.83, 1.0), frequencies_Hz=(0.5,),
                               knockouts="no_can"))


def test_calibration_full_block_keeps_first_response_and_flattens_windup(s1):
    # dickenson1987 (the model's own calibration target)
    c = s1["per_frequency"]["1 Hz"]["control"]
    assert s1["nmda_scales"] == [1.0, 0.83, 0.5, 0.0]
    assert c["first"][-1] >= 0.7 * c["first"][0]
    assert c["plateau"][-1] <= 1.3 * c["first"][-1]
    assert c["plateau_stimulus"][-1] is None  # no wind-up, no plateau


def test_windup_saturates_at_1_Hz_so_partial_block_barely_moves_it(s1):
    # model property: ~37 spikes per shock from shock 5, ~23 after-discharge spikes
    c = s1["per_frequency"]["1 Hz"]["control"]
    assert c["first"][0] == pytest.approx(10, abs=1)
    assert c["plateau"][0] == pytest.approx(37, abs=2)
    assert c["after_discharge_plateau"][0] == pytest.approx(23, abs=2)
    assert 4 <= c["plateau_stimulus"][0] <= 6
    # 17 % less NMDA conductance: total 490 -> 469 spikes (-4 %)
    assert c["total"][0] == pytest.approx(490, rel=0.05)
    assert 0.92 <= c["total_rel"][1] <= 1.0
    assert c["elasticity"] < 0.5  # far less than proportional
    # the plateau is only delayed: reached later, same height
    assert c["plateau"][1] == pytest.approx(c["plateau"][0], abs=2)
    assert c["plateau_stimulus"][2] > c["plateau_stimulus"][0]
    assert 0.3 <= c["nmda_half_windup"] <= 0.5


def test_windup_at_half_Hz_has_a_threshold_in_nmda_conductance(s05):
    c = s05["per_frequency"]["0.5 Hz"]["control"]
    assert s05["nmda_scales"] == [1.0, 0.83, 0.7, 0.5]  # sorted, descending
    assert 0.7 <= c["total_rel"][1] <= 0.85             # model: 0.78
    assert c["absolute_windup"][-1] <= 0.1 * c["absolute_windup"][0]  # gone at scale 0.5
    assert 0.7 <= c["nmda_half_windup"] <= 0.85         # model: 0.79
    assert c["nmda_windup_width"] < 0.45                # model: 0.33 (90 % -> 10 %)


def test_windup_rides_entirely_on_i_can(s1, s05):
    # morisset1999: flufenamate (I_CAN) cuts maximum firing and after-discharge; in the model
    # removing I_CAN removes wind-up altogether, and with it any gain from NMDA conductance
    for s, fk in ((s1, "1 Hz"), (s05, "0.5 Hz")):
        k = s["knockouts"][fk]["no_can"]
        n = s["per_frequency"][fk]["no_can"]
        assert k["first_rel"] == pytest.approx(1.0, abs=0.15)
        assert k["absolute_windup_rel"] < 0.1
        assert k["plateau_rel"] < 0.35
        assert k["after_discharge_plateau_rel"] == 0.0
        assert all(x is None for x in n["plateau_stimulus"])
        assert all(abs(t - 1.0) < 0.1 for t in n["total_rel"])  # flat in NMDA conductance


def test_without_l_type_the_after_discharge_shrinks_and_first_response_rises(s1):
    # morisset1999: nifedipine-sensitive plateau; the rise of the first response is a model
    # property (L-type Ca2+ also feeds K(Ca))
    k = s1["knockouts"]["1 Hz"]["no_cal"]
    assert k["after_discharge_plateau_rel"] < 0.6   # model: 0.43
    assert k["absolute_windup_rel"] < 0.7           # model: 0.46
    assert k["first_rel"] > 1.1                     # model: 1.3


def test_story_is_complete_and_says_the_response_saturates(s1, s05):
    st = check_story(EXP.story(s1), "m08-windup-gain")
    assert all(met for *_, met in st["comparisons"])
    assert any("barely moves wind-up" in d for d in st["deviations"])
    assert any("I_CAN" in d for d in st["deviations"])
    st = check_story(EXP.story(s05), "m08-windup-gain")
    assert any("threshold" in d for d in st["deviations"])


def test_figure_has_four_readable_panels(s1):
    from ketasim.report.html import small_fonts

    fig = EXP.figure(EXP.run(nmda_scales=(1.0, 0.0), frequencies_Hz=(1.0,), n_stimuli=4,
                             knockouts="no_can"))
    assert len(fig.axes) == 4
    assert small_fonts(fig) == []


@pytest.mark.parametrize("kwargs, field", [
    ({"nmda_scales": (0.9, 0.5)}, "nmda_scales"),       # no control
    ({"nmda_scales": (1.0, 1.5)}, "nmda_scales"),
    ({"frequencies_Hz": (0.0,)}, "frequencies_Hz"),
    ({"knockouts": ("no_nmda",)}, "knockouts"),
    ({"n_stimuli": 3}, "n_stimuli"),
    ({"seed": -1}, "seed"),
])
def test_bad_input_names_the_argument(kwargs, field):
    with pytest.raises(KetasimError, match=field):
        EXP.run(**kwargs)
