"""What the web explorer computes, without Streamlit: one configuration -> one scenario ->
the numbers of every panel.

A configuration (`default_config`) is a plain dict of texts and numbers: the patient, one
main regimen (drug, model, bolus, infusion), an optional second drug, the clinical
condition, the horizon and the moment the panels look at (``time_h``). `to_scenario`
turns it into a validated `ketasim.scenarios.Scenario` (every problem a `KetasimError`
naming the field); nothing typed by a user is ever evaluated as code. Every panel
function takes that scenario (or values derived from it) and returns an
`xarray.Dataset` that the page plots and exports.

Examples
--------
>>> cfg = default_config()
>>> s = to_scenario(cfg)
>>> s.regimens[0].drug, s.regimens[0].doses[0].dose
('ketamine', '0.5 mg/kg')
>>> ds = timeline(s)
>>> bool(ds["ketamine_plasma_ng_mL"].max() > 100)
True
"""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError, WorkLimitError

__all__ = [
    "default_config", "to_scenario", "from_scenario", "scenario_yaml", "timeline", "levels_at",
    "cortical_curve",
    "block_by_site", "trapping", "windup", "windup_condition", "combine_windup",
    "pain_tests", "side_by_side", "trial_doc",
    "run_trial_blocks", "trial_bands", "csv_bytes", "netcdf_bytes", "png_bytes",
    "SITES", "MAX_PATIENTS", "MAX_SHOCKS", "MAX_TRAIN_S", "DRUG_CHOICES", "OPIOIDS",
]

#: NMDA receptor sites of the block panel: the receptor layer's named compositions
#: (`ketasim.receptors.subunits.COMPOSITIONS`) and the four subunit sets.
SITES = ("lamina_I", "inhibitory_interneuron", "deep_wdr", "cortex_fs_interneuron",
         "2A", "2B", "2C", "2D")
#: Caps of the explorer (smaller than the library's: answers must come in seconds).
MAX_PATIENTS = 500
MAX_SHOCKS = 30
MAX_TRAIN_S = 40.0
MAX_HORIZON_H = 7 * 24.0
#: Drugs of the main regimen and of the second drug.
DRUG_CHOICES = ("ketamine", "s-ketamine", "propofol", "thiopental", "midazolam", "fentanyl",
                "remifentanil", "morphine")
OPIOIDS = ("fentanyl", "morphine", "remifentanil")
#: Hold voltage, Mg2+ and glutamate of the block panel (as the scenario runner's readout).
BLOCK_VOLTAGE_MV = -60.0
BLOCK_MG_MM = 1.0
BLOCK_GLUTAMATE_UM = 1000.0


def default_config() -> dict:
    """The explorer's starting point: the post-operative patient of the preset
    ``postoperative_ketamine`` with its ketamine regimen (0.5 mg/kg, then 0.15 mg/kg/h for
    24 h), looked at 2 h after incision.

    >>> default_config()["patient"]["weight_kg"]
    90.0
    """
    return {
        "patient": {"weight_kg": 90.0, "height_cm": 165.0, "age_yr": 65.0, "sex": "female"},
        "drug": "ketamine", "model": "",
        "bolus": "0.5 mg/kg", "infusion": "0.15 mg/kg/h", "infusion_duration": "24 h",
        "tci_target": "", "tci_site": "effect",
        "second_drug": "none", "second_bolus": "1 ug/kg", "second_infusion": "",
        "second_infusion_duration": "24 h",
        "condition": "postoperative", "horizon": "48 h", "time_h": 2.0, "seed": 20240517,
    }


def _doses(bolus: str, infusion: str, duration: str) -> list[dict]:
    doses = []
    if isinstance(bolus, str) and bolus.strip() and bolus.strip() != "0":
        doses.append({"kind": "bolus", "dose": bolus.strip(), "time": "0 min"})
    if isinstance(infusion, str) and infusion.strip() and infusion.strip() != "0":
        inf = {"kind": "infusion", "rate": infusion.strip(), "start": "0 min"}
        if isinstance(duration, str) and duration.strip():
            inf["duration"] = duration.strip()
        doses.append(inf)
    return doses


def _tests(condition: str, time_h: float) -> list[dict]:
    """Heat, pin-prick and touch at ``time_h`` on normal skin and, when the condition has
    an injury, in the secondary (sensitized) area; a wind-up train on normal skin."""
    t = f"{time_h!r} h"
    sites = ("normal",) if condition == "healthy" else ("normal", "secondary")
    tests = [{"kind": k, "time": t, "site": s} for k in ("heat", "pinprick", "touch")
             for s in sites]
    tests.append({"kind": "windup", "time": t, "site": "normal"})
    return tests


def scenario_dict(cfg: dict, *, tests: bool = True) -> dict:
    """The scenario document of a configuration (not yet validated)."""
    regimens = []
    doses = _doses(cfg.get("bolus", ""), cfg.get("infusion", ""),
                   cfg.get("infusion_duration", ""))
    tci = cfg.get("tci_target", "")
    tci = tci.strip() if isinstance(tci, str) else tci
    if doses or tci:
        r = {"drug": cfg.get("drug"), "doses": doses}
        if cfg.get("model"):
            r["model"] = cfg["model"]
        if tci:  # target-controlled infusion (`ketasim.pk.tci`), with or instead of doses;
            # the pump runs for the infusion duration (a pump plans at most 10,000 updates)
            r["tci"] = {"target": tci, "site": cfg.get("tci_site", "effect")}
            if (cfg.get("infusion_duration") or "").strip():
                r["tci"]["duration"] = cfg["infusion_duration"].strip()
        regimens.append(r)
    second = cfg.get("second_drug", "none")
    if second and second != "none":
        d2 = _doses(cfg.get("second_bolus", ""), cfg.get("second_infusion", ""),
                    cfg.get("second_infusion_duration", ""))
        if d2:
            regimens.append({"drug": second, "doses": d2})
    horizon = cfg.get("horizon", "48 h")
    doc = {"name": "ketasim_app", "description": "Configured in the ketasim web explorer.",
           "patient": dict(cfg.get("patient", {})), "regimens": regimens,
           "condition": {"kind": cfg.get("condition", "healthy")}, "horizon": horizon,
           "seed": cfg.get("seed", 20240517)}
    if tests:
        doc["tests"] = _tests(cfg.get("condition", "healthy"), float(cfg.get("time_h", 0.0)))
    return doc


def to_scenario(cfg: dict, *, tests: bool = True):
    """Validate a configuration as a scenario (a `ScenarioError` lists every problem).

    The horizon is capped at `MAX_HORIZON_H` (the explorer's answers must come in
    seconds); the report grid step is 2 min up to 2 days, coarser beyond.

    >>> to_scenario({**default_config(), "bolus": "5 mL"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ketasim.scenarios.schema.ScenarioUnitError: regimens[0].doses[0].dose: got '5 mL'; ...
    """
    from ketasim.scenarios import load_scenario
    from ketasim.scenarios.schema import hours

    s = load_scenario(scenario_dict(cfg, tests=False), max_horizon_h=MAX_HORIZON_H)
    t = float(cfg.get("time_h", 0.0)) if _is_number(cfg.get("time_h", 0.0)) else math.nan
    if not (0.0 <= t <= s.horizon_h):
        raise InputError("time_h", cfg.get("time_h"),
                         f"a time in [0, {s.horizon_h:g}] h (within the horizon)")
    if tests:
        s = load_scenario(scenario_dict(cfg, tests=True), max_horizon_h=MAX_HORIZON_H)
    every = max(2.0 / 60.0, s.horizon_h / 1500.0)
    doc = s.model_dump(mode="json")
    doc["readouts"]["every"] = f"{every!r} h"
    out = load_scenario(doc, max_horizon_h=MAX_HORIZON_H)
    assert hours(out.readouts.every) == every
    return out


def from_scenario(scenario, base: dict | None = None) -> dict:
    """A configuration from a scenario: its patient, condition, horizon and, of its first
    two regimens, the first bolus and the first infusion (other doses and the tests are not
    kept: the explorer holds one regimen and a second drug).

    >>> from ketasim.scenarios import load_scenario, preset_path
    >>> c = from_scenario(load_scenario(preset_path("postoperative_ketamine")))
    >>> c["drug"], c["bolus"], c["infusion"], c["infusion_duration"]
    ('ketamine', '0.5 mg/kg', '0.15 mg/kg/h', '24.0 h')
    """
    from ketasim.scenarios.schema import Bolus

    cfg = copy.deepcopy(base) if base is not None else default_config()
    cfg["patient"] = scenario.patient.model_dump(mode="json")
    cfg["condition"] = scenario.condition.kind
    cfg["horizon"] = scenario.horizon
    cfg["seed"] = scenario.seed
    cfg["time_h"] = min(float(cfg.get("time_h", 0.0)), scenario.horizon_h)
    cfg["second_drug"] = "none"
    for i, prefix in ((0, ""), (1, "second_")):
        if i >= len(scenario.regimens):
            if i == 0:
                cfg.update(bolus="", infusion="", infusion_duration="")
            continue
        r = scenario.regimens[i]
        b = next((d for d in r.doses if isinstance(d, Bolus)), None)
        f = next((d for d in r.doses if not isinstance(d, Bolus)), None)
        if i == 0:
            cfg["drug"], cfg["model"] = r.drug, r.model
            cfg["tci_target"] = r.tci.target if r.tci is not None else ""
            cfg["tci_site"] = r.tci.site if r.tci is not None else "effect"
        else:
            cfg["second_drug"] = r.drug
        cfg[f"{prefix}bolus"] = b.dose if b is not None else ""
        cfg[f"{prefix}infusion"] = f.rate if f is not None else ""
        cfg[f"{prefix}infusion_duration"] = (f.duration or "") if f is not None else ""
        if i == 0 and f is None and r.tci is not None:  # the pump's duration
            cfg["infusion_duration"] = r.tci.duration or ""
    return cfg


def _is_number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def scenario_yaml(scenario) -> str:
    """The scenario as the YAML that ``ketasim simulate`` runs (normalised, with a header).

    >>> scenario_yaml(to_scenario(default_config())).startswith("# ketasim scenario")
    True
    """
    from ketasim.scenarios import to_yaml

    return ("# ketasim scenario written by the web explorer (`ketasim app`).\n"
            "# Run it with: ketasim simulate this.yaml --out my-run\n" + to_yaml(scenario))


def _variant(scenario, *, tests: bool, brain: bool):
    from ketasim.scenarios import load_scenario

    doc = scenario.model_dump(mode="json")
    if not tests:
        doc["tests"] = []
    if "brain" in doc["readouts"]:
        doc["readouts"]["brain"] = bool(brain)
    return load_scenario(doc, max_horizon_h=MAX_HORIZON_H)


def timeline(scenario, *, brain: bool = False) -> xr.Dataset:
    """The scenario's time courses without its stimulus tests (PK, free levels, NMDA
    block, gain, ongoing pain; with ``brain`` also the cortical state and emergence risk of
    `ketasim.brain`): `ketasim.scenarios.simulate` on a copy without tests.

    >>> ds = timeline(to_scenario(default_config()))
    >>> "ketamine_effect_ng_mL" in ds and "gain" in ds
    True
    """
    from ketasim.scenarios import simulate

    ds = simulate(_variant(scenario, tests=False, brain=brain))
    if "midazolam_plasma_ng_mL" in ds and "midazolam_uM" not in ds:
        # the receptor layers take no midazolam: its free level as the brain readouts form it
        from ketasim.pk import free_concentration_umol

        own = ds.get("midazolam_effect_ng_mL", ds["midazolam_plasma_ng_mL"])
        ds["midazolam_uM"] = ("time", np.asarray(free_concentration_umol(
            np.maximum(own.values, 0.0), "midazolam"), float),
            {"units": "umol/L", "long_name": "free midazolam at the receptor"})
    return ds


def cortical_curve(ketamine_uM=(0.0, 0.1, 0.3, 0.6, 1.0, 2.0, 3.0, 6.0, 12.0, 25.0, 50.0),
                   ) -> xr.Dataset:
    """The cortical state along free ketamine alone (`ketasim.brain.maps.cortical_state`,
    the reduced map of the brain layer's network).

    >>> ds = cortical_curve((0.0, 1.0))
    >>> ds.responsiveness.dims
    ('point',)
    """
    from ketasim.brain.maps import cortical_state

    return cortical_state(ketamine_uM=np.asarray(ketamine_uM, float))


def levels_at(ds: xr.Dataset, time_h: float) -> dict[str, float]:
    """Free receptor levels (umol/L) of every receptor drug at ``time_h`` (interpolated).

    >>> lv = levels_at(timeline(to_scenario(default_config())), 2.0)
    >>> round(lv["ketamine_uM"], 3) > 0
    True
    """
    from ketasim.scenarios.runner import RECEPTOR_DRUGS

    t = ds.time.values
    return {f: max(float(np.interp(time_h, t, ds[f].values)), 0.0) if f in ds else 0.0
            for f in RECEPTOR_DRUGS}


def _mixture(site: str):
    from ketasim.receptors.subunits import composition

    return composition(site) if site not in ("2A", "2B", "2C", "2D") else site


def block_by_site(ketamine_uM: float, norketamine_uM: float = 0.0, *,
                  voltage_mV: float = BLOCK_VOLTAGE_MV,
                  curve_uM=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)) -> xr.Dataset:
    """Equilibrium NMDA block by free ketamine (+ norketamine) at each site of `SITES`, in
    1 mM Mg2+ with 1 mM glutamate at ``voltage_mV``: the fraction of the drug-free
    conducting fraction removed (`ketasim.receptors.clamp.equilibrium_open`), and the
    concentration-block curve of every site.

    >>> ds = block_by_site(1.0)
    >>> bool(ds.block.sel(site="2D") > ds.block.sel(site="2A"))   # Mg2+-weak 2D
    True
    """
    from ketasim.core.provenance import stamp
    from ketasim.core.validation import NONNEG, VOLTAGE_MV, check
    from ketasim.receptors.clamp import equilibrium_open
    from ketasim.receptors.subunits import composition

    check("ketamine_uM", ketamine_uM, NONNEG)
    check("norketamine_uM", norketamine_uM, NONNEG)
    check("voltage_mV", voltage_mV, VOLTAGE_MV)
    curve = np.asarray(curve_uM, float)
    block = np.zeros(len(SITES))
    bcurve = np.zeros((len(SITES), curve.size))
    cites: list = []
    for i, site in enumerate(SITES):
        m = _mixture(site)
        if isinstance(m, str):
            cites.append(list(composition("inhibitory_interneuron").citations))
        else:
            cites.append(list(m.citations))
        o0 = equilibrium_open(voltage_mV, BLOCK_GLUTAMATE_UM, BLOCK_MG_MM, 0.0, 0.0, m)
        block[i] = 1.0 - equilibrium_open(voltage_mV, BLOCK_GLUTAMATE_UM, BLOCK_MG_MM,
                                          float(ketamine_uM), float(norketamine_uM), m) / o0
        for j, c in enumerate(curve):
            bcurve[i, j] = 1.0 - equilibrium_open(voltage_mV, BLOCK_GLUTAMATE_UM,
                                                  BLOCK_MG_MM, float(c), 0.0, m) / o0
    ds = xr.Dataset(
        {"block": ("site", block, {"units": "1", "long_name": "NMDA block at the current "
                                   "free ketamine and norketamine"}),
         "curve": (("site", "ketamine_conc_uM"), bcurve,
                   {"units": "1", "long_name": "block by ketamine alone"})},
        coords={"site": list(SITES), "ketamine_conc_uM": ("ketamine_conc_uM", curve,
                                                          {"units": "umol/L"})})
    ds.attrs.update(voltage_mV=voltage_mV, mg_mM=BLOCK_MG_MM, glutamate_uM=BLOCK_GLUTAMATE_UM,
                    ketamine_uM=float(ketamine_uM), norketamine_uM=float(norketamine_uM))
    return stamp(ds, model="ketasim.app.core.block_by_site", citations=cites,
                 params={"ketamine_uM": float(ketamine_uM),
                         "norketamine_uM": float(norketamine_uM), "voltage_mV": voltage_mV,
                         "curve_uM": curve.tolist()})


def trapping(ketamine_uM: float, norketamine_uM: float = 0.0, *, site: str = "lamina_I",
             voltage_mV: float = BLOCK_VOLTAGE_MV, agonist_s: float = 5.0,
             washout_s: float = 15.0) -> xr.Dataset:
    """Virtual clamp at one site: glutamate (1 mM) with the drugs for ``agonist_s``, then
    the agonist removed (drugs stay) for ``washout_s``; 1 mM Mg2+. Returns the ketamine-
    occupied fraction split into open-blocked (``K:O``) and trapped (ketamine in a closed
    or desensitised channel: ``K:C0..C2``, ``K:D``) states, and the current.

    >>> ds = trapping(1.0, agonist_s=2.0, washout_s=2.0)
    >>> bool(ds.trapped.values[-1] > 0.01)    # the drug stays trapped after the agonist
    True
    """
    from ketasim.core.provenance import stamp
    from ketasim.core.record import Record
    from ketasim.core.validation import NONNEG, Interval, check
    from ketasim.receptors.clamp import Segment, clamp_nmda

    check("ketamine_uM", ketamine_uM, NONNEG)
    check("agonist_s", agonist_s, Interval(0.1, 60.0))
    check("washout_s", washout_s, Interval(0.1, 120.0))
    if site not in SITES:
        raise InputError("site", site, "one of " + ", ".join(SITES))
    dt = 10.0
    a, w = round(agonist_s * 100) * dt, round(washout_s * 100) * dt
    k, nk = float(ketamine_uM), float(norketamine_uM)
    ds = clamp_nmda([[Segment(a, voltage_mV, BLOCK_GLUTAMATE_UM, BLOCK_MG_MM, k, nk),
                      Segment(w, voltage_mV, 0.0, BLOCK_MG_MM, k, nk)]],
                    dt_ms=dt, params=_mixture(site), record=Record(variables=("occupancy",)))
    occ = ds.occupancy.isel(condition=0)
    names = [str(s) for s in ds.state.values]
    pick = [names.index(n) for n in ("K:C0", "K:C1", "K:C2", "K:D")]
    trapped = occ.values[:, pick].sum(axis=1)
    open_blocked = occ.values[:, names.index("K:O")]
    t_s = ds.time.values / 1000.0
    out = xr.Dataset(
        {"open_blocked": ("time", open_blocked, {"units": "1", "long_name":
                                                 "ketamine in the open pore (K:O)"}),
         "trapped": ("time", trapped, {"units": "1", "long_name":
                                       "ketamine trapped in a closed channel"}),
         "open": ("time", ds.open.values[0], {"units": "1"}),
         "i_nmda": ("time", ds.i_nmda.values[0], {"units": "pA"}),
         "glutamate_uM": ("time", np.where(ds.time.values < a, BLOCK_GLUTAMATE_UM, 0.0),
                          {"units": "umol/L"})},
        coords={"time": ("time", t_s, {"units": "s"})})
    out.attrs.update(site=site, ketamine_uM=k, norketamine_uM=nk, voltage_mV=voltage_mV)
    return stamp(out, model="ketasim.app.core.trapping", citations=[ds.attrs.get(
        "citations", "")], params={"ketamine_uM": k, "norketamine_uM": nk, "site": site,
                                   "voltage_mV": voltage_mV, "agonist_s": agonist_s,
                                   "washout_s": washout_s})


def windup(levels: dict, *, n_shocks: int = 15, frequency_Hz: float = 1.0,
           intensity: float = 2.0, gain: float = 1.0, trace: bool = False,
           seed: int = 0) -> xr.Dataset:
    """Wind-up train on the spinal model at the given free drug levels and, in the same
    batch, drug-free (``condition`` = ``drug-free`` / ``with drugs``). ``gain`` > 1 applies
    the slow model's sensitization to the circuit (as the scenario runner's secondary
    site). ``trace`` also records the WDR membrane potential (every 1 ms).

    >>> ds = windup({"ketamine_uM": 3.0}, n_shocks=3)
    >>> ds.response.dims
    ('condition', 'stimulus')
    """
    free = windup_condition({}, "drug-free", n_shocks=n_shocks, frequency_Hz=frequency_Hz,
                            intensity=intensity, gain=gain, trace=trace, seed=seed)
    drug = windup_condition(levels, "with drugs", n_shocks=n_shocks,
                            frequency_Hz=frequency_Hz, intensity=intensity, gain=gain,
                            trace=trace, seed=seed)
    return combine_windup(free, drug)


def combine_windup(free: xr.Dataset, drug: xr.Dataset) -> xr.Dataset:
    """Join two one-condition wind-up runs along ``condition`` (drug-free first; the
    ragged spike-time lists are dropped)."""
    free, drug = (d.drop_dims("spike", errors="ignore") for d in (free, drug))
    out = xr.concat([free, drug], dim="condition", data_vars="all", coords="different",
                    compat="equals", join="outer", combine_attrs="override")
    return out.assign_coords(condition=np.arange(2))


def windup_condition(levels: dict, label: str, *, n_shocks: int = 15,
                     frequency_Hz: float = 1.0, intensity: float = 2.0, gain: float = 1.0,
                     trace: bool = False, seed: int = 0) -> xr.Dataset:
    """One condition of `windup` (the spinal model's afferent input depends on the seed
    only, so runs of one condition each equal a batch with common inputs: the drug-free
    run is computed once and cached by the app).

    >>> windup_condition({}, "drug-free", n_shocks=2).response.shape
    (1, 2)
    """
    from ketasim.core.record import Record
    from ketasim.core.validation import Interval, check
    from ketasim.experiments._pain_common import model_spec
    from ketasim.spinal import DEFAULT, Condition, simulate, train
    from ketasim.spinal.modulation import modulated_params, modulation_from_gain

    check("n_shocks", n_shocks, Interval(1, MAX_SHOCKS, integer=True))
    check("frequency_Hz", frequency_Hz, Interval(0.1, 10.0))
    check("intensity", intensity, Interval(0.1, 10.0))
    if n_shocks / frequency_Hz > MAX_TRAIN_S:
        raise WorkLimitError("n_shocks", n_shocks, f"a train of at most {MAX_TRAIN_S:g} s "
                             "in the explorer (n_shocks / frequency_Hz)")
    params = DEFAULT
    if gain > 1.0:
        params = modulated_params(DEFAULT, modulation_from_gain(float(gain), model_spec()))
    lv = {k: float(v) for k, v in levels.items()}
    rec = Record(every="1 ms", variables=("v",)) if trace else None
    return simulate(train(int(n_shocks), float(frequency_Hz), float(intensity)),
                    [Condition(params=params, label=label, **lv)], record=rec, seed=int(seed))


def pain_tests(scenario, *, placebo: bool = False) -> xr.Dataset:
    """The scenario with its stimulus tests (heat, pin-prick, touch on normal skin and in
    the sensitized area; wind-up): `ketasim.scenarios.simulate`. ``placebo`` runs it without
    regimens (same patient, condition and tests).

    >>> s = to_scenario({**default_config(), "condition": "healthy", "horizon": "1 h",
    ...                  "time_h": 0.5})
    >>> ds = pain_tests(s)
    >>> ds.test_kind.values.tolist()
    ['heat', 'pinprick', 'touch', 'windup']
    """
    from ketasim.scenarios import load_scenario, simulate

    if placebo:
        doc = scenario.model_dump(mode="json")
        doc["regimens"] = []
        scenario = load_scenario(doc, max_horizon_h=MAX_HORIZON_H)
    return simulate(_variant(scenario, tests=True, brain=False))


#: The three regimens of the side-by-side panel (their doses are editable in the app).
SIDE_DEFAULTS = {
    "ketamine": ("0.5 mg/kg", "0.15 mg/kg/h"),  # the seed's low-dose regimen (M12)
    "propofol": ("2 mg/kg", "6 mg/kg/h"),  # induction, then 100 ug/kg/min maintenance
    "fentanyl": ("1.5 ug/kg", "1.5 ug/kg/h"),
    "morphine": ("0.1 mg/kg", "0.02 mg/kg/h"),
    "remifentanil": ("1 ug/kg", "0.15 ug/kg/min"),
}


def side_by_side(cfg: dict, regimens: dict[str, tuple[str, str]], *,
                 n_shocks: int = 15) -> tuple[dict, xr.Dataset]:
    """Ketamine, propofol and an opioid on the same patient, condition and horizon.

    ``regimens`` maps drug -> (bolus, infusion) (the infusion lasts ``infusion_duration``
    of ``cfg``). Returns ({drug: timeline Dataset}, a Dataset over ``drug`` with the free
    level of that drug at ``time_h``, the NMDA block, the wind-up spikes per stimulus of
    each drug and of the drug-free control (one spinal batch), the gain and the ongoing NRS
    at ``time_h``).

    >>> tl, ds = side_by_side({**default_config(), "horizon": "2 h", "time_h": 1.0},
    ...                       {"ketamine": ("0.5 mg/kg", ""), "propofol": ("2 mg/kg", "")},
    ...                       n_shocks=2)
    >>> ds.drug.values.tolist()
    ['drug-free', 'ketamine', 'propofol']
    """
    from ketasim.spinal import Condition, simulate, train

    t = float(cfg.get("time_h", 0.0))
    tls, lvls = {}, {}
    for drug, (bolus, infusion) in regimens.items():
        c = {**cfg, "drug": drug, "model": "", "bolus": bolus, "infusion": infusion,
             "second_drug": "none"}
        try:
            tls[drug] = timeline(to_scenario(c, tests=False))
        except InputError as exc:
            raise InputError(f"{drug} regimen", getattr(exc, "value", None),
                             f"a valid regimen ({exc})") from None
        lvls[drug] = levels_at(tls[drug], t)
    conds = [Condition(label="drug-free")] + [Condition(label=d, **lvls[d]) for d in tls]
    sp = simulate(train(int(n_shocks), 1.0, 2.0), conds)
    names = ["drug-free", *tls]
    field = {d: ("ketamine_uM" if "ketamine" in d else f"{d}_uM") for d in tls}
    own = [0.0] + [lvls[d][field[d]] for d in tls]
    block = [0.0] + [float(np.interp(t, tls[d].time.values, tls[d].nmda_block.values))
                     for d in tls]
    gain = [math.nan] + [float(np.interp(t, tls[d].time.values, tls[d].gain.values))
                         for d in tls]
    nrs = [math.nan] + [float(np.interp(t, tls[d].time.values, tls[d].ongoing_nrs.values))
                        for d in tls]
    ds = xr.Dataset(
        {"free_uM": ("drug", own, {"units": "umol/L", "long_name": "free level of the drug "
                                   "at the receptor"}),
         "nmda_block": ("drug", block, {"units": "1"}),
         "spikes_per_stimulus": (("drug", "stimulus"), sp.response.values.astype(float),
                                 {"units": "spikes"}),
         "windup_ratio": ("drug", sp.windup_ratio.values.astype(float), {"units": "1"}),
         "gain": ("drug", gain, {"units": "1"}),
         "ongoing_nrs": ("drug", nrs, {"units": "NRS 0-10"})},
        coords={"drug": names, "stimulus": np.arange(sp.sizes["stimulus"])})
    ds.attrs.update(time_h=t, citations=sp.attrs.get("citations", ""))
    return tls, ds


def trial_doc(cfg: dict, *, n_patients: int = 200, seed: int = 1,
              allocation: str = "all_arms") -> dict:
    """A two-arm virtual trial of the configuration: placebo vs the configured regimens,
    on the configured condition; ``allocation`` ``all_arms`` (every patient in both arms:
    paired, the default) or ``randomised``; outcomes ongoing pain and (with an injury)
    pin-prick hyperalgesia at ``time_h``, and peak plasma ketamine.

    >>> trial_doc(default_config(), n_patients=20)["population"]["size"]
    20
    """
    from ketasim.core.validation import Interval, Options, check

    check("n_patients", n_patients, Interval(2, MAX_PATIENTS, integer=True))
    check("allocation", allocation, Options(("all_arms", "randomised")))
    s = to_scenario(cfg, tests=False)
    base = s.model_dump(mode="json")
    base.pop("regimens")
    base.pop("tests")
    base.pop("patient")
    base["readouts"] = {"every": "1 h"}
    t = f"{float(cfg.get('time_h', 0.0))!r} h"
    outcomes = [{"name": "ongoing_pain", "kind": "ongoing_pain", "time": t},
                {"name": "peak_ketamine", "kind": "peak_plasma"}]
    if s.condition.kind != "healthy":
        outcomes.insert(1, {"name": "pinprick_secondary", "kind": "pinprick", "time": t,
                            "site": "secondary"})
    regs = s.model_dump(mode="json")["regimens"]
    for r in regs:
        for k in ("pca", "tci"):
            r.pop(k, None)
    return {"name": "ketasim_app_trial", "base": base,
            "population": {"size": int(n_patients), "seed": int(seed)},
            "arms": [{"name": "placebo", "regimens": []},
                     {"name": "regimen", "regimens": regs}],
            "allocation": allocation, "outcomes": outcomes, "every": "1 h",
            "block_size": 50}


def run_trial_blocks(doc: dict, *, block: int = 25, progress=None) -> xr.Dataset:
    """Run a trial document in memory, ``block`` patients at a time
    (`ketasim.trials.batch.run_block`), calling ``progress(done, total)`` after each block.
    Returns outcomes (arm, patient; NaN where a patient is not in that arm) and the
    courses (arm, patient, time).

    >>> ds = run_trial_blocks(trial_doc(default_config(), n_patients=4), block=2)
    >>> ds.ongoing_pain.dims
    ('arm', 'patient')
    """
    from ketasim.trials import load_trial
    from ketasim.trials.batch import COURSES, run_block, time_grid

    trial = load_trial(doc)
    n = trial.population.size
    if n > MAX_PATIENTS:
        raise WorkLimitError("population.size", n, f"at most {MAX_PATIENTS} patients in "
                             "the explorer (use `ketasim trial run` for more)")
    outs: dict[str, list] = {}
    courses: dict[str, list] = {c: [] for c in COURSES}
    for lo in range(0, n, block):
        res = run_block(trial, lo, min(lo + block, n))
        for k, v in res["outcomes"].items():
            outs.setdefault(k, []).append(v)
        for k in COURSES:
            courses[k].append(res["courses"][k])
        if progress is not None:
            progress(min(lo + block, n), n)
    data = {k: (("arm", "patient"), np.concatenate(v, axis=1)) for k, v in outs.items()}
    for k, v in courses.items():
        data[f"course_{k}"] = (("arm", "patient", "time"),
                               np.concatenate(v, axis=1).astype(float))
    ds = xr.Dataset(data, coords={"arm": trial.arm_names, "patient": np.arange(n),
                                  "time": ("time", time_grid(trial), {"units": "h"})})
    ds.attrs["trial"] = trial.name
    return ds


def trial_bands(ds: xr.Dataset, course: str = "ongoing_nrs",
                q=(0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.Dataset:
    """Quantile bands of a course per arm over the patients in that arm.

    >>> ds = run_trial_blocks(trial_doc(default_config(), n_patients=4), block=4)
    >>> trial_bands(ds).band.dims
    ('arm', 'quantile', 'time')
    """
    v = ds[f"course_{course}"].values
    qs = np.asarray(q, float)
    band = np.full((v.shape[0], qs.size, v.shape[2]), np.nan)
    for a in range(v.shape[0]):
        rows = v[a][np.all(np.isfinite(v[a]), axis=1)]
        if rows.size:
            band[a] = np.quantile(rows, qs, axis=0)
    return xr.Dataset({"band": (("arm", "quantile", "time"), band)},
                      coords={"arm": ds.arm.values, "quantile": qs, "time": ds.time})


# ----------------------------------------------------------------------------- export
def _plain(ds: xr.Dataset) -> xr.Dataset:
    """A copy NetCDF-3 can hold: attributes that are not scalars as text, empty
    dimensions (a scenario without tests) dropped."""
    out = ds.drop_dims([d for d, n in ds.sizes.items() if n == 0])
    for obj in [out, *out.variables.values()]:
        for k, v in list(obj.attrs.items()):
            if not isinstance(v, str | int | float | np.number):
                obj.attrs[k] = str(v)
    return out


def csv_bytes(ds: xr.Dataset) -> bytes:
    """The Dataset as CSV, UTF-8: one table per set of dimensions (variables that share
    their dimensions side by side), each table after a ``# dims: ...`` line when there is
    more than one; empty dimensions are dropped.

    >>> csv_bytes(xr.Dataset({"a": ("x", [1.0, 2.0])})).decode().splitlines()[0]
    'x,a'
    """
    ds = ds.drop_dims([d for d, n in ds.sizes.items() if n == 0])
    groups: dict[tuple, list[str]] = {}
    for name, var in ds.data_vars.items():
        groups.setdefault(var.dims, []).append(name)
    parts = []
    for dims, names in groups.items():
        if dims:
            text = ds[names].to_dataframe()[names].to_csv()
        else:
            text = ",".join(names) + "\n" + ",".join(str(ds[n].item()) for n in names) + "\n"
        parts.append(text if len(groups) == 1 else f"# dims: {', '.join(dims) or 'none'}\n"
                     + text)
    return "\n".join(parts).encode("utf-8")


def netcdf_bytes(ds: xr.Dataset) -> bytes:
    """The Dataset as NetCDF-3 bytes (scipy engine; attributes kept as text).

    >>> netcdf_bytes(xr.Dataset({"a": ("x", [1.0])}))[:3]
    b'CDF'
    """
    return bytes(_plain(ds).to_netcdf(engine="scipy"))


def png_bytes(fig) -> bytes:
    """A matplotlib Figure as PNG bytes.

    >>> from matplotlib.figure import Figure
    >>> png_bytes(Figure())[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)  # constrained layout: no second "tight" pass
    return buf.getvalue()


def copy_config(cfg: dict) -> dict:
    """A deep copy of a configuration."""
    return copy.deepcopy(cfg)
