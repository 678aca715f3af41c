"""Model specifications: typical parameters as functions of covariates, validity, variability.

A model's ``typical(cov)`` returns volumes (L), clearances (L/min) and ke0 (1/min) as arrays
over patients. Micro-constant models (k10, k12, ...) are converted with `from_micro`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ketasim.core.errors import InputError, ValidityRangeError
from ketasim.core.validation import (
    TEXT,
    Each,
    Instance,
    Interval,
    IsCallable,
    NoneOK,
    Options,
    check,
    check_fields,
)

#: Physically possible covariate ranges (a guard against typos, not a model's validity).
COVARIATE_RANGES = {"weight_kg": (0.3, 400.0), "age_yr": (0.0, 120.0),
                    "height_cm": (30.0, 250.0)}
_UNITS = {"weight_kg": "kg", "age_yr": "year", "height_cm": "cm"}
#: per-field constraints of `Covariates` (elements of the per-patient arrays)
_COVARIATE_CONSTRAINTS = {**{k: Each(Interval(lo, hi, unit=_UNITS[k])) for k, (lo, hi) in
                             COVARIATE_RANGES.items()}, "sex": Each(Options((0, 1)))}


@dataclass(frozen=True)
class Covariates:
    """Patient covariates as arrays over N patients (sex: 0 male, 1 female).

    Built directly from arrays (checked: same length, finite, physically possible) or with
    `from_arrays` / `single`, which also accept quantities (``"70 kg"``, ``"1.75 m"``).

    Examples
    --------
    >>> Covariates.single(weight_kg=70, age_yr=40, height_cm="1.7 m", sex="male").height_cm
    array([170.])
    """

    weight_kg: np.ndarray
    age_yr: np.ndarray
    height_cm: np.ndarray
    sex: np.ndarray  # 0 male, 1 female

    def __post_init__(self):
        check_fields(self, _COVARIATE_CONSTRAINTS, prefix="Covariates.")
        n = None
        for name in ("weight_kg", "age_yr", "height_cm", "sex"):
            arr = np.asarray(getattr(self, name))
            if arr.ndim != 1 or arr.dtype.kind not in "fiu":
                raise InputError(f"Covariates.{name}", f"an array of shape {arr.shape} and "
                                 f"dtype {arr.dtype}", "a non-empty 1-D array of numbers over "
                                 "patients")
            if n is not None and arr.size != n:
                raise InputError(f"Covariates.{name}", f"{arr.size} values",
                                 f"{n} values (one per patient)")
            n = arr.size
            object.__setattr__(self, name, arr.astype(float, copy=False))

    @property
    def n(self) -> int:
        return int(self.weight_kg.shape[0])

    @property
    def bmi(self) -> np.ndarray:
        """Body-mass index, kg/m^2."""
        return self.weight_kg / (self.height_cm / 100.0) ** 2

    @staticmethod
    def single(weight_kg=70.0, age_yr=40.0, height_cm=170.0, sex="male") -> Covariates:
        """One patient (numbers in kg, years, cm, or quantities)."""
        return Covariates.from_arrays(weight_kg, age_yr, height_cm, sex)

    @staticmethod
    def from_arrays(weight_kg=70.0, age_yr=40.0, height_cm=170.0, sex="male") -> Covariates:
        """Covariates from scalars or arrays (broadcast to a common length), numbers in
        kg / years / cm or quantities such as ``"70 kg"``; sex ``"male"``/``"female"``/0/1.
        """
        from ketasim.core.units import as_floats

        for name, v in (("weight_kg", weight_kg), ("age_yr", age_yr), ("height_cm", height_cm)):
            try:
                nd = np.ndim(getattr(v, "magnitude", v))
            except ValueError:  # ragged: as_floats says so
                nd = 1
            if nd > 1:
                raise InputError(name, f"an array of shape {np.shape(v)}", "1-D (one value "
                                 "per patient)")
        cols = {name: as_floats(v, name, _UNITS[name], allowed=f"a {name.split('_')[0]} in "
                                f"{_UNITS[name]} (a number or a quantity such as '70 kg')")
                for name, v in (("weight_kg", weight_kg), ("age_yr", age_yr),
                                ("height_cm", height_cm))}
        sexes = [sex] if isinstance(sex, str) or np.ndim(sex) == 0 else \
            list(np.asarray(sex, dtype=object).ravel())
        if not sexes:
            raise InputError("sex", "[]", "at least one of 'male', 'female', 0, 1")
        cols["sex"] = np.asarray([parse_sex(x, "sex" if len(sexes) == 1 else f"sex[{i}]")
                                  for i, x in enumerate(sexes)], dtype=float)
        n = max(len(a) for a in cols.values())
        for name, arr in cols.items():
            if len(arr) not in (1, n):
                raise InputError(name, f"{len(arr)} values", f"1 or {n} values")
        return Covariates(*(np.broadcast_to(cols[k], (n,)).copy()
                            for k in ("weight_kg", "age_yr", "height_cm", "sex")))

    def as_dict(self) -> dict[str, np.ndarray]:
        return {"weight_kg": self.weight_kg, "age_yr": self.age_yr,
                "height_cm": self.height_cm, "sex": self.sex}


def parse_sex(value, field: str = "sex") -> int:
    """'male'/'m'/0 -> 0, 'female'/'f'/1 -> 1; anything else raises `InputError`."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        return int(value)
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("male", "m", "man"):
        return 0
    if text in ("female", "f", "woman"):
        return 1
    raise InputError(field, value, "'male' or 'female' (or 0/1)")


def lbm_james(cov: Covariates) -> np.ndarray:
    """Lean body mass (kg), James 1976, as used by Schnider 1998 and Minto 1997.

    The formula turns over at high BMI (a known weakness), which is why models using it
    limit BMI (see their validity ranges).

    Examples
    --------
    >>> round(float(lbm_james(Covariates.single(70, 40, 170, "male"))[0]), 2)
    55.3
    """
    r = cov.weight_kg / cov.height_cm
    male = 1.1 * cov.weight_kg - 128.0 * r**2  # james1976
    female = 1.07 * cov.weight_kg - 148.0 * r**2  # james1976
    return np.where(cov.sex == 0, male, female)


def ffm_alsallami(cov: Covariates) -> np.ndarray:
    """Fat-free mass (kg), Al-Sallami 2015, as used by Eleveld 2017/2018.

    Examples
    --------
    >>> round(float(ffm_alsallami(Covariates.single(70, 35, 170, "male"))[0]), 1)
    54.5
    """
    bmi = cov.bmi
    w, a = cov.weight_kg, cov.age_yr
    # alsallami2015 (adult part; maturation terms for age < 18 as published)
    male = (0.88 + (1 - 0.88) / (1 + (a / 13.4) ** -12.7)) * (9270 * w / (6680 + 216 * bmi))
    female = (1.11 + (1 - 1.11) / (1 + (a / 7.1) ** -1.1)) * (9270 * w / (8780 + 244 * bmi))
    return np.where(cov.sex == 0, male, female)


def from_micro(v1, k10, k12=0.0, k13=0.0, k21=1.0, k31=1.0) -> dict[str, np.ndarray]:
    """Volumes and clearances from V1 and micro rate constants (1/min)."""
    v1 = np.asarray(v1, float)
    out = {"V1": v1, "CL": k10 * v1}
    if np.any(np.asarray(k12) > 0):
        out.update(Q2=k12 * v1 * np.ones_like(v1), V2=k12 * v1 / k21)
    if np.any(np.asarray(k13) > 0):
        out.update(Q3=k13 * v1 * np.ones_like(v1), V3=k13 * v1 / k31)
    return out


@dataclass(frozen=True)
class Metabolite:
    """A metabolite formed from the parent's elimination (apparent, linear).

    ``fm`` is the fraction of parent elimination that forms the metabolite; ``mass_ratio``
    converts parent mass to metabolite mass (molar masses), or 1 for apparent models where
    the fraction is absorbed into the metabolite's apparent volume and clearance.
    """

    drug: str
    fm: float
    mass_ratio: float
    citation: str
    note: str = ""

    def __post_init__(self):
        check_fields(self, {"drug": TEXT, "fm": Interval(0, 1, closed="right"),
                            "mass_ratio": Interval(0, 10, closed="right"), "citation": TEXT,
                            "note": TEXT}, prefix="Metabolite.")


@dataclass(frozen=True)
class ModelSpec:
    """A published PK model: typical parameters, validity, variability, citation."""

    drug: str
    name: str
    title: str
    citation: str
    typical: Callable[[Covariates], dict[str, np.ndarray]]
    validity: dict[str, tuple[float, float]] = field(default_factory=dict)
    population: str = ""
    #: log-normal IIV variances omega^2 by parameter name (V1, CL, ...), with their source.
    omega: dict[str, float] = field(default_factory=dict)
    omega_source: str = ""
    #: optional correlations between etas: {(p, q): rho}
    omega_corr: dict[tuple[str, str], float] = field(default_factory=dict)
    metabolite: Metabolite | None = None
    extra_citations: tuple[str, ...] = ()
    notes: str = ""
    ke0_source: str = ""

    def __post_init__(self):
        check_fields(self, {"drug": TEXT, "name": TEXT, "title": TEXT, "citation": TEXT,
                            "typical": IsCallable(), "validity": Instance(dict),
                            "population": TEXT, "omega": Instance(dict), "omega_source": TEXT,
                            "omega_corr": Instance(dict),
                            "metabolite": (Instance(Metabolite), NoneOK()),
                            "extra_citations": Instance(tuple), "notes": TEXT,
                            "ke0_source": TEXT}, prefix="ModelSpec.")
        for k, lohi in self.validity.items():
            if k not in (*COVARIATE_RANGES, "bmi"):
                raise InputError("validity", k, f"one of {[*COVARIATE_RANGES, 'bmi']}")
            ok = (isinstance(lohi, tuple | list) and len(lohi) == 2
                  and all(Interval().is_satisfied_by(v) for v in lohi) and lohi[0] <= lohi[1])
            if not ok:
                raise InputError(f"validity[{k!r}]", lohi, "(low, high) finite, low <= high")
        for k, v in self.omega.items():
            check(f"omega[{k!r}]", v, Interval(0, 10))
        for pq, rho in self.omega_corr.items():
            check(f"omega_corr[{pq!r}]", rho, Interval(-1, 1))

    @property
    def key(self) -> str:
        return f"{self.drug}/{self.name}"

    @property
    def citations(self) -> list[str]:
        keys = [self.citation, *self.extra_citations]
        if self.metabolite is not None:
            keys.append(self.metabolite.citation)
        return list(dict.fromkeys(keys))

    def check_validity(self, cov: Covariates) -> None:
        """Raise `ValidityRangeError` for covariates outside the studied ranges."""
        values = {**cov.as_dict(), "bmi": cov.bmi}
        for name, (lo, hi) in self.validity.items():
            arr = values[name]
            bad = (arr < lo) | (arr > hi)
            if np.any(bad):
                i = int(np.argmax(bad))
                raise ValidityRangeError(
                    name, round(float(arr[i]), 2),
                    f"{lo}-{hi} for the {self.drug} model '{self.name}' ({self.population}); "
                    f"patient index {i}; other models: ketasim pk {self.drug} --list-models")

    def parameters(self, cov: Covariates, *, check: bool = True) -> dict[str, np.ndarray]:
        """Typical parameters for each patient (after the validity check)."""
        if check:
            self.check_validity(cov)
        p = {k: np.broadcast_to(np.asarray(v, float), (cov.n,)).copy()
             for k, v in self.typical(cov).items()}
        for k, v in p.items():
            if np.any(~np.isfinite(v)) or np.any(v < 0) or (k.startswith("V") and
                                                            np.any(v <= 0)):
                raise ValidityRangeError(
                    k, float(v[~np.isfinite(v) | (v <= 0)][0]) if np.any(v <= 0) else "nan",
                    f"a positive value; the {self.key} covariate equations give an impossible "
                    "parameter for these covariates")
        return p
