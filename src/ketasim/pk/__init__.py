"""Pharmacokinetics: dose schedule -> plasma and effect-site concentrations, exact and batched.

Public API
----------
simulate(drug, model, schedule, patients, times, ...) -> xarray.Dataset (patient, time)
Schedule, Bolus, Infusion, parse_bolus, parse_infusion, parse_times
Covariates, virtual_patients, apply_iiv
get_model, list_models, drugs, ModelSpec
free_fraction, free_concentration_umol
solve_linear (the exact batched solver), build_system
time_to_peak_effect, ke0_for_tpeak

Example
-------
>>> from ketasim.pk import simulate
>>> ds = simulate("ketamine", "kamp", {"bolus": ["0.5 mg/kg"],
...                "infusion": ["0.15 mg/kg/h for 2 h"]}, times="0:120:30 min")
>>> ds["ketamine_plasma"].dims
('patient', 'time')
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
from ketasim.pk.models import drugs, get_model, list_models
from ketasim.pk.models.base import Covariates, ModelSpec
from ketasim.pk.population import apply_iiv, virtual_patients
from ketasim.pk.simulate import build_system, simulate
from ketasim.pk.solver import solve_linear

__all__ = [
    "simulate", "Schedule", "Bolus", "Infusion", "parse_bolus", "parse_infusion",
    "parse_times", "Covariates", "virtual_patients", "apply_iiv", "get_model", "list_models",
    "drugs", "ModelSpec", "free_fraction", "free_concentration_umol", "solve_linear",
    "build_system", "time_to_peak_effect", "ke0_for_tpeak",
]
