"""M8: the gain from NMDA conductance to wind-up, and the plateau it rides on.

An analysis of the WDR model as it stands (no parameter is changed or re-fitted): how much
wind-up does a graded, AP5-like loss of NMDA conductance take away, and how much of the
saturated wind-up (37-38 spikes per shock from the 4th shock at 1 Hz, ~23 after-discharge
spikes) rests on the model's plateau currents, the Ca2+-activated cation current I_CAN
(``g_can``) and the L-type Ca2+ channels (``p_cal_soma``, ``p_cal_dend``)? Deep dorsal-horn
neurons generate plateau potentials (about 28 % of lamina V neurons) that are L-type
(nifedipine-sensitive) and I_CAN (flufenamate-sensitive) driven (morisset1999); wind-up is
NMDA-dependent with minor change of the first C response (dickenson1987).

Protocol: 15 C-strength shocks (2 x C threshold) at 1 Hz and at 0.5 Hz
(`ketasim.spinal.train`; aguiar2010, dickenson1987). NMDA conductance scaled by
``SpinalParams.nmda_scale`` (fraction of the NMDA conductance left: 1 = control, 0 = full
block), at every scale in the intact model (``control``), with I_CAN removed (``no_can``:
``g_can = 0``) and with L-type Ca2+ removed (``no_cal``: ``p_cal_soma = p_cal_dend = 0``).
One batched `ketasim.spinal.simulate` call per frequency (every scale x variant; common
afferent inputs, so conditions are paired). The response to a shock is the WDR spikes
100-1000 ms after it (C response + after-discharge, cut at the next shock), as in m08-windup.

Definitions (per frequency, variant and NMDA scale):
- ``total``: sum of the responses over the train; ``absolute_windup``: sum_i (r_i - r_1)
  (cuellar2005); ``plateau``: mean response of the last 3 shocks;
- ``plateau_stimulus``: the first shock (1-based) whose response reaches 90 % of the plateau;
  None where the train does not wind up (plateau < 1.3 x first response);
- ``gain``: d(total)/d(nmda_scale) near 1, the finite difference between scale 1 and the
  next scale below it (spikes per unit of NMDA scale); ``elasticity``: gain / total(1), the
  relative change of the total per relative change of NMDA conductance (1 = proportional);
- ``nmda_half_windup``: the NMDA scale at which the absolute wind-up falls to 50 % of its
  value at scale 1 (linear interpolation between the scales run; None if it never does, or
  if there is no wind-up at scale 1); ``nmda_windup_width``: the scale at which the absolute
  wind-up is 90 % of its value at scale 1 minus the scale at which it is 10 % (how switch-like
  the dependence is: 1 = spread over the whole range, small = a threshold; None if either
  level is not reached).

Summary keys (JSON):
- ``nmda_scales``: the scales run, descending (1.0 first); ``variants``: the variants run
  (``control`` first, then the knock-outs);
- ``per_frequency``: {"<f> Hz": {"<variant>": {
  ``spikes_per_stimulus``: {"<scale>": [...]}, ``after_discharge``: {"<scale>": [...]},
  ``first``, ``last``, ``total``, ``total_rel`` (total / total at scale 1),
  ``absolute_windup``, ``plateau``, ``plateau_stimulus``, ``after_discharge_total``,
  ``after_discharge_plateau`` (mean after-discharge of the last 3 shocks): one value per
  scale; ``gain``, ``elasticity``, ``nmda_half_windup``, ``nmda_windup_width``: one
  value}}};
- ``knockouts``: {"<f> Hz": {"<variant>": {``first_rel``, ``plateau_rel``,
  ``absolute_windup_rel``, ``after_discharge_plateau_rel``: the knock-out / control, both at
  NMDA scale 1 (None where control is 0)}}};
- ``sources``: what the targets rest on (text).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError
from ketasim.core.validation import Each, Interval, Options, validate_params
from ketasim.experiments._spinal_common import (
    FREQ_HZ,
    INTENSITY,
    N_STIMULI,
    SEED,
    stamp_experiment,
    windup_metrics,
)
from ketasim.experiments._story import pct
from ketasim.experiments.registry import register
from ketasim.spinal import Condition, SpinalParams, simulate, train
from ketasim.spinal import sources as S

#: The knock-outs of the plateau currents (SpinalParams fields set to 0).
KNOCKOUTS = {"no_can": {"g_can": 0.0}, "no_cal": {"p_cal_soma": 0.0, "p_cal_dend": 0.0}}
_LABELS = {"control": "intact", "no_can": "I_CAN removed", "no_cal": "L-type Ca2+ removed"}
_PLATEAU_N = 3        # shocks averaged for the plateau
_PLATEAU_FRAC = 0.9   # the plateau is reached at 90 % of it
_WINDS_UP = 1.3       # plateau / first below this: no wind-up, no plateau stimulus

MORISSET1999 = "morisset1999"


@validate_params({"nmda_scales": Each(Interval(0, 1), max_len=20),
                  "frequencies_Hz": Each(FREQ_HZ, max_len=4), "n_stimuli": N_STIMULI,
                  "knockouts": (Each(Options(tuple(KNOCKOUTS)), max_len=len(KNOCKOUTS)),
                                Options(tuple(KNOCKOUTS))),
                  "intensity": INTENSITY, "seed": SEED})
def run(nmda_scales: tuple = (1.0, 0.9, 0.83, 0.7, 0.5, 0.3, 0.0),
        frequencies_Hz: tuple = (1.0, 0.5), n_stimuli: int = 15,
        knockouts: tuple = ("no_can", "no_cal"), intensity: float = 2.0,
        seed: int = 0) -> xr.Dataset:
    """Graded NMDA block of the wind-up train, intact and with the plateau currents removed.

    Parameters
    ----------
    nmda_scales : sequence of float
        Fractions of the NMDA conductance left, in [0, 1]; must include 1.0 (the control).
    frequencies_Hz : sequence of float
        Train frequencies (one batched simulation each).
    n_stimuli : int
        Shocks per train (at least 4: the plateau is the mean of the last 3).
    knockouts : {"no_can", "no_cal"} or a sequence of them
        Plateau currents removed in turn (one or both; the intact model always runs).
    intensity : float
        Shock intensity (x C threshold).
    seed : int
        Seed of the afferent realisation (shared by all conditions).

    Returns
    -------
    xarray.Dataset
        ``response``, ``c_response``, ``after_discharge`` (spikes) on (frequency_Hz,
        variant, nmda_scale, stimulus).

    Examples
    --------
    >>> ds = run(nmda_scales=(1.0, 0.0), frequencies_Hz=(1.0,), n_stimuli=4,
    ...          knockouts=("no_can",))   # doctest: +SKIP
    >>> ds.response.dims                  # doctest: +SKIP
    ('frequency_Hz', 'variant', 'nmda_scale', 'stimulus')
    """
    scales = sorted({float(s) for s in np.atleast_1d(nmda_scales)}, reverse=True)
    if scales[0] != 1.0:
        raise InputError("nmda_scales", [float(x) for x in np.atleast_1d(nmda_scales)],
                         "values in [0, 1] that include 1.0 (the control)")
    if n_stimuli < _PLATEAU_N + 1:
        raise InputError("n_stimuli", n_stimuli,
                         f"an integer >= {_PLATEAU_N + 1} (the plateau is the mean of the "
                         f"last {_PLATEAU_N} shocks)")
    freqs = [float(f) for f in np.atleast_1d(frequencies_Hz)]
    kos = [str(k) for k in np.atleast_1d(knockouts)]
    variants = ["control", *dict.fromkeys(k for k in kos)]
    p = SpinalParams()
    conds = [Condition(p.replace(nmda_scale=s, **({} if v == "control" else KNOCKOUTS[v])),
                       label=f"{v} nmda {s:g}") for v in variants for s in scales]
    shape = (len(freqs), len(variants), len(scales), int(n_stimuli))
    out = {k: np.empty(shape) for k in ("response", "c_response", "after_discharge")}
    runs = []
    for i, f in enumerate(freqs):
        ds = simulate(train(int(n_stimuli), f, intensity), conds, seed=seed)
        runs.append(ds)
        for k in out:
            out[k][i] = ds[k].values.reshape(shape[1:])
    dims = ("frequency_Hz", "variant", "nmda_scale", "stimulus")
    res = xr.Dataset(
        {k: (dims, v, {"units": "spikes"}) for k, v in out.items()},
        coords={"frequency_Hz": ("frequency_Hz", np.asarray(freqs), {"units": "Hz"}),
                "variant": variants, "nmda_scale": ("nmda_scale", np.asarray(scales),
                                                    {"units": "1"}),
                "stimulus": np.arange(int(n_stimuli))})
    return stamp_experiment(res, runs, "m08-windup-gain",
                            {"nmda_scales": scales, "frequencies_Hz": freqs,
                             "n_stimuli": int(n_stimuli), "knockouts": variants[1:],
                             "intensity": float(intensity), "seed": int(seed)},
                            citations=(S.DICKENSON1987, S.AGUIAR2010, S.CUELLAR2005,
                                       MORISSET1999), seed=seed)


def _plateau_stimulus(r: np.ndarray) -> int | None:
    """First shock (1-based) at 90 % of the plateau (mean of the last 3); None without
    wind-up.

    >>> _plateau_stimulus(np.array([10, 11, 26, 33, 36, 37, 38, 38, 38]))
    5
    >>> _plateau_stimulus(np.array([9, 7, 9, 9, 9, 10])) is None
    True
    """
    plateau = float(np.mean(r[-_PLATEAU_N:]))
    if r[0] <= 0 or plateau < _WINDS_UP * r[0]:
        return None
    return int(np.argmax(r >= _PLATEAU_FRAC * plateau)) + 1


def _level_point(scales, values, frac: float = 0.5) -> float | None:
    """The scale where ``values`` (ordered by descending scale) first fall to ``frac`` of the
    first value, by linear interpolation; None if they never do or the first is <= 0.

    >>> _level_point([1.0, 0.5, 0.0], [100.0, 75.0, 25.0])
    0.25
    """
    v0 = values[0]
    if v0 <= 0:
        return None
    for k in range(1, len(values)):
        if values[k] <= frac * v0:
            s0, s1, a, b = scales[k - 1], scales[k], values[k - 1], values[k]
            return float(s1 + (s0 - s1) * (frac * v0 - b) / (a - b)) if a != b else float(s1)
    return None


def _width(scales, values) -> float | None:
    """Scale at 90 % minus scale at 10 % of the first value (None if either is missing)."""
    hi, lo = _level_point(scales, values, 0.9), _level_point(scales, values, 0.1)
    return None if hi is None or lo is None else hi - lo


def _ratio(a, b):
    return float(a) / float(b) if b else None


def summary(ds: xr.Dataset) -> dict:
    scales = [float(s) for s in ds.nmda_scale.values]
    variants = [str(v) for v in ds.variant.values]
    per, kos = {}, {}
    for f in ds.frequency_Hz.values:
        fk = f"{f:g} Hz"
        per[fk] = {}
        for v in variants:
            r = ds.response.sel(frequency_Hz=f, variant=v).values
            ad = ds.after_discharge.sel(frequency_Hz=f, variant=v).values
            m = [windup_metrics(x) for x in r]
            total = [float(x.sum()) for x in r]
            aw = [x["absolute_windup"] for x in m]
            gain = ((total[0] - total[1]) / (scales[0] - scales[1])
                    if len(scales) > 1 else None)
            per[fk][v] = {
                "spikes_per_stimulus": {f"{s:g}": [int(x) for x in row]
                                        for s, row in zip(scales, r, strict=True)},
                "after_discharge": {f"{s:g}": [int(x) for x in row]
                                    for s, row in zip(scales, ad, strict=True)},
                "first": [x["first"] for x in m], "last": [x["last"] for x in m],
                "total": total, "total_rel": [_ratio(t, total[0]) for t in total],
                "absolute_windup": aw,
                "plateau": [float(np.mean(x[-_PLATEAU_N:])) for x in r],
                "plateau_stimulus": [_plateau_stimulus(x) for x in r],
                "after_discharge_total": [float(x.sum()) for x in ad],
                "after_discharge_plateau": [float(np.mean(x[-_PLATEAU_N:])) for x in ad],
                "gain": gain,
                "elasticity": _ratio(gain, total[0]) if gain is not None else None,
                "nmda_half_windup": _level_point(scales, aw, 0.5),
                "nmda_windup_width": _width(scales, aw),
            }
        c = per[fk]["control"]
        kos[fk] = {v: {"first_rel": _ratio(per[fk][v]["first"][0], c["first"][0]),
                       "plateau_rel": _ratio(per[fk][v]["plateau"][0], c["plateau"][0]),
                       "absolute_windup_rel": _ratio(per[fk][v]["absolute_windup"][0],
                                                     c["absolute_windup"][0]),
                       "after_discharge_plateau_rel": _ratio(
                           per[fk][v]["after_discharge_plateau"][0],
                           c["after_discharge_plateau"][0])}
                   for v in variants if v != "control"}
    return {"nmda_scales": scales, "variants": variants, "per_frequency": per,
            "knockouts": kos,
            "sources": "first C response kept and wind-up flat with NMDA blocked "
                       "(dickenson1987); plateau potentials L-type and I_CAN dependent "
                       "(morisset1999). No verified graded (concentration-series) NMDA "
                       "antagonist data on wind-up were found: the gain is a property of "
                       "the model, not a fitted target."}


def figure(ds: xr.Dataset):
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    s = summary(ds)
    scales = np.asarray(s["nmda_scales"])
    freqs = list(s["per_frequency"])
    fig = Figure(figsize=(11, 8.5))
    axs = fig.subplots(2, 2)
    cmap = colormaps["viridis"]
    styles = {"control": "-", "no_can": "--", "no_cal": ":"}
    marks = {"control": "o", "no_can": "s", "no_cal": "^"}

    ax = axs[0, 0]
    f0 = freqs[0]
    for k, sc in enumerate(scales):
        r = s["per_frequency"][f0]["control"]["spikes_per_stimulus"][f"{sc:g}"]
        ax.plot(np.arange(1, len(r) + 1), r, "o-", ms=3,
                color=cmap(k / max(1, len(scales) - 1)), label=f"{sc:g}")
    ax.set_xlabel(f"stimulus # ({f0})")
    ax.set_ylabel("spikes per stimulus (100-1000 ms)")
    ax.set_title("(a) graded NMDA block, intact model")
    ax.set_ylim(0, 1.3 * float(ds.response.max()))
    ax.legend(title="NMDA scale", fontsize=10, title_fontsize=10, ncol=4, loc="upper center")

    def per_scale(ax, key, title, ylabel):
        for n, fk in enumerate(freqs):
            for v in s["variants"]:
                y = [np.nan if x is None else x for x in s["per_frequency"][fk][v][key]]
                ax.plot(scales, y, styles[v], marker=marks[v], color=f"C{n}", ms=4,
                        label=f"{fk}, {_LABELS[v]}")
        ax.set_xlabel("NMDA conductance left (nmda_scale)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.set_xlim(-0.03, 1.03)

    per_scale(axs[0, 1], "total", "(b) total response over the train", "spikes (sum of train)")
    axs[0, 1].legend(fontsize=10, loc="upper left")
    per_scale(axs[1, 0], "plateau_stimulus", "(c) shock at which 90 % of the plateau is "
              "reached\n(no point: no wind-up)", "stimulus #")
    per_scale(axs[1, 1], "after_discharge_plateau", "(d) after-discharge, last 3 shocks",
              "spikes per shock (400-1000 ms)")
    fig.tight_layout()
    return fig


def story(s: dict) -> dict:
    """The demo report's words for this experiment (see `register`)."""
    scales = s["nmda_scales"]
    pf = s["per_frequency"]
    freqs = list(pf)
    i0 = len(scales) - 1 if scales[-1] == 0.0 else None   # full block
    i83 = min(range(len(scales)), key=lambda i: abs(scales[i] - 0.83)) if len(scales) > 1 \
        else None
    nums = []
    for fk in freqs:
        c = pf[fk]["control"]
        nums.append((f"{fk}: total response, control", c["total"][0], "spikes"))
        if i83 is not None:
            nums.append((f"{fk}: total response at NMDA scale {scales[i83]:g} / control",
                         100 * c["total_rel"][i83], "%"))
        if c["elasticity"] is not None:
            nums.append((f"{fk}: elasticity of the total to NMDA conductance near 1",
                         c["elasticity"], "(1 = proportional)"))
        if c["nmda_half_windup"] is not None:
            nums.append((f"{fk}: NMDA scale that halves the absolute wind-up",
                         c["nmda_half_windup"], ""))
        if c["nmda_windup_width"] is not None:
            nums.append((f"{fk}: NMDA scale range from 90 % to 10 % of the absolute wind-up",
                         c["nmda_windup_width"], ""))
        if c["plateau_stimulus"][0] is not None:
            nums.append((f"{fk}: plateau (90 %) reached at shock", c["plateau_stimulus"][0],
                         ""))
        nums.append((f"{fk}: plateau response, control", c["plateau"][0], "spikes/shock"))
        nums.append((f"{fk}: after-discharge at the plateau, control",
                     c["after_discharge_plateau"][0], "spikes/shock"))
        for v, k in s["knockouts"][fk].items():
            if k["plateau_rel"] is not None:
                nums.append((f"{fk}: plateau response, {_LABELS[v]} / control",
                             100 * k["plateau_rel"], "%"))
    comps = []
    if i0 is not None:
        for fk in freqs:
            c = pf[fk]["control"]
            fr = _ratio(c["first"][i0], c["first"][0])
            comps.append((f"first C response kept with NMDA fully blocked, {fk}", pct(fr, 0),
                          ">= 70 %", "dickenson1987 (the model's own calibration target)",
                          fr is not None and fr >= 0.7))
            ratio = _ratio(c["plateau"][i0], c["first"][i0])
            comps.append((f"wind-up flat with NMDA fully blocked, {fk}",
                          f"x{ratio:.2f} (plateau / first)", "<= x1.3", "dickenson1987",
                          ratio is not None and ratio <= 1.3))
    for fk in freqs:
        k = s["knockouts"][fk]
        if "no_can" in k and k["no_can"]["after_discharge_plateau_rel"] is not None:
            kc = k["no_can"]
            comps.append((f"I_CAN removed (flufenamate-like) cuts maximum firing and "
                          f"after-discharge, {fk}",
                          f"plateau {pct(kc['plateau_rel'], 0)}, after-discharge "
                          f"{pct(kc['after_discharge_plateau_rel'], 0)} of control",
                          "both reduced (no % in the abstract)", "morisset1999",
                          kc["plateau_rel"] < 1.0 and kc["after_discharge_plateau_rel"] < 1.0))
        if "no_cal" in k and k["no_cal"]["after_discharge_plateau_rel"] is not None:
            kl = k["no_cal"]
            comps.append((f"L-type Ca2+ removed (nifedipine-like) cuts the after-discharge, "
                          f"{fk}", f"{pct(kl['after_discharge_plateau_rel'], 0)} of control",
                          "reduced (nifedipine-sensitive plateau; no % in the abstract)",
                          "morisset1999", kl["after_discharge_plateau_rel"] < 1.0))
    devs = []
    if i83 is not None:
        drop = {fk: 1 - pf[fk]["control"]["total_rel"][i83] for fk in freqs}
        sat = [fk for fk in freqs if drop[fk] < 0.1]
        steep = [fk for fk in freqs if pf[fk]["control"]["nmda_windup_width"] is not None
                 and pf[fk]["control"]["nmda_windup_width"] < 0.4]
        moves = ", ".join(f"{pct(drop[fk], 0)} at {fk}" for fk in freqs)
        text = (f"{100 * (1 - scales[i83]):.0f} % less NMDA conductance takes {moves} off "
                "the total response.")
        if sat:
            text += (f" At {', '.join(sat)} partial NMDA block barely moves wind-up: the "
                     "response saturates within a few shocks (a ceiling that the calibration "
                     "notes of ketasim.spinal.params attribute partly to the somatic K(Ca)), "
                     "and lost NMDA drive mostly delays the plateau.")
        for fk in steep:
            c = pf[fk]["control"]
            text += (f" At {fk} the dependence is a threshold instead: absolute wind-up goes "
                     f"from 90 % to 10 % of control over a {c['nmda_windup_width']:.2f} "
                     f"change of NMDA scale (half at {c['nmda_half_windup']:.2f}).")
        text += (" No verified graded NMDA-antagonist data on wind-up (AP5, MK-801 or "
                 "memantine concentration series) were found to check either; the model was "
                 "not re-fitted.")
        devs.append(text)
    for fk in freqs:
        k = s["knockouts"][fk].get("no_can")
        if k and k["absolute_windup_rel"] is not None and k["absolute_windup_rel"] < 0.2:
            devs.append(f"Without I_CAN the model does not wind up at {fk} (absolute wind-up "
                        f"{pct(k['absolute_windup_rel'], 0)} of control, even with full NMDA "
                        "conductance): all of the model's wind-up rides on the I_CAN "
                        "plateau, whereas only ~28 % of lamina V neurons show plateau "
                        "potentials (morisset1999).")
            break
    k = s["knockouts"][freqs[0]].get("no_cal")
    if k and k["first_rel"] is not None and k["first_rel"] > 1.1:
        devs.append(f"Without L-type Ca2+ the first response rises to "
                    f"{pct(k['first_rel'], 0)} of control at {freqs[0]}, likely because "
                    "L-type Ca2+ also feeds the K(Ca) after-hyperpolarisation in the model "
                    "(not tested here).")
    return {
        "shows": "(a) Spikes per C-fibre shock as the NMDA conductance is scaled from 1 "
                 "(control) to 0 (full, AP5-like block). (b) The total response of the "
                 "train against the NMDA conductance left, at two frequencies, in the intact "
                 "model (solid), with the Ca2+-activated cation current I_CAN removed "
                 "(dashed) and with L-type Ca2+ channels removed (dotted). (c) The shock at "
                 "which the response reaches its plateau. (d) The after-discharge at the "
                 "plateau. Together they show how steeply the model turns NMDA conductance "
                 "into wind-up and how much of it rides on the plateau currents.",
        "numbers": nums,
        "comparisons": comps,
        "deviations": devs,
    }


register("m08-windup-gain", claim="M8", title="Wind-up: gain from NMDA conductance, plateau "
         "currents", run=run, figure=figure, summary=summary, story=story,
         citations=(MORISSET1999,))
