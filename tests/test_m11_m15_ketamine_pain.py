"""M11 (ketamine and sensitization) and M15 (descending control) experiments."""

import numpy as np
import pytest

from ketasim.experiments.registry import get


@pytest.fixture(scope="module")
def m15():
    e = get("m15-descending")
    return e.summary(e.run(ketamine_um=(0.0, 1.0, 10.0, 100.0)))


def test_m15_transporter_occupancy_from_published_affinity(m15):
    # nishimura1998: NET Ki 66.8 uM, SERT 162 uM -> occupancy c/(c + Ki) at 1 uM
    assert m15["at_1uM"]["net_occupancy"] == pytest.approx(1 / 67.8, rel=0.02)
    assert m15["sert_occupancy"][1] == pytest.approx(1 / 163.0, rel=0.02)


def test_m15_descending_contribution_is_weak_at_analgesic_levels(m15):
    # M15: the reuptake effect is real but weak at analgesic levels: < 1 percentage point of
    # extra inhibition and < 0.3 NRS at 1 uM; it grows with concentration
    extra = np.asarray(m15["extra_inhibition_pct"])
    assert 0 < m15["at_1uM"]["extra_inhibition_pct"] < 1.0
    assert np.all(np.diff(extra) > 0)
    assert abs(m15["at_1uM"]["nrs_nmda_only"] - m15["at_1uM"]["nrs_full"]) < 0.3
    assert m15["nrs_spinalized"] >= m15["nrs_full"][0]  # removing descending tone hurts more
