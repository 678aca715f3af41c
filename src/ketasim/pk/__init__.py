"""Pharmacokinetics: dose schedule -> plasma and effect-site concentrations, exact and batched.

Public API
----------
simulate(drug, model, schedule, patients, times, ...) -> xarray.Dataset (patient, time)
    variables ``<species>_plasma_ng_mL``, ``<species>_effect_ng_mL``, ``..._uM``
Schedule, Bolus, Infusion, parse_bolus, parse_infusion, parse_times (dosing at the edges)
Covariates, virtual_patients, apply_iiv (patients and variability; one seed)
get_model, list_models, drugs, ModelSpec, Metabolite, DEFAULT_MODEL (published models)
get_route, ROUTES (administration routes)
free_fraction, free_concentration_umol (free drug in umol/L for the receptor layers)
time_to_peak_effect, ke0_for_tpeak
tci, Pump, parse_targets (target-controlled infusion: plasma and effect-site targeting)

The exact solver (`ketasim.pk.solver.solve_linear`) and the system builder
(`ketasim.pk.simulate.build_system`) stay in their modules; the compiled kernel is private.

Example
-------
>>> from ketasim.pk import simulate
>>> ds = simulate("ketamine", "kamp", {"bolus": ["0.5 mg/kg"],
...                "infusion": ["0.15 mg/kg/h for 2 h"]}, times="0:120:30 min")
>>> ds["ketamine_plasma_ng_mL"].dims, ds["time"].attrs["units"]
(('patient', 'time'), 'min')
"""

from ketasim.pk import sources as _sources  # noqa: F401  (registers citations)
from ketasim.pk.analysis import ke0_for_tpeak, time_to_peak_effect
from ketasim.pk.binding import free_concentration_umol, free_fraction
from ketasim.pk.dosing import (
    Bolus,
    Infusion,
    Schedule,
    parse_bolus,
    parse_infusion,
    parse_times,
)
from ketasim.pk.models import DEFAULT_MODEL, drugs, get_model, list_models
from ketasim.pk.models.base import Covariates, Metabolite, ModelSpec
from ketasim.pk.population import apply_iiv, virtual_patients
from ketasim.pk.routes import ROUTES, get_route
from ketasim.pk.simulate import simulate
from ketasim.pk.tci import Pump, parse_targets, tci

__all__ = [
    "simulate",
    "Schedule", "Bolus", "Infusion", "parse_bolus", "parse_infusion", "parse_times",
    "Covariates", "virtual_patients", "apply_iiv",
    "get_model", "list_models", "drugs", "ModelSpec", "Metabolite", "DEFAULT_MODEL",
    "get_route", "ROUTES",
    "free_fraction", "free_concentration_umol",
    "time_to_peak_effect", "ke0_for_tpeak",
    "tci", "Pump", "parse_targets",
]
