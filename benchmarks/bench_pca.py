"""Benchmark: the post-operative morphine PCA trial (M17) with 2 x 500 patients over 48 h.

Runs, serially (one process) after the kernels are compiled by a 4-patient warm-up:

1. baseline: the ``postop_ketamine_vs_placebo`` preset (no opioids) with 1,000 patients
   (two arms, randomised: 2 x 500), 48 h;
2. the ``postop_pca_ketamine`` preset (morphine PCA for 48 h after 2 h of surgery with or
   without ketamine; 2 x 500 patients), which adds the opioid / PCA loop
   (`ketasim.clinical.pca.opioid_course`: one compiled minute-by-minute pass per block) and
   one extra PK solve (the 1 mg unit bolus) per patient.

Prints both wall times, the ratio PCA / baseline measured in this run, the share of the PCA
run spent in the opioid loop, and whether the goal (PCA trial < 2 minutes) is met.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_pca.py [--patients 1000]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from ketasim.trials import load_trial
from ketasim.trials.runner import run_trial

GOAL_S = 120.0


def _timed(name: str, patients: int) -> float:
    trial = load_trial(name, patients=patients)
    t0 = time.perf_counter()
    run_trial(trial, tempfile.mkdtemp(), workers=1)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1000)
    args = ap.parse_args()

    import ketasim.clinical.pca as pca

    loop = {"s": 0.0}
    orig = pca.opioid_course

    def timed_course(**kw):
        t0 = time.perf_counter()
        try:
            return orig(**kw)
        finally:
            loop["s"] += time.perf_counter() - t0

    pca.opioid_course = timed_course
    for name in ("postop_ketamine_vs_placebo", "postop_pca_ketamine"):
        _timed(name, 4)                                   # compile / load caches
    loop["s"] = 0.0
    base = _timed("postop_ketamine_vs_placebo", args.patients)
    loop["s"] = 0.0
    t_pca = _timed("postop_pca_ketamine", args.patients)
    res = {"patients": args.patients, "baseline_s": round(base, 2), "pca_s": round(t_pca, 2),
           "ratio_pca_over_baseline": round(t_pca / base, 3),
           "opioid_loop_s": round(loop["s"], 2),
           "opioid_loop_share": round(loop["s"] / t_pca, 3),
           "goal_s": GOAL_S, "goal_met": t_pca < GOAL_S}
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
