"""Spinal dorsal horn: afferents, excitatory interneuron, WDR neuron and wind-up.

Public API: `simulate` (batch of `Condition`s on one `Protocol`), protocol builders `shock`,
`train` (plus `Protocol.with_rate_drive`, `Protocol.with_background`), `SpinalParams`,
`score` (per-stimulus windows). See `ketasim.spinal.circuit` for the result layout.
"""

from ketasim.spinal import sources  # noqa: F401  (registers citations)
from ketasim.spinal.afferents import FIBRES, Protocol, recruitment, shock, train
from ketasim.spinal.circuit import Condition, score, simulate
from ketasim.spinal.params import DEFAULT, SpinalParams

__all__ = ["DEFAULT", "FIBRES", "Condition", "Protocol", "SpinalParams", "recruitment", "score",
           "shock", "simulate", "train"]
