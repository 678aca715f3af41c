"""Brain network: structure, receptor-layer drug inputs, disinhibition, determinism, errors."""

import numpy as np
import pytest

from ketasim.brain import BrainParams, network_summary, simulate
from ketasim.brain import measures as M
from ketasim.brain.network import _u_table, gabaa_effect, hcn_factor
from ketasim.core.errors import InputError

V_MINUS_60 = 40  # index of -60 mV in the u(V) table (-100 mV + 40 x 1 mV)


def test_structure_sizes():
    """Three cortical regions of 160 pyramidal + 40 FS cells (E:I 4:1), thalamus 40 + 40."""
    s = network_summary()
    assert s["neurons"] == 680
    assert s["populations"]["frontal_e"] == 4 * s["populations"]["frontal_i"]
    assert s["long_range_synapses"] > 0 and s["local_synapses"] > s["long_range_synapses"]


def test_ketamine_blocks_glun2d_more_than_glun2a_in_mg():
    """Receptor layer in 1 mM Mg2+ at -60 mV: ketamine 3 uM removes a larger share of the
    GluN2D conductance (weak Mg2+ block, Qian 2005 "at least 4-fold weaker") than of GluN2A
    (Kotermanski & Johnson 2009: ketamine more potent on 2C/2D in Mg2+)."""
    fs = BrainParams().fs_nmda
    pyr = BrainParams().pyr_nmda
    rel_2d = _u_table(fs, 2, 1.0, 3.0)[V_MINUS_60] / _u_table(fs, 2, 1.0, 0.0)[V_MINUS_60]
    rel_2a = _u_table(pyr, 0, 1.0, 3.0)[V_MINUS_60] / _u_table(pyr, 0, 1.0, 0.0)[V_MINUS_60]
    assert rel_2d < rel_2a - 0.1
    # Mg2+ block itself (Jahr & Stevens 1990 for 2A): unblocked fraction at -60 mV ~0.08
    assert _u_table(pyr, 0, 1.0, 0.0)[V_MINUS_60] == pytest.approx(0.08, abs=0.02)


def test_gabaa_gains_hit_the_calibration_multiplier():
    """Each hypnotic at its free Ce50 for loss of responsiveness gives the network multiplier
    m50 = 2.9 (propofol 2.8 ug/mL, Milne 2003; thiopental 15.6 ug/mL, Hung 1992; midazolam
    304 ng/mL, Barr 2001; free via pk fu)."""
    p = BrainParams()
    assert gabaa_effect(p, 0.2356, 0, 0, 0)[0] == pytest.approx(2.9, abs=0.02)
    assert gabaa_effect(p, 0, 9.656, 0, 0)[0] == pytest.approx(2.9, abs=0.02)
    assert gabaa_effect(p, 0, 0, 0.028, 0)[0] == pytest.approx(2.9, abs=0.05)
    assert gabaa_effect(p, 0, 0, 0, 10.0)[0] < 1.03  # ketamine's own (Gage & Robertson 1985)


def test_hcn_switch():
    """Ih inhibition only with the switch on; half at the HCN1 IC50 (Chen 2009, ~8 uM)."""
    assert hcn_factor(BrainParams(), 8.0) == 1.0
    assert hcn_factor(BrainParams(hcn_ketamine=True), 8.0) == pytest.approx(0.5)


def test_ketamine_disinhibition_and_gamma():
    """NMDA block on FS interneurons lowers their firing and raises pyramidal firing
    (Homayoun & Moghaddam 2007), and gamma power of the EEG proxy rises at sub-anaesthetic
    to anaesthetic levels (de la Salle 2016; Susin & Destexhe): FS rate -10 % or more at
    10 uM, pyramidal rate up, gamma x1.1 or more."""
    ds = simulate(ketamine_uM=[0.0, 3.0, 10.0], duration_ms=3000.0, seed=1)
    r = ds.rate_Hz.isel(time=slice(500, None)).mean("time")
    fs = r.sel(population=["sensory_i", "parietal_i", "frontal_i"]).mean("population").values
    pyr = r.sel(population=["sensory_e", "parietal_e", "frontal_e"]).mean("population").values
    assert fs[2] < 0.9 * fs[0]
    assert pyr[2] > 1.03 * pyr[0]
    x = ds.eeg.isel(region=slice(0, 3), time=slice(500, None)).values
    g = M.band_powers(x, 1000.0)["gamma"].mean(-1)
    assert g[1] > 1.1 * g[0] and g[2] > 1.1 * g[0]


def test_common_random_numbers_and_determinism():
    """A condition's result does not depend on the batch it runs in; same seed, same numbers."""
    a = simulate(ketamine_uM=[0.0, 3.0], duration_ms=200.0, seed=5)
    b = simulate(ketamine_uM=3.0, duration_ms=200.0, seed=5)
    np.testing.assert_array_equal(a.eeg.values[1], b.eeg.values[0])
    c = simulate(ketamine_uM=3.0, duration_ms=200.0, seed=6)
    assert not np.array_equal(b.eeg.values, c.eeg.values)
    assert a.attrs["model"] == "ketasim.brain.simulate" and "destexhe_2009" in a.attrs["citations"]


@pytest.mark.parametrize("kw", [{"ketamine_uM": -1.0},
                                {"ketamine_uM": [1, 2], "propofol_uM": [1, 2, 3]},
                                {"duration_ms": 0.0}, {"gabaa_multiplier": 0.5}])
def test_bad_input_names_field(kw):
    with pytest.raises(InputError):
        simulate(**kw)
