"""Benchmark: one patient's 48 h scenario with 10 stimulus tests vs the spiking model alone.

Scenario: the `postoperative_ketamine` preset (90 kg woman, incision at 0 h, ketamine
0.5 mg/kg then 0.15 mg/kg/h for 24 h) with 10 stimulus tests (heat, pin-prick, touch and a
wind-up train across 48 h). `ketasim.simulate` runs the PK, the NMDA block, the slow gain
model over 48 h and the spiking model only at the 10 tests.

The baseline is running the spiking model (0.025 ms steps) through the whole 48 h course:
timed on a sample (a 20 s stretch under the incision's C drive, one condition) and
extrapolated linearly to 48 h (running it would take days).

Goal: the scenario in < 10 s after compilation. Prints the times and the ratio.

Second case (brain readouts): the `m14_bolus_midazolam` preset over 6 h with the report
grid at 1 min (cortical state, emergence risk and perceived pain every minute through the
reduced map). Baselines in the same run: the same scenario without brain readouts, and the
detailed network (`ketasim.brain.readouts.cortical_readouts`, short protocol) timed on one
time point and extrapolated to the 361 minutes. Goal: < 60 s.

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
    brain_case()


def brain_case():
    """6 h scenario with brain readouts every minute vs without, and vs the network."""
    from ketasim.brain.readouts import ReadoutProtocol, cortical_readouts

    doc = load_scenario(preset_path("m14_bolus_midazolam")).model_dump(mode="json")
    doc.update(horizon="6 h", readouts={**doc["readouts"], "every": "1 min"})
    scen = load_scenario(doc)
    no_brain = scen.model_copy(update={"readouts": scen.readouts.model_copy(
        update={"brain": False})})
    simulate(scen.model_copy(update={"horizon": "0.5 h"}))  # compile, load the map
    t0 = time.perf_counter()
    ds = simulate(scen)
    t_brain = time.perf_counter() - t0
    t0 = time.perf_counter()
    simulate(no_brain)
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    cortical_readouts(ketamine_uM=[1.0], protocol=ReadoutProtocol.short(), seed=0)
    t_net = time.perf_counter() - t0
    n = ds.sizes["time"]
    print(f"\nscenario with brain readouts: 6 h, {n} report points (1 min), "
          f"{ds.sizes['test']} tests")
    print(f"with brain readouts:    {t_brain:.2f} s  (goal < 60 s: "
          f"{'met' if t_brain < 60 else 'MISSED'})")
    print(f"without brain readouts: {t_plain:.2f} s  (brain readouts cost "
          f"{t_brain - t_plain:.2f} s, ratio {t_brain / t_plain:.2f}x)")
    print(f"detailed network, one point: {t_net:.2f} s -> {n} points extrapolated "
          f"{t_net * n / 60:.1f} min; ratio network / map-based scenario "
          f"{t_net * n / t_brain:,.0f}x")


if __name__ == "__main__":
    main()
