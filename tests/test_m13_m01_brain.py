"""Brain experiments: brain-dose-sweep, m13-bolus-integration, m01-brain-sedatives."""

import pytest

from ketasim.experiments.registry import get


@pytest.fixture(scope="module")
def sweep():
    exp = get("brain-dose-sweep")
    return exp.summary(exp.run(detail_ms=1500.0))


def test_brain_dose_sweep_keys_and_units(sweep):
    """Documented keys per drug and concentration; ng/mL -> free uM with pk fu and MW
    (propofol 2.8 ug/mL x 0.015 / 178.27 = 0.236 uM)."""
    keys = {"effect_ng_mL", "free_uM", "responsiveness", "integration", "dissociation",
            "psychotomimetic", "pci", "lzc", "feedback", "feedforward", "gamma_rel",
            "alpha_rel", "delta_rel"}
    for drug in ("ketamine", "propofol", "thiopental"):
        assert sweep[drug] and all(set(r) == keys for r in sweep[drug])
    prop = {r["effect_ng_mL"]: r for r in sweep["propofol"]}
    assert prop[2800.0]["free_uM"] == pytest.approx(0.2356, abs=1e-3)


def test_ketamine_keeps_responsiveness_and_raises_gamma(sweep):
    """Ketamine: gamma power rises (Homayoun & Moghaddam 2007 mechanism; de la Salle 2016
    human EEG) while the cortex stays responsive at sub-anaesthetic levels (<= 300 ng/mL,
    seed claim M2/M12); propofol at 4 ug/mL is below 0.5 (Milne 2003 EC95 4.1 ug/mL)."""
    ket = sweep["ketamine"]
    assert max(r["gamma_rel"] for r in ket) > 1.2
    assert all(r["responsiveness"] > 0.8 for r in ket if r["effect_ng_mL"] <= 300)
    prop = {r["effect_ng_mL"]: r for r in sweep["propofol"]}
    assert prop[4000.0]["responsiveness"] < 0.5
    assert prop[4000.0]["alpha_rel"] > 2.0  # propofol alpha (Akeju 2016; Ching 2010)


@pytest.fixture(scope="module")
def m13():
    exp = get("m13-bolus-integration")
    return exp.summary(exp.run(horizon_min=60.0, detail_ms=1500.0))


def test_m13_bolus_course(m13):
    """2 mg/kg bolus: effect-site peak within minutes (Domino 1982 ketamine PK via the PK
    layer), and the feedback share of directed transfer falls at the peak (Lee 2013:
    ketamine reduces frontal -> parietal feedback more than feedforward)."""
    assert 1000.0 < m13["peak_effect_ng_mL"] < 8000.0
    assert m13["t_peak_min"] <= 5.0
    assert m13["feedback_share_at_peak"] < 0.5 * m13["feedback_share_awake"]


@pytest.mark.xfail(strict=True, reason="M13 integration collapse is not reproduced: the "
                   "network's inter-regional wPLI rises with ketamine (disinhibition "
                   "synchronises beta/low gamma over the AMPA feedforward path); the m13 story "
                   "states it")
def test_m13_integration_collapses_and_recovers(m13):
    """Seed claim M13: after a 1-2 mg/kg bolus integration collapses (here: falls below 50 %
    of drug-free) and recovers as Ce falls (Lee 2013; Sarasso 2015)."""
    assert m13["integration_min"] < 0.5 * m13["integration_awake"]
    assert m13["t_recovery_min"] is not None and m13["t_recovery_min"] > m13["t_peak_min"]


def test_m01_sedatives_cortex_off_windup_kept():
    """M1: at the hypnotics' Ce50 and 1.5 x, cortical responsiveness <= ~0.5 (calibrated at
    the Ce50: Milne 2003, Hung 1992) while spinal wind-up stays >= 80 % of control (seed
    claim M1); ketamine 2 ug/mL leaves the cortex responsive in this model."""
    exp = get("m01-brain-sedatives")
    s = exp.summary(exp.run())
    for k in ("propofol 4.2 ug/mL", "thiopental 23.4 ug/mL"):
        assert s[k]["responsiveness"] < 0.4
    for k in ("propofol 2.8 ug/mL", "thiopental 15.6 ug/mL"):
        assert s[k]["responsiveness"] < 0.7
        assert s[k]["absolute_windup_rel"] >= 0.8
