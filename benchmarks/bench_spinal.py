"""Spinal engine speed: batched call vs one call per condition (baseline, same run).

Prints the time of a single 16 s wind-up protocol (15 shocks at 1 Hz) after compilation, the
same with multi-population NMDA models (a subunit mixture, ketamine's allosteric site) and
the speed-up of one batched call over a Python loop of single-condition calls for a
ketamine sweep. The Brian2 comparison is `benchmarks/crosscheck_brian2.py`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ketasim.receptors.nmda import NMDAParams
from ketasim.spinal import Condition, simulate, train


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=16, help="conditions in the sweep")
    a = ap.parse_args()
    pr = train(15, 1.0)
    simulate(train(1, 1.0))  # compile or load the on-disk numba cache
    ts = []
    for _ in range(3):
        t0 = time.perf_counter()
        simulate(pr, Condition())
        ts.append(time.perf_counter() - t0)
    print(f"single 16 s wind-up protocol: {min(ts):.3f} s (target < 0.2 s)")
    for label, model in (("allosteric site (K = 2)", NMDAParams(allo_gating_factor=3.0)),
                         ("lamina_I (K = 3)", "lamina_I")):
        c = Condition(ketamine_uM=0.3)
        simulate(train(1, 1.0), c, nmda=model)
        tk = []
        for _ in range(3):
            t0 = time.perf_counter()
            simulate(pr, c, nmda=model)
            tk.append(time.perf_counter() - t0)
        print(f"  NMDA {label}: {min(tk):.3f} s ({min(tk) / min(ts):.2f}x the single model)")
    conds = [Condition(ketamine_uM=float(k)) for k in np.linspace(0, 100, a.n)]
    t0 = time.perf_counter()
    batch = simulate(pr, conds)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    loop = [simulate(pr, c) for c in conds]
    t_loop = time.perf_counter() - t0
    same = all(int(b) == int(s.n_spikes.item())
               for b, s in zip(batch.n_spikes.values, loop, strict=True))
    print(f"{a.n} conditions: batched {t_batch:.2f} s, loop of single calls {t_loop:.2f} s, "
          f"ratio {t_loop / t_batch:.2f}x (identical spikes: {same})")


if __name__ == "__main__":
    main()
