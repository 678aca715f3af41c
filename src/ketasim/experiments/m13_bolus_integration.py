"""M13: cortical integration after an anaesthetic ketamine bolus (PK -> map -> network).

A 2 mg/kg IV bolus (pk layer's default ketamine model, default patient) gives the
effect-site course; its free concentration (fu from `ketasim.pk.free_fraction`) drives the
cached map of the network (`ketasim.brain.maps.cortical_state`) every ``step_min``. At the
effect-site peak one detailed run (``detail_ms``) checks the EEG signature the literature
reports at anaesthetic doses: gamma bursts alternating with slow-delta (Akeju 2016; Adam et
al. [adam_2024]). Burst measure: the coefficient of variation of the frontal gamma-band
(30-45 Hz) Hilbert envelope, and the delta (1-4 Hz) power relative to drug-free, compared
with the drug-free run.

Summary keys: ``peak_effect_ng_mL``, ``peak_free_uM``, ``t_peak_min``,
``integration_awake``, ``integration_at_peak``, ``integration_min``,
``dissociation_max``, ``responsiveness_at_peak``, ``t_recovery_min`` (first time after the
peak when integration, having left the band within 10 % of drug-free, is back in it; None
if it never left the band or never came back within the horizon),
``gamma_envelope_cv`` / ``gamma_envelope_cv_awake``, ``delta_rel_at_peak``,
``gamma_rel_at_peak``, ``feedback_share_awake`` / ``feedback_share_at_peak`` (directed
transfer frontal -> parietal over the sum of both directions, the map's TE readouts).

What the network does (see the brain-layer report): the NMDA-carried feedback
(frontal -> parietal; Self 2012) is blocked, so the feedback share of directed transfer
falls with the effect-site concentration, as Lee et al. 2013 [lee_2013] found after a
2 mg/kg bolus; but the wPLI "integration" does NOT collapse: GluN2D block on fast-spiking
cells disinhibits and synchronises cortical population activity (beta/low gamma), which
the AMPA feedforward path carries between regions, so the mean wPLI rises. The seed
claim's collapse of integration is therefore not reproduced.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import signal

from ketasim.brain import simulate
from ketasim.brain import sources as S
from ketasim.brain.maps import STATE_VARS, cortical_state
from ketasim.core.validation import SEED, Interval, validate_params
from ketasim.experiments.registry import register
from ketasim.pk import free_concentration_umol
from ketasim.pk import simulate as pk_simulate


def _gamma_cv(x: np.ndarray) -> np.ndarray:
    sos = signal.butter(4, (30.0, 45.0), btype="band", fs=1000.0, output="sos")
    env = np.abs(signal.hilbert(signal.sosfiltfilt(sos, x, axis=-1), axis=-1))
    env = env[..., 200:-200]
    return env.std(-1) / env.mean(-1)


@validate_params({"dose_mg_kg": Interval(0.1, 5.0), "horizon_min": Interval(10, 600),
                  "step_min": Interval(0.25, 10), "detail_ms": Interval(1000, 60_000),
                  "seed": SEED})
def run(dose_mg_kg: float = 2.0, horizon_min: float = 90.0, step_min: float = 1.0,
        detail_ms: float = 4000.0, seed: int = 0) -> xr.Dataset:
    """Effect-site course -> map readouts; one detailed run at the peak and drug-free."""
    pk = pk_simulate("ketamine", None, {"bolus": [f"{dose_mg_kg} mg/kg"]},
                     times=f"0:{horizon_min}:{step_min} min")
    ce = pk.ketamine_effect_ng_mL.values[0]
    t = pk.time.values
    free = np.asarray(free_concentration_umol(ce, "ketamine"), float)
    st = cortical_state(ketamine_uM=free)
    out = xr.Dataset({"ketamine_effect_ng_mL": ("time", ce, {"units": "ng/mL"}),
                      "ketamine_free_uM": ("time", free, {"units": "umol/L"})},
                     coords={"time": ("time", t, {"units": "min"})})
    for v in STATE_VARS:
        out[v] = ("time", st[v].values)
    ipk = int(np.argmax(ce))
    ds = simulate([0.0, float(free[ipk])], duration_ms=detail_ms, seed=seed)
    keep = ds.time.values >= 500.0
    fr = ds.eeg.values[:, 2, keep]
    out = out.assign_coords(detail=("detail", ["drug-free", "peak"]),
                            detail_time=("detail_time", ds.time.values[keep], {"units": "ms"}))
    out["detail_eeg_frontal"] = (("detail", "detail_time"), fr, {"units": "pA"})
    out["gamma_envelope_cv"] = ("detail", _gamma_cv(fr))
    out.attrs["citations"] = ";".join(dict.fromkeys(
        [c for r in (pk, st, ds) for c in r.attrs.get("citations", "").split(";") if c]
        + [S.ADAM_2024, S.LEE_2013]))
    return out


def summary(ds: xr.Dataset) -> dict:
    t = ds.time.values
    integ = ds.integration.values
    ipk = int(np.argmax(ds.ketamine_effect_ng_mL.values))
    awake = float(cortical_state(ketamine_uM=0.0).integration)
    rec, left = None, False
    for i in range(ipk, t.size):
        inside = abs(integ[i] - awake) <= 0.1 * awake
        left = left or not inside
        if left and inside:
            rec = float(t[i])
            break
    return {"peak_effect_ng_mL": float(ds.ketamine_effect_ng_mL.values[ipk]),
            "peak_free_uM": float(ds.ketamine_free_uM.values[ipk]),
            "t_peak_min": float(t[ipk]), "integration_awake": awake,
            "integration_at_peak": float(integ[ipk]), "integration_min": float(integ.min()),
            "dissociation_max": float(ds.dissociation.values.max()),
            "responsiveness_at_peak": float(ds.responsiveness.values[ipk]),
            "t_recovery_min": rec,
            "gamma_envelope_cv": float(ds.gamma_envelope_cv.values[1]),
            "gamma_envelope_cv_awake": float(ds.gamma_envelope_cv.values[0]),
            "delta_rel_at_peak": float(ds.delta_rel.values[ipk]),
            "gamma_rel_at_peak": float(ds.gamma_rel.values[ipk]),
            "feedback_share_awake": _share(cortical_state(ketamine_uM=0.0)),
            "feedback_share_at_peak": _share(ds.isel(time=ipk))}


def _share(r) -> float:
    fb, ff = float(r["feedback"]), float(r["feedforward"])
    return fb / (fb + ff) if fb + ff > 0 else float("nan")


def figure(ds: xr.Dataset):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 6))
    axs = fig.subplots(2, 2)
    t = ds.time.values
    axs[0, 0].plot(t, ds.ketamine_effect_ng_mL, "k")
    axs[0, 0].set_ylabel("ketamine effect site (ng/mL)")
    axs[0, 0].set_xlabel("time (min)")
    axs[0, 0].set_title("2 mg/kg bolus: effect-site course")
    for v in ("integration", "dissociation", "responsiveness", "psychotomimetic"):
        axs[0, 1].plot(t, ds[v], label=v)
    axs[0, 1].set_xlabel("time (min)")
    axs[0, 1].set_title("map readouts along the course")
    axs[0, 1].legend(fontsize=7)
    for v in ("gamma_rel", "delta_rel", "alpha_rel"):
        axs[1, 0].plot(t, ds[v], label=v)
    axs[1, 0].set_xlabel("time (min)")
    axs[1, 0].set_ylabel("band power vs drug-free")
    axs[1, 0].legend(fontsize=7)
    tt = ds.detail_time.values
    sel = tt < tt[0] + 2000
    for i, lab in enumerate(ds.detail.values):
        axs[1, 1].plot(tt[sel], ds.detail_eeg_frontal.values[i][sel] + 300 * i, lw=0.5,
                       label=f"{lab} (gamma envelope CV {float(ds.gamma_envelope_cv[i]):.2f})")
    axs[1, 1].set_xlabel("time (ms)")
    axs[1, 1].set_title("frontal EEG proxy, detailed network")
    axs[1, 1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def story(s: dict) -> dict:
    drop = 1 - s["integration_min"] / s["integration_awake"] if s["integration_awake"] else 0
    return {"shows": "A 2 mg/kg bolus: effect-site course, the map's cortical readouts along "
                     "it, band powers, and the detailed network's frontal EEG proxy at the "
                     "peak vs drug-free.",
            "numbers": [("peak effect-site ketamine", s["peak_effect_ng_mL"], "ng/mL"),
                        ("integration, drug-free", s["integration_awake"], ""),
                        ("integration, minimum", s["integration_min"], ""),
                        ("gamma-envelope CV at peak", s["gamma_envelope_cv"], ""),
                        ("gamma-envelope CV drug-free", s["gamma_envelope_cv_awake"], "")],
            "comparisons": [("integration collapses after the bolus", f"-{100 * drop:.0f} %",
                             "a clear fall (> 30 %)", "seed claim M13", drop > 0.3),
                            ("gamma bursts at the deepest level (envelope CV rises)",
                             f"{s['gamma_envelope_cv']:.2f} vs {s['gamma_envelope_cv_awake']:.2f}",
                             "higher than drug-free", "adam_2024",
                             s["gamma_envelope_cv"] > s["gamma_envelope_cv_awake"]),
                            ("feedback share of directed transfer (F->P over both) falls",
                             f"{s['feedback_share_awake']:.2f} -> "
                             f"{s['feedback_share_at_peak']:.2f}",
                             "lower at the peak (feedback inhibited, feedforward kept)",
                             "lee_2013",
                             s["feedback_share_at_peak"] < s["feedback_share_awake"])],
            "deviations": ["Integration here is the network's wPLI; the map is built from "
                           "8-10 s runs per grid point, so its readouts carry noise of a few "
                           "per cent.",
                           "The wPLI integration rises rather than collapses: NMDA block on "
                           "fast-spiking cells synchronises cortical population activity, "
                           "carried between regions by the AMPA feedforward path; only the "
                           "NMDA-carried feedback direction is lost."]}


register("m13-bolus-integration", claim="M13", title="Cortical integration after a 2 mg/kg "
         "ketamine bolus", run=run, figure=figure, summary=summary, story=story)
