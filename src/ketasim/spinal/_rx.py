"""The receptor layer's compiled kernels used by the spinal engine (one NMDA model in ketasim).

Nothing is re-implemented here: the spinal engine calls `ketasim.receptors.nmda` directly.
"""

from ketasim.receptors.nmda import (
    NMDA_N_POS,
    NMDA_N_STATES,
    P_CAFRAC,
    P_EREV,
    NMDAParams,
    nmda_equilibrium,
    nmda_factor_ws,
    nmda_fill_rate_matrix,
    nmda_params_array,
    nmda_solve_ws,
    nmda_step_ws,
    nmda_workspace,
)

__all__ = ["NMDA_N_POS", "NMDA_N_STATES", "P_CAFRAC", "P_EREV", "NMDAParams", "nmda_equilibrium",
           "nmda_factor_ws", "nmda_fill_rate_matrix", "nmda_params_array", "nmda_solve_ws",
           "nmda_step_ws", "nmda_workspace"]
