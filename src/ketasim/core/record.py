"""`Record`: the one object that says what a simulator keeps (after diffrax's ``SaveAt``).

Every simulator takes ``record=Record(...)`` instead of its own keyword spellings. It says
which traces to keep and how often; summaries (spike counts, responses, block fractions) are
always returned.

Examples
--------
>>> r = Record(every="0.5 ms", variables=("v", "ca_i"))
>>> r.interval("ms", default=0.1), r.names(("v", "ca_i", "i_nmda"))
(0.5, ('v', 'ca_i'))
>>> Record(variables="all").names(("v", "ca_i"))
('v', 'ca_i')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pint

from ketasim.core.errors import InputError, UnknownNameError
from ketasim.core.units import parse_quantity
from ketasim.core.validation import Instance, Interval, NoneOK, check_fields

_CONSTRAINTS = {
    "every": (NoneOK(), Interval(0, None, closed="neither"), Instance(str, pint.Quantity)),
    "variables": Instance(str, tuple, list),
}


@dataclass(frozen=True)
class Record:
    """What to record.

    Parameters
    ----------
    every : sampling interval of the traces: a quantity (``"0.5 ms"``, ``"10 min"``, pint) or
        a number in the simulator's time unit; None keeps the simulator's default grid.
    variables : names of the traces to keep, ``"all"`` for every trace the simulator offers,
        or ``()`` for none (summaries only; the default).
    """

    every: Any = None
    variables: tuple[str, ...] | str = ()

    def __post_init__(self):
        check_fields(self, _CONSTRAINTS, prefix="record.")
        if isinstance(self.every, str | pint.Quantity):  # a time: check it now, convert later
            if not parse_quantity(self.every, "record.every", "ms") > 0:
                raise InputError("record.every", self.every, "a positive time interval")
        v = self.variables
        if isinstance(v, str):
            v = (v,) if v != "all" else "all"
        elif not all(isinstance(x, str) for x in v):
            raise InputError("record.variables", v, "'all' or a sequence of trace names")
        else:
            v = tuple(v)
        object.__setattr__(self, "variables", v)

    @property
    def any(self) -> bool:
        """True when at least one trace is requested."""
        return self.variables == "all" or len(self.variables) > 0

    def interval(self, unit: str, default: float) -> float:
        """The sampling interval in ``unit`` (> 0), or ``default`` when ``every`` is None."""
        if self.every is None:
            return default
        if isinstance(self.every, int | float) and not isinstance(self.every, bool):
            val = float(self.every)
        else:
            val = parse_quantity(self.every, "record.every", unit)
        if not (val > 0 and val < float("inf")):
            raise InputError("record.every", self.every, f"a positive, finite interval ({unit})")
        return val

    def names(self, available: Sequence[str]) -> tuple[str, ...]:
        """The requested trace names, checked against those the simulator offers."""
        if self.variables == "all":
            return tuple(available)
        for name in self.variables:
            if name not in available:
                raise UnknownNameError("record.variables", name, f"one of {list(available)}")
        return tuple(self.variables)
