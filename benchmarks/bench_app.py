"""Response times of the web explorer's model calls against the targets of `ketasim app`
(PK change < 0.3 s, wind-up < 2 s, 200-patient trial < 20 s), uncached, after one warm-up
(numba compilation and imports are paid once per server).

Also times a whole page re-run of the Concentrations page with Streamlit's AppTest after a
dose change (script + model + figure rendering).

    PYTHONPATH=src python benchmarks/bench_app.py
"""

import time

from ketasim.app import core


def best(fn, n=3):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out), max(out)


def main():
    cfg = core.default_config()
    core.timeline(core.to_scenario(cfg, tests=False))  # warm-up
    doses = iter(f"{0.3 + 0.01 * i:.2f} mg/kg" for i in range(100))

    def pk_change():
        c = {**cfg, "bolus": next(doses)}
        s = core.to_scenario(c, tests=False)
        core.levels_at(core.timeline(s), 2.0)

    lv = core.levels_at(core.timeline(core.to_scenario(cfg, tests=False)), 2.0)
    core.windup(lv, n_shocks=2)  # warm-up
    ks = iter(range(100))

    def windup():  # what a concentration change costs the page (drug-free run cached)
        core.windup_condition({**lv, "ketamine_uM": lv["ketamine_uM"] + 1e-3 * next(ks)},
                              "with drugs", n_shocks=15)

    def windup_trace():
        core.windup_condition({**lv, "ketamine_uM": lv["ketamine_uM"] + 1e-3 * next(ks)},
                              "with drugs", n_shocks=15, trace=True)

    def windup_both():  # a change of the train: both conditions
        core.windup({**lv, "ketamine_uM": lv["ketamine_uM"] + 1e-3 * next(ks)},
                    n_shocks=14)

    core.run_trial_blocks(core.trial_doc(cfg, n_patients=4), block=4)  # warm-up

    def trial():  # paired: 200 patients x 2 arms
        core.run_trial_blocks(core.trial_doc(cfg, n_patients=200), block=25)

    def cortex():
        c = {**cfg, "bolus": next(doses)}
        core.timeline(core.to_scenario(c, tests=False), brain=True)

    cortex()  # warm-up
    rows = [("PK change (validate + PK + slow gain, 48 h)", pk_change, 0.3, 5),
            ("cortex page change (+ brain map, emergence)", cortex, 2.0, 3),
            ("wind-up at new levels, 15 shocks", windup, 2.0, 3),
            ("wind-up at new levels, with membrane trace", windup_trace, 2.0, 2),
            ("wind-up, new train (drug-free + drugs)", windup_both, 2.0, 2),
            ("virtual trial, 200 patients x 2 arms (paired)", trial, 20.0, 1)]
    import os

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'call':48s} {'best s':>8s} {'worst s':>8s} {'target s':>9s} {'best/target':>12s}")
    for name, fn, target, n in rows:
        lo, hi = best(fn, n)
        print(f"{name:48s} {lo:8.3f} {hi:8.3f} {target:9.1f} {lo / target:12.2f}")

    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    page = str(Path(core.__file__).with_name("views") / "concentrations.py")
    at = AppTest.from_file(page, default_timeout=120)
    at.run()
    times = []
    for i in range(3):
        at.session_state["cfg"] = {**cfg, "bolus": f"{0.6 + 0.1 * i:.1f} mg/kg"}
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    print(f"{'Concentrations page re-run after a dose change':48s} {min(times):8.3f} "
          f"{max(times):8.3f} {0.3:9.1f} {min(times) / 0.3:12.2f}")


if __name__ == "__main__":
    main()
