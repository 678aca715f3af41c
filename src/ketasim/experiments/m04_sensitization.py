"""M4: central sensitization: hyperalgesia (left/up shift) and allodynia (touch hurts), over hours.

Two conditioning modes, both through the calcium rules of `ketasim.spinal.plasticity`:

* ``"hfs"``: electrical high-frequency conditioning (5 x 1 s at 100 Hz; klein2004) run on the
  spiking model with the WDR Ca2+ driving the gain; the hours after run on the slow model.
* ``"injury"``: an injury-like sustained C-fibre barrage (``injury_rate_Hz`` for
  ``injury_min`` minutes) run on the slow model from the spiking model's drive table.

The gain scales the nociceptive synapses onto the projection neuron (hyperalgesia) and,
heterosynaptically with loss of feed-forward inhibition, the A-beta input (allodynia:
torsney2006). Readouts before and after: heat stimulus-response (40-50 degC -> NRS), light
touch and pin-prick NRS, over ``hours``.

Calibration vs prediction: ``ca_scale`` and ``late_max`` are fitted to 173 % spinal LTP at 1 h
(benrath2005). The heat-pain increase (klein2004: +27 % pain to test stimuli for > 3 h) and the
pin-prick ratio (klein2004: 2-3x secondary hyperalgesia; ``ffi_loss_max`` is our estimate)
are predictions checked against those numbers.

Summary keys
------------
mode : "hfs" or "injury".
gain_1h, gain_3h, gain_end : gain at 1 h, 3 h, end.
heat_nrs_before, heat_nrs_1h, heat_nrs_3h : NRS of the 47 degC test stimulus.
heat_increase_pct_3h : 100 (NRS_3h / NRS_before - 1) (klein2004: +27 %).
pinprick_ratio_1h : pin-prick NRS after / before (klein2004: 2-3x secondary hyperalgesia).
touch_nrs_before, touch_nrs_1h : light touch (allodynia when > 0 after).
threshold_shift_c : heat-pain threshold after (1 h) minus before (degC; < 0 = left shift).
curve_temperatures_c, curve_nrs_before, curve_nrs_1h : stimulus-response curves.
lfs_gain, lfs_heat_change_pct : gain and 47 degC pain change right after low-frequency
    conditioning (1 Hz, 17 min; klein2004: -27 % pain, LTD). A validation the current model
    may fail (see the final report): its WDR fires strongly at 1 Hz, so the Ca2+ lands in
    the potentiation range of the rule rather than in Shouval's depression window.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ketasim.clinical.pain import PAIN_CITATIONS
from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.record import Record
from ketasim.core.validation import Interval, Options, validate_params
from ketasim.experiments._pain_common import (
    TEST_TEMPERATURE_C,
    heat_nrs,
    hfs_states,
    json_clean,
    model_spec,
    pain_model,
    probe_nrs,
)
from ketasim.experiments.registry import register
from ketasim.spinal.afferents import train
from ketasim.spinal.circuit import Condition
from ketasim.spinal.modulation import SENSITIZATION_CITATIONS
from ketasim.spinal.plasticity import (
    W_REST,
    calcium_drive_stats,
    params_vector,
    slow_plasticity_step,
)
from ketasim.spinal.protocols import plasticity_drive, run_with_plasticity
from ketasim.spinal.slow import gain_of, simulate_slow

TEMPS = np.linspace(40.0, 50.0, 21)


def conditioned_course(mode: str, hours: float, injury_rate_Hz: float, injury_min: float,
                       seed: int = 3, ketamine_uM: float = 0.0, ketamine_after_uM: float = 0.0):
    """Gain time course (t_h, gain) after conditioning in ``mode`` (shared with m11).

    ``ketamine_uM`` is present during conditioning, ``ketamine_after_uM`` afterwards. The slow
    model runs on a 1 min schedule with 10 s steps.
    """
    spec = model_spec()
    table, _ = pain_model(spec)
    step_min = 1.0
    n = int(round(hours * 60 / step_min))
    slow_kw = {"schedule_dt_h": "1 min", "dt_h": "10 s", "spec": spec,
               "record": Record(every="1 min", variables=("gain",))}
    if mode == "hfs":
        w, rho, _, pl = hfs_states([Condition(ketamine_uM=float(ketamine_uM))], spec, seed=seed)
        slow = simulate_slow(table, np.zeros((1, n)), np.full((1, n), float(ketamine_after_uM)),
                             w0=w, rho0=rho, **slow_kw)
        t0 = float(pl.time.values[-1]) / 3.6e6  # ms -> h
        t = np.concatenate([[0.0], t0 + slow.time.values])
        g = np.concatenate([[1.0], slow.gain.values[0]])
        return t, g
    if mode == "injury":
        c = np.zeros((1, n))
        n_inj = int(round(injury_min / step_min))
        c[0, :n_inj] = injury_rate_Hz
        k = np.full((1, n), float(ketamine_after_uM))
        k[0, :n_inj] = ketamine_uM
        slow = simulate_slow(table, c, k, w0=np.array([W_REST]), rho0=None, **slow_kw)
        return np.concatenate([[0.0], slow.time.values]), np.concatenate(
            [[1.0], slow.gain.values[0]])
    raise InputError("mode", mode, "'hfs' or 'injury'")


def lfs_gain(minutes: float = 17.0, spiking_s: float = 60.0, seed: int = 3):
    """Gain after low-frequency conditioning (klein2004: 1 Hz for 17 min, 2 x C threshold).

    The first ``spiking_s`` seconds run on the spiking model with the calcium rules; the rest
    of the protocol continues with the averaged rules driven by the last half of that run's
    Ca2+ drive (the protocol is periodic, so its drive is stationary after the build-up).
    """
    spec = model_spec()
    n = int(spiking_s)
    sp, pl = run_with_plasticity(train(n=n, frequency_Hz=1.0, intensity=2.0, start_ms=500.0),
                                 [Condition()], spec, seed=seed)
    drive = plasticity_drive(sp, spec)
    st = calcium_drive_stats(drive, 0.5, spec.gain, skip_ms=drive.shape[1] * 0.5 / 2)
    w, rho = pl.W.values[:, -1].copy(), pl.rho.values[:, -1, :].copy()
    p = params_vector(spec.gain)
    for _ in range(int(round((minutes * 60 - spiking_s) / 1.0))):
        slow_plasticity_step(w, rho, st["A"], st["B"], st["f_p"], st["f_d"], 1.0, p)
    return float(gain_of(w, rho, spec)[0])


@validate_params({"mode": Options(("hfs", "injury")), "hours": Interval(1.0, 24 * 14),
                  "injury_rate_Hz": Interval(0, 16), "injury_min": Interval(0, 24 * 60),
                  "seed": Interval(0, None, integer=True)})
def run(mode: str = "hfs", hours: float = 6.0, injury_rate_Hz: float = 8.0,
        injury_min: float = 30.0, seed: int = 3) -> xr.Dataset:
    table, transfer = pain_model()
    t, g = conditioned_course(mode, hours, injury_rate_Hz, injury_min, seed)
    _, _, heat_t = heat_nrs(table, transfer, np.full(t.size, TEST_TEMPERATURE_C), 0.0, g)
    _, touch_t = probe_nrs(table, transfer, "touch", 0.0, g)
    _, prick_t = probe_nrs(table, transfer, "pinprick", 0.0, g)
    g1 = float(np.interp(1.0, t, g))
    _, out0, c0 = heat_nrs(table, transfer, TEMPS, 0.0, 1.0)
    _, out1, c1 = heat_nrs(table, transfer, TEMPS, 0.0, g1)
    ds = xr.Dataset(
        {"gain": ("time", g, {"units": "1"}),
         "heat_nrs": ("time", heat_t, {"units": "NRS"}),
         "touch_nrs": ("time", touch_t, {"units": "NRS"}),
         "pinprick_nrs": ("time", prick_t, {"units": "NRS"}),
         "curve_before": ("temperature", c0, {"units": "NRS"}),
         "curve_1h": ("temperature", c1, {"units": "NRS"}),
         "out_before": ("temperature", out0, {"units": "spikes/s"}),
         "out_1h": ("temperature", out1, {"units": "spikes/s"})},
        coords={"time": ("time", t, {"units": "h"}),
                "temperature": ("temperature", TEMPS, {"units": "degC"})})
    ds.attrs["mode"] = mode
    g_lfs = lfs_gain(seed=seed)
    ds.attrs["lfs_gain"] = g_lfs
    ds.attrs["lfs_heat_change_pct"] = float(100 * (heat_nrs(
        table, transfer, [TEST_TEMPERATURE_C], 0.0, g_lfs)[2][0] / heat_t[0] - 1))
    return stamp(ds, model="m04-sensitization",
                 citations=[*SENSITIZATION_CITATIONS, *PAIN_CITATIONS,
                            *(k for k in table.citations.split(";") if k)],
                 params={"mode": mode, "hours": float(hours),
                         "injury_rate_Hz": float(injury_rate_Hz),
                         "injury_min": float(injury_min), "seed": int(seed),
                         "spec": asdict(model_spec()), "drive_table": table.key,
                         "transfer": asdict(transfer), "temperatures_c": TEMPS.tolist(),
                         "lfs": "1 Hz for 17 min, first 60 s spiking"}, seed=seed)


def _threshold(temps, nrs):
    idx = np.nonzero(nrs > 0.05)[0]
    return float(temps[idx[0]]) if idx.size else float("nan")


def _summary(ds: xr.Dataset) -> dict:
    t = ds.time.values

    def at(var, h):
        return float(np.interp(min(h, t[-1]), t, ds[var].values))

    h0 = float(ds.heat_nrs.values[0])
    p0 = float(ds.pinprick_nrs.values[0])
    temps = ds.temperature.values
    return {
        "mode": ds.attrs["mode"],
        "lfs_gain": ds.attrs["lfs_gain"],
        "lfs_heat_change_pct": ds.attrs["lfs_heat_change_pct"],
        "gain_1h": at("gain", 1.0), "gain_3h": at("gain", 3.0),
        "gain_end": float(ds.gain.values[-1]),
        "heat_nrs_before": h0, "heat_nrs_1h": at("heat_nrs", 1.0),
        "heat_nrs_3h": at("heat_nrs", 3.0),
        "heat_increase_pct_3h": 100 * (at("heat_nrs", 3.0) / h0 - 1) if h0 > 0 else None,
        "pinprick_ratio_1h": at("pinprick_nrs", 1.0) / p0 if p0 > 0 else None,
        "pinprick_nrs_before": p0, "pinprick_nrs_1h": at("pinprick_nrs", 1.0),
        "touch_nrs_before": float(ds.touch_nrs.values[0]),
        "touch_nrs_1h": at("touch_nrs", 1.0),
        "threshold_shift_c": _threshold(temps, ds.curve_1h.values)
        - _threshold(temps, ds.curve_before.values),
        "curve_temperatures_c": [float(x) for x in temps],
        "curve_nrs_before": [round(float(x), 3) for x in ds.curve_before.values],
        "curve_nrs_1h": [round(float(x), 3) for x in ds.curve_1h.values],
    }


def summary(ds: xr.Dataset) -> dict:
    return json_clean(_summary(ds))


def figure(ds: xr.Dataset):
    fig = Figure(figsize=(13, 3.6))
    ax = fig.subplots(1, 3)
    ax[0].plot(ds.temperature, ds.curve_before, "o-", ms=3, label="before")
    ax[0].plot(ds.temperature, ds.curve_1h, "s-", ms=3, color="tab:red", label="1 h after")
    ax[0].set(xlabel="skin temperature (degC)", ylabel="pain (NRS)", ylim=(-0.3, 10.3),
              title="hyperalgesia: curve shifts left/up")
    ax[0].legend(fontsize=8)
    ax[1].plot(ds.time, ds.heat_nrs, label=f"heat {TEST_TEMPERATURE_C:g} degC")
    ax[1].plot(ds.time, ds.pinprick_nrs, label="pin-prick (A-delta)")
    ax[1].plot(ds.time, ds.touch_nrs, label="light touch (A-beta)")
    ax[1].set(xlabel="time after conditioning start (h)", ylabel="pain (NRS)",
              title="time course", ylim=(-0.3, 10.3))
    ax[1].legend(fontsize=8)
    ax[2].plot(ds.time, ds.gain, "k")
    ax[2].axhline(1.73, color="gray", ls=":", label="Benrath 2005: 173 %")
    ax[2].set(xlabel="time (h)", ylabel="synaptic gain", title=f"gain ({ds.attrs['mode']})")
    ax[2].legend(fontsize=8)
    fig.suptitle("M4: central sensitization (hyperalgesia and allodynia)")
    fig.tight_layout()
    return fig



def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    return {
        "shows": "Left: pain ratings of heat stimuli before and 1 h after high-frequency "
                 "conditioning of C fibres: the curve moves up and to the left "
                 "(hyperalgesia). Middle: heat, pin-prick and touch pain over the hours "
                 "after; touch becomes painful (allodynia). Right: the spinal gain, with "
                 "Benrath 2005's 173 % as the calibration target.",
        "numbers": [
            ("gain 1 h after conditioning", s["gain_1h"], "x"),
            ("gain 3 h after", s["gain_3h"], "x"),
            ("heat 47 degC: pain before / 3 h after",
             f"{s['heat_nrs_before']:.2f} / {s['heat_nrs_3h']:.2f}", "NRS"),
            ("heat pain increase at 3 h", s["heat_increase_pct_3h"], "%"),
            ("pin-prick pain after / before (1 h)", s["pinprick_ratio_1h"], "x"),
            ("touch pain before / 1 h after",
             f"{s['touch_nrs_before']:.2f} / {s['touch_nrs_1h']:.2f}", "NRS"),
            ("heat-pain threshold shift", s["threshold_shift_c"], "degC"),
        ],
        "comparisons": [
            ("gain 1 h after (calibration)", f"{100 * s['gain_1h']:.0f} %", "173 +- 15 %",
             "benrath2005 [fitted]", abs(s["gain_1h"] - 1.73) <= 0.15),
            ("heat pain increase, > 3 h", f"+{s['heat_increase_pct_3h']:.0f} %",
             "+27 % (10-60 % accepted)", "klein2004", 10 <= s["heat_increase_pct_3h"] <= 60),
            ("pin-prick (secondary) hyperalgesia", f"x{s['pinprick_ratio_1h']:.2f}",
             "x2-3 (1.8-3.5 accepted)", "klein2004", 1.8 <= s["pinprick_ratio_1h"] <= 3.5),
            ("allodynia: touch hurts after", f"NRS {s['touch_nrs_1h']:.2f}", "> 0.3, from 0",
             "seed claim M4; torsney2006",
             s["touch_nrs_before"] == 0.0 and s["touch_nrs_1h"] > 0.3),
            ("low-frequency conditioning (1 Hz)", f"{s['lfs_heat_change_pct']:+.0f} % pain",
             "-27 % (depression)", "klein2004", s["lfs_heat_change_pct"] < 0),
        ],
        "deviations": ([
            "Low-frequency conditioning potentiates instead of depressing: the model's WDR "
            "neuron fires strongly at 1 Hz, so its Ca2+ lands in the potentiation range of "
            "the plasticity rule, not in the depression window.",
        ] if s["lfs_heat_change_pct"] >= 0 else []) + [
            "Pin-prick hyperalgesia and allodynia follow from the same Ca2+-driven gain "
            "(heterosynaptic spread and loss of inhibition, an estimate), not from separate "
            "mechanisms.",
        ],
    }


register("m04-sensitization", claim="M4",
         title="Sensitization after conditioning: hyperalgesia and allodynia over hours",
         run=run, figure=figure, summary=summary,
         story=story)
