"""Pain readout (M3): psychophysical transfer from projection output to NRS."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketasim.clinical.pain import (
    ANCHOR_NRS,
    PainTransferSpec,
    calibrate_transfer,
    heat_to_c_rate,
    nrs_from_output,
)
from ketasim.core.errors import InputError


def test_m03_heat_encoder_threshold():
    # C nociceptor heat threshold 41.5 degC (yarnitsky1992)
    assert heat_to_c_rate(41.5) == 0.0
    assert heat_to_c_rate(43.5) == pytest.approx(3.0)


def test_m03_calibration_on_a_nonlinear_neuron():
    # an expansive neuron (output ~ r^1.5): the calibrated transfer puts NRS 0 at the
    # nociceptor pain threshold 0.5 Hz (tillman1995), 5 at the 47 degC anchor (price2008;
    # [estimate]) and is near-linear in nociceptor rate in between (torebjork1984)
    r = np.linspace(0, 15, 61)
    y = 2.0 * r ** 1.5
    s = calibrate_transfer(r, y)
    assert nrs_from_output(2.0 * 0.5 ** 1.5, s) == pytest.approx(0.0, abs=1e-9)
    r_anchor = heat_to_c_rate(47.0)
    assert nrs_from_output(2.0 * r_anchor ** 1.5, s) == pytest.approx(ANCHOR_NRS, abs=1e-6)
    mid = 0.5 + (r_anchor - 0.5) / 2
    assert nrs_from_output(2.0 * mid ** 1.5, s) == pytest.approx(2.5, abs=0.35)


@settings(max_examples=30, deadline=None)
@given(st.floats(0, 200), st.floats(0, 200))
def test_nrs_bounded_and_monotone(a, b):
    s = PainTransferSpec(5.0, 10.0, 1.3)
    lo, hi = sorted((a, b))
    v = nrs_from_output([lo, hi], s)
    assert 0 <= v[0] <= v[1] <= 10


def test_below_threshold_is_zero_and_bad_input():
    s = PainTransferSpec(5.0, 10.0)
    assert nrs_from_output(4.99, s) == 0.0
    with pytest.raises(InputError, match="rate_Hz"):
        nrs_from_output(-1.0, s)
    with pytest.raises(InputError, match="temperature_c"):
        heat_to_c_rate(99.0)


def test_docstring_examples():
    import doctest

    import ketasim.clinical.pain as m

    res = doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
