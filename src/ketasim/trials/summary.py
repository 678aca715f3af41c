"""Summaries of a trial store: bootstrap CIs per outcome and arm, arm comparisons, bands.

Bootstrap: percentile intervals of the mean from ``summaries.n_boot`` resamples (seed
``SeedSequence([root, 3])``, so the summary is reproducible). Comparisons ``(arm,
reference)``: the difference of means, arm minus reference; with ``randomised``
allocation the two arms are resampled independently, with ``all_arms`` the patients are
resampled and the paired differences averaged. Patients with a NaN outcome (e.g. a wind-up
test without a first spike) are left out and counted in ``n``.

JSON keys (`summarise`): ``trial``, ``trial_hash``, ``seed``, ``n_patients``, ``allocation``,
``ci``, ``n_boot``, ``arms`` ({arm: n patients}), ``outcomes`` ({outcome: {arm: {n, mean,
median, sd, ci_low, ci_high}}}), ``comparisons`` (list of {outcome, arm, reference,
paired, n, difference, ci_low, ci_high}), ``flags`` ({slow_ketamine_clipped_fraction:
mean per arm}).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["summarise", "bootstrap_mean_ci", "bands", "SUMMARY_KEYS"]

SUMMARY_KEYS = ("trial", "trial_hash", "seed", "n_patients", "allocation", "ci", "n_boot",
                "arms", "outcomes", "comparisons", "flags")


def bootstrap_mean_ci(x, n_boot: int, ci: float, rng, y=None, chunk: int = 200):
    """Percentile CI of mean(x) (or of mean(x) - mean(y), x and y resampled independently).

    >>> lo, hi = bootstrap_mean_ci(np.arange(100.0), 1000, 0.95, np.random.default_rng(0))
    >>> bool(40 < lo < 49.5 < hi < 60)
    True
    """
    x = np.asarray(x, float)
    stats = []
    for s in range(0, n_boot, chunk):
        k = min(chunk, n_boot - s)
        m = x[rng.integers(0, x.size, (k, x.size))].mean(axis=1)
        if y is not None:
            y = np.asarray(y, float)
            m = m - y[rng.integers(0, y.size, (k, y.size))].mean(axis=1)
        stats.append(m)
    st = np.concatenate(stats)
    a = (1 - ci) / 2
    return float(np.quantile(st, a)), float(np.quantile(st, 1 - a))


def _num(v):
    v = float(v)
    return v if math.isfinite(v) else None


def _open(store):
    import zarr

    return zarr.open_group(str(store), mode="r")


def summarise(store: str | Path) -> dict:
    """The JSON summary of a finished (or partial: finished blocks only) trial store."""
    from ketasim.trials.schema import load_trial

    g = _open(store)
    trial = load_trial(dict(g.attrs["trial"]))
    done = np.asarray(g["done"][:], bool)
    b = trial.block_size
    n = trial.population.size
    finished = np.zeros(n, bool)
    for i in np.flatnonzero(done):
        finished[i * b:(i + 1) * b] = True
    alloc = np.asarray(g["allocation"][:], bool) & finished[None, :]
    rng = np.random.default_rng(np.random.SeedSequence([trial.population.seed, 3]))
    nb, ci = trial.summaries.n_boot, trial.summaries.ci
    names = trial.arm_names
    outs: dict = {}
    vals: dict = {}
    for o in trial.outcomes:
        v = np.asarray(g[f"outcomes/{o.name}"][:], float)
        vals[o.name] = v
        outs[o.name] = {}
        for a, arm in enumerate(names):
            x = v[a, alloc[a]]
            x = x[np.isfinite(x)]
            if x.size == 0:
                outs[o.name][arm] = {"n": 0, "mean": None, "median": None, "sd": None,
                                     "ci_low": None, "ci_high": None}
                continue
            lo, hi = bootstrap_mean_ci(x, nb, ci, rng)
            outs[o.name][arm] = {"n": int(x.size), "mean": _num(x.mean()),
                                 "median": _num(np.median(x)),
                                 "sd": _num(x.std(ddof=1)) if x.size > 1 else None,
                                 "ci_low": _num(lo), "ci_high": _num(hi)}
    comps = []
    paired = trial.allocation == "all_arms"
    for arm, ref in trial.comparison_pairs():
        a, r = names.index(arm), names.index(ref)
        for o in trial.outcomes:
            v = vals[o.name]
            if paired:
                both = alloc[a] & alloc[r]
                d = v[a, both] - v[r, both]
                d = d[np.isfinite(d)]
                if d.size == 0:
                    continue
                lo, hi = bootstrap_mean_ci(d, nb, ci, rng)
                diff, cnt = d.mean(), d.size
            else:
                x, y = v[a, alloc[a]], v[r, alloc[r]]
                x, y = x[np.isfinite(x)], y[np.isfinite(y)]
                if x.size == 0 or y.size == 0:
                    continue
                lo, hi = bootstrap_mean_ci(x, nb, ci, rng, y=y)
                diff, cnt = x.mean() - y.mean(), x.size + y.size
            comps.append({"outcome": o.name, "arm": arm, "reference": ref, "paired": paired,
                          "n": int(cnt), "difference": _num(diff), "ci_low": _num(lo),
                          "ci_high": _num(hi)})
    clip = np.asarray(g["aux/slow_ketamine_clipped_fraction"][:], float)
    flags = {"slow_ketamine_clipped_fraction": {
        arm: _num(np.nanmean(clip[a, alloc[a]])) if alloc[a].any() else None
        for a, arm in enumerate(names)}}
    return {"trial": trial.name, "trial_hash": g.attrs["trial_hash"],
            "seed": trial.population.seed, "n_patients": int(finished.sum()),
            "allocation": trial.allocation, "ci": ci, "n_boot": nb,
            "arms": {arm: int(alloc[a].sum()) for a, arm in enumerate(names)},
            "outcomes": outs, "comparisons": comps, "flags": flags}


def bands(store: str | Path, course: str = "ongoing_nrs", q=(0.05, 0.5, 0.95)) -> dict:
    """Population bands of a time course per arm: {arm: (len(q), time)} and ``time_h``.

    Reads one course of one arm at a time (patients x time, float32).
    """
    g = _open(store)
    alloc = np.asarray(g["allocation"][:], bool)
    out = {"time_h": np.asarray(g["time_h"][:])}
    arr = g[f"courses/{course}"]
    for a, arm in enumerate(g.attrs["arms"]):
        x = np.asarray(arr[a], float)[alloc[a]]
        x = x[np.isfinite(x).all(axis=1)]
        out[arm] = np.quantile(x, q, axis=0) if x.size else np.full((len(q),
                                                                     out["time_h"].size),
                                                                    np.nan)
    return out


def write_report(store: str | Path, out: str | Path) -> list[Path]:
    """Write ``summary.json``, ``bands.png`` (median, 5-95 % per arm over time) and
    ``report.md`` (outcome table and arm differences with CIs) into ``out``."""
    import json

    from matplotlib.figure import Figure

    out = Path(out)
    s = summarise(store)
    (out / "summary.json").write_text(json.dumps(s, indent=1), encoding="utf-8")
    fig = Figure(figsize=(10, 3.2))
    courses = [("ongoing_nrs", "ongoing pain (NRS)"), ("gain", "central gain"),
               ("ketamine_plasma_ng_mL", "ketamine plasma (ng/mL)")]
    for i, (c, label) in enumerate(courses):
        ax = fig.add_subplot(1, 3, i + 1)
        bd = bands(store, c)
        for arm in [k for k in bd if k != "time_h"]:
            line, = ax.plot(bd["time_h"], bd[arm][1], label=arm)
            ax.fill_between(bd["time_h"], bd[arm][0], bd[arm][2], alpha=0.2,
                            color=line.get_color())
        ax.set_xlabel("time (h)")
        ax.set_title(label, fontsize=9)
        if i == 0:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "bands.png", dpi=100)
    lines = [f"# Trial {s['trial']} ({s['n_patients']} patients, {s['allocation']})", "",
             "| outcome | arm | n | mean | median | CI |", "|---|---|---|---|---|---|"]
    for o, per in s["outcomes"].items():
        for arm, r in per.items():
            if r["n"]:
                lines.append(f"| {o} | {arm} | {r['n']} | {r['mean']:.3g} | "
                             f"{r['median']:.3g} | [{r['ci_low']:.3g}, {r['ci_high']:.3g}] |")
    lines += ["", f"Differences (arm - reference), {int(s['ci'] * 100)} % bootstrap CI:", "",
              "| outcome | arm | reference | difference | CI |", "|---|---|---|---|---|"]
    for c in s["comparisons"]:
        lines.append(f"| {c['outcome']} | {c['arm']} | {c['reference']} | "
                     f"{c['difference']:.3g} | [{c['ci_low']:.3g}, {c['ci_high']:.3g}] |")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [out / "summary.json", out / "bands.png", out / "report.md"]
