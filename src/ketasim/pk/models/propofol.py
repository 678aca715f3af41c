"""Propofol PK models: Marsh (Diprifusor), Schnider, Eleveld.

Known port mistakes we do NOT copy (checked against the paper or a second source):
opentiva's Schnider uses ``V2 = 18.9 - 0.391 (age - 52)`` (paper: age - 53) and its Eleveld
uses Q2ref 1.83 L/min (paper: theta5 = 1.75, as quoted from the supplementary NONMEM code by
the R package tci); PyTCI's Marsh uses k31 0.0031 (Diprifusor/Marsh: 0.0033).
"""

from __future__ import annotations

import numpy as np

from ketasim.core.errors import ValidityRangeError
from ketasim.pk import sources as S
from ketasim.pk.models.base import (
    Covariates,
    ModelSpec,
    ffm_alsallami,
    from_micro,
    lbm_james,
)
from ketasim.pk.models.ketamine import OMEGA_30


def check_james_bmi(cov: Covariates, model: str) -> None:
    """The James LBM formula turns over at BMI 43 (men) / 36 (women): refuse beyond 42 / 35."""
    limit = np.where(cov.sex == 0, 42.0, 35.0)
    bad = cov.bmi > limit
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValidityRangeError(
            "bmi", round(float(cov.bmi[i]), 1),
            f"<= 42 (male) / 35 (female) for {model}: its James lean-body-mass formula "
            "decreases with weight beyond that")


def _marsh(c: Covariates):
    # marsh1991 as implemented in the Diprifusor: V1 0.228 L/kg; k10 0.119, k12 0.112,
    # k13 0.0419, k21 0.055, k31 0.0033 (1/min); ke0 0.26 (Diprifusor)
    p = from_micro(0.228 * c.weight_kg, 0.119, 0.112, 0.0419, 0.055, 0.0033)
    p["ke0"] = 0.26 * np.ones(c.n)
    return p


def _schnider(c: Covariates):
    check_james_bmi(c, "propofol/schnider")
    lbm = lbm_james(c)
    # schnider1998: L and L/min
    return {"V1": 4.27 * np.ones(c.n), "V2": 18.9 - 0.391 * (c.age_yr - 53),
            "V3": 238.0 * np.ones(c.n),
            "CL": 1.89 + 0.0456 * (c.weight_kg - 77) - 0.0681 * (lbm - 59)
            + 0.0264 * (c.height_cm - 177),
            "Q2": 1.29 - 0.024 * (c.age_yr - 53), "Q3": 0.836 * np.ones(c.n),
            "ke0": 0.456 * np.ones(c.n)}  # schnider1999


def _sig(x, e50, lam):
    return x**lam / (x**lam + e50**lam)


def eleveld_propofol(c: Covariates, opioids: bool = False):
    """Eleveld 2018 arterial PK (theta1..theta18 of the paper)."""
    th = dict(V1=6.28, V2=25.5, V3=273.0, CLm=1.79, Q2=1.75, Q3=1.11, mat50=42.3,
              matslope=9.06, V2age=-0.0156, CLage=-0.00286, V1w50=33.6, V3age=-0.0138,
              Q3mat50=68.3, CLf=2.10, Q2mat=1.30)  # eleveld2018
    ref = Covariates.single(70, 35, 170, "male")
    pma = c.age_yr * 52 + 40  # weeks
    pma_ref = 35 * 52 + 40
    f_opi = (lambda x: np.exp(x * c.age_yr)) if opioids else (lambda x: 1.0)
    v1 = th["V1"] * _sig(c.weight_kg, th["V1w50"], 1) / _sig(70.0, th["V1w50"], 1)
    v2 = th["V2"] * (c.weight_kg / 70) * np.exp(th["V2age"] * (c.age_yr - 35))
    v3 = th["V3"] * ffm_alsallami(c) / ffm_alsallami(ref)[0] * f_opi(th["V3age"])
    clref = np.where(c.sex == 0, th["CLm"], th["CLf"])
    cl = (clref * (c.weight_kg / 70) ** 0.75 * _sig(pma, th["mat50"], th["matslope"])
          / _sig(pma_ref, th["mat50"], th["matslope"]) * f_opi(th["CLage"]))
    q3mat = _sig(pma, th["Q3mat50"], 1)
    q2 = th["Q2"] * (v2 / th["V2"]) ** 0.75 * (1 + th["Q2mat"] * (1 - q3mat))
    q3 = th["Q3"] * (v3 / th["V3"]) ** 0.75 * q3mat / _sig(pma_ref, th["Q3mat50"], 1)
    ke0 = 0.146 * (c.weight_kg / 70) ** -0.25  # eleveld2018, arterial
    return {"V1": v1, "V2": v2, "V3": v3, "CL": cl, "Q2": q2, "Q3": q3, "ke0": ke0}


# eleveld2018 inter-individual variances (eta), as quoted by the tci R package docs
ELEVELD_OMEGA = {"V1": 0.610, "V2": 0.565, "V3": 0.597, "CL": 0.265, "Q2": 0.346, "Q3": 0.209}

MODELS = [
    ModelSpec("propofol", "marsh", "Marsh 1991 (Diprifusor), weight-proportional",
              S.MARSH, _marsh, validity={"weight_kg": (30, 150), "age_yr": (16, 100)},
              population="adults (Diprifusor labelling)",
              omega={k: OMEGA_30 for k in ("V1", "CL", "Q2", "Q3")},
              omega_source="ketasim estimate (30 % CV)", ke0_source="Diprifusor 0.26/min"),
    ModelSpec("propofol", "schnider", "Schnider 1998/1999", S.SCHNIDER, _schnider,
              validity={"weight_kg": (44, 123), "age_yr": (25, 81), "height_cm": (155, 196)},
              population="adult volunteers 25-81 y, 44-123 kg",
              # schnider1998 CV % (V1 4.04, V3 14.35, CL 10.05, Q3 11.79; V2, Q2 none), as
              # quoted by the R package tci (jarretrt/tci, R/poppk_mods.R)
              omega={k: float(np.log(1 + (cv / 100) ** 2)) for k, cv in
                     (("V1", 4.04), ("V3", 14.35), ("CL", 10.05), ("Q3", 11.79))},
              omega_source="schnider1998 (published; values as quoted by the tci R package)",
              extra_citations=(S.SCHNIDER1999, S.JAMES), ke0_source="schnider1999"),
    ModelSpec("propofol", "eleveld", "Eleveld 2018 (arterial, no opioids)", S.ELEVELD2018,
              eleveld_propofol, validity={"weight_kg": (0.68, 160), "age_yr": (0, 88)},
              population="30 pooled studies, neonates to elderly, 0.68-160 kg",
              omega=ELEVELD_OMEGA, omega_source="eleveld2018 (published)",
              extra_citations=(S.ALSALLAMI,), ke0_source="eleveld2018"),
    ModelSpec("propofol", "eleveld-opioid", "Eleveld 2018 (arterial, with opioids)",
              S.ELEVELD2018, lambda c: eleveld_propofol(c, opioids=True),
              validity={"weight_kg": (0.68, 160), "age_yr": (0, 88)},
              population="30 pooled studies, neonates to elderly, 0.68-160 kg",
              omega=ELEVELD_OMEGA, omega_source="eleveld2018 (published)",
              extra_citations=(S.ALSALLAMI,), ke0_source="eleveld2018"),
]
