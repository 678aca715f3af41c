"""The trial document: population, variability, arms, allocation, outcomes, summaries.

A trial is a YAML document read with the scenario layer's safe loader (no tags that build
Python objects, no aliases) and validated by frozen pydantic models that refuse unknown
fields. Every problem becomes a `TrialError` (an `InputError`) whose message names the field
path (``arms[1].regimens[0].doses[0].rate``), the value and what is allowed.

Sections
--------
``base``
    The common scenario of every arm: a preset name (``ketasim scenario list``) or an inline
    scenario mapping. Its patient is replaced by each virtual patient, its regimens by the
    arm's, its tests by those the outcomes need.
``population``
    ``size``, root ``seed``, ``age_range`` (yr), ``p_female``, ``bmi_range`` (kg/m^2).
    Covariates come from `ketasim.pk.virtual_patients` (sex ~ Bernoulli, age uniform,
    height normal by sex, BMI log-normal by sex, weight = BMI x height^2, so weight and
    height correlate as in people; fryar2021).
``iiv``
    ``pk``: the PK models' log-normal omegas (each model's ``omega_source`` says which are
    published); ``afferent_drive_cv``, ``transfer_cv``, ``nmda_sensitivity_cv``: log-normal
    CVs of three PD scale factors (defaults are our [estimate]s, see `PD_IIV_SOURCES`).
``arms``
    Each a ``name`` and ``regimens`` (scenario regimens; ``[]`` is placebo).
``allocation``
    ``randomised`` (each patient gets one arm, balanced permuted blocks from the root
    seed) or ``all_arms`` (every patient runs every arm: a paired, cross-over-like design).
``outcomes``
    ``ongoing_pain`` (NRS at ``time``), ``heat`` / ``pinprick`` / ``touch`` (NRS of a
    probe at ``time`` and ``site``: pin-prick at the secondary site reads hyperalgesia,
    touch at the secondary site allodynia), ``windup`` (ratio last / first), ``peak_plasma``
    (max ketamine plasma, ng/mL), ``event`` (incidence: outcome ``of`` ``above`` / ``below``
    a threshold, 0 or 1 per patient).
``summaries``
    ``n_boot`` bootstrap resamples, ``ci`` level, ``comparisons`` (pairs ``[arm, reference]``;
    default every arm against the first).

Examples
--------
>>> t = load_trial({"name": "t", "base": "postoperative", "arms": [
...     {"name": "placebo"}, {"name": "ket", "regimens": [{"drug": "ketamine", "doses": [
...     {"kind": "infusion", "rate": "0.15 mg/kg/h"}]}]}],
...     "outcomes": [{"name": "pain24", "kind": "ongoing_pain", "time": "24 h"}]})
>>> t.population.size, t.arm_names
(100, ['placebo', 'ket'])
>>> load_trial({"name": "t", "base": "postoperative", "arms": [{"name": "a"}],
...     "population": {"size": 0}, "outcomes": []})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ketasim.trials.schema.TrialError: population.size: got 0; allowed: ...
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ketasim.core.errors import InputError
from ketasim.scenarios.schema import (
    SITES,
    Problem,
    Regimen,
    Scenario,
    ScenarioError,
    Time,
    _integer,
    _number,
    _text,
    hours,
    model_at,
)

__all__ = ["Trial", "TrialError", "load_trial", "trial_hash", "MAX_PATIENTS", "MAX_ARMS",
           "MAX_OUTCOMES", "PD_IIV_SOURCES", "OUTCOME_KINDS"]

MAX_PATIENTS = 1_000_000
MAX_ARMS = 8
MAX_OUTCOMES = 50
OUTCOME_KINDS = ("ongoing_pain", "heat", "pinprick", "touch", "windup", "peak_plasma",
                 "event", "opioid_consumption")

#: Where each PD variability default comes from.
PD_IIV_SOURCES = {
    "afferent_drive_cv": "[estimate] 0.4: C-fibre drive after the same surgery differs "
                         "between patients; chosen so that ongoing NRS at 24 h spreads over "
                         "several points, as post-operative pain scores do",
    "transfer_cv": "[estimate] 0.3: scale of the WDR output -> NRS transfer (individual "
                   "pain sensitivity)",
    "nmda_sensitivity_cv": "[estimate] 0.3: scale of the free ketamine concentration the "
                           "NMDA-dependent parts see (equivalent to 1/IC50 scaling)",
}


class TrialError(ScenarioError):
    """A trial document problem (field path, value, what is allowed)."""


def _bad(allowed: str) -> PydanticCustomError:
    return PydanticCustomError("ketasim", "{allowed}", {"allowed": allowed})


class _T(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
    _what: ClassVar[str] = "this section"

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data):
        if not isinstance(data, dict | cls):
            raise _bad(f"a mapping of the fields of {cls._what}")
        return data


_Name = Annotated[str, BeforeValidator(_text(64, "a name of letters, digits, '_', '-' or '.'",
                                             r"[A-Za-z0-9_.\-]+"))]
_CV = Annotated[float, BeforeValidator(_number("", 0.0, 2.0, "a coefficient of variation",
                                               "0.3", allow_str=False))]


def _pair(lo: float, hi: float, what: str):
    def validate(v):
        if (not isinstance(v, list | tuple) or len(v) != 2
                or not all(isinstance(x, int | float) and not isinstance(x, bool)
                           and math.isfinite(x) for x in v)
                or not lo <= v[0] < v[1] <= hi):
            raise _bad(f"{what}: [low, high] with {lo:g} <= low < high <= {hi:g}")
        return (float(v[0]), float(v[1]))
    return validate


class Population(_T):
    _what: ClassVar[str] = "the population (size, seed, age_range, p_female, bmi_range)"
    size: Annotated[int, BeforeValidator(_integer(1, MAX_PATIENTS, "patients"))] = 100
    seed: Annotated[int, BeforeValidator(_integer(0, 2**32 - 1, "a seed"))] = 20240517
    age_range: Annotated[tuple[float, float], BeforeValidator(
        _pair(18, 90, "ages in years"))] = (18.0, 80.0)
    p_female: Annotated[float, BeforeValidator(_number("", 0.0, 1.0, "a fraction", "0.5",
                                                       allow_str=False))] = 0.5
    bmi_range: Annotated[tuple[float, float], BeforeValidator(
        _pair(15, 60, "BMI in kg/m^2"))] = (18.5, 40.0)


class IIV(_T):
    _what: ClassVar[str] = ("the variability (pk, afferent_drive_cv, transfer_cv, "
                            "nmda_sensitivity_cv)")
    pk: Annotated[bool, BeforeValidator(
        lambda v: v if isinstance(v, bool) else (_ for _ in ()).throw(_bad("true or false")))
    ] = True
    afferent_drive_cv: _CV = 0.4
    transfer_cv: _CV = 0.3
    nmda_sensitivity_cv: _CV = 0.3


class Arm(_T):
    _what: ClassVar[str] = "an arm (name, regimens)"
    name: _Name
    regimens: list[Regimen] = []


class _Outcome(_T):
    name: _Name


class _Timed(_Outcome):
    time: Time

    @property
    def time_h(self) -> float:
        return hours(self.time)


class OngoingPain(_Timed):
    """Ongoing pain (NRS) of the slow model at ``time``."""
    _what: ClassVar[str] = "an ongoing-pain outcome (name, kind, time)"
    kind: Literal["ongoing_pain"] = "ongoing_pain"


_Site = Annotated[str, BeforeValidator(
    lambda v: v if v in SITES else (_ for _ in ()).throw(_bad(f"a site: one of "
                                                               f"{', '.join(SITES)}")))]


class Probe(_Timed):
    """NRS of a heat / pin-prick / touch probe at ``time`` and ``site``."""
    _what: ClassVar[str] = "a probe outcome (name, kind, time, site, temperature_C)"
    kind: Literal["heat", "pinprick", "touch"]
    site: _Site = "secondary"
    temperature_C: Annotated[float, BeforeValidator(_number(
        "degC", 40.0, 52.0, "a heat temperature", "47 degC"))] = 47.0


class Windup(_Timed):
    """Wind-up ratio (spiking model, last / first stimulus) at ``time`` (normal skin)."""
    _what: ClassVar[str] = "a wind-up outcome (name, kind, time, site, n_shocks, frequency_Hz)"
    kind: Literal["windup"] = "windup"
    site: _Site = "normal"
    n_shocks: Annotated[int, BeforeValidator(_integer(2, 30, "shocks"))] = 15
    frequency_Hz: Annotated[float, BeforeValidator(_number(
        "Hz", 0.0, 5.0, "a frequency", "1 Hz", lo_open=True))] = 1.0


class OpioidConsumption(_Timed):
    """Cumulative morphine (mg: scheduled doses + PCA boluses) up to ``time``."""
    _what: ClassVar[str] = "an opioid-consumption outcome (name, kind, time)"
    kind: Literal["opioid_consumption"] = "opioid_consumption"


class PeakPlasma(_Outcome):
    """Maximum ketamine plasma concentration (ng/mL) over the horizon."""
    _what: ClassVar[str] = "a peak-plasma outcome (name, kind)"
    kind: Literal["peak_plasma"] = "peak_plasma"


class Event(_Outcome):
    """Incidence: 1 when outcome ``of`` is above ``above`` (or below ``below``), else 0."""
    _what: ClassVar[str] = "an event (name, kind, of, above, below)"
    kind: Literal["event"] = "event"
    of: _Name
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.above is None) == (self.below is None):
            raise _bad("exactly one of 'above' or 'below'")
        for v in (self.above, self.below):
            if v is not None and not math.isfinite(v):
                raise _bad("a finite threshold")
        return self


Outcome = Annotated[OngoingPain | Probe | Windup | PeakPlasma | Event | OpioidConsumption,
                    Discriminator("kind")]


class Summaries(_T):
    _what: ClassVar[str] = "the summaries (n_boot, ci, comparisons)"
    n_boot: Annotated[int, BeforeValidator(_integer(100, 100_000, "bootstrap resamples"))] \
        = 2000
    ci: Annotated[float, BeforeValidator(_number("", 0.5, 0.999, "a confidence level",
                                                 "0.95", allow_str=False))] = 0.95
    comparisons: list[tuple[_Name, _Name]] | None = None


def _base(v):
    if isinstance(v, str):
        from ketasim.scenarios.presets import list_presets
        if v not in list_presets():
            raise _bad(f"a preset scenario: one of {', '.join(list_presets())}, or an "
                       "inline scenario mapping")
        return v
    if isinstance(v, dict):
        return v
    raise _bad("a preset scenario name or an inline scenario mapping")


class Trial(_T):
    """A virtual trial (see the module docstring)."""

    _what: ClassVar[str] = ("a trial (version, name, description, base, population, iiv, "
                            "arms, allocation, outcomes, summaries, every, block_size)")
    version: Literal[1] = 1
    name: _Name
    description: Annotated[str, BeforeValidator(_text(4000, "a text"))] = ""
    base: Annotated[str | dict, BeforeValidator(_base)]
    population: Population = Field(default_factory=Population)
    iiv: IIV = Field(default_factory=IIV)
    arms: list[Arm]
    allocation: Literal["randomised", "all_arms"] = "randomised"
    outcomes: list[Outcome]
    summaries: Summaries = Field(default_factory=Summaries)
    every: Annotated[str, BeforeValidator(
        lambda v: Time.__metadata__[0].func(v))] = "1.0 h"
    block_size: Annotated[int, BeforeValidator(_integer(1, 100_000, "patients per block"))] \
        = 100

    @property
    def arm_names(self) -> list[str]:
        return [a.name for a in self.arms]

    @property
    def every_h(self) -> float:
        return hours(self.every)

    @model_validator(mode="after")
    def _cross(self):
        if not 1 <= len(self.arms) <= MAX_ARMS:
            raise PydanticCustomError("ketasim", "{allowed}", {
                "allowed": f"1 to {MAX_ARMS} arms", "field": "arms", "value": len(self.arms)})
        if len(self.outcomes) > MAX_OUTCOMES:
            raise PydanticCustomError("ketasim", "{allowed}", {
                "allowed": f"at most {MAX_OUTCOMES} outcomes", "field": "outcomes",
                "value": len(self.outcomes)})
        for what, names in (("arms", self.arm_names), ("outcomes",
                                                      [o.name for o in self.outcomes])):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise PydanticCustomError("ketasim", "{allowed}", {
                    "allowed": "unique names", "field": what, "value": dup[0]})
        seen: list[str] = []
        for i, o in enumerate(self.outcomes):
            if o.kind == "event" and o.of not in seen:
                raise PydanticCustomError("ketasim", "{allowed}", {
                    "allowed": f"the name of an earlier non-event outcome ({seen})",
                    "field": f"outcomes[{i}].of", "value": o.of})
            if o.kind != "event":
                seen.append(o.name)
        try:
            base = self.base_scenario()
        except ScenarioError as exc:
            p = exc.problems[0]
            raise PydanticCustomError("ketasim", "{allowed}", {
                "allowed": p.allowed, "field": p.path, "value": p.value}) from None
        for i, o in enumerate(self.outcomes):
            t = getattr(o, "time_h", None)
            if t is not None and t > base.horizon_h + 1e-9:
                raise PydanticCustomError("ketasim", "{allowed}", {
                    "allowed": f"a time within the base scenario's horizon "
                               f"({base.horizon_h:g} h)", "field": f"outcomes[{i}].time",
                    "value": o.time})
        if self.summaries.comparisons is not None:
            for j, pair in enumerate(self.summaries.comparisons):
                for a in pair:
                    if a not in self.arm_names:
                        raise PydanticCustomError("ketasim", "{allowed}", {
                            "allowed": f"arm names: one of {', '.join(self.arm_names)}",
                            "field": f"summaries.comparisons[{j}]", "value": a})
        return self

    def base_scenario(self) -> Scenario:
        """The common base scenario (preset or inline), validated."""
        from ketasim.scenarios.presets import load_scenario, preset_path
        if isinstance(self.base, str):
            return load_scenario(preset_path(self.base))
        try:
            return load_scenario(dict(self.base))
        except ScenarioError as exc:
            raise TrialError([Problem(f"base.{p.path}" if p.path != "scenario" else "base",
                                      p.value, p.allowed, p.kind)
                              for p in exc.problems]) from None
        except InputError as exc:  # a bad drug or model name in the base
            raise TrialError([Problem(f"base.{exc.field}", exc.value, exc.allowed)]) from None

    def comparison_pairs(self) -> list[tuple[str, str]]:
        """``(arm, reference)`` pairs: as given, else every arm against the first."""
        if self.summaries.comparisons is not None:
            return [tuple(p) for p in self.summaries.comparisons]
        return [(a, self.arm_names[0]) for a in self.arm_names[1:]]


# ----------------------------------------------------------------------------- errors
_KINDS = set(OUTCOME_KINDS) | {"bolus", "infusion"}


def _path(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "function-" in str(part) or part in _KINDS or str(part).startswith(
                ("tuple[", "list[", "str", "dict")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "trial"


def _trial_error(exc: ValidationError) -> TrialError:
    probs = []
    for e in exc.errors(include_url=False):
        loc, typ, ctx, val = e["loc"], e["type"], e.get("ctx") or {}, e.get("input")
        path = _path(loc)
        if typ == "extra_forbidden":
            cls = model_at(Trial, loc[:-1])
            fields = ", ".join(cls.model_fields) if cls is not None else "?"
            what = getattr(cls, "_what", "this section") if cls is not None else "this section"
            if not isinstance(what, str):
                what = "this section"
            probs.append(Problem(path, val, f"no field {str(loc[-1])[:60]!r} in {what}; its "
                                 f"fields: {fields}", "input"))
            continue
        if "field" in ctx:
            path = f"{path}.{ctx['field']}" if path != "trial" else ctx["field"]
            val = ctx.get("value", val)
        if typ.startswith("ketasim"):
            allowed = ctx.get("allowed", e["msg"])
        elif typ == "missing":
            allowed, val = "a value (this field is required)", None
        elif typ == "union_tag_invalid":
            path += ".kind"
            val = ctx.get("tag", val)
            allowed = f"a kind: one of {', '.join(OUTCOME_KINDS)}"
        elif typ == "union_tag_not_found":
            allowed = f"a mapping with a 'kind': one of {', '.join(OUTCOME_KINDS)}"
        elif typ == "literal_error":
            allowed = str(e.get("msg", typ)).removeprefix("Input should be ")
        else:
            allowed = str(e.get("msg", typ)).removeprefix("Input should be ")
        probs.append(Problem(path, val, allowed, "input"))
    return TrialError(probs or [Problem("trial", None, "a valid trial")])


def load_trial(source: Any, *, patients: int | None = None) -> Trial:
    """Read and validate a trial: a `Trial`, a dict, a YAML file path or YAML text.

    ``patients`` overrides ``population.size`` (the CLI's ``--patients``).

    Examples
    --------
    >>> load_trial("postop_ketamine_vs_placebo", patients=10).population.size
    10
    """
    from ketasim.scenarios.presets import _read_yaml, read_text_file

    if isinstance(source, Trial):
        source = source.model_dump(mode="json")
    elif isinstance(source, str) and "\n" not in source and not source.lower().endswith(
            (".yaml", ".yml")):
        from ketasim.trials.presets import trial_preset_path
        source = trial_preset_path(source)
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        source = read_text_file(source)
    if isinstance(source, str):
        source = _read_yaml(source)
    if not isinstance(source, dict):
        raise InputError("trial", type(source).__name__ if source is not None else None,
                         "a mapping of fields (name, base, population, iiv, arms, "
                         "allocation, outcomes, summaries)")
    if patients is not None:
        source = dict(source)
        source["population"] = {**(source.get("population") or {}), "size": patients}
    try:
        return Trial.model_validate(source)
    except ValidationError as exc:
        raise _trial_error(exc) from None


def trial_hash(trial: Trial) -> str:
    """16-hex-digit hash of the normalised trial (what a store is keyed by)."""
    text = json.dumps(trial.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
