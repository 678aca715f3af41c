"""Shared foundation: units, errors, citations, provenance."""

from ketasim.core.citations import Citation, cite
from ketasim.core.citations import register as register_citation
from ketasim.core.errors import (
    InputError,
    KetasimError,
    NumericalError,
    UnitError,
    UnknownNameError,
    ValidityRangeError,
    WorkLimitError,
)
from ketasim.core.provenance import stamp
from ketasim.core.units import Q_, parse_quantity, ureg

__all__ = [
    "Citation", "cite", "register_citation", "InputError", "KetasimError", "NumericalError",
    "UnitError", "UnknownNameError", "ValidityRangeError", "WorkLimitError", "stamp", "Q_",
    "parse_quantity", "ureg",
]
