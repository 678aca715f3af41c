"""Private helpers of the pk layer's public edges: strict quantities, hashing of inputs.

A quantity given as text must be exactly one number followed by one unit expression:
pint would otherwise read ``"0.5 mg/kg 3"`` as 1.5 mg/kg (implicit multiplication), so
trailing words or numbers are refused here before pint sees the text.
"""

from __future__ import annotations

import hashlib
import numbers
import re
from typing import Any

import numpy as np
import pint

from ketasim.core.errors import InputError, UnitError
from ketasim.core.units import parse_quantity

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_TOKEN = r"[A-Za-zµμ_]+(?:\s*(?:\^|\*\*)\s*[+-]?\d+)?"
_UNIT = rf"(?:1\s*/\s*)?{_TOKEN}(?:\s*(?:/|\*|·)\s*{_TOKEN}|\s+{_TOKEN})*"
_QTY = re.compile(rf"\s*({_NUM})\s*({_UNIT})\s*")


def strict_text(text: str, field: str, allowed: str) -> str:
    """Return ``text`` if it is one number and one unit expression, else raise `UnitError`.

    Examples
    --------
    >>> strict_text("0.5 mg/kg", "bolus", "a dose")
    '0.5 mg/kg'
    >>> strict_text("0.5 mg/kg 3", "bolus", "a dose")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ketasim.core.errors.UnitError: bolus: got '0.5 mg/kg 3'; allowed: a dose (one number ...
    """
    if not isinstance(text, str) or not _QTY.fullmatch(text):
        raise UnitError(field, text, f"{allowed} (one number and one unit, nothing after it)")
    return text


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def quantity(value: Any, field: str, unit: str, allowed: str) -> float:
    """A number (taken in ``unit``), a strict quantity string or a pint Quantity -> float in
    ``unit``. Never returns NaN or infinity (`InputError`)."""
    if isinstance(value, np.generic):
        value = value.item()
    if is_number(value):
        v = float(value)
    elif isinstance(value, str):
        v = parse_quantity(strict_text(value, field, allowed), field, unit, allowed=allowed)
    elif isinstance(value, pint.Quantity):
        if np.ndim(value.magnitude) != 0:
            raise InputError(field, value, f"one value: {allowed}")
        v = parse_quantity(value, field, unit, allowed=allowed)
    else:
        raise InputError(field, value if isinstance(value, str | None) else
                         type(value).__name__, allowed)
    if not np.isfinite(v):
        raise InputError(field, value, f"a finite value: {allowed}")
    return v


def array_quantity(value: Any, field: str, unit: str, allowed: str) -> np.ndarray:
    """One or more values (numbers, strings, a pint Quantity array) -> float array in ``unit``."""
    if isinstance(value, pint.Quantity) and np.ndim(value.magnitude) > 0:
        if value.dimensionality != parse_qdim(unit):
            raise UnitError(field, str(value), allowed)
        return np.atleast_1d(np.asarray(value.to(unit).magnitude, dtype=float))
    if isinstance(value, str | numbers.Real | pint.Quantity | np.generic):
        return np.array([quantity(value, field, unit, allowed)])
    try:
        items = list(np.asarray(value, dtype=object).ravel())
    except Exception:  # pragma: no cover - exotic containers
        raise InputError(field, type(value).__name__, allowed) from None
    if np.ndim(np.asarray(value, dtype=object)) > 1:
        raise InputError(field, f"an array of shape {np.shape(value)}", f"1-D: {allowed}")
    if not items:
        raise InputError(field, "[]", f"at least one value: {allowed}")
    if all(is_number(x) or isinstance(x, np.number) for x in items):
        arr = np.asarray(value, dtype=float).ravel()
        bad = ~np.isfinite(arr)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise InputError(f"{field}[{i}]", float(arr[i]), f"a finite value: {allowed}")
        return arr
    return np.array([quantity(x, f"{field}[{i}]", unit, allowed) for i, x in enumerate(items)])


def parse_qdim(unit: str):
    from ketasim.core.units import Q_
    return Q_(1, unit).dimensionality


def digest(*arrays) -> str:
    """Short sha256 of arrays (shape, dtype and bytes) for provenance."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def summarise_array(a: np.ndarray, max_list: int = 50):
    """Values as a list when short, else their count, range and digest (for stamps)."""
    a = np.asarray(a, dtype=float)
    if a.size <= max_list:
        return [float(x) for x in a.ravel()]
    return {"n": int(a.size), "min": float(a.min()), "max": float(a.max()),
            "sha256": digest(a)}
