"""Benchmark of `ketasim.exchange.nonmem.simulate_nonmem` against a per-individual baseline
(same run).

Work: N individuals (seeded weights/ages), each with its own design: a loading dose (bolus
or 30-min infusion) repeated 3 times every 8 h (ADDL), 12 samples at random times over 30 h;
ketamine, Kamp 2020 model (3 compartments + effect site).

Baseline: one `ketasim.pk.simulate` call per individual with the same doses and sample
times (the exact solver, unbatched). The two must agree to 1e-9 (checked).

Run: ``.venv/bin/python benchmarks/bench_nonmem.py [--n 500]``
"""

from __future__ import annotations

import os

# One BLAS thread for both (simulate_nonmem sets it itself; pk.simulate does not).
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ketasim.exchange.nonmem import read_nonmem, simulate_nonmem  # noqa: E402
from ketasim.pk import simulate  # noqa: E402


def make(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    lines, designs = ["ID,TIME,AMT,RATE,II,ADDL,WT,AGE"], []
    for i in range(1, n + 1):
        w, a = round(float(rng.uniform(50, 100)), 1), round(float(rng.uniform(20, 80)))
        amt, rate = round(float(rng.uniform(20, 50)), 2), float(rng.choice([0.0, 2 * 40.0]))
        ts = np.round(np.sort(rng.uniform(0.1, 30, 12)), 3)
        lines.append(f"{i},0,{amt},{rate},8,3,{w:.1f},{a:.0f}")
        lines += [f"{i},{t},0,0,0,0,{w:.1f},{a:.0f}" for t in ts]
        designs.append((w, a, amt, rate, ts))
    return read_nonmem(io.StringIO("\n".join(lines) + "\n")), designs


def baseline(designs):
    out = []
    for w, a, amt, rate, ts in designs:
        if rate > 0:
            dur = amt / rate * 60
            sched = {"infusion": [f"{amt / dur * 60} mg/h at {k * 480} min for {dur} min"
                                  for k in range(4)]}
        else:
            sched = {"bolus": [f"{amt} mg at {k * 480} min" for k in range(4)]}
        ds = simulate("ketamine", "kamp", sched, {"weight_kg": w, "age_yr": a},
                      times=ts * 60, molar=False)
        out.append(ds["ketamine_plasma_ng_mL"].values[0])
    return np.concatenate(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    data, designs = make(2)
    simulate_nonmem(data, "ketamine", "kamp")  # compile
    baseline(designs)
    data, designs = make(args.n)
    t0 = time.perf_counter()
    ds = simulate_nonmem(data, "ketamine", "kamp")
    t1 = time.perf_counter()
    ref = baseline(designs)
    t2 = time.perf_counter()
    obs = ds["AMT"].values == 0
    err = float(np.max(np.abs(ds["PRED"].values[obs] / ref - 1)))
    print(f"{args.n} individuals, {ds.sizes['record']} records")
    print(f"simulate_nonmem: {t1 - t0:.2f} s; per-individual pk.simulate: {t2 - t1:.2f} s; "
          f"ratio {(t2 - t1) / (t1 - t0):.1f}x; max relative difference {err:.1e}")
    assert err < 1e-9


if __name__ == "__main__":
    main()
