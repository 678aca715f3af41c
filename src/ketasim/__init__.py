"""ketasim: a mechanistic, multi-scale simulator of ketamine in pain management.

Dose in, effect out: plasma concentration -> receptors -> spinal neurons -> plasticity ->
brain -> what a patient would report, for one patient or a virtual population.
"""

from ketasim.core.cache import install_kernel_locator

install_kernel_locator()  # before any module with compiled kernels is imported

from ketasim.core import (  # noqa: E402
    InputError,
    KetasimError,
    NumericalError,
    UnitError,
    UnknownNameError,
    ValidityRangeError,
    cite,
)
from ketasim.pk import free_concentration_umol, virtual_patients  # noqa: E402
from ketasim.pk import simulate as simulate_pk  # noqa: E402
from ketasim.receptors import NMDAParams  # noqa: E402
from ketasim.receptors.clamp import Segment, clamp_nmda, nmda_dose_response  # noqa: E402
from ketasim.scenarios import Scenario, simulate  # noqa: E402

__all__ = [
    "InputError", "KetasimError", "NumericalError", "UnitError", "UnknownNameError",
    "ValidityRangeError", "cite",
    "simulate_pk", "virtual_patients", "free_concentration_umol",
    "NMDAParams", "Segment", "clamp_nmda", "nmda_dose_response",
    "Scenario", "simulate",
]
__version__ = "0.1.0"
