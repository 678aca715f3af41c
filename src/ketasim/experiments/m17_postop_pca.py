"""M17: the post-operative virtual trial -- morphine PCA for 48 h with or without low-dose
ketamine, and after high- versus low-dose intra-operative remifentanil.

The trial layer (`ketasim.trials.batch.run_block`) runs the ``postop_pca_ketamine`` trial
preset with a third arm from ``remifentanil_high_vs_low`` (high-dose remifentanil, no
ketamine), every patient in every arm (``all_arms``: paired comparisons; the presets
themselves randomise). Arms:

* ``placebo``: remifentanil 0.05 ug/kg/min during surgery (0-2 h), morphine 0.1 mg/kg at
  90 min, morphine PCA (1 mg, lockout 5 min, 10 mg/h) from 2 h;
* ``ketamine``: as placebo plus ketamine 0.5 mg/kg at 0 h then 0.15 mg/kg/h to 26 h;
* ``remifentanil_high``: as placebo with remifentanil 0.3 ug/kg/min.

Patients: the trial population (covariates, PK variability, PD scales), ``patients`` per arm
(default 40 for the demo; ``-p patients=300`` for a full trial). PCA behaviour and the pain
course are calibrated on opioid-only data (`ketasim.clinical.pca`); ketamine's effect on
morphine use is a model output.

Outcomes (mean, 95 % bootstrap CI; differences versus placebo as paired bootstrap CIs):
cumulative morphine at 24 and 48 h after surgery, ongoing pain at 6, 24 and 48 h, pin-prick
hyperalgesia around the wound at 24 h, moderate pain (NRS > 4) at 24 h, and (with
``psychotomimetic``) the brain layer's psychotomimetic intensity: the maximum over the awake
post-operative period (from the end of surgery, hourly grid) of
`ketasim.brain.maps.cortical_state` at the patient's free ketamine (the brain layer's graded
0-1 index, its own [estimate], not a clinical scale), and its incidence above
`PSYCHOTOMIMETIC_THRESHOLD` (0.25 [estimate]).

Summary keys (JSON): ``patients``; ``arms``; ``outcomes`` {outcome: {arm: {``mean``,
``ci``}}}; ``differences`` {outcome: {arm: {``mean``, ``ci``}}} (arm - placebo);
``sparing_24h_pct``, ``sparing_48h_pct`` (ketamine, % of placebo's morphine);
``remifentanil_extra_24h_mg``; ``calibration`` {``morphine_24h_median_mg``, target text};
``psychotomimetic`` (null when not computed) {arm: {``mean``, ``ci``, ``incidence``,
``incidence_ci``}}.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ketasim.core.validation import Instance, Interval, validate_params
from ketasim.experiments._pain_common import json_clean
from ketasim.experiments.registry import register
from ketasim.spinal.opioid_adaptation import ADAPTATION_CITATIONS

OUTCOMES = ("morphine_24h", "morphine_48h", "pain_6h", "pain_24h", "pain_48h",
            "hyperalgesia_24h", "moderate_pain_24h")
#: Published 24-h morphine PCA use after major surgery on opioids alone (checked, not fitted).
CONSUMPTION_TARGET = "30-60 mg / 24 h (major surgery, morphine PCA alone)"
#: Psychotomimetic intensity counted as an event [estimate] (the index is not calibrated).
PSYCHOTOMIMETIC_THRESHOLD = 0.25
#: End of surgery (h) in the presets: the patient is awake from here on.
AWAKE_FROM_H = 2.0


def build_trial(patients: int = 40, seed: int = 20240517):
    """The M17 trial: ``postop_pca_ketamine`` plus the high-remifentanil arm, all arms.

    Examples
    --------
    >>> build_trial(5).arm_names
    ['placebo', 'ketamine', 'remifentanil_high']
    """
    from ketasim.trials.schema import Trial, load_trial

    t = load_trial("postop_pca_ketamine", patients=patients)
    r = load_trial("remifentanil_high_vs_low", patients=patients)
    d = t.model_dump(mode="json")
    high = [a for a in r.model_dump(mode="json")["arms"] if a["name"] == "remifentanil_high"]
    d["arms"] = d["arms"] + high
    d["allocation"] = "all_arms"
    d["population"]["seed"] = int(seed)
    d["block_size"] = max(int(patients), 1)
    return Trial.model_validate(d)


def _psychotomimetic(ket_uM: np.ndarray, t_h: np.ndarray) -> np.ndarray:
    """(arm, patient) maximum psychotomimetic intensity over the awake period."""
    from ketasim.brain.maps import cortical_state

    awake = t_h >= AWAKE_FROM_H - 1e-9
    k = np.round(np.nan_to_num(np.asarray(ket_uM, float)[..., awake]), 3)
    vals, inv = np.unique(k, return_inverse=True)
    psy = cortical_state(ketamine_uM=vals).psychotomimetic.values
    return psy[inv.reshape(k.shape)].max(axis=-1)


@validate_params({"patients": Interval(2, 5000), "seed": Interval(0, 2 ** 32 - 1),
                  "psychotomimetic": Instance(bool)})
def run(patients: int = 40, seed: int = 20240517, psychotomimetic: bool = True) -> xr.Dataset:
    """Run the M17 trial (see the module docstring).

    Examples
    --------
    >>> ds = run(patients=4)   # doctest: +SKIP
    """
    from ketasim.trials.batch import run_block, time_grid

    trial = build_trial(patients, seed)
    res = run_block(trial, 0, patients)
    arms = trial.arm_names
    data = {k: (("arm", "patient"), res["outcomes"][k]) for k in OUTCOMES}
    data["nrs_course"] = (("arm", "patient", "time"), res["courses"]["ongoing_nrs"])
    data["gain_course"] = (("arm", "patient", "time"), res["courses"]["gain"])
    ds = xr.Dataset(data, coords={"arm": ("arm", arms), "patient": np.arange(patients),
                                  "time": ("time", time_grid(trial), {"units": "h"})})
    for k in ("morphine_24h", "morphine_48h"):
        ds[k].attrs["units"] = "mg"
    if psychotomimetic:
        ds["psychotomimetic"] = (("arm", "patient"), _psychotomimetic(
            res["courses"]["ketamine_uM"], ds.time.values), {"units": "1"})
    ds.attrs.update(patients=patients, seed=seed, trial=trial.name)
    return ds


def _ci(x, rng, y=None):
    from ketasim.trials.summary import bootstrap_mean_ci

    x = np.asarray(x, float)
    if y is not None:
        d = x - np.asarray(y, float)
        return float(d.mean()), bootstrap_mean_ci(d, 2000, 0.95, rng)
    return float(x.mean()), bootstrap_mean_ci(x, 2000, 0.95, rng)


def summary(ds: xr.Dataset) -> dict:
    rng = np.random.default_rng(int(ds.attrs.get("seed", 0)))
    arms = [str(a) for a in ds.arm.values]
    outs, diffs = {}, {}
    for k in OUTCOMES:
        outs[k], diffs[k] = {}, {}
        base = ds[k].sel(arm="placebo").values
        for a in arms:
            x = ds[k].sel(arm=a).values
            m, ci = _ci(x, rng)
            outs[k][a] = {"mean": m, "ci": list(ci), "median": float(np.median(x))}
            if a != "placebo":
                md, cid = _ci(x, rng, base)
                diffs[k][a] = {"mean": md, "ci": list(cid)}
    p24 = outs["morphine_24h"]["placebo"]["mean"]
    p48 = outs["morphine_48h"]["placebo"]["mean"]
    out = {"patients": int(ds.attrs["patients"]), "arms": arms, "outcomes": outs,
           "differences": diffs,
           "sparing_24h_pct": -100 * diffs["morphine_24h"]["ketamine"]["mean"] / p24,
           "sparing_48h_pct": -100 * diffs["morphine_48h"]["ketamine"]["mean"] / p48,
           "remifentanil_extra_24h_mg": diffs["morphine_24h"]["remifentanil_high"]["mean"],
           "calibration": {"morphine_24h_median_mg": outs["morphine_24h"]["placebo"]["median"],
                           "morphine_24h_mean_mg": p24, "target": CONSUMPTION_TARGET},
           "psychotomimetic": None}
    if "psychotomimetic" in ds:
        ps = {}
        for a in arms:
            x = ds.psychotomimetic.sel(arm=a).values
            m, ci = _ci(x, rng)
            ev = (x > PSYCHOTOMIMETIC_THRESHOLD).astype(float)
            mi, cii = _ci(ev, rng)
            ps[a] = {"mean": m, "ci": list(ci), "incidence": mi, "incidence_ci": list(cii)}
        out["psychotomimetic"] = ps
        out["psychotomimetic_threshold"] = PSYCHOTOMIMETIC_THRESHOLD
    return json_clean(out)


def figure(ds: xr.Dataset):
    from matplotlib.figure import Figure

    s = summary(ds)
    fig = Figure(figsize=(11, 8))
    axs = fig.subplots(2, 2)
    arms = s["arms"]
    for j, (k, lab) in enumerate((("morphine_24h", "morphine 0-24 h (mg)"),
                                  ("morphine_48h", "morphine 0-48 h (mg)"))):
        ax = axs[0, j]
        for i, a in enumerate(arms):
            x = ds[k].sel(arm=a).values
            ax.scatter(np.full(x.size, i) + np.linspace(-0.2, 0.2, x.size), x, s=6,
                       alpha=0.4, color=f"C{i}")
            o = s["outcomes"][k][a]
            ax.errorbar(i, o["mean"], yerr=[[o["mean"] - o["ci"][0]], [o["ci"][1] - o["mean"]]],
                        fmt="o", color="k", capsize=5)
        ax.set_xticks(range(len(arms)), arms)
        ax.set_ylabel(lab)
        ax.set_title(f"({'ab'[j]}) {lab}: patients, mean and 95 % CI")
    ax = axs[1, 0]
    t = ds.time.values
    for i, a in enumerate(arms):
        y = ds.nrs_course.sel(arm=a).values
        ax.plot(t, np.nanmean(y, axis=0), color=f"C{i}", label=a)
        ax.fill_between(t, *np.nanpercentile(y, [25, 75], axis=0), color=f"C{i}", alpha=0.15)
    ax.set_xlabel("time (h); surgery 0-2 h")
    ax.set_ylabel("ongoing pain, NRS (mean, IQR)")
    ax.set_title("(c) pain on PCA")
    ax.legend(fontsize=8)
    ax = axs[1, 1]
    for i, a in enumerate(arms):
        ax.plot(t, np.nanmean(ds.gain_course.sel(arm=a).values, axis=0), color=f"C{i}", label=a)
    ax.set_xlabel("time (h)")
    ax.set_ylabel("central gain x OIH factor (mean)")
    ax.set_title("(d) sensitization and OIH")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    o = s["outcomes"]
    nums = []
    for a in s["arms"]:
        for k in ("morphine_24h", "morphine_48h"):
            nums.append((f"{a}: {k.replace('_', ' ')} (mean, 95 % CI "
                         f"{o[k][a]['ci'][0]:.1f}-{o[k][a]['ci'][1]:.1f})", o[k][a]["mean"], "mg"))
        nums.append((f"{a}: pain at 24 h", o["pain_24h"][a]["mean"], "NRS"))
        nums.append((f"{a}: pin-prick hyperalgesia at 24 h", o["hyperalgesia_24h"][a]["mean"],
                     "NRS"))
        if s.get("psychotomimetic"):
            p = s["psychotomimetic"][a]
            nums.append((f"{a}: psychotomimetic intensity > {s['psychotomimetic_threshold']:g} "
                         f"after surgery (95 % CI {100 * p['incidence_ci'][0]:.0f}-"
                         f"{100 * p['incidence_ci'][1]:.0f} %)", 100 * p["incidence"], "%"))
    nums.append(("ketamine: morphine spared at 24 h", s["sparing_24h_pct"], "%"))
    nums.append(("ketamine: morphine spared at 48 h", s["sparing_48h_pct"], "%"))
    cal = s["calibration"]
    comps = [("24-h morphine on PCA alone (calibration check, not fitted)",
              f"median {cal['morphine_24h_median_mg']:.0f} mg, mean "
              f"{cal['morphine_24h_mean_mg']:.0f} mg", CONSUMPTION_TARGET,
              "dahlstrom1982 / graves1983 (secondary)",
              20 <= cal["morphine_24h_median_mg"] <= 70),
             ("low-dose ketamine spares morphine (validation only)",
              f"{s['sparing_24h_pct']:.1f} % at 24 h",
              "roughly 20-40 % less morphine in meta-analyses", "seed chapter (M17)",
              s["sparing_24h_pct"] >= 15),
             ("high-dose remifentanil raises morphine need (validation only)",
              f"{s['remifentanil_extra_24h_mg']:+.1f} mg at 24 h",
              "59 vs 32 mg / 24 h", "guignard2000 (secondary)",
              s["remifentanil_extra_24h_mg"] > 5)]
    devs = ["Ketamine's sparing comes out of the mechanism only: it blocks NMDA receptors "
            "(receptor layer) and so (i) slows the slow model's central sensitization and "
            "(ii) cuts the NMDA-dependent opioid adaptation drive. At 0.15 mg/kg/h (free "
            "~0.2-0.4 uM) the equilibrium block is ~5 %, and the slow model's gain is "
            "almost unchanged (see m11), so the model's opioid sparing is small: it does not "
            "reproduce the clinical effect size. Nothing was tuned to close the gap.",
            "Opioids do not act on the slow model's plasticity (the C drive to it is not "
            "reduced by presynaptic mu inhibition); morphine-6-glucuronide is not modelled.",
            "Psychotomimetic incidence uses the brain layer's reduced map "
            "(ketasim.brain.maps.cortical_state) at the free ketamine course after surgery; "
            "its index and the 0.25 event threshold are estimates, not a clinical scale, "
            "and emergence (the wearing-off window) is not scored here."]
    return {"shows": "(a, b) Cumulative morphine per patient at 24 and 48 h after surgery, "
                     "with mean and 95 % bootstrap CI, in the three arms. (c) Ongoing pain on "
                     "PCA. (d) The central gain including the OIH factor.",
            "numbers": nums, "comparisons": comps, "deviations": devs}


register("m17-postop-pca", claim="M17", title="Post-operative morphine PCA trial: ketamine's "
         "opioid sparing and remifentanil", run=run, figure=figure, summary=summary,
         story=story, citations=tuple(ADAPTATION_CITATIONS))
