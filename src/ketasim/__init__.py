"""ketasim: a mechanistic, multi-scale simulator of ketamine in pain management.

Dose in, effect out: plasma concentration -> receptors -> spinal neurons -> plasticity ->
brain -> what a patient would report, for one patient or a virtual population.
"""

from ketasim.core import (
    InputError,
    KetasimError,
    NumericalError,
    UnitError,
    UnknownNameError,
    ValidityRangeError,
    cite,
)

__all__ = [
    "InputError", "KetasimError", "NumericalError", "UnitError", "UnknownNameError",
    "ValidityRangeError", "cite",
]
__version__ = "0.1.0"
