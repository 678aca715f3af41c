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


def test_feedback_is_nmda_carried_at_the_operating_point():
    """Self et al. 2012: in macaque V1 CNQX (AMPA block) strongly reduced feedforward-driven
    activity but left figure-ground modulation (feedback) unchanged, which NMDA blockers
    reduced. With the receptor layer's Mg2+ block at -60 mV (u ~0.08) NMDA carries >= 70 %
    of the long-range feedback charge onto pyramidal cells and <= 10 % of the feedforward
    charge (the model sets 3/4 and 4 %)."""
    p = BrainParams()
    u = 0.5 * (_u_table(p.pyr_nmda, 0, 1.0, 0.0)[V_MINUS_60]
               + _u_table(p.pyr_nmda, 1, 1.0, 0.0)[V_MINUS_60])

    def nmda_share(ratio):
        return ratio * u / (1.0 + ratio * u)

    assert nmda_share(p.nmda_ratio_fb) >= 0.7
    assert nmda_share(p.nmda_ratio_ff) <= 0.1


def test_reticular_cells_carry_weakly_blocked_glun2c():
    """Zhang et al. 2012: the weakly voltage-dependent synaptic NMDA current of nRT neurons
    is GluN2C's (absent in the knockout). Model: the RE mixture's unblocked fraction at
    -60 mV in 1 mM Mg2+ exceeds the relay cells' GluN2A/2B one by more than 1.5 x."""
    p = BrainParams()

    def u_mix(name):
        from ketasim.receptors.subunits import as_mixture
        mix = as_mixture(name)
        return sum(w * _u_table(name, k, 1.0, 0.0)[V_MINUS_60]
                   for k, (_, _, w) in enumerate(mix.parts))

    assert "2C" in p.re_nmda
    assert u_mix(p.re_nmda) > 1.5 * u_mix(p.thal_nmda)


def test_v_trace_is_a_population_mean():
    """``v_mV`` is the mean membrane potential of a population (mV, between the AdEx
    reset/threshold range and rest: -80 to -40 mV), not a sum over its cells."""
    from ketasim.core.record import Record
    ds = simulate(duration_ms=100.0, record=Record(variables=("v",)))
    v = ds.v_mV.isel(time=slice(20, None)).values
    assert np.all((v > -80.0) & (v < -40.0))


def _gamma_and_rates(params, ketamine_uM):
    ds = simulate(ketamine_uM=ketamine_uM, duration_ms=3000.0, seed=1, params=params)
    r = ds.rate_Hz.isel(time=slice(500, None)).mean("time")
    fs = r.sel(population=["sensory_i", "parietal_i", "frontal_i"]).mean("population").values
    pyr = r.sel(population=["sensory_e", "parietal_e", "frontal_e"]).mean("population").values
    x = ds.eeg.isel(region=slice(0, 3), time=slice(500, None)).values
    # directed transfer on 4 ms samples, as `ketasim.brain.readouts`
    xd = x[..., : (x.shape[-1] // 4) * 4].reshape(x.shape[0], 3, -1, 4).mean(-1)
    fb = M.transfer_entropy(xd[:, 2], xd[:, 1], order=5)
    ff = M.transfer_entropy(xd[:, 1], xd[:, 2], order=5)
    _gamma_and_rates.fb_share = fb / (fb + ff)
    return M.band_powers(x, 1000.0)["gamma"].mean(-1), fs, pyr


@pytest.fixture(scope="module")
def wild_type():
    out = _gamma_and_rates(BrainParams(), [0.0, 3.0, 10.0])
    return (*out, _gamma_and_rates.fb_share)


def test_ketamine_shifts_directed_transfer_to_feedforward(wild_type):
    """Lee et al. 2013 (2 mg/kg ketamine, normalised symbolic TE of frontal/parietal EEG):
    feedback (frontal -> parietal) connectivity fell while feedforward was preserved.
    Model (Gaussian TE of the EEG proxy, 2.5 s): the feedback share TE_fb / (TE_fb + TE_ff)
    at 10 uM is below 0.6 x drug-free (seed 1: 0.19 -> 0.08 at 3 uM -> 0.04 at 10 uM)."""
    share = wild_type[3]
    assert share[2] < 0.6 * share[0]


def test_ketamine_disinhibition_and_gamma(wild_type):
    """NMDA block on FS interneurons lowers their firing and raises pyramidal firing
    (Homayoun & Moghaddam 2007), and gamma power of the EEG proxy rises at sub-anaesthetic
    to anaesthetic levels (de la Salle 2016; Susin & Destexhe): FS rate -10 % or more at
    10 uM, pyramidal rate up, gamma x1.1 or more (model at seed 1: x1.58, x1.54)."""
    g, fs, pyr, _ = wild_type
    assert fs[2] < 0.9 * fs[0]
    assert pyr[2] > 1.03 * pyr[0]
    assert g[1] > 1.1 * g[0] and g[2] > 1.1 * g[0]


def test_glun2d_knockout_abolishes_most_of_the_gamma_rise(wild_type):
    """Sapkota et al. 2016: in GluN2D knockout mice ketamine's gamma increase is largely
    abolished. Model: FS interneurons with GluN2A/2B only (same 2:1 2A:2B ratio); the gamma
    rise at 10 uM falls to less than half of the wild type's (seed 1: x0.94 vs x1.54)."""
    g, _, _, _ = wild_type
    ko, _, _ = _gamma_and_rates(BrainParams(fs_nmda="2A=0.67,2B=0.33"), [0.0, 10.0])
    assert (ko[1] / ko[0] - 1.0) < 0.5 * (g[2] / g[0] - 1.0)


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
