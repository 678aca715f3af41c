"""Units at the edges: parse strings such as ``"2 mg/kg"`` or ``"0.15 mg/kg/h"`` with pint.

Inside kernels every layer uses plain floats in one documented system (pk: mg, L, min,
ng/mL; neurons: mV, ms, nS, pA, umol/L). All conversions between the two live here, and
every public edge reads its inputs with the one pair `as_float` / `as_floats`: a number
in the documented unit, a strict quantity string (one number, one unit, nothing after it)
or a pint Quantity; NaN and infinities are refused, integer arrays converted, never
truncated, and messages name the field (``field[i]`` for an element).

Examples
--------
>>> as_float("-60 mV", "voltage_mV", "mV")
-60.0
>>> as_floats([0, "1 uM", 0.3], "ketamine_uM", "uM").tolist()
[0.0, 1.0, 0.3]
"""

from __future__ import annotations

import numbers
import re
from functools import lru_cache
from typing import Any

import numpy as np
import pint

from ketasim.core.errors import InputError, UnitError, WorkLimitError
from ketasim.core.validation import Constraint, Interval, first_bad_index

ureg = pint.UnitRegistry()
# Clinical spellings.
ureg.define("mcg = microgram")
Q_ = ureg.Quantity

#: Molar masses (g/mol) used for ng/mL <-> umol/L conversions.
#: Ketamine free base 237.73 g/mol (PubChem CID 3821).
MOLAR_MASS = {
    "ketamine": 237.73,
    "norketamine": 223.70,  # PubChem CID 123767
    "propofol": 178.27,  # PubChem CID 4943
    "thiopental": 242.34,  # PubChem CID 3000715
    "fentanyl": 336.47,  # PubChem CID 3345
    "remifentanil": 376.45,  # PubChem CID 60815
    "morphine": 285.34,  # PubChem CID 5288407
    "midazolam": 325.78,  # free base, as in the OSP midazolam PBPK model (hanke2018_midazolam)
}


# One number, then one unit expression, nothing after it: pint alone would read
# "0.5 mg/kg 3" as 1.5 mg/kg (implicit multiplication) and "2 mg 3" as 6 mg.
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_TOKEN = r"[A-Za-zµμ°_%]+(?:\s*(?:\^|\*\*)\s*[+-]?\d+)?"
_UNIT = rf"(?:1\s*/\s*)?{_TOKEN}(?:\s*(?:/|\*|·)\s*{_TOKEN}|\s+{_TOKEN})*"
QUANTITY_TEXT = re.compile(rf"\s*({_NUM})\s*({_UNIT})?\s*")


def _to_quantity(value: Any, field: str) -> pint.Quantity:
    if isinstance(value, pint.Quantity):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InputError(field, value, "a number with a unit, e.g. '2 mg/kg'")
        if not QUANTITY_TEXT.fullmatch(text):
            raise UnitError(field, value, "one number and one unit, nothing after it "
                                          "(e.g. '2 mg/kg')")
        try:
            return Q_(text.replace("µ", "u").replace("μ", "u"))
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError,
                AttributeError, TypeError, ValueError, AssertionError) as exc:
            raise UnitError(field, value, f"a number with a known unit ({exc})") from None
    raise UnitError(field, value, "a string such as '2 mg/kg' or a pint Quantity")


@lru_cache(maxsize=64)
def _dim(unit: str):
    return Q_(1, unit).dimensionality


def parse_quantity(value: Any, field: str, unit: str, *, allowed: str | None = None) -> float:
    """Parse ``value`` and return its magnitude in ``unit``.

    Raises `UnitError` (naming ``field``) if the dimension does not match ``unit``.

    Examples
    --------
    >>> parse_quantity("10 ug/kg/min", "infusion", "mg/kg/h")
    0.6
    """
    q = _to_quantity(value, field)
    if q.dimensionality != _dim(unit):
        raise UnitError(field, value, allowed or f"a quantity convertible to {unit}")
    return float(q.to(unit).magnitude)


def _shown(value: Any) -> Any:
    """A value as messages show it: simple values as they are, others by type name."""
    if value is None or isinstance(value, str | bool | numbers.Number | pint.Quantity):
        return value
    return type(value).__name__


def as_float(value: Any, field: str, unit: str, constraint: Constraint | None = None,
             allowed: str | None = None) -> float:
    """``value`` as a float in ``unit``: a real number (taken in ``unit``), a strict quantity
    string (``"-60 mV"``) or a scalar pint Quantity; numpy scalars and 0-d arrays are read as
    numbers.

    The result is checked against ``constraint`` (default: any finite number; NaN and
    infinities are always refused). ``allowed`` replaces the constraint's description in
    messages. Raises `UnitError` for a wrong dimension, `InputError` otherwise, naming
    ``field``.

    Examples
    --------
    >>> as_float("0.1 s", "duration_ms", "ms")
    100.0
    >>> as_float(-1, "mg_mM", "mM", Interval(0, None))
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: mg_mM: got -1.0; allowed: a real number in [0, inf)
    """
    cons = constraint or Interval()
    desc = allowed or f"{cons} ({unit or 'dimensionless'}, or a quantity such as '1 {unit}')"
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            out = float(value)
        except OverflowError:  # an integer of 400 digits
            raise InputError(field, value, allowed or str(cons)) from None
    elif isinstance(value, str):
        out = parse_quantity(value, field, unit, allowed=allowed)
    elif isinstance(value, pint.Quantity):
        if np.ndim(value.magnitude) != 0:
            raise InputError(field, str(value), f"one value: {desc}")
        out = parse_quantity(value, field, unit, allowed=allowed)
    else:
        raise InputError(field, _shown(value), desc)
    if not cons.is_satisfied_by(out):
        raise InputError(field, out, allowed or str(cons))
    return out


def as_floats(values: Any, field: str, unit: str, constraint: Constraint | None = None,
              allowed: str | None = None, max_len: int | None = None) -> np.ndarray:
    """One or more values (a scalar, a sequence, a numeric array, a pint Quantity array,
    quantity strings) as a flat float64 array in ``unit``, each checked like `as_float`
    (messages name ``field[i]``). Integer arrays are converted, never truncated; an empty
    input is refused, and so is one longer than ``max_len`` (`WorkLimitError`).

    Examples
    --------
    >>> as_floats(np.array([1, 3], dtype=np.int32), "ketamine_uM", "uM").tolist()
    [1.0, 3.0]
    >>> as_floats([0.3, float("nan")], "ketamine_uM", "uM")
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: ketamine_uM[1]: got nan; allowed: a finite real number
    """
    cons = constraint or Interval()
    if isinstance(values, pint.Quantity) and np.ndim(values.magnitude) > 0:
        if values.dimensionality != _dim(unit):
            raise UnitError(field, str(values), allowed or f"a quantity convertible to {unit}")
        values = np.asarray(values.to(unit).magnitude)
        if values.dtype.kind not in "iuf":
            raise InputError(field, str(values.dtype), allowed or "numbers")
    try:
        ndim = np.ndim(values)
    except ValueError:  # ragged nesting
        raise InputError(field, _shown(values), "a flat sequence of numbers") from None
    if isinstance(values, str | pint.Quantity) or ndim == 0:
        return np.array([as_float(values, field, unit, cons, allowed)])
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.size == 0:
        raise InputError(field, "[]", f"one or more values: {allowed or cons}")
    if max_len is not None and arr.size > max_len:
        raise WorkLimitError(field, f"{arr.size} values", f"at most {max_len} values")
    if arr.dtype.kind == "O" and all(isinstance(x, numbers.Real) and not isinstance(x, bool)
                                     for x in arr.ravel()):
        try:
            arr = arr.astype(np.float64)
        except OverflowError:
            pass
    if arr.dtype.kind in "iuf":
        flat = arr.astype(np.float64).ravel()
        i = first_bad_index(flat, cons)
        if i is not None:
            raise InputError(f"{field}[{i}]", float(flat[i]), allowed or str(cons))
        return flat
    return np.array([as_float(x, f"{field}[{i}]", unit, cons, allowed)
                     for i, x in enumerate(arr.ravel())])


def has_dimension_of(value: Any, unit: str, field: str = "value") -> bool:
    """True if ``value`` parses to a quantity with the dimension of ``unit``."""
    return _to_quantity(value, field).dimensionality == _dim(unit)


def ng_per_ml_to_umol_per_l(c_ng_ml, drug: str):
    """Mass concentration (ng/mL = ug/L) to molar (umol/L): c / M."""
    return c_ng_ml / MOLAR_MASS[drug]


def umol_per_l_to_ng_per_ml(c_um, drug: str):
    """Molar concentration (umol/L) to mass concentration (ng/mL): c * M."""
    return c_um * MOLAR_MASS[drug]
