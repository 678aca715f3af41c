"""The ketasim exception hierarchy.

Every error raised for bad input names the field, the value and what is allowed, so that a
user can mend the input without reading the code.
"""

from __future__ import annotations

from typing import Any


class KetasimError(Exception):
    """Base class of every error ketasim raises on purpose."""


class InputError(KetasimError, ValueError):
    """A user-supplied value is invalid.

    Parameters
    ----------
    field : name of the offending input (e.g. ``"bolus"``, ``"weight"``).
    value : the value received.
    allowed : what would have been accepted.
    """

    def __init__(self, field: str, value: Any, allowed: str):
        if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
            value = value.item()  # numpy scalar: show 0.5, not np.float64(0.5)
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")


class UnitError(InputError):
    """A quantity has the wrong unit or dimension (e.g. a rate given as a bolus)."""


class UnknownNameError(InputError, KeyError):
    """An unknown drug, model, experiment, receptor or other named item."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class ValidityRangeError(InputError):
    """A covariate or parameter lies outside the range a published model was validated on."""


class WorkLimitError(InputError):
    """The requested work (time steps, grid points, conditions) exceeds a cap; the message
    names the cap and how to go past it."""


class NumericalError(KetasimError, ArithmeticError):
    """A computation produced a non-finite or otherwise impossible result."""
