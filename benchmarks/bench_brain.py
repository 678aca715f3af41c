"""Benchmark: the brain network's 7-point dose sweep, 30 s of activity per point.

Prints the wall time of the compiled batch (``ketasim.brain.cortical_readouts`` with the
30 s `ReadoutProtocol`: 7 drug conditions + the drug-free reference in one numba call,
``prange`` over conditions) and the ratio against a baseline measured in the same run: the
SAME kernel interpreted by Python (``run_one.py_func``, no numba) for one condition over a
short stretch, scaled linearly to the sweep's condition-seconds. Then prints the readouts.

Run: ``PYTHONPATH=src python benchmarks/bench_brain.py [--baseline-ms 20]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ketasim.brain import engine as E
from ketasim.brain import network as N
from ketasim.brain.readouts import READOUTS, ReadoutProtocol, cortical_readouts

KET = [0.3, 3.0, 10.0, 30.0, 0.0, 0.0, 0.0]
PROP = [0.0, 0.0, 0.0, 0.0, 0.236, 0.0, 0.0]
THIO = [0.0, 0.0, 0.0, 0.0, 0.0, 9.66, 0.0]
MIDA = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.028]


def _interpreted(duration_ms: float) -> float:
    """Wall time of the kernel run by the Python interpreter, one drug-free condition."""
    captured = {}
    orig = E.run_batch

    def grab(*args):
        captured["args"] = args
        return 0

    E.run_batch = grab
    try:
        N.simulate(0.0, duration_ms=duration_ms)
    finally:
        E.run_batch = orig
    a = list(captured["args"])
    # per-condition slices (see run_batch): u_tab, tau_gaba, g_tonic, h_factor, outputs
    a[23], a[24], a[26], a[27] = a[23][0], a[24][0], a[26][0], a[27][0]
    a[-4], a[-3], a[-2], a[-1] = a[-4][0], a[-3][0], a[-2][0], a[-1][0]
    t0 = time.perf_counter()
    E.run_one.py_func(*a)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-ms", type=float, default=20.0)
    ns = ap.parse_args()
    prot = ReadoutProtocol()
    N.simulate(0.0, duration_ms=10.0)  # compile outside the timing
    t0 = time.perf_counter()
    r = cortical_readouts(KET, PROP, THIO, MIDA, protocol=prot)
    wall = time.perf_counter() - t0
    n_cond = len(KET) + 1
    cond_s = n_cond * prot.duration_ms / 1000.0
    tb = _interpreted(ns.baseline_ms)
    base = tb * (cond_s * 1000.0 / ns.baseline_ms)
    print(f"7-point sweep (+ reference) x {prot.duration_ms / 1000:.1f} s, compiled batch: "
          f"{wall:.1f} s wall ({cond_s:.0f} condition-seconds)")
    print(f"baseline: same kernel interpreted (no numba), {ns.baseline_ms:g} ms of one "
          f"condition took {tb:.2f} s -> {base:.0f} s scaled to the sweep")
    print(f"ratio baseline / compiled: {base / wall:.0f}x")
    print("\nreadouts (30 s protocol; free uM):")
    print("ket    prop   thio   mida  " + " ".join(f"{k[:9]:>9s}" for k in READOUTS))
    for i in range(len(KET)):
        vals = " ".join(f"{float(r[k][i]):9.3f}" for k in READOUTS)
        print(f"{KET[i]:<6g} {PROP[i]:<6g} {THIO[i]:<6g} {MIDA[i]:<6g} {vals}")
    print({k: round(v, 4) for k, v in r.attrs.items() if k.startswith("reference_")})
    assert np.all(np.isfinite([r[k].values for k in READOUTS]))


if __name__ == "__main__":
    main()
