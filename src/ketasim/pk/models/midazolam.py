"""Midazolam PK: Zomorodi et al. 1998, with an EEG effect site.

Zomorodi 1998 (90 adults after coronary artery bypass grafting, arterial samples, NONMEM):
a three-compartment mammillary model with typical values V1 32.2 L, V2 53 L, V3 245 L,
CL 0.43 L/min, Q2 0.56 L/min, Q3 0.39 L/min and a calculated elimination half-life of 15 h
[zomorodi1998] [verified, abstract]. The published typical values carry no weight scaling;
we apply none.

The paper has no effect site. ke0 0.124 /min (t1/2ke0 5.6 min) is the EEG equilibration of
midazolam modelled by Buhrer et al. 1990 in volunteers [buhrer1990] [secondary: the value is
from memory of that paper and was not re-read at the source]. Healthy volunteers clear
midazolam faster than Zomorodi's cardiac-surgery patients (terminal half-life 2.4 h
[allonen1981]): the model suits peri-operative patients; read emergence times with that
in mind.
"""

from __future__ import annotations

import math

import numpy as np

from ketasim.pk import sources as S
from ketasim.pk.models.base import Covariates, ModelSpec
from ketasim.pk.models.ketamine import OMEGA_30

#: Effect-site equilibration (1/min): ln 2 / 5.6 min [buhrer1990] [secondary]
KE0_BUHRER = math.log(2.0) / 5.6


def _zomorodi(c: Covariates):
    # zomorodi1998: V1 32.2, V2 53, V3 245 L; CL 0.43, Q2 0.56, Q3 0.39 L/min (typical)
    one = np.ones(c.n)
    return {"V1": 32.2 * one, "V2": 53.0 * one, "V3": 245.0 * one, "CL": 0.43 * one,
            "Q2": 0.56 * one, "Q3": 0.39 * one, "ke0": KE0_BUHRER * one}


MODELS = [
    ModelSpec("midazolam", "zomorodi", "Zomorodi et al. 1998", S.ZOMORODI, _zomorodi,
              validity={"weight_kg": (40, 150), "age_yr": (18, 90)},
              population="adults after coronary artery bypass grafting (ICU sedation)",
              omega={k: OMEGA_30 for k in ("V1", "CL", "Q2", "Q3")},
              omega_source="ketasim estimate (30 % CV)",
              extra_citations=(S.BUHRER1990, S.ALLONEN1981),
              notes="no weight scaling (typical values as published); ke0 from Buhrer 1990 "
                    "[secondary]",
              ke0_source="buhrer1990 (t1/2ke0 5.6 min, EEG) [secondary]"),
]
