"""Validation (not a fit): ketamine at GluN1/2A against Gilling et al. 2009 (gilling_2009).

Gilling's abstract (read at the source; human receptors in HEK cells, -70 mV, whole-cell;
the Mg2+ condition is not stated there, these potency/kinetic protocols are run Mg2+-free):
IC50 0.71 +- 0.03 uM (Hill 0.84), voltage dependence delta 0.79 +- 0.04, single-exponential
blocking kinetics k_on 0.15 +- 0.05 x 10^6 /M/s and k_off 0.22 +- 0.05 /s, full trapping.
None of these numbers entered the calibration (`ketasim.receptors.calibrate
.fit_ketamine_joint` used Kotermanski & Johnson 2009, Orser 1997 and Mealing 1999), so the
comparison below is an honest out-of-sample check, deviations included:

* delta: the model's 0.8 (0.5 entry + 0.3 exit, an estimate) agrees;
* IC50: the model (0.27 uM) is 2.6x more potent than Gilling, as it is calibrated on
  Kotermanski & Johnson's 0.33 uM: the two labs differ by ~2x;
* kinetics, measured as Gilling did (onset and offset of block under continuous agonist,
  k_off = 1/tau_off, k_on = (1/tau_on - 1/tau_off)/c): the model unblocks 2.5x more slowly
  (0.089 /s; set by Mealing's 10 s relief) and blocks 2x faster (0.27-0.31 x 10^6 /M/s).
"""

import numpy as np
import pytest
from scipy.optimize import curve_fit

from ketasim.receptors.clamp import Segment, clamp_nmda, ic50_from_curve
from ketasim.receptors.nmda import nmda_steady_state_block
from ketasim.receptors.subunits import subunit_params

V = -70.0
P2A = subunit_params("2A")


def _tau(t, i, t0, t1):
    m = (t >= t0) & (t < t1)
    x, y = t[m] - t0, i[m]
    po, _ = curve_fit(lambda s, a, tau, c: a * np.exp(-s / tau) + c, x, y,
                      p0=(y[0] - y[-1], 1000.0, y[-1]), maxfev=20000)
    return po[1]


def test_ic50_and_voltage_dependence_vs_gilling_2009():
    conc = np.logspace(-2, 2, 41)
    ic = {v: ic50_from_curve(conc, nmda_steady_state_block(
        v, glutamate_uM=1000.0, mg_mM=0.0, ketamine_uM=conc, params=P2A)) for v in (-70, -40)}
    assert ic[-70] == pytest.approx(0.274, rel=0.03)  # model value; Gilling 0.71 uM
    assert 2.0 < 0.71 / ic[-70] < 3.2  # the stated deviation (2.6x more potent)
    # effective delta from the e-fold change of IC50 with voltage (22 degC): Gilling 0.79
    delta = np.log(ic[-40] / ic[-70]) / (30.0 / 25.4)
    assert delta == pytest.approx(0.79, abs=0.12)


def test_blocking_kinetics_vs_gilling_2009():
    c = 3.0
    prot = [Segment(2000.0, V, glutamate_uM=1000.0),
            Segment(30000.0, V, glutamate_uM=1000.0, ketamine_uM=c),
            Segment(60000.0, V, glutamate_uM=1000.0)]
    ds = clamp_nmda([prot], dt_ms=1.0, start="rest", params=P2A)
    i, t = -ds.i_nmda.values[0], ds.time.values
    t_on, t_off = _tau(t, i, 2005.0, 32000.0), _tau(t, i, 32005.0, 92000.0)
    k_off = 1000.0 / t_off  # /s
    k_on = (1000.0 / t_on - 1000.0 / t_off) / (c * 1e-6)  # /M/s
    assert k_off == pytest.approx(0.089, rel=0.05)  # Gilling 0.22 +- 0.05 /s
    assert k_on / 1e6 == pytest.approx(0.30, rel=0.08)  # Gilling 0.15 +- 0.05 x 10^6
    assert 1.5 < 0.22 / k_off < 3.5 and 1.2 < (k_on / 1e6) / 0.15 < 3.0  # stated deviations
