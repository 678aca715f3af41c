"""Units at the edges: parse strings such as ``"2 mg/kg"`` or ``"0.15 mg/kg/h"`` with pint.

Inside kernels every layer uses plain floats in one documented system (pk: mg, L, min,
ng/mL; neurons: mV, ms, nS, pA, umol/L). All conversions between the two live here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pint

from ketasim.core.errors import InputError, UnitError

ureg = pint.UnitRegistry()
# Clinical spellings.
ureg.define("mcg = microgram")
Q_ = ureg.Quantity

#: Molar masses (g/mol) used for ng/mL <-> umol/L conversions.
#: Ketamine free base 237.73 g/mol (MISSION.md; PubChem CID 3821).
MOLAR_MASS = {
    "ketamine": 237.73,
    "norketamine": 223.70,  # PubChem CID 123767
    "propofol": 178.27,  # PubChem CID 4943
    "thiopental": 242.34,  # PubChem CID 3000715
    "fentanyl": 336.47,  # PubChem CID 3345
    "remifentanil": 376.45,  # PubChem CID 60815
    "morphine": 285.34,  # PubChem CID 5288407
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


def has_dimension_of(value: Any, unit: str, field: str = "value") -> bool:
    """True if ``value`` parses to a quantity with the dimension of ``unit``."""
    return _to_quantity(value, field).dimensionality == _dim(unit)


def ng_per_ml_to_umol_per_l(c_ng_ml, drug: str):
    """Mass concentration (ng/mL = ug/L) to molar (umol/L): c / M."""
    return c_ng_ml / MOLAR_MASS[drug]


def umol_per_l_to_ng_per_ml(c_um, drug: str):
    """Molar concentration (umol/L) to mass concentration (ng/mL): c * M."""
    return c_um * MOLAR_MASS[drug]
