"""Clinical readouts a clinician knows: pain intensity on the 0-10 numeric rating scale.

Sits below the brain layer: it may import pk, receptors, spinal and brain, never cli or
experiments.
"""

from ketasim.clinical.pain import (
    HeatEncoderSpec,
    PainTransferSpec,
    heat_to_c_rate,
    nrs_from_output,
)
from ketasim.clinical.pca import PCASpec, calibrate_morphine_k

__all__ = ["HeatEncoderSpec", "PainTransferSpec", "heat_to_c_rate", "nrs_from_output",
           "PCASpec", "calibrate_morphine_k"]
