"""M3: normal, protective pain: the response grows with the stimulus; touch is not painful.

Drug-free, unsensitized dorsal horn. Heat stimuli of 40-50 degC become a C-nociceptor drive
(`ketasim.clinical.pain.heat_to_c_rate`: threshold 41.5 degC, yarnitsky1992), the spiking
WDR model (`ketasim.spinal.simulate`, steady Poisson drive with background) gives the
projection-neuron output, and the psychophysical transfer (calibrated on drug-free heat-pain
psychophysics only: tillman1995, torebjork1984, price2008; [estimate]) gives the NRS. Light touch
(A-beta pathway at 20 Hz) and a pin-prick (A-delta at 10 Hz) are probes.

Summary keys
------------
temperatures_c : list of stimulus temperatures (degC).
output_Hz : WDR output (spikes/s) per temperature (spiking model).
nrs : pain (0-10) per temperature.
monotone : bool, output and NRS never decrease with temperature.
linearity_r2 : R^2 of a straight line through output vs C-fibre rate above threshold
    ("roughly proportional", M3).
pain_threshold_c : lowest temperature with NRS > 0.
touch_output_Hz, touch_nrs : light-touch probe (NRS must be 0: touch is not painful).
pinprick_output_Hz, pinprick_nrs : pin-prick probe.
transfer : fitted transfer parameters (threshold_Hz, half_Hz, exponent).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ketasim.clinical.pain import PAIN_CITATIONS, heat_to_c_rate, nrs_from_output
from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.validation import Interval, validate_params
from ketasim.experiments._pain_common import (
    PINPRICK_ADELTA_HZ,
    TOUCH_ABETA_HZ,
    json_clean,
    pain_model,
    spiking_steady,
)
from ketasim.experiments._story import g
from ketasim.experiments.registry import register
from ketasim.spinal.circuit import Condition
from ketasim.spinal.modulation import SENSITIZATION_CITATIONS


@validate_params({"t_min": Interval(20, 60), "t_max": Interval(20, 60),
                  "n_temps": Interval(2, 50, integer=True), "duration_ms": Interval(7000, 120_000),
                  "seed": Interval(0, None, integer=True)})
def run(t_min: float = 40.0, t_max: float = 50.0, n_temps: int = 6,
        duration_ms: float = 12000.0, seed: int = 5) -> xr.Dataset:
    if not t_max > t_min:
        raise InputError("t_max", t_max, f"a temperature above t_min = {t_min} degC")
    table, transfer = pain_model()
    temps = np.linspace(t_min, t_max, int(n_temps))
    rates = heat_to_c_rate(temps)
    out = np.array([spiking_steady([Condition()], c_rate_Hz=r, duration_ms=duration_ms,
                                   seed=seed)[0] for r in rates])
    touch = spiking_steady([Condition()], fibre_rates=[("abeta", TOUCH_ABETA_HZ)],
                           duration_ms=duration_ms, seed=seed)[0]
    prick = spiking_steady([Condition()], fibre_rates=[("adelta", PINPRICK_ADELTA_HZ)],
                           duration_ms=duration_ms, seed=seed)[0]
    xs = np.linspace(0, transfer.threshold_Hz + 4 * transfer.half_Hz, 200)
    ds = xr.Dataset(
        {"c_rate_Hz": ("temperature", rates, {"units": "Hz"}),
         "output_Hz": ("temperature", out, {"units": "spikes/s"}),
         "nrs": ("temperature", nrs_from_output(out, transfer), {"units": "NRS 0-10"}),
         "table_output_Hz": ("temperature", table.output(rates, 0.0, 1.0), {"units": "spikes/s"}),
         "transfer_x": ("x", xs, {"units": "spikes/s"}),
         "transfer_nrs": ("x", nrs_from_output(xs, transfer), {"units": "NRS 0-10"})},
        coords={"temperature": ("temperature", temps, {"units": "degC"})})
    ds.attrs.update(touch_output_Hz=float(touch), touch_nrs=float(nrs_from_output(touch, transfer)),
                    pinprick_output_Hz=float(prick),
                    pinprick_nrs=float(nrs_from_output(prick, transfer)),
                    transfer_threshold_Hz=transfer.threshold_Hz, transfer_half_Hz=transfer.half_Hz,
                    transfer_exponent=transfer.exponent)
    return stamp(ds, model="m03-stimulus-response",
                 citations=[*PAIN_CITATIONS, *SENSITIZATION_CITATIONS,
                            *(k for k in table.citations.split(";") if k)],
                 params={"t_min": float(t_min), "t_max": float(t_max), "n_temps": int(n_temps),
                         "duration_ms": float(duration_ms), "seed": int(seed),
                         "drive_table": table.key, "transfer": asdict(transfer),
                         "touch_abeta_Hz": TOUCH_ABETA_HZ,
                         "pinprick_adelta_Hz": PINPRICK_ADELTA_HZ}, seed=seed)


def _summary(ds: xr.Dataset) -> dict:
    out = ds.output_Hz.values
    nrs = ds.nrs.values
    r = ds.c_rate_Hz.values
    above = r > 0.5
    r2 = float("nan")
    if above.sum() >= 3:
        coef = np.polyfit(r[above], out[above], 1)
        res = out[above] - np.polyval(coef, r[above])
        tot = np.sum((out[above] - out[above].mean()) ** 2)
        r2 = float(1 - np.sum(res ** 2) / tot) if tot > 0 else float("nan")
    painful = ds.temperature.values[nrs > 0]
    return {
        "temperatures_c": [float(t) for t in ds.temperature.values],
        "output_Hz": [round(float(x), 3) for x in out],
        "nrs": [round(float(x), 3) for x in nrs],
        "monotone": bool(np.all(np.diff(out) >= -1e-9) and np.all(np.diff(nrs) >= -1e-9)),
        "linearity_r2": r2,
        "pain_threshold_c": float(painful.min()) if painful.size else None,
        "touch_output_Hz": ds.attrs["touch_output_Hz"],
        "touch_nrs": ds.attrs["touch_nrs"],
        "pinprick_output_Hz": ds.attrs["pinprick_output_Hz"],
        "pinprick_nrs": ds.attrs["pinprick_nrs"],
        "transfer": {"threshold_Hz": ds.attrs["transfer_threshold_Hz"],
                     "half_Hz": ds.attrs["transfer_half_Hz"],
                     "exponent": ds.attrs["transfer_exponent"]},
    }


def summary(ds: xr.Dataset) -> dict:
    return json_clean(_summary(ds))


def figure(ds: xr.Dataset):
    fig = Figure(figsize=(12, 3.6))
    ax = fig.subplots(1, 3)
    t = ds.temperature.values
    ax[0].plot(t, ds.output_Hz, "o-", label="spiking model")
    ax[0].plot(t, ds.table_output_Hz, "k--", lw=1, label="drive table")
    ax[0].axhline(ds.attrs["touch_output_Hz"], color="tab:green", ls=":", label="light touch")
    ax[0].axhline(ds.attrs["transfer_threshold_Hz"], color="tab:red", ls=":",
                  label="pain threshold output")
    ax[0].set(xlabel="skin temperature (degC)", ylabel="WDR output (spikes/s)",
              title="projection neuron")
    ax[0].legend(fontsize=7)
    ax[1].plot(t, ds.nrs, "o-", color="tab:red")
    ax[1].scatter([t[0]], [ds.attrs["touch_nrs"]], marker="s", color="tab:green",
                  label=f"touch: NRS {ds.attrs['touch_nrs']:.1f}")
    ax[1].set(xlabel="skin temperature (degC)", ylabel="pain (NRS 0-10)", ylim=(-0.3, 10.3),
              title="pain rating (drug-free)")
    ax[1].legend(fontsize=7)
    ax[2].plot(ds.transfer_x, ds.transfer_nrs)
    ax[2].set(xlabel="WDR output (spikes/s)", ylabel="NRS", title=(
        f"transfer: thr {ds.attrs['transfer_threshold_Hz']:.1f} Hz, "
        f"n {ds.attrs['transfer_exponent']:.2f}"))
    fig.suptitle("M3: drug-free stimulus-response")
    fig.tight_layout()
    return fig



def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    t, nrs = s["temperatures_c"], s["nrs"]
    n47 = float(np.interp(47.0, t, nrs))  # the transfer's anchor temperature
    return {
        "shows": "Left: output of the projection (WDR) neuron against skin temperature, "
                 "spiking model and its drive table. Middle: the pain rating (NRS 0-10) the "
                 "output gives, and light touch (no pain). Right: the transfer from output "
                 "to pain, calibrated on drug-free heat-pain psychophysics.",
        "numbers": [
            ("pain threshold", s["pain_threshold_c"], "degC"),
            (f"pain at {t[-1]:g} degC", nrs[-1], "NRS"),
            (f"output at {t[-1]:g} degC", s["output_Hz"][-1], "spikes/s"),
            ("straight-line fit of output vs C-fibre rate (R^2)",
             float("nan") if s["linearity_r2"] is None else s["linearity_r2"], ""),
            ("light touch: output", s["touch_output_Hz"], "spikes/s"),
            ("light touch: pain", s["touch_nrs"], "NRS"),
            ("pin-prick: pain", s["pinprick_nrs"], "NRS"),
        ],
        "comparisons": [
            ("output and pain grow with temperature", "monotone" if s["monotone"]
             else "not monotone", "monotone", "seed claim M3", bool(s["monotone"])),
            ("roughly proportional (R^2 of a line)",
             "too few points" if s["linearity_r2"] is None else g(s["linearity_r2"]), "> 0.75",
             "seed claim M3 [estimate of 'roughly']",
             s["linearity_r2"] is not None and s["linearity_r2"] > 0.75),
            ("touch is not painful", f"NRS {s['touch_nrs']:.2g}", "NRS 0", "seed claim M3",
             s["touch_nrs"] == 0.0),
            ("heat-pain threshold", f"{s['pain_threshold_c']:g} degC", "41-49 degC",
             "torebjork1984; tillman1995", 41.0 <= s["pain_threshold_c"] <= 49.0),
            ("pain at 47 degC (interpolated; the transfer's anchor)", f"NRS {n47:.2f}",
             "NRS 5 +- 1", "price2008 [estimate]", abs(n47 - 5.0) <= 1.0),
        ],
        "deviations": [
            "The output jumps between 42 and 44 degC (a threshold, then a near-linear rise): "
            "proportional above threshold rather than from zero.",
        ],
    }


register("m03-stimulus-response", claim="M3",
         title="Normal pain: output and NRS grow with heat; touch is not painful",
         run=run, figure=figure, summary=summary,
         story=story)
