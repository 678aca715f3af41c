"""Opioid PK: fentanyl (Shafer 1990), remifentanil (Minto 1997, Eleveld 2017), morphine
(Sarton 2000, with its sex-specific effect site).

opentiva's ShaferW80 variant conditions its weight correction on age > 80 (a bug); we
implement the plain Shafer model only, limited to its studied weights.
"""

from __future__ import annotations

import numpy as np

from ketasim.pk import sources as S
from ketasim.pk.models.base import (
    Covariates,
    ModelSpec,
    ffm_alsallami,
    from_micro,
    lbm_james,
)
from ketasim.pk.models.ketamine import OMEGA_30
from ketasim.pk.models.propofol import check_james_bmi


def _shafer(c: Covariates):
    # shafer1990: V1 6.09 L; k10 0.0827, k12 0.471, k13 0.225, k21 0.102, k31 0.006
    p = from_micro(6.09 * np.ones(c.n), 0.0827, 0.471, 0.225, 0.102, 0.006)
    p["ke0"] = 0.12 * np.ones(c.n)
    return p


def _minto(c: Covariates):
    check_james_bmi(c, "remifentanil/minto")
    lbm, a = lbm_james(c), c.age_yr
    # minto1997 (L, L/min)
    return {"V1": 5.1 - 0.0201 * (a - 40) + 0.072 * (lbm - 55),
            "V2": 9.82 - 0.0811 * (a - 40) + 0.108 * (lbm - 55),
            "V3": 5.42 * np.ones(c.n),
            "CL": 2.6 - 0.0162 * (a - 40) + 0.0191 * (lbm - 55),
            "Q2": 2.05 - 0.0301 * (a - 40), "Q3": 0.076 - 0.00113 * (a - 40),
            "ke0": 0.595 - 0.007 * (a - 40)}


def _sig(x, e50, lam):
    return x**lam / (x**lam + e50**lam)


def _eleveld_remi(c: Covariates):
    # eleveld2017: reference 35 y, 70 kg, 170 cm male; SIZE = FFM/FFMref (Al-Sallami)
    a, w = c.age_yr, c.weight_kg
    ref = Covariates.single(70, 35, 170, "male")
    size = ffm_alsallami(c) / ffm_alsallami(ref)[0]
    kmat = _sig(w, 2.88, 2) / _sig(70.0, 2.88, 2)
    ksex = np.where(c.sex == 0, 1.0, 1 + 0.470 * _sig(a, 12, 6) * (1 - _sig(a, 45, 6)))

    def age(x):
        return np.exp(x * (a - 35))

    v1 = 5.81 * size * age(-0.00554)
    v2 = 8.82 * size * age(-0.00327) * ksex
    v3 = 5.03 * size * age(-0.0315) * np.exp(-0.0260 * (w - 70))
    cl = 2.58 * size**0.75 * kmat * ksex * age(-0.00327)
    q2 = 1.72 * (v2 / 8.82) ** 0.75 * age(-0.00554) * ksex
    q3 = 0.124 * (v3 / 5.03) ** 0.75 * age(-0.00554)
    return {"V1": v1, "V2": v2, "V3": v3, "CL": cl, "Q2": q2, "Q3": q3,
            "ke0": 1.09 * age(-0.0289)}


def _sarton(c: Covariates):
    # sarton2000: V1 0.075 L/kg; k10 0.3, k12 0.183, k13 0.29, k21 0.087, k31 0.013;
    # ke0 0.0073/min in men, 0.0024/min in women (slower onset/offset in women)
    p = from_micro(0.075 * c.weight_kg, 0.3, 0.183, 0.29, 0.087, 0.013)
    p["ke0"] = np.where(c.sex == 0, 0.0073, 0.0024)
    return p


_O4 = {k: OMEGA_30 for k in ("V1", "CL", "Q2", "Q3")}

MODELS = [
    ModelSpec("fentanyl", "shafer", "Shafer 1990", S.SHAFER, _shafer,
              validity={"weight_kg": (40, 90), "age_yr": (18, 90)},
              population="adult surgical patients, 40-90 kg", omega=_O4,
              omega_source="ketasim estimate (30 % CV)",
              notes="ke0 0.12/min as in opentiva (opentiva2023) [secondary]; StanPump uses 0.147",
              ke0_source="opentiva2023"),
    ModelSpec("remifentanil", "minto", "Minto 1997", S.MINTO, _minto,
              validity={"weight_kg": (40, 150), "age_yr": (20, 85)},
              population="65 adult volunteers 20-85 y",
              # minto1997 CV % 26, 29, 66, 14, 36, 41 (V1, V2, V3, CL, Q2, Q3), as quoted
              # (as variances CV^2) by the R package tci
              omega={k: (cv / 100) ** 2 for k, cv in (("V1", 26), ("V2", 29), ("V3", 66),
                                                      ("CL", 14), ("Q2", 36), ("Q3", 41))},
              omega_source="minto1997 (published; as quoted by the tci R package)",
              extra_citations=(S.JAMES,),
              ke0_source="minto1997"),
    ModelSpec("remifentanil", "eleveld", "Eleveld 2017 (allometric)", S.ELEVELD2017,
              _eleveld_remi, validity={"weight_kg": (2.5, 150), "age_yr": (0, 90)},
              population="pooled studies, neonates to elderly",
              # eleveld2017 eta variances as quoted by the R package tci (which, unlike the
              # paper's reference values, uses V2ref in its V3 equation: not copied)
              omega={"V1": 0.104, "V2": 0.115, "V3": 0.810, "CL": 0.0197, "Q2": 0.0547,
                     "Q3": 0.285},
              omega_source="eleveld2017 (published; as quoted by the tci R package)",
              extra_citations=(S.ALSALLAMI,), ke0_source="eleveld2017"),
    ModelSpec("morphine", "sarton", "Sarton 2000 (sex-specific ke0)", S.SARTON, _sarton,
              validity={"weight_kg": (40, 130), "age_yr": (18, 90)},
              population="healthy adult volunteers (men and women)", omega=_O4,
              omega_source="ketasim estimate (30 % CV)", ke0_source="sarton2000"),
]
