"""Model specifications: typical parameters as functions of covariates, validity, variability.

A model's ``typical(cov)`` returns volumes (L), clearances (L/min) and ke0 (1/min) as arrays
over patients. Micro-constant models (k10, k12, ...) are converted with `from_micro`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ketasim.core.errors import InputError, ValidityRangeError


@dataclass(frozen=True)
class Covariates:
    """Patient covariates as arrays over N patients (sex: 0 male, 1 female).

    Examples
    --------
    >>> Covariates.single(weight=70, age=40, height=170, sex="male").n
    1
    """

    weight: np.ndarray  # kg
    age: np.ndarray  # years
    height: np.ndarray  # cm
    sex: np.ndarray  # 0 male, 1 female

    @property
    def n(self) -> int:
        return int(self.weight.shape[0])

    @property
    def bmi(self) -> np.ndarray:
        return self.weight / (self.height / 100.0) ** 2

    @staticmethod
    def single(weight: float, age: float, height: float, sex: str | int) -> Covariates:
        return Covariates.from_arrays([weight], [age], [height], [sex])

    @staticmethod
    def from_arrays(weight, age, height, sex) -> Covariates:
        w = np.atleast_1d(np.asarray(weight, dtype=float))
        a = np.atleast_1d(np.asarray(age, dtype=float))
        h = np.atleast_1d(np.asarray(height, dtype=float))
        s = np.atleast_1d(np.asarray([parse_sex(x) for x in np.atleast_1d(sex)], dtype=float))
        n = max(len(w), len(a), len(h), len(s))
        out = []
        for name, arr in (("weight", w), ("age", a), ("height", h), ("sex", s)):
            if len(arr) not in (1, n):
                raise InputError(name, f"{len(arr)} values", f"1 or {n} values")
            out.append(np.broadcast_to(arr, (n,)).copy())
        for name, arr, lo, hi, unit in (("weight", out[0], 0.3, 400.0, "kg"),
                                        ("age", out[1], 0.0, 120.0, "years"),
                                        ("height", out[2], 30.0, 250.0, "cm")):
            bad = ~np.isfinite(arr) | (arr < lo) | (arr > hi)
            if np.any(bad):
                raise InputError(name, float(arr[bad][0]),
                                 f"a physically possible {name}: {lo}-{hi} {unit}")
        return Covariates(*out)


def parse_sex(value) -> int:
    """'male'/'m'/0 -> 0, 'female'/'f'/1 -> 1; anything else raises `InputError`."""
    if isinstance(value, (int, np.integer, float, np.floating)) and value in (0, 1):
        return int(value)
    text = str(value).strip().lower()
    if text in ("male", "m", "man"):
        return 0
    if text in ("female", "f", "woman"):
        return 1
    raise InputError("sex", value, "'male' or 'female' (or 0/1)")


def lbm_james(cov: Covariates) -> np.ndarray:
    """Lean body mass (kg), James 1976, as used by Schnider 1998 and Minto 1997.

    The formula turns over at high BMI (a known weakness), which is why models using it
    limit BMI (see their validity ranges).

    Examples
    --------
    >>> round(float(lbm_james(Covariates.single(70, 40, 170, "male"))[0]), 2)
    55.3
    """
    r = cov.weight / cov.height
    male = 1.1 * cov.weight - 128.0 * r**2  # james1976
    female = 1.07 * cov.weight - 148.0 * r**2  # james1976
    return np.where(cov.sex == 0, male, female)


def ffm_alsallami(cov: Covariates) -> np.ndarray:
    """Fat-free mass (kg), Al-Sallami 2015, as used by Eleveld 2017/2018.

    Examples
    --------
    >>> round(float(ffm_alsallami(Covariates.single(70, 35, 170, "male"))[0]), 1)
    54.5
    """
    bmi = cov.bmi
    w, a = cov.weight, cov.age
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
        values = {"weight": cov.weight, "age": cov.age, "height": cov.height, "bmi": cov.bmi}
        for name, (lo, hi) in self.validity.items():
            arr = values[name]
            bad = (arr < lo) | (arr > hi)
            if np.any(bad):
                i = int(np.argmax(bad))
                raise ValidityRangeError(
                    name, round(float(arr[i]), 2),
                    f"{lo}-{hi} for the {self.drug} model '{self.name}' ({self.population}); "
                    f"patient index {i}")

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
