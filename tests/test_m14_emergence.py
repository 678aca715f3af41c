"""M14 experiment: emergence window and risk for bolus, infusion and bolus + midazolam.

The cortical map is the brain layer's (it changes as the network is calibrated), so these
tests check the chain and the definitions, with numbers from the PK layer and by hand;
whether a window opens is reported by the experiment's story, not forced here."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ketasim.experiments import m14_emergence as E
from ketasim.experiments.registry import get


@pytest.fixture(scope="module")
def ds():
    return E.run(horizon_min=120.0, step_min=1.0)


def test_arms_and_pk(ds):
    """Kamp 2020 (default ketamine model), 2 mg/kg at 5 min, fu 0.53: the free effect-site
    peak cannot exceed D/V1 x fu / MW = 140 mg / 25 L x 0.53 / 237.73 g/mol = 12.5 uM
    (hand bound; computed 10.1 uM at 6 min, ke0 2.79/min). The 30-min infusion of the
    same dose peaks lower, at its end (35 min). Midazolam 0.03 mg/kg, Zomorodi V1 32.2 L,
    fu 0.03: bound 2.1 mg / 32.2 L x 0.03 / 325.78 = 0.0060 uM (computed 0.0035 uM)."""
    assert list(ds.arm.values) == list(E.ARMS)
    k = ds.ketamine_free_uM
    bolus, inf = k.sel(arm="bolus").values, k.sel(arm="infusion").values
    assert 9.0 < bolus.max() < 140 / 25 * 0.53 / 237.73 * 1000
    assert int(np.argmax(bolus)) == 6
    assert inf.max() < 0.4 * bolus.max() and abs(int(np.argmax(inf)) - 35) <= 1
    np.testing.assert_array_equal(k.sel(arm="bolus+midazolam").values, bolus)
    mdz = ds.midazolam_free_uM.sel(arm="bolus+midazolam").values
    assert 0.002 < mdz.max() < 2.1 / 32.2 * 0.03 / 325.78 * 1000
    assert float(ds.midazolam_free_uM.sel(arm="bolus").max()) == 0.0


def test_midazolam_reaches_the_network():
    """At its peak free level the midazolam arm's GABA-A input to the network exceeds the
    drug-free 1 (receptor layer: m(0.0035 uM) = 1 + 0.6 x 0.0035 / 0.0535 = 1.04, times
    the network's gain)."""
    from ketasim.brain.maps import cortical_state

    st = cortical_state(ketamine_uM=0.0, midazolam_uM=0.0035)
    assert float(st.gabaa_multiplier) > 1.2


def test_emergence_follows_its_definition(ds):
    """Window = minutes with responsiveness >= 0.5, integration_rel < 0.5 and free ketamine
    falling; exposure = sum of psychotomimetic over them; risk = 1 - exp(-exposure / 10):
    recomputed here with numpy from the run's own map readouts."""
    for a in E.ARMS:
        x = ds.sel(arm=a)
        k = x.ketamine_free_uM.values
        falling = np.append(k[1:] < k[:-1], k[-1] < k[-2])
        w = (x.responsiveness.values >= 0.5) & (x.integration_rel.values < 0.5) & falling
        assert float(x.window_min) == pytest.approx(w.sum() * 1.0)
        exp_min = float(np.sum(np.clip(x.psychotomimetic.values, 0, 1)[w]))
        assert float(x.exposure_min) == pytest.approx(exp_min, abs=1e-9)
        assert float(x.risk) == pytest.approx(1 - math.exp(-exp_min / 10.0))
        graded = (x.responsiveness.values >= 0.5) & falling
        assert float(x.psychotomimetic_exposure_min) == pytest.approx(
            float(np.sum(np.clip(x.psychotomimetic.values, 0, 1)[graded])), abs=1e-9)
        assert np.all(np.diff(x.emergence_risk.values) >= -1e-12)
        np.testing.assert_array_equal(x.in_window.values, w)


def test_summary_story_figure(ds):
    s = E.summary(ds)
    json.dumps(s, allow_nan=False)
    for a in E.ARMS:
        assert set(s[a]) == {"peak_ketamine_free_uM", "t_peak_min", "t_unresponsive_min",
                             "t_wake_min", "window_min", "window_start_min",
                             "window_end_min", "exposure_min", "risk",
                             "psychotomimetic_exposure_min", "psychotomimetic_max",
                             "integration_rel_min"}
        assert 0.0 <= s[a]["risk"] < 1.0
    low = s["low_dose_report_factor"]
    assert [r["ketamine_uM"] for r in low] == list(E.LOW_DOSE_UM)
    for r in low:   # perception rule: factor = responsiveness x (1 - 0.5 dissociation)
        if r["factor"] is not None:
            assert r["factor"] == pytest.approx(
                min(r["responsiveness"], 1) * (1 - 0.5 * min(max(r["dissociation"], 0), 1)))
    st = E.story(s)
    assert len(st["comparisons"]) == 4 and all(len(c) == 5 for c in st["comparisons"])
    fig = E.figure(ds)
    assert len(fig.axes) == 4
    assert get("m14-emergence").claim == "M14"
