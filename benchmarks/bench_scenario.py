"""Benchmark: one patient's 48 h scenario with 10 stimulus tests vs the spiking model alone.

Scenario: the `postoperative_ketamine` preset (90 kg woman, incision at 0 h, ketamine
0.5 mg/kg then 0.15 mg/kg/h for 24 h) with 10 stimulus tests (heat, pin-prick, touch and a
wind-up train across 48 h). `ketasim.simulate` runs the PK, the NMDA block, the slow gain
model over 48 h and the spiking model only at the 10 tests.

The baseline is running the spiking model (0.025 ms steps) through the whole 48 h course:
timed on a sample (a 20 s stretch under the incision's C drive, one condition) and
extrapolated linearly to 48 h (running it would take days).

Goal: the scenario in < 10 s after compilation. Prints the times and the ratio.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_scenario.py``
"""

from __future__ import annotations

import time

from ketasim.scenarios import load_scenario, preset_path
from ketasim.scenarios.runner import simulate
from ketasim.spinal import Condition
from ketasim.spinal import simulate as simulate_spiking
from ketasim.spinal.protocols import max_spikes_for, steady_protocol

TESTS = [
    {"kind": "heat", "time": "2 h", "site": "secondary"},
    {"kind": "pinprick", "time": "2 h", "site": "secondary"},
    {"kind": "touch", "time": "2 h", "site": "secondary"},
    {"kind": "windup", "time": "3 h", "site": "normal"},
    {"kind": "heat", "time": "12 h", "site": "injured"},
    {"kind": "pinprick", "time": "12 h", "site": "secondary"},
    {"kind": "heat", "time": "24 h", "site": "injured"},
    {"kind": "windup", "time": "24 h", "site": "normal"},
    {"kind": "heat", "time": "48 h", "site": "injured"},
    {"kind": "pinprick", "time": "48 h", "site": "secondary"},
]


def main():
    base = load_scenario(preset_path("postoperative_ketamine")).model_dump(mode="json")
    base.update(tests=TESTS, horizon="48 h")
    scen = load_scenario(base)
    t0 = time.perf_counter()
    simulate(scen.model_copy(update={"horizon": "2.0 h", "tests": scen.tests[:4]}))  # compile
    t_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds = simulate(scen)
    t_run = time.perf_counter() - t0
    sample_ms = 20_000.0
    prot = steady_protocol(sample_ms).with_rate_drive("c", 4.0)
    t0 = time.perf_counter()
    simulate_spiking(prot, [Condition(ketamine_uM=0.3)], seed=1,
                     max_spikes=max_spikes_for(sample_ms))
    t_sample = time.perf_counter() - t0
    t_full = t_sample * (48 * 3600e3 / sample_ms)
    print(f"scenario: 48 h, {ds.sizes['test']} stimulus tests, 1 patient")
    print(f"first call (compilation + caches): {t_warm:.2f} s")
    print(f"scenario run after compilation:    {t_run:.2f} s  (goal < 10 s: "
          f"{'met' if t_run < 10 else 'MISSED'})")
    print(f"spiking model, 20 s sample:         {t_sample:.2f} s -> 48 h extrapolated "
          f"{t_full / 3600:.1f} h")
    print(f"ratio (spiking through the course / scenario): {t_full / t_run:,.0f}x")


if __name__ == "__main__":
    main()
