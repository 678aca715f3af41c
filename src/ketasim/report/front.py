"""The demo's front page: the seed's story on one post-operative patient, with and without
ketamine.

Dose -> plasma -> free drug at the receptor -> NMDA block -> wind-up and sensitization ->
pain, told on the presets ``postoperative`` and ``postoperative_ketamine`` run through
`ketasim.simulate`. Every number on the page is read from the two runs (their
`ketasim.scenarios.summary`); nothing is written in. Each number carries ``data-src`` (which
arm, the path in the summary, and an aggregate such as ``max``) and ``data-value`` (full
precision), so that a test can check the page against a fresh run.

Examples
--------
>>> s = {"tests": [{"nrs": 6.25}], "time_courses": {"gain": [1.0, 1.5, 1.2]}}
>>> resolve(s, "tests/0/nrs"), resolve(s, "time_courses/gain|max")
(6.25, 1.5)
"""

from __future__ import annotations

import html
import math

import numpy as np
from matplotlib.figure import Figure

from ketasim.core.units import MOLAR_MASS

__all__ = ["ARMS", "SMALL_NRS_CHANGE", "SMALL_WINDUP_CHANGE_PCT", "run_arms", "figure",
           "outcome", "front_html", "resolve"]

#: (arm key, preset name, label) of the two arms, without ketamine first.
ARMS = (("without", "postoperative", "without ketamine"),
        ("with", "postoperative_ketamine", "with ketamine"))
#: A change of a pain score smaller than this (NRS points) is called small on the page
#: [estimate; a one-point change is about the smallest that patients notice].
SMALL_NRS_CHANGE = 1.0
#: A change of the wind-up ratio smaller than this (per cent) is called small [estimate].
SMALL_WINDUP_CHANGE_PCT = 20.0

_COLOUR = {"without": "0.35", "with": "tab:blue"}
_STYLE = {"without": "-", "with": "--"}
_MARK = {"heat": "o", "pinprick": "^", "touch": "s", "windup": "D"}
_KIND = {"heat": "heat", "pinprick": "pin-prick", "touch": "touch", "windup": "wind-up train"}
_SITE = {"injured": "in the wound", "secondary": "around the wound", "normal": "normal skin"}


def run_arms(progress=None) -> dict:
    """Run both presets; ``{arm: {"scenario", "ds", "summary"}}``."""
    from ketasim.scenarios import load_scenario, preset_path, simulate, summary

    out = {}
    for arm, preset, label in ARMS:
        if progress is not None:
            progress(f"scenario {preset} ({label})")
        scen = load_scenario(preset_path(preset))
        ds = simulate(scen)
        out[arm] = {"scenario": scen, "ds": ds, "summary": summary(ds)}
    return out


def resolve(summary: dict, src: str) -> float:
    """The number at ``src`` in a scenario summary: ``a/b/0/c`` (a path of keys and list
    indices), optionally followed by ``|max``, ``|min`` or ``|mean`` over a list, or by
    ``|at:H`` (the time course's value at the grid time nearest to H hours)."""
    path, _, op = src.partition("|")
    v = summary
    for part in path.split("/"):
        v = v[int(part)] if isinstance(v, list) else v[part]
    if op:
        arr = np.asarray(v, dtype=float)
        if op == "max":
            v = np.nanmax(arr)
        elif op == "min":
            v = np.nanmin(arr)
        elif op == "mean":
            v = np.nanmean(arr)
        elif op.startswith("at:"):
            t = np.asarray(summary["time_courses"]["time_h"], dtype=float)
            v = arr[int(np.argmin(np.abs(t - float(op[3:]))))]
        else:
            raise ValueError(f"unknown aggregate {op!r} in {src!r}")
    return float(v)


class _Numbers:
    """Renders numbers of the two runs as ``<span data-src data-value>`` and keeps them."""

    def __init__(self, summaries: dict):
        self.s = summaries
        self.values: dict[str, float] = {}

    def v(self, arm: str, src: str) -> float:
        return resolve(self.s[arm], src)

    def span(self, arm: str, src: str, fmt: str = "{:.2f}", scale: float = 1.0,
             unit: str = "") -> str:
        x = self.v(arm, src)
        self.values[f"{arm}:{src}"] = x
        shown = fmt.format(x * scale) + (f"&nbsp;{unit}" if unit else "")
        return (f'<span class="num" data-src="{arm}:{src}" data-value="{x!r}" '
                f'data-scale="{scale!r}">{shown}</span>')


def _test_index(summary: dict, kind: str, time_h: float | None = None,
                site: str | None = None) -> int | None:
    for t in summary["tests"]:
        if t["kind"] == kind and (time_h is None or t["time_h"] == time_h) and (
                site is None or t["site"] == site):
            return t["index"]
    return None


def outcome(summaries: dict) -> dict:
    """The outcome in numbers, computed from the two summaries.

    Keys: ``pairs`` (per test: index, time_h, kind, site, free_uM, block, readout, without,
    with, change), ``max_nrs_change`` (signed, largest in size; with - without),
    ``max_nrs_test`` (its index), ``windup`` (without, with, change_pct or None),
    ``gain_max`` ({arm: peak gain}), ``gain_diff_max`` (largest gain reduction by
    ketamine), ``free_max_uM``, ``block_max``, ``small`` (bool: every change below the
    thresholds).
    """
    off, on = summaries["without"], summaries["with"]
    pairs = []
    for a, b in zip(off["tests"], on["tests"], strict=True):
        readout = "windup_ratio" if a["kind"] == "windup" else "nrs"
        x, y = a[readout], b[readout]
        ch = None if x is None or y is None else y - x
        pairs.append({"index": a["index"], "time_h": a["time_h"], "kind": a["kind"],
                      "site": a["site"], "free_uM": b["ketamine_uM"], "block": b["nmda_block"],
                      "plasma": b["ketamine_plasma_ng_mL"], "readout": readout,
                      "without": x, "with": y, "change": ch})
    nrs = [p for p in pairs if p["readout"] == "nrs" and p["change"] is not None]
    big = max(nrs, key=lambda p: abs(p["change"])) if nrs else None
    wu = [p for p in pairs if p["readout"] == "windup_ratio" and p["change"] is not None]
    windup = None
    if wu:
        p = wu[0]
        windup = {"index": p["index"], "without": p["without"], "with": p["with"],
                  "change_pct": 100.0 * p["change"] / p["without"] if p["without"] else None}
    g0 = np.asarray(off["time_courses"]["gain"], dtype=float)
    g1 = np.asarray(on["time_courses"]["gain"], dtype=float)
    small = (big is None or abs(big["change"]) < SMALL_NRS_CHANGE) and (
        windup is None or windup["change_pct"] is None
        or abs(windup["change_pct"]) < SMALL_WINDUP_CHANGE_PCT)
    return {"pairs": pairs, "max_nrs_change": None if big is None else big["change"],
            "max_nrs_test": None if big is None else big["index"], "windup": windup,
            "gain_max": {"without": float(np.nanmax(g0)), "with": float(np.nanmax(g1))},
            "gain_diff_max": float(np.nanmax(g0 - g1)),
            "free_max_uM": float(np.nanmax(on["time_courses"]["ketamine_uM"])),
            "block_max": float(np.nanmax(on["time_courses"]["nmda_block"])),
            "small": bool(small)}


def figure(ds_without, ds_with) -> Figure:
    """Free ketamine, NMDA block, spinal gain and pain on one timeline, both arms."""
    fig = Figure(figsize=(10, 9.5), layout="constrained")
    ax = fig.subplots(4, 1, sharex=True)
    arms = (("without", ds_without, "without ketamine"), ("with", ds_with, "with ketamine"))
    for arm, ds, label in arms:
        t = ds.time.values
        kw = {"color": _COLOUR[arm], "ls": _STYLE[arm], "lw": 2.0, "label": label}
        ax[0].plot(t, ds.ketamine_uM.values, **kw)
        ax[1].plot(t, 100 * ds.nmda_block.values, **kw)
        ax[2].plot(t, ds.gain.values, **kw)
        ax[3].plot(t, ds.ongoing_nrs.values, **kw)
    ax[0].set_ylabel("free ketamine\nat the receptor (\u00b5M)")
    ax[0].set_title("1. Dose \u2192 plasma \u2192 free ketamine at the spinal NMDA receptor",
                    loc="left")
    ax[1].set_ylabel("NMDA block (%)")
    ax[1].set_title("2. NMDA receptors blocked (at rest, -60 mV, 1 mM Mg\u00b2\u207a)",
                    loc="left")
    ax[2].axhline(1.0, color="0.6", lw=1, ls=":")
    ax[2].set_ylabel("spinal gain\n(1 = normal)")
    ax[2].set_title("3. Central sensitization: spinal gain under the post-operative drive",
                    loc="left")
    ax[3].set_title("4. Pain: ongoing (lines) and at each stimulus test (markers)", loc="left")
    ax[3].set_ylabel("pain (NRS 0-10)")
    ax[3].set_xlabel("time after the incision (h)")
    ax[3].set_ylim(0, 10)
    kinds = {}
    for arm, ds, _ in arms:
        if "test_nrs" not in ds:
            continue
        shift = -0.5 if arm == "without" else 0.5  # side by side at each test time
        for i in range(ds.sizes.get("test", 0)):
            y = float(ds.test_nrs.values[i])
            kind = str(ds.test_kind.values[i])
            if not math.isfinite(y):
                continue
            filled = arm == "with"
            ax[3].plot(float(ds.test_time_h.values[i]) + shift, y, _MARK.get(kind, "o"),
                       ms=8, color=_COLOUR[arm], mfc=_COLOUR[arm] if filled else "white",
                       mew=1.5, ls="none")
            kinds[kind] = _MARK.get(kind, "o")
    for a in ax:
        for x in (ds_with.test_time_h.values if "test_time_h" in ds_with.coords else ()):
            a.axvline(float(x), color="0.8", lw=0.8, zorder=0)
        a.grid(alpha=0.25)
        a.tick_params(labelsize=10)
    ax[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10, frameon=False)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="0.2", marker=m, ls="none", ms=8, mfc="white",
                      label=_KIND.get(k, k)) for k, m in kinds.items()]
    handles += [Line2D([], [], color=_COLOUR[a], ls=_STYLE[a], lw=2, label=lab)
                for a, _, lab in arms]
    ax[3].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10,
                 frameon=False, title="tests (open: without,\nfilled: with)",
                 title_fontsize=10)
    return fig


def _hours(text) -> str:
    """'24.0 h' -> '24 h'."""
    value, _, unit = str(text).partition(" ")
    try:
        return f"{float(value):g} {unit}".strip()
    except ValueError:
        return str(text)


def dose_text(scen) -> str:
    """The patient and the doses of a scenario, in words (from its fields).

    Examples
    --------
    >>> from ketasim.scenarios import load_scenario, preset_path
    >>> dose_text(load_scenario(preset_path("postoperative_ketamine")))  # doctest: +ELLIPSIS
    'A 90 kg, 65-year-old female patient ... ketamine 0.5 mg/kg IV bolus at 0 h; ...'
    """
    p = scen.patient
    who = f"A {p.weight_kg:g} kg, {p.age_yr:g}-year-old {p.sex} patient"
    doses = []
    for reg in scen.regimens:
        for d in reg.doses:
            if d.kind == "bolus":
                route = str(getattr(d, "route", "") or "").upper()
                doses.append(f"{reg.drug} {d.dose} {route} bolus at "
                             f"{_hours(d.time)}".replace("  ", " "))
            elif d.kind == "infusion":
                doses.append(f"{reg.drug} {d.rate} from {_hours(d.start)} for "
                             f"{_hours(d.duration)}")
            else:
                doses.append(f"{reg.drug} ({d.kind})")
    cond = getattr(scen.condition, "kind", "")
    what = {"postoperative": "after surgery (incision at 0 h)"}.get(cond, cond)
    return (f"{who} {what} receives " + "; ".join(doses) + "." if doses
            else f"{who} {what}, no drug.")


def front_html(arms: dict, img: str) -> tuple[str, dict]:
    """The front page section (HTML) and the numbers it shows ({"arm:src": value}).

    ``arms`` is `run_arms`' result; ``img`` the file name of `figure`'s PNG.
    """
    S = {a: arms[a]["summary"] for a in arms}
    N = _Numbers(S)
    oc = outcome(S)
    scen_on, scen_off = arms["with"]["scenario"], arms["without"]["scenario"]
    reg = scen_on.regimens[0] if scen_on.regimens else None
    model = html.escape(str(getattr(reg, "model", "") or "the default").capitalize())
    t_on = S["with"]["tests"]
    first = t_on[0]["index"] if t_on else None
    later = next((t["index"] for t in t_on if t["time_h"] > t_on[0]["time_h"]), None)
    last = t_on[-1]["index"] if t_on else None

    def tp(i, key, fmt="{:.2f}", scale=1.0, unit="", arm="with"):
        return N.span(arm, f"tests/{i}/{key}", fmt, scale, unit)

    def th(i):
        return f"{S['with']['tests'][i]['time_h']:g}&nbsp;h"

    heat = _test_index(S["with"], "heat", site="injured") or _test_index(S["with"], "heat")
    wu = oc["windup"]
    # free fraction of the effect-site ketamine at the first test (derived, not a data-src)
    t0 = t_on[first] if first is not None else None
    ff = (t0["ketamine_uM"] * MOLAR_MASS["ketamine"] / t0["ketamine_effect_ng_mL"]
          if t0 and t0["ketamine_effect_ng_mL"] else None)
    chain = [
        ("Dose", html.escape(dose_text(scen_on))),
        ("Plasma", f"The PK layer ({model} model) turns the doses into concentrations: "
         "plasma ketamine peaks at "
         f"{N.span('with', 'time_courses/ketamine_plasma_ng_mL|max', '{:.0f}', unit='ng/mL')}"
         f" right after the bolus, is {tp(first, 'ketamine_plasma_ng_mL', '{:.0f}', unit='ng/mL')} "
         f"at {th(first)} and {tp(later, 'ketamine_plasma_ng_mL', '{:.0f}', unit='ng/mL')} at "
         f"{th(later)}, and falls to {tp(last, 'ketamine_plasma_ng_mL', '{:.1f}', unit='ng/mL')} "
         f"at {th(last)}, after the infusion has stopped."),
        ("Free drug at the receptor", "Only the unbound drug reaches the spinal NMDA receptor: "
         + (f"about {ff:.0%} of the effect-site ketamine, " if ff else "")
         + f"{tp(first, 'ketamine_uM', '{:.2f}', unit='&micro;M')} at {th(first)} and "
         f"{tp(later, 'ketamine_uM', '{:.2f}', unit='&micro;M')} at {th(later)} "
         f"(at most {N.span('with', 'time_courses/ketamine_uM|max', '{:.2f}', unit='&micro;M')})."),
        ("NMDA block", "Ketamine plugs the open NMDA channel. At the resting potential and in "
         "physiological Mg<sup>2+</sup> (-60 mV, 1 mM), where Mg<sup>2+</sup> already corks "
         f"most channels, these levels block {tp(first, 'nmda_block', '{:.1f}', 100, '%')} of "
         f"the receptors at {th(first)} and at most "
         f"{N.span('with', 'time_courses/nmda_block|max', '{:.1f}', 100, '%')} over the course. "
         "The spiking model at each test computes its own block, which grows with use in "
         "active, depolarised neurons."),
        ("Wind-up and sensitization", "The incision and the inflammation after it drive "
         "C fibres; Ca<sup>2+</sup> entering through NMDA receptors raises the spinal gain "
         "(1 = normal) to "
         f"{N.span('without', 'time_courses/gain|max', '{:.3f}')} without ketamine and "
         f"{N.span('with', 'time_courses/gain|max', '{:.3f}')} with it. "
         + (f"A train of C-fibre shocks at {th(wu['index'])} winds the response up "
            f"{tp(wu['index'], 'windup_ratio', '{:.2f}', arm='without')}-fold without "
            f"ketamine and {tp(wu['index'], 'windup_ratio', '{:.2f}')}-fold with it."
            if wu else "")),
        ("Pain", (f"Heat {_SITE.get(S['with']['tests'][heat]['site'], '')} at {th(heat)} "
                  f"hurts {tp(heat, 'nrs', '{:.1f}', arm='without')} out of 10 without "
                  f"ketamine and {tp(heat, 'nrs', '{:.1f}')} with it."
                  if heat is not None else "")),
    ]
    chain_html = "".join(f"<li><strong>{k}.</strong> {v}</li>" for k, v in chain)

    big = oc["max_nrs_change"]
    if big is not None:
        p = oc["pairs"][oc["max_nrs_test"]]
        big_txt = (f"the largest change of any pain score is {big:+.2f} NRS points "
                   f"({_KIND.get(p['kind'], p['kind'])} {_SITE.get(p['site'], p['site'])} "
                   f"at {p['time_h']:g} h: {p['without']:.2f} &rarr; {p['with']:.2f})")
    else:
        big_txt = "no pain score was tested"
    wu_txt = (f"the wind-up ratio changes by {wu['change_pct']:+.1f} %"
              if wu and wu["change_pct"] is not None else "")
    g_txt = (f"the spinal gain is lowered by at most {oc['gain_diff_max']:.3f}")
    parts = ", ".join(x for x in (big_txt, wu_txt, g_txt) if x)
    if oc["small"]:
        verdict = (f"<strong>At these doses the model gives ketamine little effect</strong>: "
                   f"{parts}. Free ketamine at the receptor never exceeds "
                   f"{oc['free_max_uM']:.2f} &micro;M, where it blocks at most "
                   f"{oc['block_max']:.1%} of resting NMDA receptors in 1 mM Mg<sup>2+</sup>. "
                   "This is the model's main known limitation, not a clinical finding: the "
                   "seed (and clinical practice) expects low-dose ketamine to reduce "
                   "post-operative hyperalgesia. Ketamine's channel block was calibrated on "
                   "Mg<sup>2+</sup>-free receptor data and is weak in physiological "
                   "Mg<sup>2+</sup> at these free levels; see M10, M11 and the findings "
                   "below.")
    else:
        verdict = (f"<strong>The model gives ketamine a clear effect here</strong>: {parts}. "
                   f"Free ketamine at the receptor reaches {oc['free_max_uM']:.2f} &micro;M "
                   f"and blocks up to {oc['block_max']:.1%} of resting NMDA receptors.")
    verdict += (f" (We call a change small below {SMALL_NRS_CHANGE:g} NRS point or "
                f"{SMALL_WINDUP_CHANGE_PCT:g} % of the wind-up ratio.)")

    rows = []
    for p in oc["pairs"]:
        i = p["index"]
        key = p["readout"]
        fmt = "{:.2f}"
        change = "&ndash;" if p["change"] is None else (
            f"{p['change']:+.2f}" + (f" ({100 * p['change'] / p['without']:+.1f} %)"
                                     if p["without"] else ""))
        rows.append(
            f"<tr><td>{p['time_h']:g}</td><td>{_KIND.get(p['kind'], p['kind'])}, "
            f"{_SITE.get(p['site'], p['site'])}</td>"
            f"<td>{tp(i, 'ketamine_uM', '{:.3f}')}</td>"
            f"<td>{tp(i, 'nmda_block', '{:.1f}', 100)}</td>"
            f"<td>{'pain (NRS 0-10)' if key == 'nrs' else 'wind-up ratio (last/first)'}</td>"
            f"<td>{tp(i, key, fmt, arm='without') if p['without'] is not None else '&ndash;'}"
            f"</td><td>{tp(i, key, fmt) if p['with'] is not None else '&ndash;'}</td>"
            f"<td>{change}</td></tr>")
    table = ("<table class='front'><tr><th>time (h)</th><th>test, where</th>"
             "<th>free ketamine (&micro;M)</th><th>NMDA block (%)</th><th>readout</th>"
             "<th>without ketamine</th><th>with ketamine</th><th>change</th></tr>"
             + "".join(rows) + "</table>")
    page = f"""<section id="story"><h2>The story: dose in, pain out</h2>
<p>Ketamine relieves pain by acting on the spinal cord's &ldquo;accelerator&rdquo;, the
glutamate NMDA receptor, not on its &ldquo;brake&rdquo;. ketasim follows one patient along that
chain, from the syringe to the pain score, with the same mechanisms at every step:
<em>dose &rarr; plasma &rarr; free drug at the receptor &rarr; NMDA block &rarr; wind-up and
sensitization &rarr; pain</em>. Here it runs the post-operative scenario twice, as the presets
<code>{html.escape(scen_off.name)}</code> (no ketamine) and
<code>{html.escape(scen_on.name)}</code>
(<code>ketasim scenario show {html.escape(scen_on.name)}</code>).</p>
<ol class="chain">{chain_html}</ol>
<div class="outcome"><h3>Outcome</h3><p>{verdict}</p></div>
<img src="{html.escape(img)}" alt="both arms on one timeline: free ketamine, NMDA block,
spinal gain, pain" class="fig">
<h3>Test results, side by side</h3>{table}
<p class="note">The brain layer (dose &rarr; cortex &rarr; dissociation) joins this page when
it lands.</p>
<p class="note">Run it yourself: <code>ketasim scenario init {html.escape(scen_on.name)} &gt;
my.yaml</code>, edit, then <code>ketasim simulate my.yaml --out my-run</code>.</p>
</section>"""
    return page, N.values
