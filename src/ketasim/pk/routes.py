"""Administration routes: IV (into the central compartment) or first-order absorption.

Bioavailability ``F`` scales the absorbed dose; ``ka`` (1/min) is the first-order rate
out of a depot. Only ketamine and S-ketamine have non-IV routes here.

ka values are OUR estimates: the cited studies report Tmax, not ka, so ka is the value
with which the Kamp 2020 arterial model (our general adult model) reproduces the reported
median Tmax (`tests/test_pk_dosing.py` checks it). Tmax depends on the disposition model:
Domino's fast distribution halves it. A one-compartment Bateman estimate would give ka 5-10x
larger and Tmax of ~5-10 min under the multi-compartment models, which is why we did not
use it. Override either with ``Route.with_(F=..., ka=...)`` or ``simulate(route_params=)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ketasim.core.errors import InputError
from ketasim.core.units import as_float
from ketasim.core.validation import TEXT, validate_params
from ketasim.pk import sources as S


@dataclass(frozen=True)
class Route:
    name: str
    F: float
    ka: float | None  # None for IV
    citation: str = ""
    note: str = ""

    @property
    def absorbed(self) -> bool:
        return self.ka is not None

    def with_(self, F: float | None = None, ka: float | None = None, *,
              field: str = "") -> Route:
        """This route with another bioavailability ``F`` (0-1) and/or absorption rate
        constant ``ka`` (1/min, or a quantity such as ``"0.05 1/min"``); ``field`` prefixes
        the names in messages (e.g. ``"route_params['oral']"``).

        Examples
        --------
        >>> KETAMINE_ROUTES["oral"].with_(ka="3 1/h").ka
        0.05
        """
        if F is not None:
            F = as_float(F, f"{field}['F']" if field else "F", "", allowed="a bioavailability "
                         "in (0, 1]")
            if not 0 < F <= 1:
                raise InputError(f"{field}['F']" if field else "F", F,
                                 "a bioavailability in (0, 1]")
        if ka is not None:
            name = f"{field}['ka']" if field else "ka"
            if self.ka is None:
                raise InputError(name, ka, f"nothing: route {self.name!r} has no absorption")
            ka = as_float(ka, name, "1/min", allowed="an absorption rate constant in 1/min in "
                          "(0, 100)")
            if not 0 < ka < 100:
                raise InputError(name, ka, "an absorption rate constant in (0, 100) 1/min")
        return replace(self, F=self.F if F is None else F, ka=self.ka if ka is None else ka)


IV = Route("iv", 1.0, None)

KETAMINE_ROUTES = {
    "iv": IV,
    # clements1982: IM F 93 %, Tmax 5-15 min -> ka 0.058/min (Tmax 10 min, Kamp)
    "im": Route("im", 0.93, 0.058, S.CLEMENTS1982,
                "F 93 % in adults (Clements 1982); 41 % in children (Hornik 2018); Tmax ~10 min"),
    # yanagihara2003 ~20 %, clements1982 17 %; Tmax ~30 min -> ka 0.017/min
    "oral": Route("oral", 0.20, 0.017, S.YANAGIHARA,
                  "F 17-20 % (Clements 1982; Yanagihara 2003); Tmax ~30 min; studies range "
                  "8-23 %"),
    # pharmacotherapy2022_in Table 6: F 17/13/11 % (10/30/50 mg), Tmax 14-23 min
    # -> F 0.13 (30 mg), ka 0.025/min (Tmax 18 min). yanagihara2003 reports ~45 % (n = 3).
    "intranasal": Route("intranasal", 0.13, 0.025, S.IN2022,
                        "F 11-17 % (Pharmacotherapy 2022, n = 27); 45 % in Yanagihara 2003 "
                        "(n = 3)"),
    # rolan2014: SL wafer F 29 % (90 % CI 27-31), Tmax 0.75 h -> ka 0.012/min
    "sublingual": Route("sublingual", 0.29, 0.012, S.ROLAN, "F 29 % (Rolan 2014); Tmax 45 min"),
}

#: Every route name (the table of a drug says which it has).
ROUTES = ("iv", "im", "oral", "intranasal", "sublingual")

ROUTE_ALIASES = {"in": "intranasal", "nasal": "intranasal", "sl": "sublingual", "po": "oral",
                 "intramuscular": "im", "intravenous": "iv"}


@validate_params({"drug": TEXT, "name": TEXT})
def get_route(drug: str, name: str) -> Route:
    """The route ``name`` for ``drug`` (IV for every drug; others for (S-)ketamine).

    Examples
    --------
    >>> get_route("ketamine", "IM").F
    0.93
    """
    if not isinstance(name, str):
        raise InputError("route", name, f"one of {list(ROUTES)}")
    n = ROUTE_ALIASES.get(name.strip().lower(), name.strip().lower())
    table = KETAMINE_ROUTES if drug in ("ketamine", "s-ketamine") else {"iv": IV}
    if n not in table:
        raise InputError("route", name, f"one of {sorted(table)} for {drug}")
    return table[n]
