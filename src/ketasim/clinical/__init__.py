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

__all__ = ["HeatEncoderSpec", "PainTransferSpec", "heat_to_c_rate", "nrs_from_output",
           "PCASpec", "calibrate_morphine_k"]

_LAZY = {"PCASpec": "ketasim.clinical.pca", "calibrate_morphine_k": "ketasim.clinical.pca"}


def __getattr__(name):
    """PCA names load on first use (the PCA module pulls in the compiled spinal kernels)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ketasim.clinical' has no attribute {name!r}")
