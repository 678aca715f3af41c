"""Benchmark: 1,000-condition NMDA dose-voltage sweep, batched exact clamp vs solve_ivp.

Protocol per condition: receptors at drug-free rest in 1 mM Mg2+, then 1 mM glutamate plus
ketamine (25 concentrations, 0.01-100 uM) at a clamped voltage (40 values, -100..+40 mV) for
2 s, sampled every 1 ms. Fast path: `ketasim.receptors.clamp.clamp_nmda` (one compiled call,
exact propagator per segment). Baseline: scipy `solve_ivp` on dx/dt = Q x, one condition at a
time, with the exact Jacobian, the faster of BDF and LSODA (rtol 1e-6, atol 1e-9), timed on a
random subset and scaled to 1,000 conditions. Both are run in this process (the fast path
timed as the median of 3 warm runs of the whole `clamp_nmda` call); the script prints
the ratio (goal >= 50x) and the max difference of the open fraction between the two.

Run: ``.venv/bin/python benchmarks/bench_receptors.py``
"""

from __future__ import annotations

import time

import numpy as np
from scipy.integrate import solve_ivp

from ketasim.receptors import nmda as N
from ketasim.receptors.clamp import Segment, clamp_nmda

DUR, DT, MG, GLU = 2000.0, 1.0, 1.0, 1000.0


def conditions():
    ket = np.geomspace(0.01, 100.0, 25)
    volt = np.linspace(-100.0, 40.0, 40)
    return [(v, k) for v in volt for k in ket]


def fast(conds):
    prots = [[Segment(DUR, v, GLU, MG, k)] for v, k in conds]
    return clamp_nmda(prots, dt_ms=DT).open.values


def baseline(conds, method):
    p = N.nmda_params_array()
    t_eval = np.arange(0.0, DUR + DT / 2, DT)
    out = []
    for v, k in conds:
        Q = np.zeros((20, 20))
        N.nmda_fill_rate_matrix(Q, v, GLU, MG, k, 0.0, p)
        x0 = N.nmda_equilibrium(v, 0.0, MG, 0.0, 0.0, p)
        sol = solve_ivp(lambda t, x, Q=Q: Q @ x, (0.0, DUR), x0, method=method, t_eval=t_eval,
                        jac=lambda t, x, Q=Q: Q, rtol=1e-6, atol=1e-9)
        out.append(sol.y[N.OPEN])
    return np.array(out)


def main() -> None:
    conds = conditions()
    o_fast = fast(conds)  # compile (cached on disk afterwards) and first touch of memory
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        o_fast = fast(conds)
        runs.append(time.perf_counter() - t0)
    t_fast = float(np.median(runs))
    rng = np.random.default_rng(0)
    sub = rng.choice(len(conds), 20, replace=False)
    best = None
    for method in ("BDF", "LSODA"):
        t0 = time.perf_counter()
        o_ref = baseline([conds[i] for i in sub], method)
        dt = (time.perf_counter() - t0) / len(sub) * len(conds)
        err = np.abs(o_ref - o_fast[sub]).max()
        print(f"solve_ivp {method:5s}: {dt:8.2f} s for {len(conds)} conditions "
              f"(extrapolated from {len(sub)}), max |open diff| {err:.1e}")
        if best is None or dt < best:
            best = dt
    print(f"batched exact clamp: {t_fast:8.3f} s for {len(conds)} conditions "
          f"({o_fast.shape[1]} samples each; median of 3 runs, whole clamp_nmda call incl. "
          "xarray output)")
    print(f"speed-up vs best per-condition solve_ivp: {best / t_fast:.0f}x (goal >= 50x)")


if __name__ == "__main__":
    main()
