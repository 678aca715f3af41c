"""Agreement with independent open implementations on the same regimens (within 0.5 %).

PyTCI 1.2.0 (exact integrator) and opentiva 1.1.2 are test-only dependencies installed by
`make test` (Makefile target ``$(VENV)/.peers``). Known port mistakes are excluded and
asserted against the paper instead (see the comments).
"""

import warnings

import numpy as np
import pytest

from ketasim.pk import simulate

pytestmark = pytest.mark.peers
pytci = pytest.importorskip("PyTCI", reason="test-only peer: make test installs it")
opentiva = pytest.importorskip("opentiva", reason="test-only peer: make test installs it")
from opentiva import ketamine as ot_ket  # noqa: E402
from opentiva import propofol as ot_ppf  # noqa: E402
from opentiva import pump as ot_pump  # noqa: E402
from PyTCI.models import propofol as pt_ppf  # noqa: E402
from PyTCI.models import remifentanil as pt_remi  # noqa: E402

ADULT = dict(weight_kg=70.0, age_yr=40.0, height_cm=170.0, sex="male")
#: Regimen: 1 mg/kg over 10 s, then 0.15 mg/kg/h from 60 s to 7200 s (both codes exact for
#: zero-order input, so the bolus is given as the same 10-s infusion to both).
TIMES_S = np.array([5, 30, 60, 120, 300, 600, 1800, 3600, 7199])


def _ours(drug, model, pat=ADULT, bolus_mgkg=1.0, rate_mgkgh=0.15):
    ds = simulate(drug, model, {"bolus": [f"{bolus_mgkg} mg/kg over 10 s"],
                                "infusion": [f"{rate_mgkgh} mg/kg/h at 60 s for 7140 s"]},
                  pat, TIMES_S / 60.0)
    return ds[f"{drug}_plasma_ng_mL"].values[0], ds[f"{drug}_effect_ng_mL"].values[0]


def _opentiva(model, w=70.0, bolus_mgkg=1.0, rate_mgkgh=0.15):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = ot_pump.Pump(model, 10, 7200)
        p.add_infusion(0, bolus_mgkg * w / 10, 10)
        p.add_infusion(60, rate_mgkgh * w / 3600, 7140)
        out = p.run()
    idx = [int(np.argmin(np.abs(out[:, 0] - t))) for t in TIMES_S]
    return out[idx, 1] * 1000, out[idx, 2] * 1000  # mg/mL-labelled mg/L -> ng/mL


@pytest.mark.parametrize("name,cls", [("domino", ot_ket.Domino),
                                      ("clements", ot_ket.Clements250),
                                      ("marsh", ot_ppf.MarshDiprifusor)])
def test_plasma_matches_opentiva(name, cls):
    drug = "propofol" if name == "marsh" else "ketamine"
    cp, ce = _ours(drug, name)
    ocp, oce = _opentiva(cls(0, 40, 70, 170))
    # source: opentiva 1.1.2 closed-form polyexponential plasma solution, same regimen
    np.testing.assert_allclose(cp, ocp, rtol=5e-3)
    # opentiva's effect site is a per-second discrete approximation that starts one
    # second late (calculate_ce returns 0 while the previous Cp is 0): compare after the
    # transients (>= 10 min); early Ce is checked against PyTCI's exact integrator below.
    late = TIMES_S >= 600
    np.testing.assert_allclose(ce[late], oce[late], rtol=5e-3)


def test_schnider_opentiva_age_bug_excluded():
    """opentiva's Schnider uses V2 = 18.9 - 0.391 (age - 52); the paper has (age - 53)."""
    m = ot_ppf.Schnider(0, 40, 70, 170)
    assert m.v2 == pytest.approx(18.9 - 0.391 * (40 - 52))  # the port's mistake
    from ketasim.pk import get_model
    from ketasim.pk.models.base import Covariates
    ours = get_model("propofol", "schnider").parameters(Covariates.single(70, 40, 170, "m"))
    # schnider1998: V2 = 18.9 - 0.391 (age - 53) L -> 23.983 L at 40 y
    assert ours["V2"][0] == pytest.approx(23.983, abs=1e-3)


def _pytci(model, w=70.0, bolus_mgkg=1.0, rate_mgkgh=0.15):
    model.set_integrator("exact")
    t_prev, cp, ce = 0.0, [], []
    for t in TIMES_S:
        # advance piecewise: bolus 0-10 s, nothing 10-60 s, infusion 60-7200 s
        for a, b, rate in ((0, 10, bolus_mgkg * w / 10), (10, 60, 0.0),
                           (60, 7200, rate_mgkgh * w / 3600)):
            lo, hi = max(a, t_prev), min(b, t)
            if hi > lo:
                model.giveoverseconds(rate, hi - lo)
        t_prev = t
        cp.append(model.x1 * 1000)
        ce.append(model.xeo * 1000)
    return np.array(cp), np.array(ce)


@pytest.mark.parametrize("drug,name,factory", [
    ("propofol", "schnider", lambda: pt_ppf.Schnider(40, 70, 170, "m")),
    ("remifentanil", "minto", lambda: pt_remi.Minto(40, 70, 170, "m")),
    ("remifentanil", "eleveld", lambda: pt_remi.Eleveld(40, 70, 170, "m")),
])
def test_plasma_and_effect_match_pytci_exact(drug, name, factory):
    # remifentanil doses are in mg here too: PyTCI is unit-agnostic (dose units / L)
    b, r = (1.0, 0.15) if drug == "propofol" else (0.001, 0.015)
    cp, ce = _ours(drug, name, bolus_mgkg=b, rate_mgkgh=r)
    pcp, pce = _pytci(factory(), bolus_mgkg=b, rate_mgkgh=r)
    # source: PyTCI 1.2.0, set_integrator('exact') (matrix exponential), same regimen
    np.testing.assert_allclose(cp, pcp, rtol=5e-3)
    np.testing.assert_allclose(ce, pce, rtol=5e-3)


def test_marsh_matches_pytci_except_its_k31():
    """PyTCI's Marsh uses k13 0.042 and k31 0.0031; the Diprifusor (and opentiva, tci) use
    k13 0.0419 and k31 0.0033. With PyTCI's constants our solver agrees to 0.5 %; with the
    published constants the difference grows to 1.1 % at 2 h (asserted, so a change shows)."""
    pcp, pce = _pytci(pt_ppf.Marsh(70))
    from ketasim.pk.models.base import from_micro
    from ketasim.pk.simulate import build_system
    from ketasim.pk.solver import solve_linear
    p = from_micro(np.array([0.228 * 70]), 0.119, 0.112, 0.042, 0.055, 0.0031)
    p["ke0"] = np.array([0.26])
    s = build_system(p, species="propofol", metabolite=None)
    y = solve_linear(s.A, s.b, s.C, TIMES_S / 60, [], [(0, 10 / 60, np.array([420.0])),
                                                       (1, 120, np.array([0.175]))])
    np.testing.assert_allclose(y[0, 0], pcp, rtol=5e-3)
    np.testing.assert_allclose(y[0, 1], pce, rtol=5e-3)
    cp, _ = _ours("propofol", "marsh")
    assert 0.005 < np.max(np.abs(cp / pcp - 1)) < 0.015  # 1.1 % at 2 h


def test_eleveld_propofol_pytci_q2_deviation_documented():
    """PyTCI's Eleveld uses Q2 = theta5 (V2/V2ref)^0.75 (1 + theta16 (1 - fQ3mat/fQ3mat_ref));
    the NONMEM code (as ported by the R package tci) and opentiva have (1 - fQ3mat), which
    we follow. The two differ by exactly that factor (5 % at 40 y); the rest agrees."""
    pt = pt_ppf.Eleveld(40, 70, 170, "m")
    from ketasim.pk import get_model
    from ketasim.pk.models.base import Covariates
    ours = get_model("propofol", "eleveld").parameters(Covariates.single(70, 40, 170, "m"))
    q3mat = (40 * 52 + 40) / (40 * 52 + 40 + 68.3)
    q3ref = (35 * 52 + 40) / (35 * 52 + 40 + 68.3)
    theirs = pt.Q2 / (1 + 1.30 * (1 - q3mat / q3ref))
    assert ours["Q2"][0] == pytest.approx(theirs * (1 + 1.30 * (1 - q3mat)), rel=1e-9)
    for k, v in (("V1", pt.v1), ("V2", pt.v2), ("CL", pt.Q1), ("Q3", pt.Q3)):
        assert ours[k][0] == pytest.approx(v, rel=1e-3)
