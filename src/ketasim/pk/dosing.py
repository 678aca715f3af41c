"""Dosing schedules and their parsing at the edges.

Accepted spellings (case-insensitive, any order of the optional clauses):

- bolus: ``"2 mg/kg"``, ``"0.5 mg"``, ``"35 mg at 30 min"``, ``"50 mg oral"``,
  ``"1 mg/kg over 2 min"`` (given as a short zero-order infusion), ``"0.5 mg/kg im at 1 h"``
- infusion: ``"0.15 mg/kg/h for 2 h"``, ``"10 ug/kg/min at 30 min for 45 min"``,
  ``"12 mg/h"`` (no ``for``: runs until the last output time)

Doses per kg are multiplied by each patient's weight. Sanity limits (ketasim's, several
times the clinical maxima, not clinical guidance) catch unit slips such as ug for mg.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ketasim.core.errors import InputError, UnitError
from ketasim.core.units import Q_, has_dimension_of, parse_quantity
from ketasim.pk.routes import ROUTE_ALIASES

#: (max bolus mg/kg, max infusion mg/kg/h): sanity limits, ~5-10x clinical maxima.
LIMITS = {
    "ketamine": (20.0, 10.0), "s-ketamine": (10.0, 5.0), "propofol": (8.0, 20.0),
    "thiopental": (15.0, 10.0), "fentanyl": (0.1, 0.05), "remifentanil": (0.02, 0.3),
    "morphine": (1.5, 0.5),
}
MAX_TIME_MIN = 30 * 24 * 60.0

_ROUTE_WORDS = {"iv", "im", "oral", "intranasal", "sublingual", *ROUTE_ALIASES}


@dataclass(frozen=True)
class Bolus:
    """A dose at ``time`` (min). Exactly one of ``mg`` / ``mg_per_kg``; ``over`` > 0 gives a
    short zero-order infusion instead of an instantaneous dose."""

    mg: float | None = None
    mg_per_kg: float | None = None
    time: float = 0.0
    route: str = "iv"
    over: float = 0.0
    text: str = ""

    def amount(self, weight: np.ndarray) -> np.ndarray:
        return (np.full_like(weight, self.mg, dtype=float) if self.mg is not None
                else self.mg_per_kg * weight)


@dataclass(frozen=True)
class Infusion:
    """A zero-order IV infusion from ``start`` for ``duration`` min (None: to the end)."""

    mg_per_h: float | None = None
    mg_per_kg_per_h: float | None = None
    start: float = 0.0
    duration: float | None = None
    text: str = ""

    def rate_mg_min(self, weight: np.ndarray) -> np.ndarray:
        r = (np.full_like(weight, self.mg_per_h, dtype=float) if self.mg_per_h is not None
             else self.mg_per_kg_per_h * weight)
        return r / 60.0


@dataclass(frozen=True)
class Schedule:
    """An ordered set of boluses and infusions.

    Examples
    --------
    >>> s = Schedule.parse(bolus=["0.5 mg/kg"], infusion=["0.15 mg/kg/h for 24 h"])
    >>> s.infusions[0].duration
    1440.0
    """

    boluses: tuple[Bolus, ...] = ()
    infusions: tuple[Infusion, ...] = ()

    @staticmethod
    def parse(bolus=(), infusion=(), route: str = "iv") -> Schedule:
        if isinstance(bolus, str):
            bolus = [bolus]
        if isinstance(infusion, str):
            infusion = [infusion]
        b = tuple(x if isinstance(x, Bolus) else parse_bolus(x, default_route=route)
                  for x in bolus)
        i = tuple(x if isinstance(x, Infusion) else parse_infusion(x) for x in infusion)
        if not b and not i:
            raise InputError("schedule", "empty", "at least one --bolus or --infusion")
        return Schedule(b, i)

    def end_time(self) -> float:
        ends = [b.time + b.over for b in self.boluses]
        ends += [i.start + (i.duration or 0.0) for i in self.infusions]
        return max(ends, default=0.0)

    def check(self, drug: str, weight: np.ndarray) -> None:
        """Raise for doses above the sanity limits of ``drug`` (per kg of each patient)."""
        max_bolus, max_rate = LIMITS.get(drug, (np.inf, np.inf))
        for b in self.boluses:
            per_kg = b.amount(weight) / weight
            if np.any(per_kg > max_bolus):
                raise InputError("bolus", b.text or b,
                                 f"<= {max_bolus} mg/kg of {drug} (got up to "
                                 f"{float(per_kg.max()):.3g} mg/kg); check the unit "
                                 "(mg vs ug)")
        for i in self.infusions:
            per_kg_h = i.rate_mg_min(weight) * 60 / weight
            if np.any(per_kg_h > max_rate):
                raise InputError("infusion", i.text or i,
                                 f"<= {max_rate} mg/kg/h of {drug} (got up to "
                                 f"{float(per_kg_h.max()):.3g} mg/kg/h); check the unit")


_CLAUSE = re.compile(r"\b(at|for|over|from)\b", re.I)


def _split(text: str, field: str) -> tuple[str, dict[str, str], str | None]:
    if not isinstance(text, str) or not text.strip():
        raise InputError(field, text, "a dose string such as '2 mg/kg at 30 min'")
    parts = _CLAUSE.split(text.strip())
    head, clauses = parts[0].strip(), {}
    for key, val in zip(parts[1::2], parts[2::2], strict=True):
        key = "at" if key.lower() == "from" else key.lower()
        if key in clauses:
            raise InputError(field, text, f"at most one '{key}' clause")
        clauses[key] = val.strip()
    route = None
    words = head.split()
    if words and words[-1].lower() in _ROUTE_WORDS:
        route = words[-1].lower()
        head = " ".join(words[:-1])
    return head, clauses, route


def parse_time(value, field: str) -> float:
    """A time such as ``"30 min"``, ``"2 h"`` or a number of minutes -> float min, >= 0."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        t = float(value)
    else:
        t = parse_quantity(value, field, "min", allowed="a time such as '30 min' or '2 h'")
    if not np.isfinite(t) or t < 0 or t > MAX_TIME_MIN:
        raise InputError(field, value, f"a time between 0 and {MAX_TIME_MIN:.0f} min (30 d)")
    return t


def _positive(x: float, field: str, text) -> float:
    if not np.isfinite(x) or x <= 0:
        raise InputError(field, text, "a positive, finite dose")
    return x


def parse_bolus(text: str, default_route: str = "iv") -> Bolus:
    """Parse a bolus string.

    Examples
    --------
    >>> parse_bolus("2 mg/kg at 30 min").mg_per_kg, parse_bolus("2 mg/kg at 30 min").time
    (2.0, 30.0)
    >>> parse_bolus("50 mg oral").route
    'oral'
    """
    field = "bolus"
    head, cl, route = _split(text, field)
    if "for" in cl:
        raise InputError(field, text, "a dose with optional 'at <time>' / 'over <time>'; "
                         "'for' belongs to --infusion")
    q = _quantity(head, field, text)
    if has_dimension_of(q, "mg/h") or has_dimension_of(q, "mg/kg/h"):
        raise UnitError(field, text, "a dose such as '2 mg/kg' or '35 mg'; this is a rate: "
                        "use --infusion")
    if has_dimension_of(q, "mg"):
        mg, per_kg = _positive(float(q.to("mg").magnitude), field, text), None
    elif has_dimension_of(q, "mg/kg"):
        mg, per_kg = None, _positive(float(q.to("mg/kg").magnitude), field, text)
    else:
        raise UnitError(field, text, "a dose in mass (mg, ug, g) or mass per kg (mg/kg)")
    over = parse_time(cl["over"], "bolus 'over'") if "over" in cl else 0.0
    r = ROUTE_ALIASES.get(route or default_route, route or default_route)
    if over > 0 and r != "iv":
        raise InputError(field, text, "'over' only for IV doses")
    return Bolus(mg, per_kg, parse_time(cl.get("at", 0.0), "bolus 'at'"), r, over, text)


def parse_infusion(text: str) -> Infusion:
    """Parse an infusion string.

    Examples
    --------
    >>> i = parse_infusion("10 ug/kg/min at 30 min for 2 h")
    >>> round(i.mg_per_kg_per_h, 3), i.start, i.duration
    (0.6, 30.0, 120.0)
    """
    field = "infusion"
    head, cl, route = _split(text, field)
    if route not in (None, "iv", "intravenous"):
        raise InputError(field, text, "IV infusions only")
    if "over" in cl:
        raise InputError(field, text, "'<rate> for <duration>' (use 'for', not 'over')")
    q = _quantity(head, field, text)
    if has_dimension_of(q, "mg") or has_dimension_of(q, "mg/kg"):
        raise UnitError(field, text, "a rate such as '0.15 mg/kg/h' or '10 ug/kg/min'; this "
                        "is a dose: use --bolus, or add '/h'")
    if has_dimension_of(q, "mg/h"):
        mgh, per_kg = _positive(float(q.to("mg/h").magnitude), field, text), None
    elif has_dimension_of(q, "mg/kg/h"):
        mgh, per_kg = None, _positive(float(q.to("mg/kg/h").magnitude), field, text)
    else:
        raise UnitError(field, text, "a rate in mg/h, mg/kg/h, ug/kg/min, ...")
    dur = None
    if "for" in cl:
        dur = parse_time(cl["for"], "infusion 'for'")
        if dur <= 0:
            raise InputError("infusion 'for'", cl["for"], "a duration > 0")
    return Infusion(mgh, per_kg, parse_time(cl.get("at", 0.0), "infusion 'at'"), dur, text)


def _quantity(head: str, field: str, text: str):
    try:
        return Q_(head.replace("µ", "u").replace("μ", "u").replace("mcg", "ug"))
    except Exception:
        raise UnitError(field, text, "a number with a unit, e.g. '2 mg/kg' or "
                        "'0.15 mg/kg/h for 2 h'") from None


def parse_times(text) -> np.ndarray:
    """Output times: ``"1,5,10,30,60 min"``, ``"0:60:1 min"`` (start:stop:step), or numbers
    in min.

    Examples
    --------
    >>> parse_times("1,5,10 min").tolist()
    [1.0, 5.0, 10.0]
    >>> parse_times("0:2:1 h").tolist()
    [0.0, 60.0, 120.0]
    """
    if not isinstance(text, str):
        arr = np.atleast_1d(np.asarray(text, dtype=float))
        if arr.ndim != 1 or len(arr) == 0:
            raise InputError("at", text, "at least one output time (min)")
        for t in arr:
            parse_time(float(t), "at")
        return arr
    s = text.strip()
    m = re.fullmatch(r"([\d.,:\s]+?)\s*([a-zA-Z]*)", s)
    if not m:
        raise InputError("at", text, "times such as '1,5,10,30,60 min' or '0:24:0.5 h'")
    nums, unit = m.group(1), m.group(2) or "min"
    try:
        scale = parse_quantity(f"1 {unit}", "at", "min")
        if ":" in nums:
            a, b, c = (float(x) for x in nums.split(":"))
            if c <= 0 or b < a:
                raise ValueError
            vals = np.arange(a, b + c / 2, c)
        else:
            vals = np.array([float(x) for x in nums.replace(" ", "").split(",") if x])
    except (ValueError, TypeError):
        raise InputError("at", text, "times such as '1,5,10,30,60 min' or '0:24:0.5 h'") \
            from None
    out = vals * scale
    for t in out:
        parse_time(float(t), "at")
    if len(out) == 0:
        raise InputError("at", text, "at least one time")
    return out
