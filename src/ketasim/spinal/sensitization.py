"""Central sensitization on the spiking dorsal-horn model and its reduced slow model (M4, M7, M11).

One mechanism, two time resolutions. This module gathers the public names of the pieces:

* `ketasim.spinal.modulation`: how a gain, descending control or a neuropathic state
  changes the circuit's parameters (`SensitizationSpec`, `modulated_params`, ...).
* `ketasim.spinal.protocols`: conditioning and steady-drive protocols, the plasticity Ca2+
  drive of a spiking run and `run_with_plasticity` (spiking model + calcium rules: the truth).
* `ketasim.spinal.drive_table`: the spiking model's steady-state drive on a grid
  (`DriveTable`, cached by content key).
* `ketasim.spinal.slow`: the reduced slow model over hours-days (`simulate_slow`).
* `ketasim.spinal.calibration`: ``ca_scale`` and ``late_max`` fitted on the spiking model.

Examples
--------
>>> from ketasim.spinal.sensitization import modulation_from_gain
>>> round(modulation_from_gain(1.73).ffi_scale, 2)
0.5
"""

from __future__ import annotations

from ketasim.spinal.calibration import calibrate, calibrated_spec, calibration_key
from ketasim.spinal.drive_table import (
    DEFAULT_C_RATES,
    DEFAULT_KETAMINE,
    DriveTable,
    compute_drive_table,
    load_drive_table,
    table_key,
)
from ketasim.spinal.modulation import (
    DEFAULT_SENSITIZATION,
    NEUROPATHIC_CITATIONS,
    SENSITIZATION_CITATIONS,
    CircuitModulation,
    NeuropathicSpec,
    SensitizationSpec,
    block_ltype,
    block_nmda,
    descending_modulation,
    modulated_params,
    modulation_from_gain,
)
from ketasim.spinal.protocols import (
    PINPRICK_ADELTA_HZ,
    TOUCH_ABETA_HZ,
    hfs_protocol,
    max_spikes_for,
    plasticity_drive,
    run_with_plasticity,
    steady_output,
    steady_protocol,
)
from ketasim.spinal.slow import gain_of, gain_state_after, relax_at_rest, simulate_slow

__all__ = [
    "CircuitModulation", "SensitizationSpec", "NeuropathicSpec", "modulated_params",
    "modulation_from_gain", "run_with_plasticity", "DriveTable", "compute_drive_table",
    "load_drive_table", "table_key", "simulate_slow", "DEFAULT_SENSITIZATION", "hfs_protocol",
    "steady_output", "steady_protocol", "block_ltype", "block_nmda", "plasticity_drive",
    "TOUCH_ABETA_HZ", "PINPRICK_ADELTA_HZ", "calibrate", "calibrated_spec", "calibration_key",
    "relax_at_rest", "descending_modulation", "gain_of", "gain_state_after", "max_spikes_for",
    "SENSITIZATION_CITATIONS", "NEUROPATHIC_CITATIONS", "DEFAULT_C_RATES", "DEFAULT_KETAMINE",
]
