"""Streamlit pieces shared by the pages: session state, the sidebar, teaching boxes,
exports, error display and the cached model calls.

Session state holds ONE configuration (``st.session_state["cfg"]``, the last valid one,
see `ketasim.app.core.default_config`) that every page reads; the Choices page edits a
draft and commits it only when it validates. Model calls are cached with
``st.cache_data`` keyed on the scenario's canonical JSON (or the plain numbers they take).
"""

from __future__ import annotations

import json
import math

import streamlit as st

from ketasim.app import core
from ketasim.app.teaching import CLAIMS, PANELS, references
from ketasim.core.errors import KetasimError

__all__ = ["setup", "cfg", "scenario", "teaching", "exports", "guard", "show_error",
           "cached_timeline", "cached_block", "cached_trapping", "cached_windup",
           "cached_pain", "cached_side", "figure", "show_figure"]


# ----------------------------------------------------------------------------- state
def cfg() -> dict:
    """The current (valid) configuration of the session."""
    if "cfg" not in st.session_state:
        st.session_state["cfg"] = core.default_config()
    return st.session_state["cfg"]


def scenario(tests: bool = True):
    """The current configuration as a validated Scenario (cached per session run)."""
    return _scenario_from(json.dumps(cfg(), sort_keys=True), tests)


@st.cache_data(max_entries=256, show_spinner=False)
def _scenario_json(cfg_json: str, tests: bool) -> str:
    from ketasim.scenarios import canonical_json

    return canonical_json(core.to_scenario(json.loads(cfg_json), tests=tests))


def _scenario_from(cfg_json: str, tests: bool):
    from ketasim.scenarios import load_scenario

    return load_scenario(json.loads(_scenario_json(cfg_json, tests)),
                         max_horizon_h=core.MAX_HORIZON_H)


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def md_escape(text: str) -> str:
    """Text shown verbatim in Markdown (user input inside a message is never formatted,
    linked or turned into LaTeX)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def show_error(exc: BaseException) -> None:
    """A problem as one clear message (a KetasimError names field, value and what is
    allowed); never a traceback."""
    if isinstance(exc, KetasimError):
        st.error(f"**Not accepted:** {md_escape(str(exc))}")
    else:  # a bug: say so without a traceback (which goes to the server's log)
        import logging

        logging.getLogger("ketasim.app").error("internal error", exc_info=exc)
        st.error(f"Internal error ({type(exc).__name__}); the inputs were not changed.")


class guard:
    """``with guard():`` shows a KetasimError (or any other error) as a message instead of
    failing; the rest of the page still renders."""

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if exc is None or type(exc).__name__ in ("StopException", "RerunException"):
            return False  # Streamlit's own control flow
        show_error(exc)
        return True


# ----------------------------------------------------------------------------- sidebar
def setup(panel: str, title: str) -> None:
    """Page title, the shared sidebar (moment in time, teaching mode, the configuration
    as YAML) and, in teaching mode, the panel's teaching box."""
    c = cfg()
    st.title(title)
    with st.sidebar:
        st.markdown("**Patient and regimen** (edit on *Choices*)")
        p = c["patient"]
        st.caption(f"{p['sex']}, {p['age_yr']:g} yr, {p['weight_kg']:g} kg, "
                   f"{p['height_cm']:g} cm; {c['condition']}")
        reg = f"{c['drug']}: {c['bolus'] or 'no bolus'}"
        if c["infusion"]:
            reg += f", then {c['infusion']} for {c['infusion_duration'] or 'the horizon'}"
        if c["second_drug"] != "none":
            reg += f"; + {c['second_drug']}"
        st.caption(md_escape(reg))
        try:
            s = scenario(tests=False)
            hz = s.horizon_h
        except KetasimError:
            hz = 48.0
        t0 = float(min(c["time_h"], hz))
        if st.session_state.get("sb_time_h") != t0:  # the configuration changed elsewhere
            st.session_state["sb_time_h"] = t0
        st.slider("moment looked at (h after start)", 0.0, float(hz),
                  step=max(round(hz / 200.0, 2), 0.05), key="sb_time_h",
                  on_change=_time_changed,
                  help="The NMDA block, wind-up, pain, cortex and comparison panels use "
                       "the free drug levels at this moment.")
        st.session_state["teaching"] = st.toggle(
            "Teaching mode", value=st.session_state.get("teaching", True), key="sb_teach")
        try:
            st.download_button("Scenario YAML (for `ketasim simulate`)",
                               core.scenario_yaml(scenario()), file_name="scenario.yaml",
                               mime="application/x-yaml", key="sb_yaml")
        except KetasimError as exc:
            show_error(exc)
    if st.session_state.get("teaching", True):
        teaching(panel)


def _time_changed() -> None:
    cfg()["time_h"] = float(st.session_state["sb_time_h"])


def teaching(panel: str) -> None:
    """The teaching box of a panel: claims, what to look for, sources."""
    info = PANELS[panel]
    with st.expander("Teaching: what this panel shows", expanded=True):
        for m in info["claims"]:
            st.markdown(f"**{m}** - {CLAIMS[m]}")
        st.markdown("**What to look for.** " + info["look_for"])
        st.markdown("**Sources** (`ketasim cite KEY`):")
        for key, ref in zip(info["sources"], references(panel), strict=True):
            st.caption(f"[{key}] {ref}")


def exports(ds, png: bytes | None, name: str) -> None:
    """Download buttons: the view's Dataset as CSV and NetCDF, its figure as PNG."""
    cols = st.columns(3)
    cols[0].download_button("CSV", core.csv_bytes(ds), file_name=f"{name}.csv",
                            mime="text/csv", key=f"dl_csv_{name}")
    cols[1].download_button("NetCDF", core.netcdf_bytes(ds), file_name=f"{name}.nc",
                            mime="application/x-netcdf", key=f"dl_nc_{name}")
    if png is not None:
        cols[2].download_button("PNG", png, file_name=f"{name}.png", mime="image/png",
                                key=f"dl_png_{name}")


def figure(width: float = 8.0, height: float = 3.2, ncols: int = 1, *, left: float = 0.07):
    """A matplotlib Figure (no pyplot state) and its axes; fixed margins (a layout
    engine doubles the rendering time, which a PK change cannot afford)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    axes = fig.subplots(1, ncols)
    fig.subplots_adjust(left=left, right=0.98, bottom=0.16, top=0.95, wspace=0.28)
    return fig, axes


def show_figure(fig) -> bytes:
    """Render a figure once to PNG, show it and return the bytes (for the PNG export)."""
    png = core.png_bytes(fig)
    st.image(png, width="stretch")
    return png


def fmt(x, spec: str = "{:.3g}") -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else \
        spec.format(x)


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Once per server: load the model layers and their compiled kernels in a background
    thread (imports, numba caches, the shipped maps), so that the first visit of a page
    does not pay for them. Errors are ignored here (the page that needs the layer shows
    them)."""
    import threading

    def run():
        try:
            s = core.to_scenario(core.default_config(), tests=False)
            lv = core.levels_at(core.timeline(s), 2.0)
            core.windup_condition(lv, "warm-up", n_shocks=1)
            core.block_by_site(0.1, curve_uM=(0.1,))
            core.timeline(s, brain=True)
        except Exception:  # noqa: BLE001 - best effort only
            pass

    threading.Thread(target=run, name="ketasim-warm-up", daemon=True).start()
    return True


# ----------------------------------------------------------------------------- cached calls
@st.cache_data(max_entries=64, show_spinner=False)
def cached_timeline(scenario_json: str):
    from ketasim.scenarios import load_scenario

    return core.timeline(load_scenario(json.loads(scenario_json),
                                       max_horizon_h=core.MAX_HORIZON_H))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_cortex(scenario_json: str):
    from ketasim.scenarios import load_scenario

    return core.timeline(load_scenario(json.loads(scenario_json),
                                       max_horizon_h=core.MAX_HORIZON_H), brain=True)


@st.cache_data(max_entries=4, show_spinner=False)
def cached_cortical_curve():
    return core.cortical_curve()


def timeline():
    """Time courses of the current configuration (cached)."""
    from ketasim.scenarios import canonical_json

    return cached_timeline(canonical_json(scenario(tests=False)))


@st.cache_data(max_entries=64, show_spinner=False)
def cached_block(ketamine_uM: float, norketamine_uM: float, voltage_mV: float):
    return core.block_by_site(ketamine_uM, norketamine_uM, voltage_mV=voltage_mV)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_trapping(ketamine_uM: float, norketamine_uM: float, site: str,
                    voltage_mV: float):
    return core.trapping(ketamine_uM, norketamine_uM, site=site, voltage_mV=voltage_mV)


@st.cache_data(max_entries=64, show_spinner=False)
def _windup_one(levels_json: str, label: str, n_shocks: int, frequency_Hz: float,
                intensity: float, gain: float, trace: bool):
    return core.windup_condition(json.loads(levels_json), label, n_shocks=n_shocks,
                                 frequency_Hz=frequency_Hz, intensity=intensity, gain=gain,
                                 trace=trace)


def cached_windup(levels_json: str, n_shocks: int, frequency_Hz: float, intensity: float,
                  gain: float, trace: bool):
    """Wind-up with and without the drugs; each condition cached on its own (the
    drug-free run does not change with the concentrations)."""
    args = (n_shocks, frequency_Hz, intensity, gain, trace)
    return core.combine_windup(_windup_one("{}", "drug-free", *args),
                               _windup_one(levels_json, "with drugs", *args))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_pain(scenario_json: str, placebo: bool):
    from ketasim.scenarios import load_scenario

    return core.pain_tests(load_scenario(json.loads(scenario_json),
                                         max_horizon_h=core.MAX_HORIZON_H), placebo=placebo)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_side(cfg_json: str, regimens_json: str, n_shocks: int):
    regs = {k: tuple(v) for k, v in json.loads(regimens_json).items()}
    return core.side_by_side(json.loads(cfg_json), regs, n_shocks=n_shocks)
