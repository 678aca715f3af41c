"""Benchmark of batched TCI (`ketasim.pk.tci`) against PyTCI per patient (same run).

Work: N virtual patients (seeded covariates), propofol Eleveld, effect-site target
3 ug/mL for 60 min, pump updates every 10 s (360 updates), and the same with plasma
targeting. Baseline: PyTCI 1.2.0 ``effect_target`` / ``plasma_infusion`` (exact
integrator, the same per-interval algorithms) per patient on a subset, scaled linearly.
PyTCI's Eleveld differs from ours in Q2 (see tests/test_pk_peers.py): irrelevant to cost.

Run: ``.venv/bin/python benchmarks/bench_tci.py [--n 1000] [--subset 2]``
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import time  # noqa: E402

from ketasim.pk import tci, virtual_patients  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--subset", type=int, default=2)
    a = ap.parse_args()
    cov = virtual_patients(a.n, seed=1)
    sel = {k: v[(cov.age_yr <= 88)] for k, v in cov.as_dict().items()}
    n = len(sel["weight_kg"])
    tci("propofol", "eleveld", "3 ug/mL", duration="1 min")  # compile / load the cache
    from PyTCI.models import propofol as pt

    for site in ("effect", "plasma"):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            tci("propofol", "eleveld", "3 ug/mL", site=site, patients=sel,
                duration="60 min", max_updates=10**8)
            best = min(best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(a.subset):
            m = pt.Eleveld(float(sel["age_yr"][i]), float(sel["weight_kg"][i]),
                           float(sel["height_cm"][i]), "m" if sel["sex"][i] == 0 else "f")
            m.set_integrator("exact")
            if site == "effect":
                m.effect_target(3.0, 3600, 10, max_time=1200)
            else:
                m.plasma_infusion(3.0, 3600, 10)
        per = (time.perf_counter() - t0) / a.subset
        print(f"{site:6s} ketasim batch: {best / n * 1e3:.3f} ms/patient ({best:.2f} s for "
              f"{n}); PyTCI: {per * 1e3:.1f} ms/patient; ratio {per * n / best:.0f}x")


if __name__ == "__main__":
    main()
