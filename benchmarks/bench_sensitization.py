"""Benchmark: reduced slow sensitization model vs the spiking model (same mechanism).

Scenario: 1,000 virtual patients, 48 h. Each has an injury-like C-fibre drive that decays
after surgery (rate 2-8 Hz falling with a 12 h time constant) and a ketamine infusion at a
patient-specific free level (0-1.5 uM) for the first 24 h. The slow model integrates the
averaged calcium rules with drive-table look-ups (one compiled call). The baseline is the
spiking model itself (0.025 ms steps) run on a sample: a 20 s stretch of one patient, timed
and extrapolated linearly to 48 h x 1,000 patients (running it in full would take days).

Goal: slow model < 10 s for 48 h x 1,000 patients. Prints the times and the ratio.

Run: ``.venv/bin/python benchmarks/bench_sensitization.py``
"""

from __future__ import annotations

import time

import numpy as np

from ketasim.core.record import Record
from ketasim.spinal import Condition, simulate
from ketasim.spinal.calibration import calibrated_spec
from ketasim.spinal.drive_table import load_drive_table
from ketasim.spinal.protocols import steady_protocol
from ketasim.spinal.slow import simulate_slow


def scenario(n_pat: int, hours: float, sched_dt_h: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    t_h = np.arange(int(round(hours / sched_dt_h))) * sched_dt_h
    r0 = rng.uniform(2.0, 8.0, n_pat)[:, None]
    c = r0 * np.exp(-t_h[None, :] / 12.0)
    k = np.where(t_h[None, :] < 24.0, rng.uniform(0.0, 1.5, n_pat)[:, None], 0.0)
    return c, k


def main():
    t0 = time.perf_counter()
    spec = calibrated_spec()
    table = load_drive_table(spec)
    t_table = time.perf_counter() - t0
    n_pat, hours, sched = 1000, 48.0, 1.0 / 60.0
    c, k = scenario(n_pat, hours, sched)
    rec = Record(every="10 min", variables="all")
    simulate_slow(table, c[:2, :10], k[:2, :10], schedule_dt_h=sched, spec=spec,
                  record=Record(every="1 min"))  # compile
    t0 = time.perf_counter()
    ds = simulate_slow(table, c, k, schedule_dt_h=sched, dt_h="1 min", record=rec, spec=spec)
    t_slow = time.perf_counter() - t0
    # spiking baseline on a sample: 20 s of patient 0 at its initial drive
    span_ms = 20_000.0
    prot = steady_protocol(span_ms).with_rate_drive("c", float(c[0, 0]))
    simulate(prot, [Condition(ketamine_uM=float(k[0, 0]))])  # compile (cached on disk)
    t0 = time.perf_counter()
    simulate(prot, [Condition(ketamine_uM=float(k[0, 0]))], record=Record(variables="all"))
    t_spk = time.perf_counter() - t0
    t_spk_full = t_spk * (hours * 3600e3 / span_ms) * n_pat
    print(f"calibration + drive table (load or compute): {t_table:8.2f} s  key {table.key}")
    print(f"slow model, {n_pat} patients x {hours:g} h: {t_slow:8.3f} s  (goal < 10 s)")
    print(f"spiking model, sample {span_ms / 1000:g} s of 1 patient: {t_spk:8.3f} s")
    print(f"spiking model extrapolated to {n_pat} x {hours:g} h: {t_spk_full:10.3e} s "
          f"({t_spk_full / 86400:.1f} days)")
    print(f"ratio spiking / slow: {t_spk_full / t_slow:10.3e}")
    print(f"mean gain at 24 h / 48 h: {float(ds.gain.sel(time=24, method='nearest').mean()):.3f}"
          f" / {float(ds.gain[:, -1].mean()):.3f}")


if __name__ == "__main__":
    main()
