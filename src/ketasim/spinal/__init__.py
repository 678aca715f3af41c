"""Spinal dorsal horn: afferents, excitatory interneuron, WDR neuron and wind-up.

Public API: `simulate` (a batch of `Condition`s on one `Protocol`; receptor specs
``nmda=``, ``gabaa=``, ``opioid=``; traces with ``record=Record(...)``), protocol builders
`shock`, `train` (plus `Protocol.with_rate_drive`, `Protocol.with_background`), the fibre
classes `FIBRES` and their `recruitment`, `SpinalParams` and its `DEFAULT`, `score`
(per-stimulus windows) and `DRUGS` (the drug coordinates of every result). See
`ketasim.spinal.circuit` for the result layout; the compiled engine is
`ketasim.spinal.engine` (channels in `ketasim.spinal.channels`, synapses in
`ketasim.spinal.synapses`).

Examples
--------
>>> from ketasim.spinal import Condition, simulate, train
>>> ds = simulate(train(n=2), [Condition(), Condition(ketamine_uM=10.0)])
>>> ds.ketamine_uM.values.tolist()
[0.0, 10.0]
"""

from ketasim.spinal import sources  # noqa: F401  (registers citations)
from ketasim.spinal.afferents import FIBRES, Protocol, recruitment, shock, train
from ketasim.spinal.circuit import DRUGS, Condition, score, simulate
from ketasim.spinal.params import DEFAULT, SpinalParams

__all__ = ["DEFAULT", "DRUGS", "FIBRES", "Condition", "Protocol", "SpinalParams",
           "recruitment", "score", "shock", "simulate", "train"]
