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

import math
import re
from dataclasses import dataclass

import numpy as np
import pint

from ketasim.core.errors import InputError, UnitError
from ketasim.core.units import Q_, as_float, has_dimension_of
from ketasim.core.validation import (
    POSITIVE,
    TEXT,
    Instance,
    Interval,
    NoneOK,
    Options,
    check_fields,
    check_work,
    validate_params,
)
from ketasim.pk.routes import ROUTE_ALIASES, ROUTES

#: (max bolus mg/kg, max infusion mg/kg/h): sanity limits, ~5-10x clinical maxima.
LIMITS = {
    "ketamine": (20.0, 10.0), "s-ketamine": (10.0, 5.0), "propofol": (8.0, 20.0),
    "thiopental": (15.0, 10.0), "fentanyl": (0.1, 0.05), "remifentanil": (0.02, 0.3),
    "morphine": (1.5, 0.5), "midazolam": (1.0, 1.0),
}
MAX_TIME_MIN = 30 * 24 * 60.0
#: Default cap on output time points x patients of one `simulate` call (``max_points=``).
MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class Dialect:
    """How messages name the dose inputs: Python argument names or CLI flags."""

    bolus: str
    infusion: str
    times: str
    use_bolus: str
    use_infusion: str


PYTHON = Dialect("bolus", "infusion", "times", "pass it as a bolus (bolus=[...])",
                 "pass it as an infusion (infusion=[...])")
CLI = Dialect("--bolus", "--infusion", "--at", "use --bolus", "use --infusion")

#: a time in min within the 30-day horizon of the pk layer
TIME_MIN = Interval(0, MAX_TIME_MIN)
_DOSE = (POSITIVE, NoneOK())

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

    def __post_init__(self):
        check_fields(self, {"mg": _DOSE, "mg_per_kg": _DOSE, "time": TIME_MIN,
                            "route": Options(ROUTES), "over": TIME_MIN, "text": TEXT},
                     prefix="Bolus.")
        _one_dose(self.mg, self.mg_per_kg, "mg", "mg_per_kg", "bolus")
        if self.over > 0 and self.route != "iv":
            raise InputError("over", self.over, "0 for a non-IV route ('over' is IV only)")

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

    def __post_init__(self):
        check_fields(self, {"mg_per_h": _DOSE, "mg_per_kg_per_h": _DOSE, "start": TIME_MIN,
                            "duration": (Interval(0, MAX_TIME_MIN, closed="right"), NoneOK()),
                            "text": TEXT}, prefix="Infusion.")
        _one_dose(self.mg_per_h, self.mg_per_kg_per_h, "mg_per_h", "mg_per_kg_per_h",
                  "infusion")

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

    def __post_init__(self):
        check_fields(self, {"boluses": Instance(tuple), "infusions": Instance(tuple)},
                     prefix="Schedule.")
        for name, items, kind in (("boluses", self.boluses, Bolus),
                                  ("infusions", self.infusions, Infusion)):
            for i, x in enumerate(items):
                if not isinstance(x, kind):
                    raise InputError(f"Schedule.{name}[{i}]", type(x).__name__,
                                     f"a {kind.__name__}")
        if not self.boluses and not self.infusions:
            raise InputError("schedule", "empty", "at least one bolus or infusion")

    @staticmethod
    def parse(bolus=(), infusion=(), route: str = "iv", *,
              dialect: Dialect = PYTHON) -> Schedule:
        """A schedule from dose strings or quantities (one or a list of each).

        ``route`` is the route of boluses that do not name one. ``dialect`` says how error
        messages name the inputs (`PYTHON`: argument names; `CLI`: flags).
        """
        if isinstance(bolus, str | pint.Quantity | Bolus):
            bolus = [bolus]
        if isinstance(infusion, str | pint.Quantity | Infusion):
            infusion = [infusion]
        for name, items in ((dialect.bolus, bolus), (dialect.infusion, infusion)):
            if not isinstance(items, list | tuple):
                raise InputError(name, items, "a dose string, a quantity or a list of them")
        if not isinstance(route, str):
            raise InputError("route", route, f"one of {sorted(ROUTES)}")
        b = tuple(x if isinstance(x, Bolus) else
                  parse_bolus(x, default_route=route, dialect=dialect) for x in bolus)
        i = tuple(x if isinstance(x, Infusion) else parse_infusion(x, dialect=dialect)
                  for x in infusion)
        if not b and not i:
            raise InputError("schedule", "empty",
                             f"at least one {dialect.bolus} or {dialect.infusion}")
        return Schedule(b, i)

    def normalised(self) -> dict:
        """The schedule as plain numbers (mg, mg/kg, min, mg/h, mg/kg/h), for provenance."""
        return {"bolus": [{"mg": b.mg, "mg_per_kg": b.mg_per_kg, "time_min": b.time,
                           "route": b.route, "over_min": b.over} for b in self.boluses],
                "infusion": [{"mg_per_h": i.mg_per_h, "mg_per_kg_per_h": i.mg_per_kg_per_h,
                              "start_min": i.start, "duration_min": i.duration}
                             for i in self.infusions]}

    def end_time(self) -> float:
        ends = [b.time + b.over for b in self.boluses]
        ends += [i.start + (i.duration or 0.0) for i in self.infusions]
        return max(ends, default=0.0)

    def check(self, drug: str, weight: np.ndarray, dialect: Dialect = PYTHON) -> None:
        """Raise for doses above the sanity limits of ``drug`` (per kg of each patient)."""
        max_bolus, max_rate = LIMITS.get(drug, (np.inf, np.inf))
        for b in self.boluses:
            per_kg = b.amount(weight) / weight
            if np.any(per_kg > max_bolus):
                raise InputError(dialect.bolus, b.text or b,
                                 f"<= {max_bolus} mg/kg of {drug} (got up to "
                                 f"{float(per_kg.max()):.3g} mg/kg); check the unit "
                                 "(mg vs ug)")
        for i in self.infusions:
            per_kg_h = i.rate_mg_min(weight) * 60 / weight
            if np.any(per_kg_h > max_rate):
                raise InputError(dialect.infusion, i.text or i,
                                 f"<= {max_rate} mg/kg/h of {drug} (got up to "
                                 f"{float(per_kg_h.max()):.3g} mg/kg/h); check the unit")


_QTY_HEAD = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*"
                       r"[A-Za-zµμ_]+(?:\s*(?:/|\*|\s)\s*[A-Za-zµμ_]+)*\s*")
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


def _one_dose(a, b, name_a: str, name_b: str, what: str) -> None:
    """The cross-field rule of a dose (each field is checked by its constraint first)."""
    if (a is None) == (b is None):
        raise InputError(f"{name_a}/{name_b}", (a, b), f"exactly one of {name_a} and "
                         f"{name_b} for a {what}")


def parse_time(value, field: str) -> float:
    """A time such as ``"30 min"``, ``"2 h"``, a pint Quantity or a number of minutes ->
    float min in [0, 30 d].

    Examples
    --------
    >>> parse_time("2 h", "at")
    120.0
    """
    t = as_float(value, field, "min",
                 allowed="a time such as '30 min' or '2 h' (a number: min)")
    if t < 0 or t > MAX_TIME_MIN:
        raise InputError(field, value, f"a time between 0 and {MAX_TIME_MIN:.0f} min (30 d)")
    return t


def _positive(x: float, field: str, text) -> float:
    if not np.isfinite(x) or x <= 0:
        raise InputError(field, text, "a positive, finite dose")
    return x


@validate_params({"text": Instance(str, pint.Quantity), "default_route": TEXT,
                  "dialect": Instance(Dialect)})
def parse_bolus(text, default_route: str = "iv", *, dialect: Dialect = PYTHON) -> Bolus:
    """Parse a bolus: a string, or a pint Quantity (a dose at time 0).

    Examples
    --------
    >>> parse_bolus("2 mg/kg at 30 min").mg_per_kg, parse_bolus("2 mg/kg at 30 min").time
    (2.0, 30.0)
    >>> parse_bolus("50 mg oral").route
    'oral'
    """
    field = dialect.bolus
    if isinstance(text, pint.Quantity):
        head, cl, route = text, {}, None
    else:
        head, cl, route = _split(text, field)
    if "for" in cl:
        raise InputError(field, text, "a dose with optional 'at <time>' / 'over <time>'; "
                         f"'for' belongs to an infusion: {dialect.use_infusion}")
    q = _quantity(head, field, text)
    if has_dimension_of(q, "mg/h") or has_dimension_of(q, "mg/kg/h"):
        raise UnitError(field, text, "a dose such as '2 mg/kg' or '35 mg'; this is a rate: "
                        f"{dialect.use_infusion}")
    if has_dimension_of(q, "mg"):
        mg, per_kg = _positive(float(q.to("mg").magnitude), field, text), None
    elif has_dimension_of(q, "mg/kg"):
        mg, per_kg = None, _positive(float(q.to("mg/kg").magnitude), field, text)
    else:
        raise UnitError(field, text, "a dose in mass (mg, ug, g) or mass per kg (mg/kg)")
    over = parse_time(cl["over"], f"{field} 'over'") if "over" in cl else 0.0
    r0 = str(route or default_route).strip().lower()
    r = ROUTE_ALIASES.get(r0, r0)
    if r not in ROUTES:
        raise InputError("route", route or default_route, f"one of {sorted(ROUTES)}")
    if over > 0 and r != "iv":
        raise InputError(field, text, "'over' only for IV doses")
    return Bolus(mg, per_kg, parse_time(cl.get("at", 0.0), f"{field} 'at'"), r, over,
                 text if isinstance(text, str) else str(text))


@validate_params({"text": Instance(str, pint.Quantity), "dialect": Instance(Dialect)})
def parse_infusion(text, *, dialect: Dialect = PYTHON) -> Infusion:
    """Parse an infusion: a string, or a pint Quantity (a rate from 0 to the last output
    time).

    Examples
    --------
    >>> i = parse_infusion("10 ug/kg/min at 30 min for 2 h")
    >>> round(i.mg_per_kg_per_h, 3), i.start, i.duration
    (0.6, 30.0, 120.0)
    """
    field = dialect.infusion
    if isinstance(text, pint.Quantity):
        head, cl, route = text, {}, None
    else:
        head, cl, route = _split(text, field)
    if route not in (None, "iv", "intravenous"):
        raise InputError(field, text, "IV infusions only")
    if "over" in cl:
        raise InputError(field, text, "'<rate> for <duration>' (use 'for', not 'over')")
    q = _quantity(head, field, text)
    if has_dimension_of(q, "mg") or has_dimension_of(q, "mg/kg"):
        raise UnitError(field, text, "a rate such as '0.15 mg/kg/h' or '10 ug/kg/min'; this "
                        f"is a dose: {dialect.use_bolus}, or add '/h'")
    if has_dimension_of(q, "mg/h"):
        mgh, per_kg = _positive(float(q.to("mg/h").magnitude), field, text), None
    elif has_dimension_of(q, "mg/kg/h"):
        mgh, per_kg = None, _positive(float(q.to("mg/kg/h").magnitude), field, text)
    else:
        raise UnitError(field, text, "a rate in mg/h, mg/kg/h, ug/kg/min, ...")
    dur = None
    if "for" in cl:
        dur = parse_time(cl["for"], f"{field} 'for'")
        if dur <= 0:
            raise InputError(f"{field} 'for'", cl["for"], "a duration > 0")
    return Infusion(mgh, per_kg, parse_time(cl.get("at", 0.0), f"{field} 'at'"), dur,
                    text if isinstance(text, str) else str(text))


def _quantity(head, field: str, text):
    if isinstance(head, pint.Quantity):
        if np.ndim(head.magnitude) != 0:
            raise InputError(field, str(text), "one dose (a scalar quantity)")
        return head
    allowed = "a number with a unit, e.g. '2 mg/kg' or '0.15 mg/kg/h for 2 h'"
    if not _QTY_HEAD.fullmatch(head):
        raise UnitError(field, text, f"{allowed}; nothing may follow the unit except a "
                        "route and 'at' / 'over' / 'for' clauses")
    try:
        return Q_(head.replace("µ", "u").replace("μ", "u").replace("mcg", "ug"))
    except Exception:
        raise UnitError(field, text, allowed) from None


@validate_params({"field": TEXT, "max_points": Interval(1, None, integer=True)})
def parse_times(text, *, field: str = "times", max_points: int = MAX_POINTS) -> np.ndarray:
    """Output times in min from ``"1,5,10,30,60 min"``, ``"0:60:1 min"`` (start:stop:step),
    numbers in min, or a pint Quantity (array).

    At most ``max_points`` times (a grid such as ``"0:30:1e-6 d"`` would otherwise exhaust
    memory); ``field`` names the input in messages.

    Examples
    --------
    >>> parse_times("1,5,10 min").tolist()
    [1.0, 5.0, 10.0]
    >>> parse_times("0:2:1 h").tolist()
    [0.0, 60.0, 120.0]
    """
    how = ("pass --max-points to go past it" if field.startswith("--")
           else "pass max_points=... to go past it")
    allowed = "times such as '1,5,10,30,60 min' or '0:24:0.5 h' (start:stop:step)"
    if isinstance(text, pint.Quantity):
        mag = np.atleast_1d(np.asarray(text.magnitude, dtype=float))
        if mag.ndim != 1:
            raise InputError(field, str(text), "a 1-D array of times")
        check_work(f"{field} (number of time points)", mag.size, max_points, how)
        out = np.array([parse_time(Q_(float(m), text.units), field) for m in mag])
    elif not isinstance(text, str):
        try:
            arr = np.asarray(text, dtype=float)
        except (TypeError, ValueError):
            raise InputError(field, text if np.ndim(text) == 0 else type(text).__name__,
                             f"numbers in min or {allowed}") from None
        arr = np.atleast_1d(arr)
        if arr.ndim != 1 or len(arr) == 0:
            raise InputError(field, f"an array of shape {arr.shape}",
                             "at least one output time (min), 1-D")
        check_work(f"{field} (number of time points)", arr.size, max_points, how)
        out = arr
    else:
        m = re.fullmatch(r"\s*([\deE.,:+\-\s]+?)\s*([a-zA-Z]*)\s*", text)
        if not m:
            raise InputError(field, text, allowed)
        nums, unit = m.group(1), m.group(2) or "min"
        try:
            scale = as_float(f"1 {unit}", field, "min", allowed="a time unit (min, h, d, s)")
            if ":" in nums:
                a, b, c = (float(x) for x in nums.split(":"))
                if not (c > 0 and b >= a and math.isfinite(a) and math.isfinite(b)):
                    raise ValueError
                n = math.floor((b - a) / c + 0.5) + 1
            else:
                vals = np.array([float(x) for x in nums.replace(" ", "").split(",") if x])
                n = vals.size
        except (ValueError, TypeError):
            raise InputError(field, text, allowed) from None
        check_work(f"{field} (number of time points)", n, max_points, how)
        if ":" in nums:
            vals = np.arange(a, b + c / 2, c)
        out = vals * scale
    out = np.asarray(out, dtype=float)
    if len(out) == 0:
        raise InputError(field, text, "at least one time")
    bad = ~np.isfinite(out) | (out < 0) | (out > MAX_TIME_MIN)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise InputError(field if out.size == 1 else f"{field}[{k}]", float(out[k]),
                         f"a time in min in [0, {MAX_TIME_MIN:.0f}] (30 d)")
    return out
