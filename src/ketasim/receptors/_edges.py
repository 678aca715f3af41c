"""Inputs at the receptor layer's public edges: a number in the documented unit or a
quantity (``"0.3 uM"``, ``"-60 mV"``, a pint Quantity), converted to float and checked.

Examples
--------
>>> to_float("-60 mV", "voltage_mV", "mV")
-60.0
>>> to_floats([0, "1 uM", 0.3], "ketamine_uM", "uM").tolist()
[0.0, 1.0, 0.3]
"""

from __future__ import annotations

import numbers

import numpy as np
import pint

from ketasim.core.errors import InputError
from ketasim.core.units import parse_quantity
from ketasim.core.validation import Constraint, Interval, check

NONNEG = Interval(0, None)
POSITIVE = Interval(0, None, closed="neither")
VOLTAGE = Interval(-200, 200)


def to_float(value, field: str, unit: str, constraint: Constraint | None = None) -> float:
    """``value`` (a real number in ``unit`` or a quantity) as a float, checked against
    ``constraint`` (NaN and infinities are always refused)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        out = float(value)
    elif isinstance(value, str | pint.Quantity):
        out = parse_quantity(value, field, unit)
    else:
        raise InputError(field, value, f"a number in {unit} or a quantity such as '1 {unit}'")
    return check(field, out, constraint or Interval())


def to_floats(values, field: str, unit: str, constraint: Constraint | None = None
              ) -> np.ndarray:
    """One or more values (scalar, sequence or numeric array) as a 1-D float64 array; integer
    arrays are converted, never truncated; every element is checked (``field[i]``)."""
    try:
        ndim = np.ndim(values)
    except ValueError:  # ragged nesting
        raise InputError(field, values, "a flat sequence of numbers") from None
    if isinstance(values, str | pint.Quantity) or ndim == 0:
        return np.array([to_float(values, field, unit, constraint)])
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if arr.dtype.kind in "iuf":
        flat = arr.astype(np.float64).ravel()
        cons = constraint or Interval()
        for i, x in enumerate(flat):
            check(f"{field}[{i}]", float(x), cons)
        if flat.size == 0:
            raise InputError(field, values, "one or more values")
        return flat
    flat = arr.ravel()
    if flat.size == 0:
        raise InputError(field, list(values), "one or more values")
    return np.array([to_float(x, f"{field}[{i}]", unit, constraint)
                     for i, x in enumerate(flat)])
