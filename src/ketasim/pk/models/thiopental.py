"""Thiopental PK: Stanski & Maitre 1990.

opentiva 1.1.2 applies the age term of k12 as ``0.00288 * 35`` (a constant) instead of
``0.00288 * (age - 35)``; we follow the paper's age dependence (k12 falls with age above 35).
"""

from __future__ import annotations

import numpy as np

from ketasim.pk import sources as S
from ketasim.pk.models.base import Covariates, ModelSpec, from_micro
from ketasim.pk.models.ketamine import OMEGA_30


def k12_stanski(age):
    """Central -> rapid peripheral rate (1/min), decreasing above 35 y (stanski1990)."""
    age = np.asarray(age, float)
    return np.where(age > 35, 0.480 - 0.00288 * (age - 35), 0.480)


def _stanski(c: Covariates):
    # stanski1990: V1 0.079 L/kg, CL 0.00307 L/kg/min, k13 0.107, k21 0.0787, k31 0.00389
    v1 = 0.079 * c.weight_kg
    p = from_micro(v1, 0.00307 / 0.079, k12_stanski(c.age_yr), 0.107, 0.0787, 0.00389)
    p["ke0"] = 0.58 * np.ones(c.n)
    return p


MODELS = [
    ModelSpec("thiopental", "stanski", "Stanski & Maitre 1990", S.STANSKI, _stanski,
              validity={"weight_kg": (40, 130), "age_yr": (18, 90)},
              population="adult surgical patients",
              omega={k: OMEGA_30 for k in ("V1", "CL", "Q2", "Q3")},
              omega_source="ketasim estimate (30 % CV)",
              notes="ke0 0.58/min as in opentiva (opentiva2023) [secondary], not re-verified",
              ke0_source="stanski1990 via opentiva"),
]
