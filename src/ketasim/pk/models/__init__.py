"""Registry of published PK models: ``get_model(drug, name)`` and ``list_models()``."""

from __future__ import annotations

from ketasim.core.errors import InputError, UnknownNameError
from ketasim.core.validation import TEXT, Instance, NoneOK, validate_params
from ketasim.pk.models import ketamine, midazolam, opioids, propofol, thiopental
from ketasim.pk.models.base import Covariates, Metabolite, ModelSpec

_MODELS: dict[tuple[str, str], ModelSpec] = {}
for _m in (*ketamine.MODELS, *propofol.MODELS, *thiopental.MODELS, *opioids.MODELS,
           *midazolam.MODELS):
    _MODELS[(_m.drug, _m.name)] = _m

#: Drug aliases accepted at the edges.
ALIASES = {"esketamine": "s-ketamine", "s_ketamine": "s-ketamine", "remi": "remifentanil",
           "thiopentone": "thiopental"}

#: Default model per drug (ketamine: Kamp 2020, the meta-analytic model that best matches
#: measured concentrations in our validation tests).
DEFAULT_MODEL = {"ketamine": "kamp", "s-ketamine": "otto", "propofol": "eleveld",
                 "thiopental": "stanski", "fentanyl": "shafer", "remifentanil": "minto",
                 "morphine": "sarton", "midazolam": "zomorodi"}


def drugs() -> list[str]:
    return sorted({d for d, _ in _MODELS})


@validate_params({"drug": (TEXT, NoneOK())})
def list_models(drug: str | None = None) -> list[ModelSpec]:
    """All registered models, or those of one drug.

    Examples
    --------
    >>> [m.name for m in list_models("propofol")][:2]
    ['marsh', 'schnider']
    """
    if drug is None:
        return list(_MODELS.values())
    d = normalise_drug(drug)
    return [m for (dd, _), m in _MODELS.items() if dd == d]


def normalise_drug(drug: str) -> str:
    d = str(drug).strip().lower()
    d = ALIASES.get(d, d)
    if d not in drugs():
        raise UnknownNameError("drug", drug, f"one of {drugs()}")
    return d


@validate_params({"drug": TEXT, "name": (TEXT, NoneOK())})
def get_model(drug: str, name: str | None = None) -> ModelSpec:
    """The model ``name`` of ``drug`` (default model if ``name`` is None).

    Examples
    --------
    >>> get_model("ketamine", "kamp").citation
    'kamp2020'
    """
    d = normalise_drug(drug)
    n = DEFAULT_MODEL[d] if name is None else str(name).strip().lower()
    try:
        return _MODELS[(d, n)]
    except KeyError:
        raise UnknownNameError("model", name,
                               f"one of {[m.name for m in list_models(d)]} for {d}") from None

@validate_params({"drug": TEXT, "model": (Instance(str, ModelSpec), NoneOK())})
def resolve_model(drug: str, model: str | ModelSpec | None = None) -> tuple[str, ModelSpec]:
    """``(drug, spec)``: the normalised drug name and its model, given by name (None: the
    drug's default, `get_model`) or as a `ModelSpec`, which must be a model of ``drug``.

    Examples
    --------
    >>> d, spec = resolve_model("Ketamine", "kamp")
    >>> d, spec.citation
    ('ketamine', 'kamp2020')
    """
    d = normalise_drug(drug)
    spec = model if isinstance(model, ModelSpec) else get_model(d, model)
    if spec.drug != d:
        raise InputError("model", spec.key, f"a model of {d}")
    return d, spec


__all__ = ["Covariates", "Metabolite", "ModelSpec", "get_model", "list_models", "drugs",
           "normalise_drug", "resolve_model", "DEFAULT_MODEL"]
