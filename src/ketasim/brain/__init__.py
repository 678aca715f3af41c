"""The brain layer: cortical network, signal measures and clinical readouts.

The network is a thalamocortical spiking network whose synapses are the receptor layer's models.

* `simulate`: drug conditions (free effect-site uM) -> EEG proxy per region, population rates;
* `BrainParams`, `Stimulus`, `Pulse`: the specs.

Examples
--------
>>> from ketasim.brain import simulate
>>> simulate(ketamine_uM=1.0, duration_ms=100.0).sizes["region"]
4
"""

from ketasim.brain import sources  # noqa: F401  (registers citations)
from ketasim.brain.network import Pulse, Stimulus, network_summary, simulate
from ketasim.brain.params import REGIONS, BrainParams

__all__ = ["BrainParams", "Pulse", "REGIONS", "Stimulus", "network_summary", "simulate"]
