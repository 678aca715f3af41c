"""Midazolam: Zomorodi 1998 PK with an effect site, free fraction, and its GABA-A
modulation (`ketasim.pk.models.midazolam`, `ketasim.receptors.gabaa`)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from ketasim.core.errors import InputError
from ketasim.pk import free_fraction, get_model, simulate
from ketasim.pk.models.base import Covariates
from ketasim.receptors import gabaa as G


def _typical():
    p = get_model("midazolam").typical(Covariates.single())
    return {k: float(v[0]) for k, v in p.items()}


def test_zomorodi_parameters_and_terminal_half_life():
    """Zomorodi 1998 abstract: V1 32.2, V2 53, V3 245 L; CL 0.43, Q2 0.56, Q3 0.39 L/min;
    'calculated elimination half-life was 15 h' (reproduced from the eigenvalues: 15.1 h)."""
    p = _typical()
    assert (p["V1"], p["V2"], p["V3"]) == (32.2, 53.0, 245.0)
    assert (p["CL"], p["Q2"], p["Q3"]) == (0.43, 0.56, 0.39)
    a = np.array([[-(p["CL"] + p["Q2"] + p["Q3"]) / p["V1"], p["Q2"] / p["V1"],
                   p["Q3"] / p["V1"]],
                  [p["Q2"] / p["V2"], -p["Q2"] / p["V2"], 0.0],
                  [p["Q3"] / p["V3"], 0.0, -p["Q3"] / p["V3"]]])
    t_half_h = np.log(2) / -np.linalg.eigvals(a).real.max() / 60
    assert t_half_h == pytest.approx(15.0, abs=0.3)
    assert get_model("midazolam").name == "zomorodi"


def test_bolus_matches_hand_computed_exact_solution():
    """A 5 mg bolus (0.0714 mg/kg at 70 kg): plasma and effect-site concentrations equal the
    matrix-exponential solution of the 3-compartment + effect-site system built here from
    the published parameters (ke0 ln2/5.6 min, Buhrer 1990); C(0+) = D/V1 = 155 ng/mL."""
    p = _typical()
    times = np.array([0.5, 2.0, 5.0, 15.0, 60.0, 240.0])
    ds = simulate("midazolam", None, {"bolus": ["5 mg"]}, times=times)
    k = np.zeros((4, 4))
    v = np.array([p["V1"], p["V2"], p["V3"]])
    k[0, 0] = -(p["CL"] + p["Q2"] + p["Q3"]) / v[0]
    k[0, 1], k[0, 2] = p["Q2"] / v[1], p["Q3"] / v[2]   # amounts: dA1 += Q2 A2/V2 ...
    k[1, 0], k[1, 1] = p["Q2"] / v[0], -p["Q2"] / v[1]
    k[2, 0], k[2, 2] = p["Q3"] / v[0], -p["Q3"] / v[2]
    k[3, 0], k[3, 3] = p["ke0"] / v[0], -p["ke0"]        # Ce' = ke0 (C1 - Ce), Ce in mg/L
    x0 = np.array([5.0, 0.0, 0.0, 0.0])
    sol = np.array([expm(k * t) @ x0 for t in times])
    cp = sol[:, 0] / v[0] * 1000.0   # mg/L -> ng/mL
    ce = sol[:, 3] * 1000.0
    np.testing.assert_allclose(ds["midazolam_plasma_ng_mL"].values[0], cp, rtol=1e-6)
    np.testing.assert_allclose(ds["midazolam_effect_ng_mL"].values[0], ce, rtol=1e-6)
    assert 5.0 / 32.2 * 1000 == pytest.approx(155.3, abs=0.1)
    assert cp[0] < 155.3


def test_effect_site_peak_time():
    """ke0 0.124 /min (t1/2ke0 5.6 min, Buhrer 1990 [secondary]) with Zomorodi's slow
    central decline puts the effect-site peak 13.5 min after a bolus (a property of the
    combined model, computed here; not a validation: the hypnotic effect of a large dose
    starts well before the peak because Ce crosses the threshold early)."""
    ds = simulate("midazolam", None, {"bolus": ["0.05 mg/kg"]},
                  times=np.arange(0.5, 40, 0.5))
    ce = ds["midazolam_effect_ng_mL"].values[0]
    t_peak = float(ds["time"].values[np.argmax(ce)])
    assert 12.5 <= t_peak <= 14.5


def test_free_fraction():
    """Free fraction 0.03 (Hanke 2018 PBPK input; Allonen 1981: 94 % bound)."""
    assert free_fraction("midazolam") == 0.03


# --------------------------------------------------------------------- GABA-A modulation
def test_gabaa_midazolam_decay_matches_poncer_1996():
    """Poncer 1996: 100 nM midazolam prolonged mIPSC decay by ~40 %."""
    assert G.gabaa_decay_multiplier(midazolam_uM=0.1) == pytest.approx(1.40, abs=1e-9)
    assert G.gabaa_decay_multiplier(midazolam_uM="100 nM") == pytest.approx(1.40, abs=1e-9)


def test_gabaa_midazolam_ec50_and_allosteric_only():
    """Half-maximal affinity increase at the EC50 (0.05 uM [estimate], nanomolar BZ site,
    Walters 2000); no direct gating: without GABA nothing opens (gamma = 0), unlike
    propofol's direct activation at high concentrations."""
    p = G.GABAAParams()
    for c in (0.0, p.mdz_ec50, 10 * p.mdz_ec50, 1e4):
        q = G.gabaa_params_array(midazolam_uM=c)
        frac = (q[0] / p.alpha - 1.0) / (p.mdz_amax - 1.0)
        assert frac == pytest.approx(c / (c + p.mdz_ec50))
        assert q[4] == 0.0
        assert G.two_state_step(0.0, 100.0, 0.0, q) == 0.0
    # at low GABA the steady open fraction rises (potentiation), half-max near the EC50
    def open_ss(c):
        q = G.gabaa_params_array(midazolam_uM=c)
        return G.two_state_step(0.0, 1e4, 1.0, q)
    base, sat = open_ss(0.0), open_ss(1e4)
    half = open_ss(p.mdz_ec50)
    assert sat > 2.5 * base
    assert 0.35 < (half - base) / (sat - base) < 0.65


def test_gabaa_existing_api_unchanged_and_midazolam_kept_by_set_drugs():
    """Propofol/thiopental calls give the same numbers as before (Bai 1999: 1.69 at 10 uM);
    gabaa_set_drugs (old signature) keeps midazolam applied."""
    assert G.gabaa_decay_multiplier(propofol_uM=10.0) == pytest.approx(1.69, abs=0.005)
    q = G.gabaa_params_array(midazolam_uM=0.1)
    G.gabaa_set_drugs(q, 0.0, 0.0, 0.0, 0.0)
    assert q[1] / q[3] == pytest.approx(1.40)
    G.gabaa_set_midazolam(q, 0.0, 10.0, 0.0, 0.0, 0.0)
    assert q[1] / q[3] == pytest.approx(1.69, abs=0.005)
    assert q[0] == pytest.approx(G.GABAAParams().alpha)
    with pytest.raises(InputError, match="midazolam_uM"):
        G.gabaa_decay_multiplier(midazolam_uM=-1.0)
