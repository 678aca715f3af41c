"""Receptor layer: kinetic receptor models whose drug effects emerge from binding kinetics.

See `ketasim.receptors.nmda` for the NMDA kernel API used by the spinal layer.
"""

from ketasim.receptors import sources  # noqa: F401  (registers citations)
from ketasim.receptors.nmda import (
    NMDA_N_PARAMS,
    NMDA_N_STATES,
    NMDAParams,
    nmda_blocked_fractions,
    nmda_ca_current,
    nmda_conducting_fraction,
    nmda_current,
    nmda_equilibrium,
    nmda_params_array,
    nmda_steady_state_block,
    nmda_step,
    nmda_step_ws,
    nmda_workspace,
)

__all__ = [
    "NMDA_N_PARAMS", "NMDA_N_STATES", "NMDAParams", "nmda_blocked_fractions", "nmda_ca_current",
    "nmda_conducting_fraction", "nmda_current", "nmda_equilibrium", "nmda_params_array",
    "nmda_step", "nmda_step_ws", "nmda_steady_state_block", "nmda_workspace",
]
