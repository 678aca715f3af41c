"""Declarative input validation, in the spirit of scikit-learn's ``_param_validation``.

A spec or a public function states what each input may be (an `Interval`, `Options`, a
`Quantity` with a unit, ...) next to its definition; `check` / `check_fields` /
`validate_params` enforce it at the edge and raise `InputError` naming the field, the value
and what is allowed. Caps on the size of the work (`check_work`) keep a typo from hanging
the machine, and `check_finite` guards every result on the way out.

Examples
--------
>>> check("weight_kg", 70.0, Interval(0, 300, closed="right"))
70.0
>>> check("weight_kg", float("nan"), Interval(0, 300, closed="right"))
Traceback (most recent call last):
...
ketasim.core.errors.InputError: weight_kg: got nan; allowed: a real number in (0, 300]
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ketasim.core.errors import InputError, NumericalError, WorkLimitError


class Constraint:
    """A predicate on one value with a human description of what it accepts."""

    def is_satisfied_by(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Interval(Constraint):
    """A finite real (or integer, ``integer=True``) number in an interval.

    ``lo``/``hi`` may be None (unbounded); ``closed`` is "both", "left", "right" or
    "neither". NaN and infinities are always rejected, and so are booleans. ``unit`` is
    only shown in messages (``"a real number in [0.3, 400] kg"``).
    """

    def __init__(self, lo: float | None = None, hi: float | None = None, *,
                 closed: str = "both", integer: bool = False, unit: str = ""):
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed={closed!r}")
        self.lo, self.hi, self.closed, self.integer = lo, hi, closed, integer
        self.unit = unit

    def is_satisfied_by(self, value) -> bool:
        if not _real(value):
            return False
        if self.integer and not isinstance(value, numbers.Integral):
            return False
        v = float(value)
        if not math.isfinite(v):
            return False
        if self.lo is not None:
            if v < self.lo or (v == self.lo and self.closed in ("right", "neither")):
                return False
        if self.hi is not None:
            if v > self.hi or (v == self.hi and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self) -> str:
        kind = "an integer" if self.integer else "a real number"
        unit = f" {self.unit}" if self.unit else ""
        if self.lo is None and self.hi is None:
            return f"a finite {kind.split(' ', 1)[1]}{unit}"
        left = "[" if self.closed in ("both", "left") and self.lo is not None else "("
        right = "]" if self.closed in ("both", "right") and self.hi is not None else ")"
        def show(x):
            return str(int(x)) if self.integer and float(x) == int(x) else f"{x:g}"

        lo = "-inf" if self.lo is None else show(self.lo)
        hi = "inf" if self.hi is None else show(self.hi)
        return f"{kind} in {left}{lo}, {hi}{right}{unit}"


class Options(Constraint):
    """One of a fixed set of values (compared with ``==``; strings exactly)."""

    def __init__(self, values: Iterable):
        self.values = tuple(values)

    def is_satisfied_by(self, value) -> bool:
        try:
            return value in self.values
        except TypeError:
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


class Instance(Constraint):
    """An instance of one of the given types."""

    def __init__(self, *types: type):
        self.types = types

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, self.types)

    def __str__(self) -> str:
        names = [t.__name__ for t in self.types]
        return "an instance of " + " or ".join(names)


class Quantity(Constraint):
    """A value in ``unit``: a number (taken in ``unit``) satisfying ``inner``, or a strict
    quantity string / pint Quantity whose magnitude in ``unit`` does (what
    `ketasim.core.units.as_float` reads).

    Examples
    --------
    >>> q = Quantity("ms", Interval(0, None))
    >>> q.is_satisfied_by("2 s"), q.is_satisfied_by("2 kg"), q.is_satisfied_by(-1)
    (True, False, False)
    """

    def __init__(self, unit: str, inner: Constraint | None = None):
        self.unit, self.inner = unit, inner or Interval()

    def is_satisfied_by(self, value) -> bool:
        from ketasim.core.errors import KetasimError
        from ketasim.core.units import as_float

        if isinstance(value, str) or type(value).__module__.startswith("pint"):
            try:
                return self.inner.is_satisfied_by(as_float(value, "value", self.unit))
            except KetasimError:
                return False
        return self.inner.is_satisfied_by(value)

    def __str__(self) -> str:
        return f"{self.inner} (in {self.unit}, or a quantity such as '1 {self.unit}')"


class IsCallable(Constraint):
    """A function (or any callable)."""

    def is_satisfied_by(self, value) -> bool:
        return callable(value)

    def __str__(self) -> str:
        return "a function"


class NoneOK(Constraint):
    """None."""

    def is_satisfied_by(self, value) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


class Each(Constraint):
    """A non-empty array-like (or a scalar) whose every element satisfies ``inner``;
    ``max_len`` caps its length."""

    def __init__(self, inner: Constraint, *, max_len: int | None = None):
        self.inner, self.max_len = inner, max_len

    def is_satisfied_by(self, value) -> bool:
        return self.first_bad(value) is None

    def first_bad(self, value):
        """(index, element) of the first offending element, ("len", n) or None."""
        if isinstance(value, str | bytes):
            return ("type", value)
        if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
            flat = value.ravel()
            if flat.size == 0:
                return ("len", 0)
            if self.max_len is not None and flat.size > self.max_len:
                return ("len", flat.size)
            i = first_bad_index(flat, self.inner)
            return None if i is None else (i, flat[i].item())
        try:
            arr = np.asarray(value, dtype=object).ravel()
        except ValueError:  # ragged nesting
            return ("type", value)
        if arr.size == 0:
            return ("len", 0)
        if self.max_len is not None and arr.size > self.max_len:
            return ("len", arr.size)
        for i, x in enumerate(arr):
            x = x.item() if isinstance(x, np.generic) else x
            if not self.inner.is_satisfied_by(x):
                return (i, x)
        return None

    def __str__(self) -> str:
        cap = f" (at most {self.max_len})" if self.max_len else ""
        return f"one or more values{cap}, each {self.inner}"


def first_bad_index(flat: np.ndarray, constraint: Constraint) -> int | None:
    """Index of the first element of a flat numeric array that ``constraint`` refuses (None
    if all pass); vectorised for `Interval` and numeric `Options`, so that a million
    patients are checked at numpy speed."""
    if isinstance(constraint, Interval) and flat.dtype.kind in "iuf":
        if constraint.integer and flat.dtype.kind == "f":
            return 0 if flat.size else None  # floats are not integers (as is_satisfied_by)
        v = flat.astype(np.float64)
        bad = ~np.isfinite(v)
        lo, hi, closed = constraint.lo, constraint.hi, constraint.closed
        if lo is not None:
            bad |= (v <= lo) if closed in ("right", "neither") else (v < lo)
        if hi is not None:
            bad |= (v >= hi) if closed in ("left", "neither") else (v > hi)
        return int(np.argmax(bad)) if bad.any() else None
    if isinstance(constraint, Options) and flat.dtype.kind in "iuf" and all(
            _real(o) for o in constraint.values):
        bad = ~np.isin(flat, np.asarray(constraint.values, dtype=float))
        return int(np.argmax(bad)) if bad.any() else None
    for i, x in enumerate(flat):
        if not constraint.is_satisfied_by(_plain(x)):
            return i
    return None


#: Common constraints of physical inputs (numbers in the unit of the field's suffix).
FINITE = Interval()
NONNEG = Interval(0, None)
POSITIVE = Interval(0, None, closed="neither")
FRACTION = Interval(0, 1)
VOLTAGE_MV = Interval(-200, 200)
SEED = Interval(0, 2**63 - 1, integer=True)
TEXT = Instance(str)


def _plain(value):
    """numpy scalars shown as Python numbers in messages."""
    return value.item() if isinstance(value, np.generic) else value


def check(field: str, value: Any, *constraints: Constraint):
    """Return ``value`` if it satisfies at least one of ``constraints``, else raise
    `InputError` naming ``field``, the value and what is allowed.

    For `Each`, the message names the first offending element (``field[i]``).
    """
    for c in constraints:
        if c.is_satisfied_by(_plain(value)):
            return value
    allowed = " or ".join(str(c) for c in constraints)
    if len(constraints) == 1 and isinstance(constraints[0], Each):
        bad = constraints[0].first_bad(value)
        if bad is not None and isinstance(bad[0], int):
            raise InputError(f"{field}[{bad[0]}]", bad[1], str(constraints[0].inner))
    raise InputError(field, _plain(value), allowed)


def check_fields(obj: Any, constraints: Mapping[str, Constraint | tuple[Constraint, ...]],
                 prefix: str = "") -> None:
    """Check attributes of ``obj`` (a spec) against ``constraints`` (field -> constraint(s)).

    Call it in a frozen dataclass's ``__post_init__`` so that a bad spec cannot be built.
    """
    cls = type(obj)
    if cls is not _Bound and "__ketasim_constraints__" not in cls.__dict__:
        cls.__ketasim_constraints__ = dict(constraints)  # read by the common invalid-input tests
    for name, cons in constraints.items():
        cons = cons if isinstance(cons, tuple) else (cons,)
        check(f"{prefix}{name}", getattr(obj, name), *cons)


def validate_params(constraints: Mapping[str, Constraint | tuple[Constraint, ...]]):
    """Decorator: check the named arguments of a public function on every call.

    Examples
    --------
    >>> @validate_params({"n": Interval(1, 100, integer=True)})
    ... def f(n=3):
    ...     return n
    >>> f(n=0)
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: n: got 0; allowed: an integer in [1, 100]
    """

    def deco(func: Callable):
        sig = inspect.signature(func)
        unknown = set(constraints) - set(sig.parameters)
        if unknown:
            raise TypeError(f"{func.__qualname__}: constraints for unknown args {unknown}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise InputError(func.__name__, "arguments", str(exc)) from None
            bound.apply_defaults()
            check_fields(_Bound(bound.arguments), constraints)
            return func(*args, **kwargs)

        wrapper.__ketasim_constraints__ = dict(constraints)
        return wrapper

    return deco


class _Bound:
    def __init__(self, d):
        self.__dict__.update(d)


def check_work(field: str, size: float, cap: float, how_to_raise: str) -> None:
    """Refuse work larger than ``cap`` (time steps, grid points, conditions...) before it
    starts, naming the cap and how to go past it.

    Examples
    --------
    >>> check_work("time points", 1e9, 1e7, "max_points=... lifts it")
    Traceback (most recent call last):
    ...
    ketasim.core.errors.WorkLimitError: time points: got 1000000000; allowed: at most ...
    """
    if not (size <= cap):  # also catches NaN
        shown = int(size) if math.isfinite(size) and size == int(size) else size
        raise WorkLimitError(field, shown, f"at most {cap:.0f} ({how_to_raise})")


def check_finite(field: str, values) -> None:
    """Raise `NumericalError` if ``values`` holds NaN or infinity (results on the way out)."""
    arr = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(arr)):
        n = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise NumericalError(f"{field}: {n} non-finite value(s) in the result; this is a bug "
                             "or an input outside the model's range, please report it")


def invalid_values(*constraints: Constraint) -> list:
    """Values that satisfy none of ``constraints`` (for the common invalid-input tests, like
    scikit-learn's ``generate_invalid_param_val``).

    Examples
    --------
    >>> [v for v in invalid_values(Interval(0, 1)) if isinstance(v, float)]
    [nan, inf, -inf, -1.0, 2.0]
    """
    pool: list = [float("nan"), float("inf"), -float("inf"), "x", True, None, object()]
    for c in constraints:
        if isinstance(c, Interval):
            span = 1.0 if c.lo is None or c.hi is None else max(c.hi - c.lo, 1.0)
            if c.lo is not None:
                pool.append(float(c.lo) - span)
            if c.hi is not None:
                pool.append(float(c.hi) + span)
            if c.integer:
                pool.append(0.5 if c.lo is None else float(c.lo) + 0.5)
        elif isinstance(c, Options):
            pool.append("not-an-option")
        elif isinstance(c, Quantity):
            pool.extend(invalid_values(c.inner))
            pool.extend(["1 furlong", f"1 {c.unit} 3", "nan " + c.unit])
        elif isinstance(c, Each):
            pool.extend([[], [float("nan")]] + [[v] for v in invalid_values(c.inner)[:3]])
    out = []
    for v in pool:
        if not any(c.is_satisfied_by(v) for c in constraints) and not any(
                v is o or (isinstance(v, float) and isinstance(o, float) and repr(v) == repr(o))
                for o in out):
            out.append(v)
    return out
