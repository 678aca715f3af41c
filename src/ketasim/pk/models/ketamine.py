"""Ketamine PK models (racemic unless named S-ketamine) and the norketamine chain.

Numbers were checked against the primary source where we could reach it and otherwise
against two independent ports (opentiva 1.1.2 [opentiva2023], SimTIVA). What each
model rests on is in its ``notes``.

ke0. None of these papers publishes an effect-site rate constant for analgesia. Like
opentiva we derive ke0 from an assumed time to peak effect-site concentration of 1 min
after a bolus (the clinical onset of IV ketamine); `tests/test_pk_models.py` checks that
each ke0 below indeed gives a 1-min peak with our solver (so the values are ours to own,
not copied). Pass ``ke0=`` to `simulate` for another endpoint. The adult S-ketamine model
(Otto 2021, venous) cannot reach a 1-min peak; it takes Olofsen 2012's analgesic ke0.
"""

from __future__ import annotations

import numpy as np

from ketasim.core.units import MOLAR_MASS
from ketasim.pk import sources as S
from ketasim.pk.models.base import Covariates, Metabolite, ModelSpec, from_micro

#: omega^2 = ln(1 + CV^2) for the 30 % CV we assume where a paper gives no usable IIV.
OMEGA_30 = float(np.log(1 + 0.30**2))


def _ones(c: Covariates):
    return np.ones(c.n)


def _domino(c: Covariates):
    # domino1984 via opentiva/SimTIVA/fus_anes (three ports agree): V1 0.063 L/kg, k (1/min)
    p = from_micro(0.063 * c.weight_kg, 0.4381, 0.5921, 0.5900, 0.2470, 0.0146)
    p["ke0"] = 0.652 * _ones(c)  # Tpeak 1 min (see module docstring)
    return p


def _clements(c: Covariates):
    # clements1981, 250 ug/kg IV bolus fit: V1 1.7522 L/kg; k10 0.0109, k12 0.0186, k21 0.0137
    p = from_micro(1.7522 * c.weight_kg, 0.0109, 0.0186, 0.0, 0.0137)
    p["ke0"] = 5.2 * _ones(c)
    return p


def _hijazi(c: Covariates):
    # hijazi2003 (adult ICU, brain/spinal injury, racemic; CL 36 mL/min/kg and t1/2 4.9 h
    # of its abstract are reproduced, see tests): V1 1.08 L/kg; k10 0.0333,
    # k12 0.0088, k21 0.0030
    p = from_micro(1.08 * c.weight_kg, 0.0333, 0.0088, 0.0, 0.0030)
    p["ke0"] = 4.773 * _ones(c)
    return p


def _herd(c: Covariates):
    # herd2007 abstract (read at PubMed): allometric, 70-kg standard; CL 90 L/h,
    # Q 215 L/h (^0.75), V1 38.7, V2 102 L
    s = c.weight_kg / 70.0
    return {"V1": 38.7 * s, "V2": 102.0 * s, "CL": 90.0 / 60 * s**0.75,
            "Q2": 215.0 / 60 * s**0.75, "ke0": 2.995 * _ones(c)}


def _hornik(c: Covariates):
    # hornik2018 (values via opentiva; the abstract, read at the source, confirms the
    # allometric exponents 1 on volumes and 0.75 on clearances and IM F 41 % in children):
    # CL 38.9, Q 54.9 L/h, V1 32.8, V2 152 L per 70 kg
    s = c.weight_kg / 70.0
    return {"V1": 32.8 * s, "V2": 152.0 * s, "CL": 38.9 / 60 * s**0.75,
            "Q2": 54.9 / 60 * s**0.75, "ke0": 4.212 * _ones(c)}


def _kamp(c: Covariates):
    # kamp2020 raw-data model, arterial part: V1 25, V2 56, V3 157 L per 70 kg;
    # CL 84, Q2 161, Q3 79 L/h at 70 kg. Weight scaling: clearances (W/70)^0.75, volumes
    # W/70 (see KAMP_SCALING_NOTE).
    s = c.weight_kg / 70.0
    return {"V1": 25.0 * s, "V2": 56.0 * s, "V3": 157.0 * s, "CL": 84.0 / 60 * s**0.75,
            "Q2": 161.0 / 60 * s**0.75, "Q3": 79.0 / 60 * s**0.75,
            "ke0": 2.791 * _ones(c)}


KAMP_SCALING_NOTE = (
    "Weight scaling of Kamp 2020: the abstract (read at the source) reports the meta-"
    "analytic clearance as '79 l/h (at 70 kg)' and volumes 'per 70 kg', i.e. parameters "
    "standardised to a 70-kg adult; the parameter table of the raw-data model was not "
    "reachable with our tools. Ports disagree: opentiva scales clearances linearly, SimTIVA "
    "with (W/70)^0.75. We use (W/70)^0.75 for clearances and W/70 for volumes, the "
    "allometric convention of the same group's ketamine models (e.g. flint2017 uses it "
    "too) and the one under which 'at 70 kg' is a meaningful qualifier. Both choices agree "
    "at 70 kg; at 50/100 kg the linear port gives 8 % lower / 9 % higher clearance.")


def _flint(c: Covariates):
    # flint2017 Table 3 (via nlmixr2lib, which quotes it): S-ketamine 2-cmt, allometric
    # (W/70)^0.75 on clearances, linear on volumes; CL 112, Q 196 L/h; V1 7.73, V2 545 L.
    # S-norketamine 1-cmt apparent: CL/fm 53.2 L/h, V/fm 1 L (fixed).
    s = c.weight_kg / 70.0
    return {"V1": 7.73 * s, "V2": 545.0 * s, "CL": 112.0 / 60 * s**0.75,
            "Q2": 196.0 / 60 * s**0.75, "ke0": 1.10 * _ones(c),
            "M_V1": 1.0 * s, "M_CL": 53.2 / 60 * s**0.75}


#: S-ketamine analgesia ke0 (1/min): olofsen2012's blood-effect-site t1/2 for pain intensity,
#: 11.8 min [verified: abstract] (its other endpoints 0-11.8, mean 6.1 min)
OTTO_KE0 = float(np.log(2.0) / 11.8)


def _otto(c: Covariates):
    # otto2021 Table 3 (via nlmixr2lib's Otto_2021_s_ketamine.R, which quotes each row and the
    # supplementary NONMEM code): S-ketamine 3-cmt fixed to fanta2015 -- V1 133 L, CL
    # 95.2 L/h, Vp1 187 L, Q1 23.2 L/h, Vp2 98.8 L, Q2 157 L/h; S-norketamine 2-cmt
    # estimated by Otto -- V 98.6 L, CL 57.7 L/h, Vp 160 L, Q 42.8 L/h; all at 70 kg.
    # Central volumes (W/70)^1 and elimination clearances (W/70)^0.75; peripheral volumes
    # and intercompartmental clearances are not weight-scaled (as in the as-run code).
    s = c.weight_kg / 70.0
    one = _ones(c)
    return {"V1": 133.0 * s, "V2": 187.0 * one, "V3": 98.8 * one, "CL": 95.2 / 60 * s**0.75,
            "Q2": 23.2 / 60 * one, "Q3": 157.0 / 60 * one, "ke0": OTTO_KE0 * one,
            "M_V1": 98.6 * s, "M_CL": 57.7 / 60 * s**0.75, "M_V2": 160.0 * one,
            "M_Q2": 42.8 / 60 * one}


MODELS = [
    ModelSpec(
        "ketamine", "domino", "Domino 1984, 3-compartment, racemic", S.DOMINO, _domino,
        validity={"weight_kg": (35, 150), "age_yr": (18, 90)},
        population="adult volunteers/patients",
        omega={"V1": OMEGA_30, "CL": OMEGA_30, "Q2": OMEGA_30, "Q3": OMEGA_30},
        omega_source="ketasim estimate (30 % CV); not published",
        extra_citations=(S.OPENTIVA,),
        notes="Parameters as in three ports (opentiva, SimTIVA, fus_anes); the paper itself "
              "was not reachable (parameters [secondary]).",
        ke0_source="opentiva2023 (Tpeak 1 min), re-derived here"),
    ModelSpec(
        "ketamine", "clements", "Clements & Nimmo 1981, 250 ug/kg bolus, 2-compartment",
        S.CLEMENTS, _clements,
        validity={"weight_kg": (35, 150), "age_yr": (18, 90)},
        population="adult volunteers",
        omega={"V1": OMEGA_30, "CL": OMEGA_30, "Q2": OMEGA_30},
        omega_source="ketasim estimate (30 % CV); not published",
        extra_citations=(S.OPENTIVA,), ke0_source="opentiva2023 (Tpeak 1 min), re-derived here"),
    ModelSpec(
        "ketamine", "hijazi", "Hijazi 2003, ICU adults with brain/spinal injury, 2-compartment",
        S.HIJAZI, _hijazi,
        validity={"weight_kg": (35, 150), "age_yr": (18, 90)},
        population="adult ICU patients with brain or spinal-cord injury (racemic)",
        omega={"V1": OMEGA_30, "CL": OMEGA_30, "Q2": OMEGA_30},
        omega_source="ketasim estimate (30 % CV)",
        extra_citations=(S.OPENTIVA,),
        notes="opentiva caps age at 18 (upper), which contradicts the adult study population; "
              "we use adult ranges.",
        ke0_source="opentiva2023 (Tpeak 1 min), re-derived here"),
    ModelSpec(
        "ketamine", "herd", "Herd 2007, children 1-14 y, allometric 2-compartment",
        S.HERD, _herd,
        validity={"weight_kg": (10.8, 74.8), "age_yr": (1, 14)},
        population="54 children in an emergency department, 8.3 +- 3.5 y, 32.5 +- 15.6 kg",
        # herd2007 BSV: V1 64 %, V2 51.7 %, CL 38.1 %, Q 19 % (omega^2 = ln(1 + CV^2))
        omega={"V1": float(np.log(1 + 0.64**2)), "V2": float(np.log(1 + 0.517**2)),
               "CL": float(np.log(1 + 0.381**2)), "Q2": float(np.log(1 + 0.19**2))},
        omega_source="herd2007 (published BSV)",
        extra_citations=(S.OPENTIVA,), ke0_source="opentiva2023 (Tpeak 1 min), re-derived here"),
    ModelSpec(
        "ketamine", "hornik", "Hornik 2018, children 1-18 y, allometric 2-compartment",
        S.HORNIK, _hornik,
        validity={"weight_kg": (2.4, 176.1), "age_yr": (0.02, 17.6)},
        population="113 children 0.02-17.6 y, 2.4-176.1 kg (IV and IM)",
        omega={"V1": OMEGA_30, "CL": OMEGA_30, "Q2": OMEGA_30},
        omega_source="ketasim estimate (30 % CV)",
        extra_citations=(S.OPENTIVA,), ke0_source="opentiva2023 (Tpeak 1 min), re-derived here"),
    ModelSpec(
        "ketamine", "kamp", "Kamp 2020 raw-data model (arterial), 3-compartment",
        S.KAMP, _kamp,
        validity={"weight_kg": (10, 150), "age_yr": (1, 90)},
        population="14 pooled data sets, adults and children",
        omega={"V1": OMEGA_30, "CL": OMEGA_30, "Q2": OMEGA_30, "Q3": OMEGA_30},
        omega_source="ketasim estimate (30 % CV)",
        extra_citations=(S.OPENTIVA,),
        notes="Venous delay compartments of the raw-data model are not included (arterial "
              "concentrations). " + KAMP_SCALING_NOTE,
        ke0_source="opentiva2023 (Tpeak 1 min), re-derived here"),
    ModelSpec(
        "s-ketamine", "flint", "Flint 2017, S-ketamine + S-norketamine, PICU children",
        S.FLINT, _flint,
        validity={"weight_kg": (3.4, 35), "age_yr": (0.02, 12.5)},
        population="25 ventilated PICU children, 0.02-12.5 y, 3.4-35 kg",
        # flint2017 Table 3: CV(CL) 40.2 %, CV(CL_snk) 104 %, r = 0.506 (only these had IIV)
        omega={"CL": float(np.log(1 + 0.402**2)), "M_CL": float(np.log(1 + 1.04**2))},
        omega_corr={("CL", "M_CL"): 0.506},
        omega_source="flint2017 Table 3 (published)",
        metabolite=Metabolite(
            "s-norketamine", fm=1.0, mass_ratio=1.0, citation=S.FLINT,
            note="apparent: fm absorbed into CL/fm and V/fm, so the formed mass is the "
                 "parent's eliminated mass (concentrations as measured, ng/mL)"),
        notes="Time-varying S-norketamine clearance (+0.87 %/h after the first dose) is "
              "NOT included: it would break time invariance; over 24 h it lowers the "
              "S-norketamine concentration by up to ~20 %. ke0 1.10/min is our Tpeak-1-min "
              "value at 20 kg.",
        ke0_source="ketasim (Tpeak 1 min at 20 kg)"),
    ModelSpec(
        "s-ketamine", "otto", "Otto 2021 / Fanta 2015, S-ketamine + S-norketamine, adults",
        S.OTTO, _otto,
        # the volunteers: Otto 2021 Table 1 (via nlmixr2lib) 68.0 +- 7.2 and 71.3 +- 8.5 kg,
        # 23 +- 4-5 y; Fanta 2015 77 +- 7.5 kg (Otto 2021 Table 2, read at the source).
        # Ages above 45 and weights beyond ~mean +- 4 SD are an extrapolation we allow.
        validity={"weight_kg": (40, 120), "age_yr": (18, 65)},
        population="48 healthy adult volunteers (Otto 2021; S-ketamine part: 11 men, "
                   "Fanta 2015), IV infusion, venous sampling",
        # otto2021 Table 3: omega^2 V1 0.084, CL 0.026 (cov 0.023); S-norketamine V 0.040,
        # CL 0.103 (cov 0.044); only these had IIV
        omega={"V1": 0.084177, "CL": 0.026048, "M_V1": 0.040426, "M_CL": 0.10319},
        omega_corr={("V1", "CL"): 0.02261 / (0.084177 * 0.026048) ** 0.5,
                    ("M_V1", "M_CL"): 0.04456 / (0.040426 * 0.10319) ** 0.5},
        omega_source="otto2021 Table 3 (published; via nlmixr2lib)",
        extra_citations=(S.FANTA, S.NLMIXR2LIB, S.OLOFSEN2012),
        metabolite=Metabolite(
            "s-norketamine", fm=1.0, mass_ratio=1.0, citation=S.OTTO,
            note="all S-ketamine clearance forms S-norketamine, carried in S-ketamine mass "
                 "without molar-mass conversion (Otto 2021 Methods, as run): apparent "
                 "parameters, concentrations as measured (ng/mL)"),
        notes="Parameters [secondary]: Otto 2021 Table 3 as transcribed row by row in "
              "nlmixr2lib (the table itself was not reachable); the S-ketamine clearance "
              "agrees with Fanta 2015's abstract (95 L/h/70 kg, read at the source). Venous "
              "samples: the large V1 (133 L) makes the plasma curve after a bolus flat for "
              "minutes, so no ke0 gives the 1-min time to peak used for the racemic models. "
              "ke0 is Olofsen 2012's pain-intensity equilibration (t1/2 11.8 min), estimated "
              "with arterial concentrations and another PK model: on venous concentrations "
              "it overstates the delay (part of it is already in the venous sampling).",
        ke0_source="olofsen2012 (pain intensity, t1/2ke0 11.8 min)"),
]

#: norketamine molar mass / ketamine molar mass: parent mass -> metabolite mass
NK_MASS_RATIO = MOLAR_MASS["norketamine"] / MOLAR_MASS["ketamine"]
