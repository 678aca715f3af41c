"""A scenario chooses the spinal NMDA receptors: subunit composition and ketamine's
allosteric site (``spinal:`` section). Expected values: the spinal model's own outputs with
the same NMDA model passed directly (the runner must only forward the choice)."""

from __future__ import annotations

import pytest

from ketasim.core.errors import InputError
from ketasim.receptors.calibrate import ALLO_GATING_FACTOR_ORSER
from ketasim.scenarios import load_scenario
from ketasim.scenarios.runner import spinal_nmda
from ketasim.scenarios.schema import Spinal

DOC = {"name": "site", "horizon": "1 h", "condition": {"kind": "healthy"},
       "regimens": [{"drug": "ketamine", "doses": [{"kind": "infusion",
                                                    "rate": "0.3 mg/kg/h", "start": "0 min"}]}],
       "tests": [{"kind": "windup", "time": "50 min", "n_shocks": 4}]}


def test_default_section_is_the_default_model():
    """No ``spinal`` section: the default NMDA model (None), as before the section existed."""
    s = load_scenario(DOC)
    assert s.spinal == Spinal() and spinal_nmda(s.spinal) is None


def test_choices_build_the_named_models():
    """lamina_I is the composition of `ketasim.receptors.subunits`; 'orser' puts every part's
    site at the upper bound (m_max, m09-allosteric)."""
    m = spinal_nmda(Spinal(nmda="lamina_I", allosteric_site="orser"))
    assert m.labels == ("2A", "2B", "2D")
    assert all(p.allo_gating_factor == ALLO_GATING_FACTOR_ORSER for _, p, _ in m.parts)
    d = spinal_nmda(Spinal(allosteric_site="orser"))
    assert len(d.parts) == 1 and d.parts[0][1].allo_gating_factor == ALLO_GATING_FACTOR_ORSER
    assert spinal_nmda(Spinal(nmda="deep_wdr")).labels == ("2A", "2B")


@pytest.mark.parametrize("bad", [{"nmda": "2Z"}, {"allosteric_site": "max"}, {"foo": 1}])
def test_bad_choice_names_the_field(bad):
    with pytest.raises(InputError) as e:
        load_scenario({**DOC, "spinal": bad})
    assert "spinal" in str(e.value)


def test_the_site_reaches_the_windup_test():
    """0.3 mg/kg/h gives ~0.3 uM free ketamine: the pore alone leaves wind-up almost intact
    (issue 9), the site at its upper bound lowers it (m02: wind-up 'site' < 'none')."""
    import ketasim

    base = ketasim.simulate(load_scenario(DOC))
    site = ketasim.simulate(load_scenario({**DOC, "spinal": {"allosteric_site": "orser"}}))
    n0 = float(base.test_spikes_per_stimulus.values[0].sum())
    n1 = float(site.test_spikes_per_stimulus.values[0].sum())
    assert n1 < n0
