"""Benchmark of the exact batched PK solver against per-patient baselines (same run).

Work: 10,000 virtual patients (seeded covariates + log-normal IIV), ketamine 3-compartment
disposition (Domino) + effect site + a norketamine compartment, 0.5 mg/kg IV bolus then
0.15 mg/kg/h for 24 h, output every minute (1441 times).

The norketamine sub-model is the apparent one-compartment S-norketamine model of Flint 2017
attached to the Domino disposition: a structural stand-in to measure cost (no racemic
adult parent-metabolite model with published parameters is in the package yet).

Baselines, timed on a subset and scaled linearly to 10,000 patients:
- scipy.integrate.solve_ivp per patient (LSODA, rtol 1e-8, atol 1e-10, same ODEs, t_eval
  every minute); also gives the accuracy check of our solver;
- opentiva 1.1.2 per patient (Pump with the same infusions; parent + effect site only, at
  its 1-s resolution);
- PyTCI 1.2.0 exact integrator per patient (parent + effect site only; one 60-s step per
  output).

Run: ``.venv/bin/python benchmarks/bench_pk.py [--n 10000] [--subset 20]``
"""

from __future__ import annotations

import os

# One BLAS thread: our kernel parallelises over patients itself (numba prange), and on a
# 2-core machine BLAS threads in the small batched expm only add contention.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

from ketasim.pk import get_model, simulate, virtual_patients  # noqa: E402
from ketasim.pk.models.base import Metabolite, ModelSpec  # noqa: E402
from ketasim.pk.simulate import build_system  # noqa: E402
from ketasim.pk.sources import FLINT  # noqa: E402

DOMINO = get_model("ketamine", "domino")


def _domino_nk(c):
    p = DOMINO.typical(c)
    s = c.weight_kg / 70
    p["M_V1"] = 1.0 * s  # flint2017 Table 3 (apparent, V/fm fixed at 1 L)
    p["M_CL"] = 53.2 / 60 * s**0.75  # flint2017 Table 3: CL/fm 53.2 L/h
    return p


SPEC = ModelSpec("ketamine", "domino+nk", "Domino + Flint S-NK (benchmark stand-in)",
                 DOMINO.citation, _domino_nk, validity=DOMINO.validity, omega=DOMINO.omega,
                 omega_source=DOMINO.omega_source,
                 metabolite=Metabolite("norketamine", 1.0, 1.0, FLINT))
SCHED = {"bolus": ["0.5 mg/kg"], "infusion": ["0.15 mg/kg/h for 24 h"]}
TIMES = np.arange(0.0, 24 * 60 + 1.0)


def ours(cov, seed):
    # 10,000 patients x 1441 times is above the default cap of 10^6 points
    return simulate("ketamine", SPEC, SCHED, cov, TIMES, iiv=True, seed=seed,
                    max_points=cov.n * len(TIMES))


def per_patient_solve_ivp(A, b, C, w):
    def rhs(t, x):
        return A @ x + b * (0.15 * w / 60)

    x0 = np.zeros(A.shape[0])
    x0[0] = 0.5 * w
    sol = solve_ivp(rhs, (0, TIMES[-1]), x0, t_eval=TIMES, method="LSODA", rtol=1e-8,
                    atol=1e-10, jac=lambda t, x: A)
    return C @ sol.y


def per_patient_opentiva(w, age, height, sex):
    from opentiva import ketamine as otk
    from opentiva import pump

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = otk.Domino(int(sex), float(age), float(w), float(height))
        p = pump.Pump(m, 10, 24 * 3600 + 1)
        p.add_infusion(0, 0.5 * w, 1)
        p.add_infusion(1, 0.15 * w / 3600, 24 * 3600 - 1)
        out = p.run()
    return out[::60, 1:3]


def per_patient_pytci(params):
    from PyTCI.models.base import Three

    m = Three()
    (m.v1, m.k10, m.k12, m.k13, m.k21, m.k31, m.keo) = params
    m.setup()
    m.set_integrator("exact")
    w = params[0] / 0.063
    m.give_drug(0.5 * w)
    out = np.empty((len(TIMES), 2))
    out[0] = m.x1, m.xeo
    for k in range(1, len(TIMES)):
        m.giveoverseconds(0.15 * w / 3600, 60)
        out[k] = m.x1, m.xeo
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--subset", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2024)
    a = ap.parse_args()
    cov = virtual_patients(a.n, seed=a.seed, age_range=(18, 80), bmi_range=(18.5, 35.0))
    ours(virtual_patients(10, seed=1), 1)  # JIT warm-up (cached after the first run)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        ds = ours(cov, a.seed)
        runs.append(time.perf_counter() - t0)
    t_ours = min(runs)
    per_ours = t_ours / a.n
    print(f"ketasim.pk.simulate: {a.n} patients x {len(TIMES)} times, 4 outputs "
          f"(+ umol/L copies): {t_ours:.3f} s (best of 5; runs "
          f"{', '.join(f'{r:.2f}' for r in runs)}) -> {per_ours * 1e6:.1f} us/patient")

    # solve_ivp baseline on the same individual parameters
    sub = np.arange(min(a.subset, a.n))
    from ketasim.pk.population import _streams, apply_iiv
    _, rng, _ = _streams(a.seed)
    params = apply_iiv(SPEC, SPEC.parameters(cov), rng=rng)
    sysm = build_system(params, species="ketamine", metabolite=SPEC.metabolite)
    t0 = time.perf_counter()
    ref = [per_patient_solve_ivp(sysm.A[i], sysm.b[i], sysm.C[i], cov.weight_kg[i]) for i in sub]
    t_ivp = (time.perf_counter() - t0) / len(sub)
    err = max(float(np.max(np.abs(ds["ketamine_plasma_ng_mL"].values[i] - ref[j][0])
                           / np.maximum(ref[j][0], 1e-3))) for j, i in enumerate(sub))
    err_nk = max(float(np.max(np.abs(ds["norketamine_plasma_ng_mL"].values[i, 1:] - ref[j][2, 1:])
                              / ref[j][2, 1:])) for j, i in enumerate(sub))
    print(f"solve_ivp (LSODA, rtol 1e-8) per patient: {t_ivp * 1e3:.1f} ms -> "
          f"{t_ivp * a.n:.0f} s for {a.n}; ratio {t_ivp / per_ours:.0f}x; max rel. diff "
          f"ketamine {err:.1e}, norketamine {err_nk:.1e}")

    try:
        k = max(2, len(sub) // 10)
        t0 = time.perf_counter()
        for i in sub[:k]:
            per_patient_opentiva(cov.weight_kg[i], cov.age_yr[i], cov.height_cm[i], cov.sex[i])
        t_ot = (time.perf_counter() - t0) / k
        print(f"opentiva 1.1.2 per patient (parent + Ce only, typical params): "
              f"{t_ot * 1e3:.1f} ms -> {t_ot * a.n:.0f} s; ratio {t_ot / per_ours:.0f}x")
    except ImportError:
        print("opentiva not installed (make test installs it): skipped")
    try:
        t0 = time.perf_counter()
        for i in sub:
            per_patient_pytci((params["V1"][i], *(sysm_rates(params, i))))
        t_pt = (time.perf_counter() - t0) / len(sub)
        print(f"PyTCI 1.2.0 exact per patient (parent + Ce only): {t_pt * 1e3:.1f} ms -> "
              f"{t_pt * a.n:.0f} s; ratio {t_pt / per_ours:.0f}x")
    except ImportError:
        print("PyTCI not installed (make test installs it): skipped")


def sysm_rates(p, i):
    v1 = p["V1"][i]
    return (p["CL"][i] / v1, p["Q2"][i] / v1, p["Q3"][i] / v1, p["Q2"][i] / p["V2"][i],
            p["Q3"][i] / p["V3"][i], p["ke0"][i])


if __name__ == "__main__":
    main()
