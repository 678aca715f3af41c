"""Receptor layer: kinetic receptor models whose drug effects emerge from binding kinetics.

Public face (this module): the model specs, the virtual clamp, dose-response and equilibrium
helpers. Every function accepts numbers in the unit of its argument's suffix or quantities
(``"-60 mV"``, ``"0.3 uM"``); results are xarray Datasets over ``condition`` (the clamp) or
over the swept quantity (``ketamine_uM``), with a ``time`` coordinate in ms.

* specs: `NMDAParams` (20-state NMDA with Mg2+/ketamine/norketamine pore block), its GluN2A-D
  parameter sets and mixtures (`subunit_params`, `composition`, `NMDAMixture`; see
  `ketasim.receptors.subunits`),
  `AMPAParams`, `GABAAParams`, `OpioidParams`;
* clamp: `Segment`, `pulse_train`, `clamp_nmda`, `gabaa_pulse_response`;
* dose-response: `nmda_dose_response`, `ic50_from_curve`;
* equilibrium: `nmda_steady_state_block`, `equilibrium_ic50`, `deactivation_tau_w`,
  `single_channel_ratios`,
  `jahr_stevens_unblocked`, `gabaa_decay_multiplier`, `opioid_effects`,
  `transporter_occupancy`.

The compiled kernels other layers call from their own numba code (``nmda_step_ws``,
``nmda_equilibrium``, ``two_state_step``, ...) stay importable from their modules
(`ketasim.receptors.nmda`, `.gabaa`, `.ampa`, `.opioid`, `.kinetics`), not from here.

Examples
--------
>>> from ketasim.receptors import Segment, clamp_nmda
>>> ds = clamp_nmda([[Segment("20 ms", "-60 mV", glutamate_uM="1 mM", ketamine_uM=1.0)]])
>>> ds.i_nmda.dims
('condition', 'time')
"""

from ketasim.receptors import sources  # noqa: F401  (registers citations)
from ketasim.receptors.ampa import AMPAParams
from ketasim.receptors.calibrate import (
    deactivation_tau_w,
    equilibrium_ic50,
    single_channel_ratios,
)
from ketasim.receptors.clamp import (
    Segment,
    clamp_nmda,
    gabaa_pulse_response,
    ic50_from_curve,
    nmda_dose_response,
    pulse_train,
)
from ketasim.receptors.gabaa import GABAAParams, gabaa_decay_multiplier
from ketasim.receptors.nmda import NMDAParams, jahr_stevens_unblocked, nmda_steady_state_block
from ketasim.receptors.opioid import OpioidParams, opioid_effects
from ketasim.receptors.subunits import NMDAMixture, composition, subunit_params
from ketasim.receptors.transporters import transporter_occupancy

__all__ = [
    "AMPAParams", "GABAAParams", "NMDAParams", "OpioidParams",
    "NMDAMixture", "composition", "subunit_params", "deactivation_tau_w",
    "Segment", "clamp_nmda", "gabaa_pulse_response", "pulse_train",
    "ic50_from_curve", "nmda_dose_response",
    "equilibrium_ic50", "gabaa_decay_multiplier", "jahr_stevens_unblocked",
    "nmda_steady_state_block", "opioid_effects", "single_channel_ratios",
    "transporter_occupancy",
]
