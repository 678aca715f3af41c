"""Cross-check and speed: the ketasim WDR circuit vs its NMODL export run in NEURON 9.

NEURON (Hines & Carnevale 1997) is a test-only peer (``make test`` installs
``neuron==9.0.2``); ``nrnivmodl`` needs a C++ compiler. Usage::

    PYTHONPATH=src python benchmarks/crosscheck_neuron.py [--n-stim 3] [--frequency-Hz 2]
        [--dts 0.025,0.01,0.005] [--ketamine 0,10]

What is compared: `ketasim.exchange.nmodl.export_nmodl` writes the mechanisms and driver from
the default specs; both simulators run the same deterministic wind-up protocol (no jitter,
no background) at the same fixed step, ketasim with closed-form gates and its NMDA receptors
stepped every dt (``exact_gates=True, nmda_dt_ms=dt``), and ketasim's default engine (table
gates, NMDA every 0.1 ms) is printed next to them. Per dt and ketamine level: spikes per
stimulus (C window + after-discharge), totals, median / max spike-time difference when the
counts match, and the wall time of each run (NEURON per condition in its own process, after
compilation; ketasim after its numba cache is warm), with their ratio.

The schemes differ at first order in dt (NEURON: implicit Euler for V, states from the
voltage at the end of the step; ketasim: exponential Euler, states from the voltage at the
start of the step), so counts agree once both have converged; the printout shows how fast
each converges.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ketasim.exchange.nmodl import export_nmodl, nmodl_files
from ketasim.spinal import Condition, score, simulate
from ketasim.spinal.afferents import Protocol


def _neuron(d: Path, proto, dt, ket):
    files = nmodl_files(dt_ms=dt, protocol=proto, ketamine_uM=ket)
    tag = f"{ket:g}_{dt:g}"
    for f in ("cell.json", "events.json"):
        (d / f"{tag}_{f}").write_text(files[f])
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "ketasim_wdr.py", f"{tag}_cell.json",
                        f"{tag}_events.json"], cwd=d, capture_output=True, text=True,
                       check=True)
    el = time.perf_counter() - t0
    return np.asarray(json.loads(r.stdout.strip().splitlines()[-1])["spike_times_ms"]), el


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-stim", type=int, default=3)
    ap.add_argument("--frequency-Hz", type=float, default=2.0)
    ap.add_argument("--dts", default="0.025,0.01,0.005")
    ap.add_argument("--ketamine", default="0,10")
    a = ap.parse_args()
    isi = 1000.0 / a.frequency_Hz
    times = tuple(20.0 + i * isi for i in range(a.n_stim))
    proto = Protocol(times[-1] + 500.0, times, (2.0,) * a.n_stim, jitter=False)
    st = np.asarray(times)
    dts = [float(x) for x in a.dts.split(",")]
    kets = [float(x) for x in a.ketamine.split(",")]
    d = Path(tempfile.mkdtemp(prefix="ketasim-nrn-"))
    export_nmodl(d, protocol=proto)
    subprocess.run([str(Path(sys.executable).parent / "nrnivmodl"), "."], cwd=d,
                   capture_output=True, check=True)
    simulate(proto, Condition(), dt_ms=0.025, exact_gates=True, nmda_dt_ms=0.025)  # warm

    def resp(t):
        _, c, ad = score(t, st, proto.duration_ms)
        return [int(x) for x in c + ad]

    for ket in kets:
        kd = simulate(proto, Condition(ketamine_uM=ket))
        print(f"ketamine {ket:g} uM: ketasim default engine (dt 0.025, NMDA 0.1 ms) "
              f"{[int(x) for x in kd.response.values[0]]} n={int(kd.n_spikes[0])}")
        for dt in dts:
            t0 = time.perf_counter()
            ks = simulate(proto, Condition(ketamine_uM=ket), dt_ms=dt, nmda_dt_ms=dt,
                          exact_gates=True)
            t_ks = time.perf_counter() - t0
            tk = ks.spike_times.values[0, :int(ks.n_spikes[0])]
            tn, t_n = _neuron(d, proto, dt, ket)
            extra = ""
            if tk.size == tn.size and tk.size:
                diff = np.abs(tk - tn)
                extra = f" |dt| median {np.median(diff):.3f} max {diff.max():.2f} ms"
            print(f"  dt {dt:g} ms: ketasim {resp(tk)} n={tk.size} ({t_ks:.2f} s) | NEURON "
                  f"{resp(tn)} n={tn.size} ({t_n:.2f} s, x{t_n / t_ks:.1f}){extra}")


if __name__ == "__main__":
    main()
