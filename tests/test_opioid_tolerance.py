"""Opioid tolerance and opioid-induced hyperalgesia (`ketasim.spinal.opioid_adaptation`)."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.core.errors import InputError
from ketasim.experiments._pain_common import model_spec, pain_model
from ketasim.spinal.opioid_adaptation import (
    DEFAULT_ADAPTATION,
    AdaptationSpec,
    nmda_drive,
    oih_gain,
    oih_params,
    simulate_adaptation,
)
from ketasim.spinal.params import DEFAULT


@pytest.fixture(scope="module")
def model():
    return pain_model(model_spec())


def _const(m_uM, hours, a=1.0, **kw):
    n = int(round(hours * 60))
    return simulate_adaptation(np.full((1, n), m_uM), np.full((1, n), a), dt_h=1 / 60, **kw)


def test_tolerance_half_time_is_ekblom():
    """Desensitisation reaches half its steady state after 26 h of constant morphine and
    loses half after stopping: ekblom1993's tolerance compartment, t1/2 26 +- 6 h."""
    on = _const(1.0, 26.0)
    d = on["D"][0]
    r0 = on["r_eff"][0, 0] / (1 - DEFAULT_ADAPTATION.desens_max * d[0])  # undesensitised r
    assert d[-1] == pytest.approx(0.5 * r0, rel=0.01)
    off = simulate_adaptation(np.zeros((1, 26 * 60)), np.ones((1, 26 * 60)), dt_h=1 / 60,
                              state0=[[d[-1], on["Uf"][0, -1], on["Us"][0, -1]]])
    assert off["D"][0, -1] == pytest.approx(0.5 * d[-1], rel=0.01)
    assert off["Us"][0, -1] == pytest.approx(0.5 * on["Us"][0, -1], rel=0.01)


def test_no_nmda_drive_no_oih_but_tolerance():
    """Without NMDA-Ca2+ drive there is no NMDA up-regulation but desensitisation still
    develops (the two arms of the mechanism are separate; mao1995)."""
    out = _const(1.0, 24.0, a=0.0)
    assert out["Us"][0, -1] == 0.0 and out["Uf"][0, -1] == 0.0
    assert out["D"][0, -1] > 0.2
    assert float(oih_gain(0.0, 0.0)) == 1.0


def test_ketamine_drive_depends_on_concentration_and_activity(model):
    """Ketamine lowers the NMDA-Ca2+ drive more at 1 uM than at 0.3 uM, and by an amount
    that depends on the C-fibre input (the spiking model's use- and voltage-dependent NMDA
    block; property of the model, no fitted target)."""
    tab, _ = model
    c = np.array([1.0, 2.0, 4.0, 8.0])
    a0 = nmda_drive(tab, c, 0.0)
    a03 = nmda_drive(tab, c, 0.3)
    a1 = nmda_drive(tab, c, 1.0)
    assert np.all(a1 < a03) and np.all(a03 < a0)
    rel = 1 - a1 / a0
    assert rel.max() - rel.min() > 0.05       # activity dependence
    assert np.all(np.diff(a0) > 0)            # more C input, more drive
    assert np.all((a0 >= 0) & (a0 <= 1))


def test_ketamine_limits_oih_not_desensitisation(model):
    """Ketamine (1 uM) lowers NMDA up-regulation under constant morphine and leaves mu
    desensitisation unchanged (it does not act on the mu receptor at 1 uM: Hirota 1999's
    pKi 4.38 gives < 3 % occupancy)."""
    tab, _ = model
    a = nmda_drive(tab, [2.0, 2.0], [0.0, 1.0])
    n = 48 * 60
    out = simulate_adaptation(np.full((2, n), 0.1), np.repeat(a[:, None], n, axis=1),
                              dt_h=1 / 60, ketamine_uM=np.array([[0.0], [1.0]]))
    assert out["Us"][1, -1] < 0.9 * out["Us"][0, -1]
    assert out["D"][1, -1] == pytest.approx(out["D"][0, -1], rel=0.03)


def test_constant_morphine_tolerance_and_rebound(model):
    """Constant morphine for 48 h: the heat-probe analgesia fades and after stopping pain
    exceeds the drug-free baseline (ekblom1993: tolerance within a day, rebound
    hyperalgesia after infusion)."""
    from ketasim.experiments import get

    s = get("m16-tolerance-oih").summary(get("m16-tolerance-oih").run(
        hours_on=48.0, hours_off=12.0, ketamine_uM=(1.0,), remifentanil=False))
    m = s["arms"]["morphine"]
    assert m["nrs_peak_analgesia"] < m["baseline_nrs"] - 1.0
    assert m["nrs_end_infusion"] > m["nrs_peak_analgesia"] + 0.2
    assert m["overshoot_nrs"] > 0.05
    k = s["arms"]["morphine + ketamine 1 uM"]
    assert k["overshoot_nrs"] < m["overshoot_nrs"]


def test_oih_params_express_nmda_upregulation():
    """Spiking-test parameters: NMDA conductance x (1 + 0.8 Us), Mg2+ x (1 - 0.3 Uf), mu
    efficacy x (1 - 0.5 D) ([estimate] magnitudes of AdaptationSpec); identity at rest."""
    p0 = oih_params(DEFAULT, 0.0, 0.0, 0.0)
    assert p0 == DEFAULT
    p = oih_params(DEFAULT, 1.0, 1.0, 1.0)
    assert p.nmda_scale == pytest.approx(1.8 * DEFAULT.nmda_scale)
    assert p.mg_mm == pytest.approx(0.7 * DEFAULT.mg_mm)
    assert p.mu_presyn_max == pytest.approx(0.5 * DEFAULT.mu_presyn_max)
    with pytest.raises(InputError, match="us"):
        oih_params(DEFAULT, 0.0, 0.0, 1.5)


def test_spiking_model_sees_upregulated_nmda():
    """Wind-up of the spiking model grows with the OIH state's NMDA up-regulation and Mg2+
    relief (mao1995's NMDA hypothesis; chen_huang_1992)."""
    from ketasim.spinal import Condition, simulate, train

    prot = train(8, 1.0)
    ds = simulate(prot, [Condition(params=DEFAULT), Condition(params=oih_params(
        DEFAULT, 0.0, 1.0, 1.0))], seed=3)
    resp = ds.response.values.sum(axis=1)
    assert resp[1] > resp[0]


def test_spec_validation():
    """Bad parameters raise InputError naming the field."""
    with pytest.raises(InputError, match="desens_max"):
        AdaptationSpec(desens_max=2.0)
    with pytest.raises(InputError, match="t_half_tolerance_h"):
        AdaptationSpec(t_half_tolerance_h=0.0)
    with pytest.raises(InputError, match="nmda_drive"):
        simulate_adaptation(np.ones((1, 3)), np.full((1, 3), 2.0), dt_h=0.1)
    with pytest.raises(InputError, match="morphine_uM"):
        simulate_adaptation(np.ones(3), np.ones(3), dt_h=0.1)
