"""The scenario document: patient, regimens, clinical condition, stimulus tests, readouts.

A scenario is a YAML document (read with a safe loader only; tags that construct Python
objects and YAML aliases are refused) validated by pydantic models that are frozen and
refuse unknown fields. Every problem becomes a ketasim `InputError` (or a subclass) whose
message names the field path (``regimens[0].doses[1].rate``), the value received and what
is allowed; several problems are listed together.

Units
-----
Fields whose name carries a unit suffix (``weight_kg``, ``frequency_Hz``, ``temperature_C``)
take a number in that unit or a quantity string (``"198 lb"``). Fields without a suffix take
a quantity string only, because a bare number would be ambiguous:

* times (``time``, ``start``, ``duration``, ``horizon``, ``onset``...): ``"30 min"``,
  ``"24 h"``, ``"2 d"``; normalised to ``"<hours> h"`` (``Bolus.time_h`` etc. give floats);
* bolus ``dose``: ``"0.5 mg/kg"`` or ``"35 mg"`` (normalised to mg/kg or mg);
* infusion ``rate``: ``"0.15 mg/kg/h"``, ``"10 ug/kg/min"`` or ``"12 mg/h"`` (normalised
  to mg/kg/h or mg/h).

The normalised scenario (`Scenario.model_dump`) is what `scenario_hash` hashes, so two
documents that say the same thing in different units hash the same.

Examples
--------
>>> s = Scenario(name="demo", regimens=[{"drug": "ketamine", "doses": [
...     {"kind": "bolus", "dose": "0.5 mg/kg"},
...     {"kind": "infusion", "rate": "10 ug/kg/min", "duration": "2 h"}]}])
>>> s.regimens[0].model, s.regimens[0].doses[1].rate
('kamp', '0.6 mg/kg/h')
>>> Scenario(name="demo", patient={"weight_kg": -3})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ketasim.scenarios.schema.ScenarioError: patient.weight_kg: got -3; allowed: a weight in [0.3, ...
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
import reprlib
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic._internal._model_construction import ModelMetaclass
from pydantic_core import PydanticCustomError

from ketasim.core.errors import (
    InputError,
    KetasimError,
    UnitError,
    UnknownNameError,
    WorkLimitError,
)

__all__ = [
    "Scenario", "Patient", "Regimen", "Bolus", "Infusion", "TCI", "PCA", "Healthy",
    "Postoperative", "Trauma", "Neuropathic", "OpioidTolerant", "ICU", "WindupTest", "HeatTest",
    "PinprickTest", "TouchTest", "Readouts", "ScenarioError", "Problem", "scenario_hash",
    "MAX_TESTS", "MAX_HORIZON_H", "MAX_POINTS", "MAX_REGIMENS", "MAX_DOSES",
    "CONDITION_KINDS", "TEST_KINDS", "SITES", "ROUTES",
]

# ----------------------------------------------------------------------------- caps
#: Caps on the work a scenario may ask for (lift them with `load_scenario`'s keywords).
MAX_TESTS = 50  # stimulus tests; each runs the spiking model (seconds each)
MAX_HORIZON_H = 14 * 24.0  # two weeks of simulated time
MAX_POINTS = 20_000  # points of the report grid (horizon / readouts.every)
MAX_REGIMENS = 8
MAX_DOSES = 200  # doses per regimen
MAX_TEXT = 1_000_000  # characters of a YAML document

#: C-fibre rates must stay inside the slow model's drive table
#: (`ketasim.spinal.sensitization.DEFAULT_C_RATES` ends at 16 Hz; a test checks they agree).
MAX_C_RATE_HZ = 16.0

CONDITION_KINDS = ("healthy", "postoperative", "trauma", "neuropathic", "opioid_tolerant", "icu")
TEST_KINDS = ("windup", "heat", "pinprick", "touch")
DOSE_KINDS = ("bolus", "infusion")
SITES = ("normal", "injured", "secondary")
#: Routes of the PK layer (`ketasim.pk.routes`); non-IV routes exist for (S-)ketamine only.
ROUTES = ("iv", "im", "oral", "intranasal", "sublingual")
_TAGS = {"doses": DOSE_KINDS, "condition": CONDITION_KINDS, "tests": TEST_KINDS}

_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict, _repr.maxlevel = 60, 60, 4, 4, 2


def _bad(allowed: str, kind: str = "ketasim", **where) -> PydanticCustomError:
    """A validation problem whose message is ``allowed`` (what would be accepted); a
    model-level check names its field and value with ``field=``, ``value=``."""
    return PydanticCustomError(kind, "{allowed}", {"allowed": allowed, **where})


# ----------------------------------------------------------------------------- quantities


def _finite_number(v) -> bool:
    if not isinstance(v, numbers.Real) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(float(v))
    except (OverflowError, ValueError, TypeError):  # e.g. an integer of 400 digits
        return False


def _parse(value: Any, unit: str, example: str) -> float:
    """Quantity string -> magnitude in ``unit`` (raises a pydantic custom error)."""
    from ketasim.core.units import QUANTITY_TEXT, parse_quantity

    if not isinstance(value, str) or len(value) > 64 or not QUANTITY_TEXT.fullmatch(value):
        raise _bad(f"a quantity such as {example!r}", "ketasim_unit")
    try:
        x = parse_quantity(value, "value", unit)
    except KetasimError:
        raise _bad(f"a quantity convertible to {unit}, such as {example!r}",
                   "ketasim_unit") from None
    except Exception:  # pint can raise many kinds on odd input
        raise _bad(f"a quantity such as {example!r}", "ketasim_unit") from None
    if not math.isfinite(x):
        raise _bad(f"a finite quantity such as {example!r}")
    return x


def _number(unit: str, lo: float, hi: float, what: str, example: str, *,
            lo_open: bool = False, allow_str: bool = True):
    """Before-validator: a number in ``unit`` (or a quantity string) in [lo, hi]."""
    interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
    allowed = f"{what} in {interval} {unit}".rstrip()

    def validate(v):
        if isinstance(v, str) and allow_str:
            x = _parse(v, unit, example)
        elif _finite_number(v):
            x = float(v)
        else:
            raise _bad(f"{allowed} (a number, or a string such as {example!r})"
                       if allow_str else f"{allowed} (a number)")
        if x < lo or x > hi or (lo_open and x == lo):
            raise _bad(allowed)
        return x

    return validate


def _integer(lo: int, hi: int, what: str):
    def validate(v):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not lo <= v <= hi:
            raise _bad(f"{what}: an integer in [{lo}, {hi}]")
        return int(v)

    return validate


def _time(lo_h: float = 0.0, hi_h: float = 30 * 24.0, *, positive: bool = False):
    """Before-validator: a time quantity string -> canonical ``"<hours> h"``."""
    example = "30 min' or '24 h"
    allowed = (f"a time {'> 0' if positive else '>= 0'} and <= {hi_h:g} h with its unit, "
               f"e.g. '{example}'")

    def validate(v):
        if _finite_number(v):
            raise _bad(allowed + " (a bare number is ambiguous: write its unit)",
                       "ketasim_unit")
        x = _parse(v, "h", "24 h")
        if x < lo_h or x > hi_h or (positive and x <= 0):
            raise _bad(allowed)
        return f"{x!r} h"

    return validate


def hours(text: str) -> float:
    """Hours of a normalised time string (``"1.5 h"`` -> 1.5).

    >>> hours("0.5 h")
    0.5
    """
    return float(text.split()[0])


def _choice(options: tuple[str, ...], what: str, aliases: dict[str, str] | None = None):
    def validate(v):
        key = v.strip().lower() if isinstance(v, str) else None
        key = (aliases or {}).get(key, key)
        if key not in options:
            raise _bad(f"{what}: one of {', '.join(options)}", "ketasim_name")
        return key

    return validate


def _dose(v):
    example = "0.5 mg/kg' or '35 mg"
    if _finite_number(v):
        raise _bad(f"a dose with its unit, e.g. '{example}'", "ketasim_unit")
    for unit in ("mg/kg", "mg"):
        try:
            x = _parse(v, unit, example)
        except PydanticCustomError:
            continue
        if x <= 0:
            raise _bad("a dose > 0")
        return f"{x!r} {unit}"
    hint = ""
    for unit in ("mg/kg/h", "mg/h"):
        try:
            _parse(v, unit, example)
            hint = " (this is a rate: give it as an infusion)"
        except PydanticCustomError:
            pass
    raise _bad(f"a dose in mg/kg or mg, e.g. '{example}'{hint}", "ketasim_unit")


def _rate(v):
    example = "0.15 mg/kg/h' or '10 ug/kg/min' or '12 mg/h"
    if _finite_number(v):
        raise _bad(f"a rate with its unit, e.g. '{example}'", "ketasim_unit")
    for unit in ("mg/kg/h", "mg/h"):
        try:
            x = _parse(v, unit, example)
        except PydanticCustomError:
            continue
        if x <= 0:
            raise _bad("a rate > 0")
        return f"{x!r} {unit}"
    hint = ""
    for unit in ("mg/kg", "mg"):
        try:
            _parse(v, unit, example)
            hint = " (this is a dose: give it as a bolus, or add '/h')"
        except PydanticCustomError:
            pass
    raise _bad(f"a rate in mg/kg/h or mg/h, e.g. '{example}'{hint}", "ketasim_unit")


def _temperature(v):
    """Skin temperature: a number in degC or ``"47 degC"`` / ``"47 °C"`` / ``"320 K"``."""
    allowed = "a skin temperature in [20, 60] degC (the heat encoder's range)"
    x = None
    if _finite_number(v):
        x = float(v)
    elif isinstance(v, str) and len(v) <= 32:
        m = re.fullmatch(r"\s*([+-]?\d+(?:\.\d*)?)\s*(degC|°C|C|celsius|K|kelvin)\s*", v)
        if m:
            x = float(m.group(1)) - (273.15 if m.group(2) in ("K", "kelvin") else 0.0)
    if x is None or not 20.0 <= x <= 60.0:
        raise _bad(allowed + " (a number, or a string such as '47 degC')")
    return x


def _text(max_len: int, what: str, pattern: str | None = None):
    def validate(v):
        if not isinstance(v, str) or len(v) > max_len or (
                pattern is not None and not re.fullmatch(pattern, v)):
            raise _bad(f"{what} (at most {max_len} characters)")
        return v

    return validate


def _capped_list(cap_name: str, default: int, lift: str, what: str, *, min_len: int = 0):
    """Before-validator: a list no longer than its cap (checked before its items)."""

    def validate(v, info: ValidationInfo):
        if not isinstance(v, list | tuple):
            raise _bad(f"a list of {what}")
        cap = (info.context or {}).get(cap_name, default)
        if len(v) > cap:
            raise _bad(f"at most {cap} {what} ({cap_name}; pass {lift}=... to "
                       "load_scenario to go past it)", "ketasim_work")
        if len(v) < min_len:
            raise _bad(f"a non-empty list of {what}")
        return list(v)

    return validate


Time = Annotated[str, BeforeValidator(_time())]
Duration = Annotated[str, BeforeValidator(_time(positive=True))]
CRate = Annotated[float, BeforeValidator(_number(
    "Hz", 0.0, MAX_C_RATE_HZ, "a C-fibre rate (the slow model's drive table covers 0-16 Hz)",
    "4 Hz"))]
Fraction = Annotated[float, BeforeValidator(_number("", 0.0, 1.0, "a fraction", "0.5",
                                                    allow_str=False))]


class _Meta(ModelMetaclass):
    """Building a section directly (``Patient(weight_kg=-3)``) raises `ScenarioError`.

    Done in the metaclass, not in ``__init__``: pydantic calls an overridden ``__init__`` for
    nested sections too, which would hide the paths of their fields."""

    def __call__(cls, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            raise scenario_error(exc) from None


class _Model(BaseModel, metaclass=_Meta):
    """Frozen, no unknown fields; problems become `ScenarioError`."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    @classmethod
    def model_validate(cls, obj, **kwargs):
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise scenario_error(exc, obj) from None

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data):
        if not isinstance(data, dict | cls):
            raise _bad(f"a mapping of the fields of {cls._what}")
        return data

    _what: ClassVar[str] = "this section"


# ----------------------------------------------------------------------------- patient
class Patient(_Model):
    """Patient covariates (bounds as `ketasim.pk.Covariates`: physically possible values;
    a PK model's narrower validity range is checked when the scenario runs).

    >>> Patient(weight_kg="198 lb", height_cm="1.75 m").weight_kg
    89.81128926000001
    """

    _what: ClassVar[str] = "a patient"
    weight_kg: Annotated[float, BeforeValidator(_number(
        "kg", 0.3, 400.0, "a weight", "90 kg", lo_open=False))] = 70.0
    height_cm: Annotated[float, BeforeValidator(_number(
        "cm", 30.0, 250.0, "a height", "170 cm"))] = 170.0
    age_yr: Annotated[float, BeforeValidator(_number(
        "year", 0.0, 120.0, "an age", "65 year"))] = 40.0
    sex: Annotated[str, BeforeValidator(_choice(
        ("male", "female"), "sex", {"m": "male", "f": "female", "man": "male",
                                    "woman": "female"}))] = "male"


# ----------------------------------------------------------------------------- regimens
class Bolus(_Model):
    """A dose at ``time``, by ``route`` (IV doses may be spread ``over`` a few minutes).

    >>> Bolus(dose="2 mg/kg", time="5 min").time_h
    0.08333333333333333
    """

    _what: ClassVar[str] = "a bolus (kind, dose, time, route, over)"
    kind: Literal["bolus"] = "bolus"
    dose: Annotated[str, BeforeValidator(_dose)]
    time: Time = "0.0 h"
    route: Annotated[str, BeforeValidator(_choice(ROUTES, "a route", {
        "in": "intranasal", "nasal": "intranasal", "sl": "sublingual", "po": "oral",
        "intramuscular": "im", "intravenous": "iv"}))] = "iv"
    over: Time = "0.0 h"

    @property
    def time_h(self) -> float:
        return hours(self.time)

    @property
    def over_h(self) -> float:
        return hours(self.over)

    @property
    def mg_per_kg(self) -> float | None:
        return float(self.dose.split()[0]) if self.dose.endswith("mg/kg") else None

    @property
    def mg(self) -> float | None:
        return None if self.dose.endswith("mg/kg") else float(self.dose.split()[0])

    @model_validator(mode="after")
    def _over_iv_only(self):
        if self.over_h > 0 and self.route != "iv":
            raise _bad("'over' only for IV doses (route 'iv')", field="over", value=self.over)
        if self.over_h > 2.0:
            raise _bad("'over' at most 2 h (longer: use an infusion)", field="over",
                       value=self.over)
        return self


class Infusion(_Model):
    """A zero-order IV infusion at ``rate`` from ``start`` for ``duration`` (None: to the
    horizon).

    >>> Infusion(rate="0.15 mg/kg/h", duration="24 h").duration_h
    24.0
    """

    _what: ClassVar[str] = "an infusion (kind, rate, start, duration)"
    kind: Literal["infusion"] = "infusion"
    rate: Annotated[str, BeforeValidator(_rate)]
    start: Time = "0.0 h"
    duration: Duration | None = None

    @property
    def start_h(self) -> float:
        return hours(self.start)

    @property
    def duration_h(self) -> float | None:
        return None if self.duration is None else hours(self.duration)

    @property
    def mg_per_kg_per_h(self) -> float | None:
        return float(self.rate.split()[0]) if self.rate.endswith("mg/kg/h") else None

    @property
    def mg_per_h(self) -> float | None:
        return None if self.rate.endswith("mg/kg/h") else float(self.rate.split()[0])


Dose = Annotated[Bolus | Infusion, Discriminator("kind")]


def _targets(v):
    """A TCI target or schedule -> canonical ``"<ng/mL> ng/mL at <min> min, ..."``."""
    from ketasim.pk.tci import parse_targets

    if isinstance(v, list | tuple) and all(isinstance(x, str) for x in v):
        v = ", ".join(v)
    if not isinstance(v, str) or len(v) > 20_000:
        raise _bad("a target such as '3 ug/mL' or a schedule '3 ug/mL at 0 min, 2 ug/mL at "
                   "30 min' (times from the pump's start)", "ketasim_unit")
    try:
        pairs = parse_targets(v)
    except KetasimError as exc:
        raise _bad(exc.allowed if hasattr(exc, "allowed") else str(exc),
                   "ketasim_unit") from None
    return ", ".join(f"{c!r} ng/mL at {t!r} min" for t, c in pairs)


class TCI(_Model):
    """A target-controlled infusion pump (`ketasim.pk.tci`): it runs from ``start`` for
    ``duration`` (null: to the horizon), targeting ``target`` (times from its start) at the
    ``effect`` site (Shafer & Gregg 1992) or in ``plasma`` (Jacobs 1990) with its own PK
    ``model`` (null: the regimen's; a different one simulates a pump whose model is not
    the patient's). The pump knows only its own doses.

    >>> TCI(target="3 ug/mL at 0 min, 2 ug/mL at 30 min").targets()
    [(0.0, 3000.0), (30.0, 2000.0)]
    """

    _what: ClassVar[str] = ("a target-controlled infusion (target, site, model, start, "
                            "duration, update_s, max_rate_mL_h, rate_step_mL_h, "
                            "syringe_mg_mL)")
    target: Annotated[str, BeforeValidator(_targets)]
    site: Annotated[str, BeforeValidator(_choice(("effect", "plasma"), "a site"))] = "effect"
    model: str | None = None
    start: Time = "0.0 h"
    duration: Duration | None = None
    update_s: Annotated[float, BeforeValidator(_number(
        "s", 0.1, 3600.0, "a pump update interval", "10 s"))] = 10.0
    max_rate_mL_h: Annotated[float, BeforeValidator(_number(
        "mL/h", 0.0, 10000.0, "a maximum pump rate", "1200 mL/h", lo_open=True))] = 1200.0
    rate_step_mL_h: Annotated[float, BeforeValidator(_number(
        "mL/h", 0.0, 100.0, "a pump rate step", "0.1 mL/h"))] = 0.0
    syringe_mg_mL: Annotated[float | None, BeforeValidator(
        lambda v: v if v is None else _number("mg/mL", 0.0, 1000.0, "a syringe concentration",
                                              "10 mg/mL", lo_open=True)(v))] = None

    @field_validator("model", mode="before")
    @classmethod
    def _model_text(cls, v):
        if v is not None and (not isinstance(v, str) or len(v) > 40):
            raise _bad("a PK model name (or null for the regimen's)", "ketasim_name")
        return v.strip().lower() if v is not None else v

    def targets(self) -> list[tuple[float, float]]:
        from ketasim.pk.tci import parse_targets

        return parse_targets(self.target)

    @property
    def start_min(self) -> float:
        return hours(self.start) * 60.0

    @property
    def duration_min(self) -> float | None:
        return None if self.duration is None else hours(self.duration) * 60.0


class PCA(_Model):
    """Patient-controlled analgesia on a morphine regimen: the pump (bolus, lockout, limit per
    limit_window, optional background infusion, start, duration) and the patient's demand
    (press when pain > a personal threshold; see `ketasim.clinical.pca`).

    >>> PCA(bolus="1 mg", lockout="5 min").lockout
    '0.08333333333333333 h'
    """

    _what: ClassVar[str] = ("a PCA prescription (bolus, lockout, limit, limit_window, "
                            "background, start, duration, threshold_nrs, threshold_cv, "
                            "press_per_min, side_effect_ng_mL, side_effect_cv)")
    bolus: Annotated[str, BeforeValidator(_dose)] = "1.0 mg"  # owen1989
    lockout: Annotated[str, BeforeValidator(_time(1 / 60, 4.0))] = "0.08333333333333333 h"
    limit: Annotated[str | None, BeforeValidator(
        lambda v: v if v is None else _dose(v))] = None
    limit_window: Annotated[str, BeforeValidator(_time(1 / 60, 24.0))] = "1.0 h"
    background: Annotated[str | None, BeforeValidator(
        lambda v: v if v is None else _rate(v))] = None
    start: Time = "0.0 h"
    duration: Duration | None = None
    threshold_nrs: Annotated[float, BeforeValidator(_number(
        "", 0.0, 10.0, "an NRS threshold", "3", allow_str=False))] = 3.0  # [estimate]
    threshold_cv: Annotated[float, BeforeValidator(_number(
        "", 0.0, 2.0, "a coefficient of variation", "0.3", allow_str=False))] = 0.3
    press_per_min: Fraction = 0.2  # [estimate]
    side_effect_ng_mL: Annotated[float, BeforeValidator(_number(
        "ng/mL", 0.0, 1000.0, "a morphine effect-site limit", "40 ng/mL", lo_open=True))] = 40.0
    side_effect_cv: Annotated[float, BeforeValidator(_number(
        "", 0.0, 2.0, "a coefficient of variation", "0.4", allow_str=False))] = 0.4


class Regimen(_Model):
    """Doses of one drug under one PK model (default: the PK layer's default model).

    >>> Regimen(drug="Esketamine", doses=[{"kind": "bolus", "dose": "0.25 mg/kg"}]).model
    'otto'
    """

    _what: ClassVar[str] = "a regimen (drug, model, doses, pca, tci)"
    drug: str
    model: str | None = None
    doses: Annotated[list[Dose], BeforeValidator(_capped_list(
        "max_doses", MAX_DOSES, "max_doses", "doses"))] = []
    #: Patient-controlled analgesia (`PCA`, morphine only).
    pca: PCA | None = None
    #: Target-controlled infusion (`TCI`); with or instead of ``doses``.
    tci: TCI | None = None

    @field_validator("drug", mode="before")
    @classmethod
    def _drug(cls, v):
        from ketasim.pk.models import drugs, normalise_drug

        try:
            return normalise_drug(v) if isinstance(v, str) else _raise()
        except (KetasimError, _Fail):
            raise _bad(f"a drug of the PK layer: one of {', '.join(drugs())}",
                       "ketasim_name") from None

    @field_validator("model", mode="before")
    @classmethod
    def _model_text(cls, v):
        if v is not None and (not isinstance(v, str) or len(v) > 40):
            raise _bad("a PK model name (or null for the drug's default)", "ketasim_name")
        return v.strip().lower() if v is not None else v

    @model_validator(mode="after")
    def _model_and_routes(self):
        from ketasim.pk.models import DEFAULT_MODEL, list_models
        from ketasim.pk.routes import get_route

        if self.pca is not None and self.drug != "morphine":
            raise _bad("pca on a morphine regimen only", field="pca", value=self.drug)
        names = [m.name for m in list_models(self.drug)]
        if self.model is None:
            self.__dict__["model"] = DEFAULT_MODEL[self.drug]  # normalised: default spelled out
        elif self.model not in names:
            raise _bad(f"a model of {self.drug}: one of {', '.join(names)}", "ketasim_name",
                       field="model", value=self.model)
        if not self.doses and self.tci is None:
            raise _bad("a non-empty list of doses (or a tci section)", field="doses",
                       value=[])
        if self.tci is not None:
            self._check_tci(names)
        for i, d in enumerate(self.doses):
            if isinstance(d, Bolus) and d.route != "iv":
                try:
                    get_route(self.drug, d.route)
                except KetasimError:
                    raise _bad(f"route 'iv' for {self.drug} (other routes exist for "
                               "ketamine and s-ketamine only)", "ketasim_name",
                               field=f"doses[{i}].route", value=d.route) from None
        return self


    def _check_tci(self, names):
        from ketasim.pk.models import get_model
        from ketasim.pk.tci import MAX_TARGET_NG_ML

        t = self.tci
        if t.model is not None and t.model not in names:
            raise _bad(f"a model of {self.drug}: one of {', '.join(names)}", "ketasim_name",
                       field="tci.model", value=t.model)
        top = MAX_TARGET_NG_ML.get(self.drug, math.inf)
        for _, c in t.targets():
            if c > top:
                raise _bad(f"targets <= {top:g} ng/mL of {self.drug} (a sanity limit); check "
                           "the unit (ug/mL vs ng/mL)", field="tci.target", value=t.target)
        if t.site == "effect":
            from ketasim.pk.models.base import Covariates

            spec = get_model(self.drug, t.model or self.model)
            if "ke0" not in spec.typical(Covariates.single()):
                raise _bad(f"'plasma' (the {spec.key} model has no effect site)",
                           field="tci.site", value=t.site)


class _Fail(Exception):
    pass


def _raise():
    raise _Fail


# ----------------------------------------------------------------------------- condition
class Healthy(_Model):
    """No injury: the afferent drive is the background activity of the spinal model."""

    _what: ClassVar[str] = "the condition 'healthy' (kind only)"
    kind: Literal["healthy"] = "healthy"


class _AcuteDrive(_Model):
    """An injury barrage of C-fibre activity at ``onset`` (``injury_rate_Hz`` for
    ``injury_duration``), then an ongoing inflammatory C-fibre drive that starts at
    ``ongoing_rate_Hz`` and halves every ``ongoing_half_life`` (null: constant).

    Names and defaults follow the slow-model experiments: m04's injury barrage
    (``injury_rate_Hz`` 8 Hz for ``injury_min`` 30 min) and m11's ongoing 4 Hz C drive.
    """

    _what: ClassVar[str] = "an acute condition"
    onset: Time = "0.0 h"
    injury_rate_Hz: CRate = 8.0  # m04 injury_rate_Hz [estimate]
    injury_duration: Time = "0.5 h"  # m04 injury_min = 30 [estimate]
    ongoing_rate_Hz: CRate = 4.0  # m11 ongoing drive [estimate]
    ongoing_half_life: Duration | None = "48.0 h"  # [estimate]

    @property
    def onset_h(self) -> float:
        return hours(self.onset)

    @property
    def injury_duration_h(self) -> float:
        return hours(self.injury_duration)

    @property
    def ongoing_half_life_h(self) -> float | None:
        return None if self.ongoing_half_life is None else hours(self.ongoing_half_life)


class Postoperative(_AcuteDrive):
    """Surgical incision at ``onset`` followed by a post-operative inflammatory C drive that
    decays over days. Defaults: incision 8 Hz for 30 min (m04), ongoing 4 Hz (m11), half-life
    2 d ([estimate]: pain at rest after surgery falls over the first days)."""

    _what: ClassVar[str] = "the condition 'postoperative'"
    kind: Literal["postoperative"] = "postoperative"


class Trauma(_AcuteDrive):
    """Severe trauma: a stronger, longer barrage and ongoing drive ([estimate] defaults:
    16 Hz, the top of the drive table, for 1 h; ongoing 8 Hz halving every 4 d)."""

    _what: ClassVar[str] = "the condition 'trauma'"
    kind: Literal["trauma"] = "trauma"
    injury_rate_Hz: CRate = 16.0  # [estimate]
    injury_duration: Time = "1.0 h"  # [estimate]
    ongoing_rate_Hz: CRate = 8.0  # [estimate]
    ongoing_half_life: Duration | None = "96.0 h"  # [estimate]


class OpioidTolerant(_AcuteDrive):
    """A post-operative drive (defaults as `Postoperative`) in a patient on long-term opioids:
    reduced mu-opioid efficacy and a raised starting gain (opioid-induced hyperalgesia).
    Both magnitudes are [estimate]s; the home opioid itself is a regimen."""

    _what: ClassVar[str] = "the condition 'opioid_tolerant'"
    kind: Literal["opioid_tolerant"] = "opioid_tolerant"
    mu_efficacy_scale: Fraction = 0.5  # [estimate]
    initial_gain: Annotated[float, BeforeValidator(_number(
        "", 1.0, 3.0, "a starting gain (1 = not sensitized)", "1.2", allow_str=False))] = 1.2
    # [estimate]


class ICU(_AcuteDrive):
    """ICU sedation: no fresh injury by default, a constant ongoing drive (lines, wounds,
    ventilation; [estimate] 2 Hz)."""

    _what: ClassVar[str] = "the condition 'icu'"
    kind: Literal["icu"] = "icu"
    injury_rate_Hz: CRate = 0.0
    injury_duration: Time = "0.0 h"
    ongoing_rate_Hz: CRate = 2.0  # [estimate]
    ongoing_half_life: Duration | None = None


class Neuropathic(_Model):
    """Chronic neuropathic state from t = 0, with the fields and defaults of
    `ketasim.spinal.sensitization.NeuropathicSpec`: loss of feed-forward inhibition
    (moore2002, coull2003; 0.4 left [estimate]), ectopic afferent firing (liu2000; A-beta 2,
    A-delta 1, C 0.5 Hz [estimate]) and loss of presynaptic mu-opioid action (kohno2005;
    0.5 left [estimate])."""

    _what: ClassVar[str] = "the condition 'neuropathic'"
    kind: Literal["neuropathic"] = "neuropathic"
    ffi_scale: Fraction = 0.4  # moore2002, coull2003 [estimate]
    ectopic_abeta_Hz: CRate = 2.0  # liu2000 [estimate]
    ectopic_adelta_Hz: CRate = 1.0  # liu2000 [estimate]
    ectopic_c_Hz: CRate = 0.5  # liu2000 [estimate]
    mu_presyn_scale: Fraction = 0.5  # kohno2005 [estimate]


ClinicalCondition = Annotated[Healthy | Postoperative | Trauma | Neuropathic | OpioidTolerant
                              | ICU, Discriminator("kind")]

CONDITION_CITATIONS = {"neuropathic": ["moore2002", "coull2003", "liu2000", "kohno2005"]}


# ----------------------------------------------------------------------------- tests
_Site = Annotated[str, BeforeValidator(_choice(SITES, "a site"))]


class _Test(_Model):
    time: Time
    site: _Site = "normal"

    @property
    def time_h(self) -> float:
        return hours(self.time)


class WindupTest(_Test):
    """A train of ``n_shocks`` electrical shocks at ``frequency_Hz`` and ``intensity``
    (multiples of the C-fibre threshold). Defaults as m08: 15 shocks, 1 Hz, 2 x threshold."""

    _what: ClassVar[str] = ("a wind-up test (kind, time, site, n_shocks, frequency_Hz, "
                            "intensity)")
    kind: Literal["windup"] = "windup"
    n_shocks: Annotated[int, BeforeValidator(_integer(1, 100, "shocks"))] = 15
    frequency_Hz: Annotated[float, BeforeValidator(_number(
        "Hz", 0.0, 20.0, "a frequency", "1 Hz", lo_open=True))] = 1.0
    intensity: Annotated[float, BeforeValidator(_number(
        "", 0.0, 10.0, "an intensity in multiples of the C-fibre threshold", "2",
        lo_open=True, allow_str=False))] = 2.0

    @model_validator(mode="after")
    def _train_length(self):
        if self.n_shocks / self.frequency_Hz > 600.0:
            raise _bad("a train of at most 600 s (n_shocks / frequency_Hz)", "ketasim_work",
                       field="n_shocks", value=self.n_shocks)
        return self


class HeatTest(_Test):
    """Contact heat at ``temperature_C`` (default 47 degC, the pain readout's anchor)."""

    _what: ClassVar[str] = "a heat test (kind, time, site, temperature_C)"
    kind: Literal["heat"] = "heat"
    temperature_C: Annotated[float, BeforeValidator(_temperature)] = 47.0


class PinprickTest(_Test):
    """A pin-prick (A-delta drive of the spinal model's probe)."""

    _what: ClassVar[str] = "a pin-prick test (kind, time, site)"
    kind: Literal["pinprick"] = "pinprick"


class TouchTest(_Test):
    """Light touch (A-beta drive of the spinal model's probe; allodynia when it hurts)."""

    _what: ClassVar[str] = "a touch test (kind, time, site)"
    kind: Literal["touch"] = "touch"


StimulusTest = Annotated[WindupTest | HeatTest | PinprickTest | TouchTest,
                         Discriminator("kind")]


# ----------------------------------------------------------------------------- readouts
_Flag = Annotated[bool, BeforeValidator(lambda v: v if isinstance(v, bool) else _flag_err())]


def _flag_err():
    raise _bad("true or false")


class Readouts(_Model):
    """Which outputs the run keeps, and the step of the report's time grid."""

    _what: ClassVar[str] = ("the readouts (concentrations, free, nmda_block, gain, pain, "
                            "windup, brain, every)")
    concentrations: _Flag = True  # plasma and effect-site, per drug
    free: _Flag = True  # free concentration at the receptor (uM)
    nmda_block: _Flag = True
    gain: _Flag = True  # spinal gain (sensitization) over time
    pain: _Flag = True  # NRS of each stimulus test and of ongoing pain
    windup: _Flag = True  # spikes per stimulus of wind-up tests
    brain: _Flag = True  # cortical state, emergence risk, perceived pain (ketasim.brain)
    every: Duration = "0.16666666666666666 h"  # 10 min

    @property
    def every_h(self) -> float:
        return hours(self.every)


# ----------------------------------------------------------------------------- spinal
#: NMDA receptor models a scenario may give the spinal synapses: "default" (the one
#: GluN1/2A-2B-like model) or a named subunit composition (`ketasim.receptors.subunits`).
SPINAL_NMDA = ("default", "lamina_I", "deep_wdr", "inhibitory_interneuron")
#: Ketamine's allosteric site: "none" (pore block only) or "orser" (the site at the upper
#: bound of its effect, `ketasim.receptors.calibrate.ALLO_GATING_FACTOR_ORSER`).
ALLOSTERIC_SITES = ("none", "orser")


def _canonical(validate, names: tuple[str, ...]):
    """`_choice` on lower-cased names, returning the name as spelled in ``names``."""
    by_lower = {x.lower(): x for x in names}

    def wrapped(v):
        return by_lower[validate(v)]

    return wrapped


class Spinal(_Model):
    """The spinal synapses' NMDA receptors: subunit composition and ketamine's allosteric
    site (both used by every stimulus test; the defaults are the model's defaults). The
    ``nmda_block`` readout and the slow sensitization model keep the default receptor (their
    drive table and calibration were computed with it).

    >>> Spinal(nmda="lamina_I", allosteric_site="orser").allosteric_site
    'orser'
    """

    _what: ClassVar[str] = "the spinal section (nmda, allosteric_site)"
    nmda: Annotated[str, BeforeValidator(_canonical(_choice(
        tuple(x.lower() for x in SPINAL_NMDA), "an NMDA receptor model"), SPINAL_NMDA))] = \
        "default"
    allosteric_site: Annotated[str, BeforeValidator(_choice(
        ALLOSTERIC_SITES, "an allosteric-site setting"))] = "none"


# ----------------------------------------------------------------------------- scenario
class Scenario(_Model):
    """A patient, drug regimens, a clinical condition, stimulus tests and readouts.

    Build it from keyword arguments or with `load_scenario` (YAML file or text, or a dict).
    Caps: at most `MAX_TESTS` tests and a horizon of `MAX_HORIZON_H` h (lift them with
    `load_scenario(..., max_tests=, max_horizon_h=)`).

    >>> s = Scenario(name="x", tests=[{"kind": "heat", "time": "1 h"}], horizon="2 h")
    >>> s.horizon_h, s.tests[0].temperature_C
    (2.0, 47.0)
    """

    _what: ClassVar[str] = ("a scenario (version, name, description, patient, regimens, "
                            "condition, tests, readouts, spinal, horizon, seed)")
    version: Literal[1] = 1
    name: Annotated[str, BeforeValidator(_text(
        64, "a name of letters, digits, '_', '-' or '.'", r"[A-Za-z0-9_.\-]+"))]
    description: Annotated[str, BeforeValidator(_text(4000, "a text"))] = ""
    patient: Patient = Field(default_factory=Patient)
    regimens: Annotated[list[Regimen], BeforeValidator(_capped_list(
        "max_regimens", MAX_REGIMENS, "max_regimens", "regimens"))] = []
    condition: ClinicalCondition = Field(default_factory=Healthy)
    tests: Annotated[list[StimulusTest], BeforeValidator(_capped_list(
        "max_tests", MAX_TESTS, "max_tests", "stimulus tests"))] = []
    readouts: Readouts = Field(default_factory=Readouts)
    spinal: Spinal = Field(default_factory=Spinal)
    horizon: Duration = "48.0 h"
    seed: Annotated[int, BeforeValidator(_integer(0, 2**32 - 1, "a seed"))] = 20240517

    @property
    def horizon_h(self) -> float:
        return hours(self.horizon)

    @field_validator("horizon")
    @classmethod
    def _horizon_cap(cls, v, info: ValidationInfo):
        cap = float((info.context or {}).get("max_horizon_h", MAX_HORIZON_H))
        if hours(v) > cap:
            raise _bad(f"at most {cap:g} h (max_horizon_h; pass max_horizon_h=... to "
                       "load_scenario to go past it)", "ketasim_work")
        return v

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo):
        problems = list(_cross_problems(self, info.context or {}))
        if problems:
            raise _CrossProblems(problems)
        return self


class _CrossProblems(ValueError):
    def __init__(self, problems):
        super().__init__("cross-field problems")
        self.problems = problems


def _cross_problems(s: Scenario, context: dict):
    """Checks across sections: times inside the horizon, dose limits per kg, one model per
    drug, sites that exist in the condition, the size of the report grid."""
    from ketasim.pk.dosing import LIMITS

    hz = s.horizon_h
    w = s.patient.weight_kg
    models: dict[str, tuple[str, int]] = {}
    for i, r in enumerate(s.regimens):
        p = f"regimens[{i}]"
        if r.drug in models and models[r.drug][0] != r.model:
            yield Problem(f"{p}.model", r.model, f"the same model as regimens[{models[r.drug][1]}]"
                          f" ({models[r.drug][0]!r}): one PK model per drug", "input")
        models.setdefault(r.drug, (r.model, i))
        max_bolus, max_rate = LIMITS.get(r.drug, (math.inf, math.inf))
        if r.tci is not None and r.tci.start_min / 60.0 >= hz:
            yield Problem(f"{p}.tci.start", r.tci.start, f"a start within the horizon ({hz:g} h)")
        for j, d in enumerate(r.doses):
            q = f"{p}.doses[{j}]"
            if isinstance(d, Bolus):
                if d.time_h > hz:
                    yield Problem(f"{q}.time", d.time, f"a time within the horizon ({hz:g} h)")
                per_kg = d.mg_per_kg if d.mg_per_kg is not None else d.mg / w
                if per_kg > max_bolus:
                    yield Problem(f"{q}.dose", d.dose, f"at most {max_bolus:g} mg/kg of "
                                  f"{r.drug} (got {per_kg:.3g} mg/kg for {w:g} kg): "
                                  "check the unit (mg vs ug)")
            else:
                if d.start_h > hz:
                    yield Problem(f"{q}.start", d.start,
                                  f"a start within the horizon ({hz:g} h)")
                per_kg_h = (d.mg_per_kg_per_h if d.mg_per_kg_per_h is not None
                            else d.mg_per_h / w)
                if per_kg_h > max_rate:
                    yield Problem(f"{q}.rate", d.rate, f"at most {max_rate:g} mg/kg/h of "
                                  f"{r.drug} (got {per_kg_h:.3g} mg/kg/h for {w:g} kg): "
                                  "check the unit")
    if isinstance(s.condition, _AcuteDrive) and s.condition.onset_h > hz:
        yield Problem("condition.onset", s.condition.onset,
                      f"a time within the horizon ({hz:g} h)")
    for i, t in enumerate(s.tests):
        if t.time_h > hz:
            yield Problem(f"tests[{i}].time", t.time, f"a time within the horizon ({hz:g} h)")
        if t.site != "normal" and s.condition.kind == "healthy":
            yield Problem(f"tests[{i}].site", t.site,
                          "'normal' (the condition 'healthy' has no injured area)")
    cap = int(context.get("max_points", MAX_POINTS))
    n = hz / s.readouts.every_h
    if n > cap:
        yield Problem("readouts.every", s.readouts.every,
                      f"a step giving at most {cap} points over the horizon ({n:.0f} asked; "
                      "max_points; pass max_points=... to load_scenario to go past it)",
                      "work")


# ----------------------------------------------------------------------------- errors
class Problem:
    """One validation problem: path, value received, what is allowed, kind of problem."""

    __slots__ = ("path", "value", "allowed", "kind")

    def __init__(self, path: str, value: Any, allowed: str, kind: str = "input"):
        self.path, self.value, self.allowed, self.kind = path, value, allowed, kind

    def __str__(self) -> str:
        return f"{self.path}: got {_repr.repr(self.value)}; allowed: {self.allowed}"

    def __repr__(self) -> str:
        return f"Problem({self})"


class ScenarioError(InputError):
    """A scenario document failed validation; ``problems`` lists every problem found.

    ``field``, ``value`` and ``allowed`` are those of the first problem; the message lists
    them all, one a line.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = self.problems[0]
        InputError.__init__(self, first.path, first.value, first.allowed)
        lines = [str(p) for p in self.problems]
        msg = lines[0] if len(lines) == 1 else (
            f"{len(lines)} problems in the scenario:\n  " + "\n  ".join(lines))
        self.args = (msg,)

    def __str__(self) -> str:
        return self.args[0]


class ScenarioUnitError(ScenarioError, UnitError):
    """Every problem is a quantity with a missing or wrong unit."""


class ScenarioNameError(ScenarioError, UnknownNameError):
    """Every problem is an unknown name (drug, model, route, kind, site...)."""

    def __str__(self) -> str:
        return self.args[0]


class ScenarioWorkLimitError(ScenarioError, WorkLimitError):
    """A cap on the work (tests, horizon, grid points) is exceeded."""


_KIND_OF = {"ketasim_unit": "unit", "ketasim_name": "name", "ketasim_work": "work",
            "union_tag_invalid": "name", "union_tag_not_found": "name"}


def _path(loc) -> str:
    out, prev = "", None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part in sum(_TAGS.values(), ()) and (
                isinstance(prev, int) or prev == "condition"):
            pass  # the discriminator tag pydantic adds to a union member's location
        elif part == "function-before[validate(), list[...]]" or "function-" in str(part):
            pass
        else:
            out += ("." if out else "") + str(part)
        prev = part
    return out or "scenario"


def _models_in(ann) -> list[type]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    return [m for a in get_args(ann) for m in _models_in(a)]


def model_at(root: type, loc) -> type | None:
    """The section class at a pydantic error location under ``root`` (a ``kind`` tag picks
    the union member). Shared by the scenario and trial schemas."""
    cls: type | None = root
    pending: list[type] = []
    for part in loc:
        if isinstance(part, int):
            continue
        if pending:
            pick = [m for m in pending if "kind" in m.model_fields and (
                part in (get_args(m.model_fields["kind"].annotation) or ()))]
            pending = []
            if pick:
                cls = pick[0]
                continue
        if cls is None or part not in cls.model_fields:
            return None
        found = _models_in(cls.model_fields[part].annotation)
        if len(found) == 1:
            cls = found[0]
        elif found:
            cls, pending = None, found
        else:
            return None
    return cls


def _problems_of(exc: ValidationError) -> list[Problem]:
    probs: list[Problem] = []
    for e in exc.errors(include_url=False):
        loc, typ, ctx, val = e["loc"], e["type"], e.get("ctx") or {}, e.get("input")
        path = _path(loc)
        err = ctx.get("error")
        if isinstance(err, _CrossProblems):
            probs.extend(err.problems)
            continue
        if typ == "extra_forbidden":
            cls = model_at(Scenario, loc[:-1])
            fields = ", ".join(cls.model_fields) if cls is not None else "?"
            what = cls._what if cls is not None else "this section"
            probs.append(Problem(path, val, f"no field {str(loc[-1])[:60]!r} in {what}; its "
                                 f"fields: {fields}", "input"))
            continue
        if "field" in ctx:  # a model-level check that names one of its fields
            path = f"{path}.{ctx['field']}" if path != "scenario" else ctx["field"]
            val = ctx.get("value", val)
        if typ.startswith("ketasim"):
            allowed = ctx.get("allowed", e["msg"])
        elif typ == "missing":
            allowed = "a value (this field is required)"
            val = None
        elif typ == "union_tag_not_found":
            tags = next((_TAGS[p] for p in reversed(loc) if p in _TAGS), ())
            allowed = f"a mapping with a 'kind': one of {', '.join(tags)}"
        elif typ == "union_tag_invalid":
            path += ".kind"
            val = ctx.get("tag", val)
            tags = next((_TAGS[p] for p in reversed(loc) if p in _TAGS), ())
            allowed = f"a kind: one of {', '.join(tags)}"
        elif typ == "literal_error" and loc and loc[-1] == "version":
            allowed = "1 (the only schema version)"
        elif typ in ("model_type", "model_attributes_type", "dict_type"):
            allowed = "a mapping of fields"
        else:
            msg = str(e.get("msg", typ))
            allowed = msg[len("Input should be "):] if msg.startswith("Input should be ") else msg
            if isinstance(err, KetasimError):
                allowed = getattr(err, "allowed", allowed)
        probs.append(Problem(path, val, allowed, _KIND_OF.get(typ, "input")))
    return probs or [Problem("scenario", None, "a valid scenario")]


def scenario_error(exc: ValidationError, data: Any = None) -> ScenarioError:
    """Turn pydantic's ValidationError into a `ScenarioError` (or a more precise subclass
    when every problem is of one kind) listing every problem."""
    probs = _problems_of(exc)
    kinds = {p.kind for p in probs}
    if kinds == {"unit"}:
        return ScenarioUnitError(probs)
    if kinds == {"name"}:
        return ScenarioNameError(probs)
    if "work" in kinds:
        return ScenarioWorkLimitError([p for p in probs if p.kind == "work"]
                                      + [p for p in probs if p.kind != "work"])
    return ScenarioError(probs)


# ----------------------------------------------------------------------------- hash
def canonical_json(scenario: Scenario) -> str:
    """The normalised scenario as canonical JSON (sorted keys, no spaces)."""
    return json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True, allow_nan=False)


def scenario_hash(scenario: Scenario) -> str:
    """Stable 16-hex-digit hash of the normalised scenario: the same scenario written in
    other units or with defaults spelled out hashes the same.

    >>> a = Scenario(name="x", horizon="2 d")
    >>> b = Scenario(name="x", horizon="48 h", seed=20240517)
    >>> scenario_hash(a) == scenario_hash(b)
    True
    """
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()[:16]
