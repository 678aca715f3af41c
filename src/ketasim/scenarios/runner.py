"""Running a scenario: dose in, effect out, for one patient (M18).

`simulate(scenario)` joins the layers that already exist; it re-implements none of them.
One mechanism at two resolutions: the slow model carries the gain state over hours and days,
and the spiking model is run only at the moments the scenario tests.

The chain and how each step is mapped (read this before trusting a number)
------------------------------------------------------------------------------
1. **PK** (`ketasim.pk.simulate`): the doses of every regimen of one drug form one
   `ketasim.pk.Schedule`, simulated for the scenario's patient (covariates as given; no
   inter-individual variability; the model's covariate validity range is enforced) on a
   1-min grid over the horizon. Concentrations at the receptor are the FREE effect-site
   concentration: effect-site total (ng/mL) x the free fraction of `ketasim.pk.binding`
   (`free_concentration_umol`), in umol/L. A species without an effect compartment (a
   metabolite) uses its plasma concentration. S-ketamine is given to the receptor layers as
   ketamine (the spinal and receptor models hold racemic ketamine's NMDA kinetics; S-ketamine
   is roughly twice as potent there, so its effect is UNDER-estimated).
2. **NMDA block** (`ketasim.receptors.nmda.nmda_steady_state_block`): the equilibrium block
   by free ketamine and norketamine at `REFERENCE_VOLTAGE_MV` (-60 mV, near the WDR
   neuron's resting level) in `MG_MM` (1 mM) Mg2+, expressed as the fraction of the DRUG-FREE
   open probability in that Mg2+ that the drugs remove (Mg2+'s own block is not counted).
   A readout: the spiking model computes its own, voltage- and use-dependent block.
3. **Slow model** (`ketasim.spinal.slow.simulate_slow`, with the calibrated sensitization
   spec and drive table the experiments use, `ketasim.experiments._pain_common`): the gain
   state under the condition's C-fibre drive and the free ketamine course (1-min steps).
   * C-fibre drive: 0 before ``onset``; ``injury_rate_Hz`` for ``injury_duration``; then
     ``ongoing_rate_Hz`` halving every ``ongoing_half_life`` (constant when null).
     Neuropathic: its ectopic C rate, constant from t = 0 (ectopic A-fibre firing and the
     circuit changes act in the spiking tests only). Healthy: no added drive (the table's
     background activity only).
   * Only ketamine enters the slow model (its table is tabulated over free ketamine 0-3 uM).
     Levels above the table's top are CLIPPED to it for the slow model (the fraction of the
     horizon clipped is in ``attrs["slow_ketamine_clipped_fraction"]``); norketamine,
     opioids and hypnotics do not change the gain state here.
   * Opioids (`ketasim.clinical.pca.scenario_opioids`, when a regimen doses morphine,
     fentanyl or remifentanil): mu activation at the free levels drives tolerance and OIH
     (`ketasim.spinal.opioid_adaptation`); the ongoing output gets the opioid's pre- and
     postsynaptic factors and the gain the OIH factor; a morphine ``pca`` runs the patient's
     demands and the pump minute by minute (boluses added by superposition); spiking tests
     get the OIH state through `oih_params` (at the slow model's own gain).
   * Opioid-tolerant: the slow model starts from ``initial_gain`` (late-phase classes set
     potentiated to give it; one fractional class relaxes under the bistable rule).
4. **Stimulus tests** (the spiking model, `ketasim.spinal.simulate`, one call per test, all in
   `_spiking`): that moment's free concentrations of every drug as constants, and the
   gain state applied as the experiments apply it (`modulated_params(DEFAULT,
   modulation_from_gain(g))`, m11). The site maps to the gain as follows:
   * ``normal`` skin: no heterosynaptic gain (g = 1), no peripheral drive (other
     synapses than the sensitized ones);
   * ``secondary`` area: the central gain g of the slow model;
   * ``injured`` area: the central gain g plus the peripheral drive: the condition's C-fibre
     rate at that moment is added to the stimulus (neuropathic: the ectopic A-beta,
     A-delta and C firing of `NeuropathicSpec.add_ectopic`).
   Neuropathic circuit changes (`NeuropathicSpec.modulation`: inhibition and presynaptic
   mu loss) apply in the injured and secondary areas. Opioid tolerance scales the
   presynaptic mu action and the GIRK conductance by ``mu_efficacy_scale`` at every site.
   Probes as the drive table's: heat = C drive `heat_to_c_rate(T)`; pin-prick = A-delta at
   `PINPRICK_ADELTA_HZ`; touch = A-beta at `TOUCH_ABETA_HZ`; each a steady 12 s drive with
   background, WDR output averaged over its last 6 s (the drive table's window). Wind-up:
   `ketasim.spinal.train` (m08's protocol), spikes per stimulus and ratio last / first.
5. **Pain** (`ketasim.clinical.pain.nrs_from_output` with the transfer calibrated on the
   drive table, `transfer_from_table`): NRS of each heat / pin-prick / touch test. Wind-up
   trains get no NRS (NaN): the transfer is calibrated on steady heat output, not on
   electrical trains. The ongoing-pain time course is the NRS of the slow model's WDR output
   under the scheduled drive (drive table, clipped ketamine).
6. **Brain** (`ketasim.scenarios.brain_readouts`, when ``readouts.brain``): the cortical
   state every minute from the free effect-site ketamine, propofol, thiopental and
   midazolam (the reduced map `ketasim.brain.maps.cortical_state`), the emergence-risk index
   along it, and the perceived pain of each test (``test_perceived_nrs``, NaN = no report).

Randomness: test ``i`` runs the spiking model with a seed drawn from
``SeedSequence([scenario.seed, i])``; the same scenario gives the same Dataset.

Examples
--------
>>> from ketasim.scenarios import Scenario
>>> ds = simulate(Scenario(name="demo", horizon="1 h", regimens=[{"drug": "ketamine",
...     "doses": [{"kind": "bolus", "dose": "0.5 mg/kg"}]}],
...     tests=[{"kind": "heat", "time": "10 min"}]))
>>> ds["ketamine_uM"].dims, ds["time"].attrs["units"]
(('time',), 'h')
>>> bool(ds["test_nmda_block"].values[0] > 0)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.validation import check_finite
from ketasim.receptors.enantiomers import ENANTIOMER_AFFINITY_SCALE

__all__ = ["simulate", "summary", "REFERENCE_VOLTAGE_MV", "MG_MM", "RECEPTOR_DRUGS",
           "SUMMARY_TEST_KEYS", "SUMMARY_KEYS"]

#: Holding voltage of the NMDA block readout (mV): near the WDR neuron's resting level.
REFERENCE_VOLTAGE_MV = -60.0
#: Extracellular Mg2+ of the NMDA block readout (mM; physiological).
MG_MM = 1.0
#: PK output and slow-model step (min).
STEP_MIN = 1.0
#: Steady probe runs: duration and the window start (ms), as the drive table.
TEST_DURATION_MS = 12000.0
TEST_SKIP_MS = 6000.0

#: Free concentrations at the receptor, in the spinal `Condition`'s spelling.
RECEPTOR_DRUGS = ("ketamine_uM", "norketamine_uM", "propofol_uM", "thiopental_uM",
                  "morphine_uM", "fentanyl_uM", "remifentanil_uM")
_FIELD_OF = {"ketamine": "ketamine_uM", "s-ketamine": "ketamine_uM",
             "norketamine": "norketamine_uM", "s-norketamine": "norketamine_uM",
             "propofol": "propofol_uM", "thiopental": "thiopental_uM",
             "morphine": "morphine_uM", "fentanyl": "fentanyl_uM",
             "remifentanil": "remifentanil_uM"}
#: The receptor levels are racemic-equivalent: the NMDA model's ketamine and norketamine
#: arms are calibrated on the racemate, and S-ketamine binds the pore with 0.607x its Kd
#: (`ketasim.receptors.enantiomers`, ebert_1997), so x uM free S-ketamine acts as x / 0.607
#: uM racemic at equilibrium. S-norketamine takes the same factor: the norketamine arm is
#: racemic ketamine's affinity / 5.7 (Ebert's S-NK/S-K Ki ratio), so the factor returns
#: Ebert's own S-norketamine Ki of 1.7 uM. (The slower unblocking of S-ketamine is not
#: carried into the scenario's equilibrium and drive-table readouts.)
RACEMIC_EQUIVALENT = {"s-ketamine": 1.0 / ENANTIOMER_AFFINITY_SCALE["S"],
                      "s-norketamine": 1.0 / ENANTIOMER_AFFINITY_SCALE["S"]}

#: Keys of each entry of ``summary(ds)["tests"]`` (stable; see `summary`).
SUMMARY_TEST_KEYS = ("index", "time_h", "kind", "site", "ketamine_plasma_ng_mL",
                     "ketamine_effect_ng_mL", "ketamine_uM", "free_uM", "nmda_block", "gain",
                     "added_c_rate_Hz", "output_Hz", "spikes_per_stimulus", "windup_ratio",
                     "nrs", "perceived_nrs")
#: Top-level keys of `summary` (stable).
SUMMARY_KEYS = ("scenario", "scenario_hash", "seed", "ketasim_version", "horizon_h",
                "tests", "time_courses", "flags")

Progress = Callable[[str, float], None]


# ----------------------------------------------------------------------------- helpers
def _ts(progress: Progress | None, what: str, frac: float) -> None:
    if progress is not None:
        progress(what, frac)


def _schedule(regimens, extra=((), ())):
    """One `ketasim.pk.Schedule` from the doses of several regimens (times in min), plus
    ``extra`` (boluses, infusions) such as a TCI pump's (`ketasim.pk.tci.regimen_doses`)."""
    from ketasim.pk import Bolus, Infusion, Schedule
    from ketasim.scenarios.schema import Bolus as SBolus

    boluses, infusions = list(extra[0]), list(extra[1])
    for r in regimens:
        for d in r.doses:
            if isinstance(d, SBolus):
                boluses.append(Bolus(mg=d.mg, mg_per_kg=d.mg_per_kg, time=d.time_h * 60.0,
                                     route=d.route, over=d.over_h * 60.0, text=d.dose))
            else:
                dur = None if d.duration_h is None else d.duration_h * 60.0
                infusions.append(Infusion(mg_per_h=d.mg_per_h, mg_per_kg_per_h=d.mg_per_kg_per_h,
                                          start=d.start_h * 60.0, duration=dur, text=d.rate))
    return Schedule(tuple(boluses), tuple(infusions))


def _pk(scenario, t_min: np.ndarray):
    """PK of every drug: {species: (plasma, effect or None)} in ng/mL on ``t_min``, the
    free receptor levels {field: uM}, and the PK results (for provenance)."""
    from ketasim.pk import free_concentration_umol
    from ketasim.pk import simulate as simulate_pk

    p = scenario.patient
    patient = {"weight_kg": p.weight_kg, "height_cm": p.height_cm, "age_yr": p.age_yr,
               "sex": p.sex}
    by_drug: dict[str, list] = {}
    for r in scenario.regimens:
        by_drug.setdefault(r.drug, []).append(r)
    conc: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    free = {f: np.zeros_like(t_min) for f in RECEPTOR_DRUGS}
    runs = []
    for drug, regs in by_drug.items():
        from ketasim.pk.tci import regimen_citations, regimen_doses

        pump = regimen_doses(regs, drug, patient, float(t_min[-1]))
        ds = simulate_pk(drug, regs[0].model, _schedule(regs, pump), patient, t_min)
        runs += [ds, regimen_citations(regs)]
        for v in ds.data_vars:
            if not v.endswith("_plasma_ng_mL"):
                continue
            sp = v[: -len("_plasma_ng_mL")]
            plasma = ds[v].values[0]
            eff = ds[f"{sp}_effect_ng_mL"].values[0] if f"{sp}_effect_ng_mL" in ds else None
            if sp in conc:  # the same species from two drugs (e.g. a metabolite): add
                p0, e0 = conc[sp]
                plasma = p0 + plasma
                eff = None if eff is None or e0 is None else e0 + eff
            conc[sp] = (plasma, eff)
            name = sp.replace("_", "-")  # PK variables spell s-ketamine as s_ketamine
            field = _FIELD_OF.get(name)
            if field is not None:
                own = ds[f"{sp}_effect_ng_mL" if f"{sp}_effect_ng_mL" in ds else v].values[0]
                free[field] = free[field] + RACEMIC_EQUIVALENT.get(name, 1.0) * np.asarray(
                    free_concentration_umol(np.maximum(own, 0.0), name), float)
    return conc, free, runs


def nmda_drug_block(ketamine_uM, norketamine_uM):
    """Fraction of the drug-free NMDA open probability (at `REFERENCE_VOLTAGE_MV`, `MG_MM`)
    removed by free ketamine and norketamine at equilibrium.

    Evaluated exactly on the distinct values (rounded to 1e-4 uM) and mapped back.

    Examples
    --------
    >>> b = nmda_drug_block([0.0, 1.0], [0.0, 0.0])
    >>> float(b[0]), round(float(b[1]), 3)   # 1 uM at -60 mV in 1 mM Mg2+
    (0.0, 0.175)
    """
    from ketasim.receptors.nmda import nmda_steady_state_block

    k = np.round(np.asarray(ketamine_uM, float), 4)
    q = np.round(np.asarray(norketamine_uM, float), 4)
    pairs, inv = np.unique(np.stack([k.ravel(), q.ravel()], axis=1), axis=0,
                           return_inverse=True)
    b = nmda_steady_state_block(REFERENCE_VOLTAGE_MV, mg_mM=MG_MM, ketamine_uM=pairs[:, 0],
                                norketamine_uM=pairs[:, 1])
    b0 = float(nmda_steady_state_block(REFERENCE_VOLTAGE_MV, mg_mM=MG_MM))
    drug = 1.0 - (1.0 - b) / (1.0 - b0)
    return np.clip(drug, 0.0, 1.0)[inv.ravel()].reshape(k.shape)


def c_drive_Hz(condition, t_h: np.ndarray) -> np.ndarray:
    """C-fibre drive (Hz) of the condition at times ``t_h`` (see the module docstring).

    Examples
    --------
    >>> from ketasim.scenarios import Postoperative
    >>> c_drive_Hz(Postoperative(), np.array([0.1, 0.5, 48.5])).tolist()
    [8.0, 4.0, 2.0]
    """
    t = np.asarray(t_h, float)
    kind = condition.kind
    if kind == "healthy":
        return np.zeros_like(t)
    if kind == "neuropathic":
        return np.full_like(t, condition.ectopic_c_Hz)
    on, dur = condition.onset_h, condition.injury_duration_h
    hl = condition.ongoing_half_life_h
    after = t - (on + dur)
    ongoing = condition.ongoing_rate_Hz * (np.ones_like(t) if hl is None
                                           else 0.5 ** (np.maximum(after, 0.0) / hl))
    out = np.where(t < on, 0.0, np.where(after < 0, condition.injury_rate_Hz, ongoing))
    return out


def _initial_state(condition, spec):
    """(w0, rho0) for the slow model: rest, or the opioid-tolerant ``initial_gain``."""
    from ketasim.spinal.plasticity import W_REST

    nk = spec.gain.late.n_classes
    g = getattr(condition, "initial_gain", 1.0)
    if g <= 1.0:
        return None, None
    late_max, early_amp = spec.gain.late_max, spec.gain.early_amp
    rho_bar = min((g - 1.0) / (late_max - 1.0), 1.0)
    early = g / (1.0 + (late_max - 1.0) * rho_bar)
    w = W_REST + (early - 1.0) / early_amp * (1.0 - W_REST) if early > 1.0 else W_REST
    if w > 1.0:
        top = late_max * (1.0 + early_amp)
        raise InputError("condition.initial_gain", g,
                         f"a starting gain the slow model can hold (<= {top:.3g})")
    rho = np.zeros((1, nk))
    full = int(math.floor(rho_bar * nk + 1e-12))
    rho[0, :full] = 1.0
    if full < nk:
        rho[0, full] = rho_bar * nk - full
    return np.array([w]), rho


def spinal_nmda(spinal):
    """The spinal synapses' NMDA model of a scenario's ``spinal`` section: None (the
    default model) or an `NMDAMixture` (a subunit composition, ketamine's allosteric site at
    its upper bound with ``allosteric_site: orser``).

    >>> from ketasim.scenarios.schema import Spinal
    >>> spinal_nmda(Spinal()) is None, spinal_nmda(Spinal(nmda="lamina_I")).labels
    (True, ('2A', '2B', '2D'))
    """
    from dataclasses import replace

    from ketasim.receptors.calibrate import ALLO_GATING_FACTOR_ORSER
    from ketasim.receptors.subunits import NMDAMixture, as_mixture

    if spinal.nmda == "default" and spinal.allosteric_site == "none":
        return None
    base = as_mixture(None if spinal.nmda == "default" else spinal.nmda)
    if spinal.allosteric_site == "none":
        return base
    parts = tuple((lab, replace(p, allo_gating_factor=ALLO_GATING_FACTOR_ORSER), w)
                  for lab, p, w in base.parts)
    return NMDAMixture(parts, name=f"{spinal.nmda}+site_orser", note=base.note,
                       citations=base.citations)


def _spiking(protocol, condition, seed: int, nmda=None):
    """The one place that calls the spiking model (`ketasim.spinal.simulate`)."""
    from ketasim.spinal import simulate as simulate_spiking
    from ketasim.spinal.protocols import max_spikes_for

    return simulate_spiking(protocol, [condition], seed=int(seed), nmda=nmda,
                            max_spikes=max_spikes_for(protocol.duration_ms))


def _test_seed(seed: int, i: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(i)]).generate_state(1)[0])


def _circuit(scenario, site: str, g: float, spec):
    """(SpinalParams, protocol hook) for a test site (see the module docstring)."""
    from ketasim.spinal.modulation import (
        CircuitModulation,
        NeuropathicSpec,
        modulated_params,
        modulation_from_gain,
    )
    from ketasim.spinal.params import DEFAULT

    cond = scenario.condition
    mod = modulation_from_gain(g if site != "normal" else 1.0, spec)
    hook = None
    if cond.kind == "neuropathic" and site != "normal":
        nps = NeuropathicSpec(ffi_scale=cond.ffi_scale, ectopic_abeta_Hz=cond.ectopic_abeta_Hz,
                              ectopic_adelta_Hz=cond.ectopic_adelta_Hz,
                              ectopic_c_Hz=cond.ectopic_c_Hz,
                              mu_presyn_scale=cond.mu_presyn_scale)
        mod = mod.combine(nps.modulation())
        if site == "injured":
            hook = nps.add_ectopic
    if cond.kind == "opioid_tolerant":
        mod = mod.combine(CircuitModulation(mu_presyn_scale=cond.mu_efficacy_scale))
    params = modulated_params(DEFAULT, mod)
    if cond.kind == "opioid_tolerant":
        params = params.replace(g_girk_max=params.g_girk_max * cond.mu_efficacy_scale)
    return params, hook


def _oih_at(scenario, opi, t, t_h):
    """(D, Uf, Us) for a spiking test at ``t``; D relative to an opioid-tolerant start, whose
    mu efficacy loss `_circuit` already applies (``mu_efficacy_scale``)."""
    from ketasim.clinical.pca import tolerant_state0
    from ketasim.spinal.opioid_adaptation import DEFAULT_ADAPTATION

    d, uf, us = (float(np.clip(np.interp(t, t_h, opi[k][0]), 0, 1)) for k in ("D", "Uf", "Us"))
    dm = DEFAULT_ADAPTATION.desens_max
    d0 = float(tolerant_state0(scenario.condition)[0])
    if d0 > 0 and 0 < dm * d0 < 1:
        d = float(np.clip((1.0 - (1.0 - dm * d) / (1.0 - dm * d0)) / dm, 0.0, 1.0))
    return d, uf, us


def _run_test(scenario, i, test, levels: dict, g: float, c_now: float, spec, transfer,
              oih=None):
    """One stimulus test on the spiking model -> dict of results."""
    from ketasim.clinical.pain import heat_to_c_rate, nrs_from_output
    from ketasim.spinal import Condition, train
    from ketasim.spinal.protocols import (
        PINPRICK_ADELTA_HZ,
        TOUCH_ABETA_HZ,
        steady_output,
        steady_protocol,
    )

    params, hook = _circuit(scenario, test.site, g, spec)
    if oih is not None:  # opioid tolerance / OIH (ketasim.spinal.opioid_adaptation)
        from ketasim.spinal.opioid_adaptation import oih_params

        params = oih_params(params, *oih)
    added_c = c_now if (test.site == "injured" and scenario.condition.kind != "neuropathic") \
        else 0.0
    cond = Condition(params=params, label=f"test {i}",
                     **{k: float(v) for k, v in levels.items()})
    if test.kind == "windup":
        prot = train(test.n_shocks, test.frequency_Hz, test.intensity)
    elif test.kind == "heat":
        prot = steady_protocol(TEST_DURATION_MS).with_rate_drive(
            "c", float(heat_to_c_rate(test.temperature_C)))
    elif test.kind == "pinprick":
        prot = steady_protocol(TEST_DURATION_MS).with_rate_drive("adelta", PINPRICK_ADELTA_HZ)
    else:
        prot = steady_protocol(TEST_DURATION_MS).with_rate_drive("abeta", TOUCH_ABETA_HZ)
    if added_c > 0:  # the injured area's own ongoing C drive (Poisson; adds to the stimulus)
        prot = prot.with_rate_drive("c", added_c)
    if hook is not None:
        prot = hook(prot)
    sp = _spiking(prot, cond, _test_seed(scenario.seed, i), spinal_nmda(scenario.spinal))
    out = {"added_c_rate_Hz": added_c, "citations": sp.attrs.get("citations", "")}
    if test.kind == "windup":
        resp = np.asarray(sp.response.values[0], float)
        out.update(spikes=resp, output_Hz=math.nan, nrs=math.nan,
                   windup_ratio=float(resp[-1] / resp[0]) if resp[0] > 0 else math.nan)
    else:
        rate = float(steady_output(sp, TEST_SKIP_MS)[0])
        out.update(spikes=None, output_Hz=rate, windup_ratio=math.nan,
                   nrs=float(nrs_from_output(rate, transfer)))
    return out


# ----------------------------------------------------------------------------- simulate
def simulate(scenario, *, progress: Progress | None = None) -> xr.Dataset:
    """Run a scenario through PK, receptors, the slow and spiking spinal models, and pain.

    Parameters
    ----------
    scenario : a `ketasim.scenarios.Scenario`, or anything `load_scenario` reads (a YAML file
        path, YAML text, a dict).
    progress : optional callback ``progress(step, fraction_done)`` (the CLI's progress bar).

    Returns
    -------
    xarray.Dataset (see the module docstring for what is mapped how):

    * dim ``time`` (h, the report grid ``readouts.every``): ``<species>_plasma_ng_mL``,
      ``<species>_effect_ng_mL`` per dosed species; the free receptor levels
      ``ketamine_uM``, ``norketamine_uM``, ``propofol_uM``... (every drug, 0 when not given;
      ketamine and norketamine racemic-equivalent, `RACEMIC_EQUIVALENT`);
      ``nmda_block``; ``c_rate_Hz`` (scheduled C drive); ``gain``, ``W``, ``rho_bar``;
      ``out_Hz`` and ``ongoing_nrs`` (ongoing pain from the slow model);
    * dim ``test``: coordinates ``test_time_h``, ``test_kind``, ``test_site``; variables
      ``test_<species>_plasma_ng_mL`` / ``_effect_ng_mL``, ``test_<drug>_uM``,
      ``test_nmda_block``, ``test_gain`` (gain applied at the site), ``test_c_rate_Hz``
      (peripheral C drive added), ``test_output_Hz``, ``test_nrs``, ``test_windup_ratio``;
      ``test_spikes_per_stimulus`` (test, stimulus; NaN-padded, wind-up tests only).

    Variables the scenario's ``readouts`` switch off are dropped. Provenance: ``attrs``
    ``scenario_hash``, ``seed``, ``ketasim_version``, ``params`` (the normalised scenario and
    every spec used), ``citations`` (all layers).

    Examples
    --------
    >>> from ketasim.scenarios import Scenario
    >>> ds = simulate(Scenario(name="x", horizon="30 min"))
    >>> float(ds["gain"].max()) < 1.01
    True
    """
    from ketasim.clinical.pain import PAIN_CITATIONS, nrs_from_output
    from ketasim.core.record import Record
    from ketasim.experiments._pain_common import model_spec, pain_model
    from ketasim.receptors.nmda import NMDAParams
    from ketasim.scenarios.presets import load_scenario
    from ketasim.scenarios.schema import CONDITION_CITATIONS, Scenario, scenario_hash
    from ketasim.spinal.modulation import NEUROPATHIC_CITATIONS
    from ketasim.spinal.plasticity import W_REST
    from ketasim.spinal.slow import gain_of, simulate_slow

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    hz = scenario.horizon_h
    _ts(progress, "pharmacokinetics", 0.0)
    n_steps = max(int(math.ceil(hz * 60.0 / STEP_MIN - 1e-9)), 1)
    t_min = np.arange(n_steps + 1) * STEP_MIN
    t_h = t_min / 60.0
    conc, free, pk_runs = (_pk(scenario, t_min) if scenario.regimens
                           else ({}, {f: np.zeros_like(t_min) for f in RECEPTOR_DRUGS}, []))

    _ts(progress, "spinal slow model", 0.1)
    spec = model_spec()
    table, transfer = pain_model(spec)
    k_top = float(table.ketamine_uM[-1])
    mid_h = (np.arange(n_steps) + 0.5) * STEP_MIN / 60.0
    c_sched = c_drive_Hz(scenario.condition, mid_h)
    k_mid = np.interp(mid_h, t_h, free["ketamine_uM"])
    clipped = float(np.mean(k_mid > k_top + 1e-12))
    k_sched = np.minimum(k_mid, k_top)
    w0, rho0 = _initial_state(scenario.condition, spec)
    slow = simulate_slow(table, c_sched[None, :], k_sched[None, :],
                         schedule_dt_h=f"{STEP_MIN} min", dt_h=f"{STEP_MIN} min",
                         record=Record(every=f"{STEP_MIN} min", variables="all"), spec=spec,
                         w0=w0, rho0=rho0)
    g_start = 1.0 if w0 is None else float(gain_of(w0, rho0, spec)[0])
    w_start = W_REST if w0 is None else float(w0[0])
    rb_start = 0.0 if rho0 is None else float(rho0.mean())
    gain_f = np.concatenate([[g_start], slow.gain.values[0]])
    w_f = np.concatenate([[w_start], slow.W.values[0]])
    rb_f = np.concatenate([[rb_start], slow.rho_bar.values[0]])
    out_f = np.concatenate([[float(table.output(c_sched[0], k_sched[0],
                                                np.clip(g_start, table.gain[0],
                                                        table.gain[-1])))],
                            slow.out_Hz.values[0]])
    from ketasim.clinical.pca import SCENARIO_COURSES, scenario_opioids

    opi = scenario_opioids(scenario, conc, free, t_min, c_sched, gain_f, table, transfer)
    gain_slow = gain_f
    if opi is not None:  # opioid analgesia, tolerance / OIH and PCA (ketasim.clinical.pca)
        out_f, gain_f = opi["out_Hz_opioid"][0], opi["gain_oih"][0]
        if "morphine" in conc:  # with the PCA boluses
            conc["morphine"] = (opi["morphine_plasma_ng_mL"][0], opi["morphine_effect_ng_mL"][0])
            free["morphine_uM"] = opi["morphine_free_uM"][0]

    # report grid
    every = scenario.readouts.every_h
    n_rep = int(math.floor(hz / every + 1e-9))
    t_rep = np.arange(n_rep + 1) * every
    if t_rep[-1] < hz - 1e-9:
        t_rep = np.append(t_rep, hz)

    def on_grid(y):
        return np.interp(t_rep, t_h, y)

    data: dict[str, tuple] = {}
    for sp, (plasma, eff) in conc.items():
        data[f"{sp}_plasma_ng_mL"] = ("time", on_grid(plasma),
                                      {"units": "ng/mL", "long_name": f"{sp}, plasma (total)"})
        if eff is not None:
            data[f"{sp}_effect_ng_mL"] = ("time", on_grid(eff), {
                "units": "ng/mL", "long_name": f"{sp}, effect site (total)"})
    for f in RECEPTOR_DRUGS:
        data[f] = ("time", on_grid(free[f]), {"units": "umol/L",
                                              "long_name": f"free {f[:-3]} at the receptor"})
    block_rep = nmda_drug_block(data["ketamine_uM"][1], data["norketamine_uM"][1])
    data["nmda_block"] = ("time", block_rep, {
        "units": "1", "long_name": f"NMDA block by the drugs at {REFERENCE_VOLTAGE_MV:g} mV, "
                                   f"{MG_MM:g} mM Mg2+ (equilibrium)"})
    data["c_rate_Hz"] = ("time", c_drive_Hz(scenario.condition, t_rep),
                         {"units": "Hz", "long_name": "scheduled C-fibre drive"})
    data["gain"] = ("time", on_grid(gain_f), {"units": "1", "long_name": "central gain"})
    data["W"] = ("time", on_grid(w_f), {"units": "1", "long_name": "early-phase state"})
    data["rho_bar"] = ("time", on_grid(rb_f), {"units": "1", "long_name": "late-phase state"})
    out_rep = on_grid(out_f)
    data["out_Hz"] = ("time", out_rep, {"units": "spikes/s",
                                        "long_name": "WDR output under the scheduled drive"})
    data["ongoing_nrs"] = ("time", nrs_from_output(np.maximum(out_rep, 0.0), transfer),
                           {"units": "NRS 0-10", "long_name": "ongoing pain"})
    brain = None
    if scenario.readouts.brain:
        from ketasim.scenarios import brain_readouts as B
        brain = B.brain_time_courses(B.brain_levels(conc, free, t_min.size), t_min, t_rep)
        data.update(brain[0])
    for name, (k, u) in (SCENARIO_COURSES.items() if opi is not None else ()):
        data[name] = ("time", on_grid(opi[k][0]), {"units": u, "long_name": name})

    # stimulus tests
    tests = scenario.tests
    nt = len(tests)
    n_stim = max([t.n_shocks for t in tests if t.kind == "windup"], default=0)
    spikes = np.full((nt, n_stim), np.nan)
    tv: dict[str, np.ndarray] = {k: np.full(nt, np.nan) for k in (
        "test_nmda_block", "test_gain", "test_c_rate_Hz", "test_output_Hz", "test_nrs",
        "test_windup_ratio")}
    for sp, (_, eff) in conc.items():
        tv[f"test_{sp}_plasma_ng_mL"] = np.full(nt, np.nan)
        if eff is not None:
            tv[f"test_{sp}_effect_ng_mL"] = np.full(nt, np.nan)
    for f in RECEPTOR_DRUGS:
        tv[f"test_{f}"] = np.full(nt, np.nan)
    cites: list = []
    for i, test in enumerate(tests):
        _ts(progress, f"stimulus test {i + 1}/{nt} ({test.kind})", 0.2 + 0.8 * i / max(nt, 1))
        t = test.time_h
        levels = {f: max(float(np.interp(t, t_h, free[f])), 0.0) for f in RECEPTOR_DRUGS}
        for sp, (plasma, eff) in conc.items():
            tv[f"test_{sp}_plasma_ng_mL"][i] = np.interp(t, t_h, plasma)
            if eff is not None:
                tv[f"test_{sp}_effect_ng_mL"][i] = np.interp(t, t_h, eff)
        for f in RECEPTOR_DRUGS:
            tv[f"test_{f}"][i] = levels[f]
        g = float(np.interp(t, t_h, gain_slow))
        c_now = float(c_drive_Hz(scenario.condition, np.array([t]))[0])
        oih = None if opi is None else _oih_at(scenario, opi, t, t_h)
        res = _run_test(scenario, i, test, levels, g, c_now, spec, transfer, oih)
        tv["test_nmda_block"][i] = float(nmda_drug_block(levels["ketamine_uM"],
                                                         levels["norketamine_uM"]))
        tv["test_gain"][i] = g if test.site != "normal" else 1.0
        tv["test_c_rate_Hz"][i] = res["added_c_rate_Hz"]
        tv["test_output_Hz"][i] = res["output_Hz"]
        tv["test_nrs"][i] = res["nrs"]
        tv["test_windup_ratio"][i] = res["windup_ratio"]
        if res["spikes"] is not None:
            spikes[i, : len(res["spikes"])] = res["spikes"]
        cites.append(res["citations"])
    if brain is not None:
        tv["test_perceived_nrs"] = B.perception_of_tests(
            tv["test_nrs"], np.array([t.time_h for t in tests], float), brain[2], t_min)[0]
    _ts(progress, "done", 1.0)

    units = {"test_nmda_block": "1", "test_gain": "1", "test_c_rate_Hz": "Hz",
             "test_output_Hz": "spikes/s", "test_nrs": "NRS 0-10", "test_windup_ratio": "1",
             "test_perceived_nrs": "NRS 0-10"}
    for k, v in tv.items():
        u = units.get(k, "ng/mL" if k.endswith("ng_mL") else "umol/L")
        data[k] = ("test", v, {"units": u})
    data["test_spikes_per_stimulus"] = (("test", "stimulus"), spikes, {
        "units": "spikes", "long_name": "WDR spikes per stimulus (wind-up tests)"})
    coords = {
        "time": ("time", t_rep, {"units": "h"}),
        "test": ("test", np.arange(nt)),
        "test_time_h": ("test", np.array([t.time_h for t in tests], float), {"units": "h"}),
        "test_kind": ("test", np.array([t.kind for t in tests], dtype=str)),
        "test_site": ("test", np.array([t.site for t in tests], dtype=str)),
        "stimulus": ("stimulus", np.arange(n_stim)),
    }
    ds = xr.Dataset(data, coords=coords)
    for n in ds.data_vars:
        v = ds[n].values
        if n in ("test_output_Hz", "test_nrs", "test_windup_ratio", "test_spikes_per_stimulus",
                 "test_perceived_nrs"):
            v = v[np.isfinite(v)]  # NaN marks "not this kind of test"
        check_finite(n, v)
    ds = _drop_unwanted(ds, scenario.readouts)
    ds.attrs.update(
        scenario_name=scenario.name, scenario_hash=scenario_hash(scenario),
        reference_voltage_mV=REFERENCE_VOLTAGE_MV, mg_mM=MG_MM,
        slow_ketamine_top_uM=k_top, slow_ketamine_clipped_fraction=clipped,
        drive_table_key=table.key,
        site_mapping="normal: gain 1; secondary: central gain; injured: central gain + "
                     "the condition's C drive (neuropathic: ectopic firing)",
        **(brain[1] if brain is not None else {}))
    citations = [pk_runs, list(NMDAParams().citations), slow, cites, PAIN_CITATIONS,
                 CONDITION_CITATIONS.get(scenario.condition.kind, []),
                 NEUROPATHIC_CITATIONS if scenario.condition.kind == "neuropathic" else [],
                 ["ketasim_emergence_estimate"] if brain is not None else []]
    return stamp(ds, model="ketasim.scenarios.simulate", citations=citations, params={
        "scenario": scenario.model_dump(mode="json"), "scenario_hash": ds.attrs["scenario_hash"],
        "spec": asdict(spec), "drive_table": table.key, "transfer": asdict(transfer),
        "reference_voltage_mV": REFERENCE_VOLTAGE_MV, "mg_mM": MG_MM, "step_min": STEP_MIN,
        "test_duration_ms": TEST_DURATION_MS, "test_skip_ms": TEST_SKIP_MS,
        "seed": scenario.seed}, seed=scenario.seed)


def _drop_unwanted(ds: xr.Dataset, r) -> xr.Dataset:
    drop = []
    for n in ds.data_vars:
        base = n.removeprefix("test_")
        if not r.concentrations and base.endswith("ng_mL"):
            drop.append(n)
        elif not r.free and base in (*RECEPTOR_DRUGS, "midazolam_uM"):
            drop.append(n)
        elif not r.nmda_block and base == "nmda_block":
            drop.append(n)
        elif not r.gain and base in ("gain", "W", "rho_bar"):
            drop.append(n)
        elif not r.pain and base in ("nrs", "ongoing_nrs", "perceived_nrs"):
            drop.append(n)
        elif not r.windup and base in ("spikes_per_stimulus", "windup_ratio"):
            drop.append(n)
    return ds.drop_vars(drop)


# ----------------------------------------------------------------------------- summary
def _num(x):
    x = float(x)
    return x if math.isfinite(x) else None


#: Emergence totals of the brain readouts, reported in ``summary(ds)["flags"]``.
_EMERGENCE_FLAGS = ("emergence_window_min", "emergence_exposure_min", "emergence_risk_total",
                    "emergence_window_start_h", "emergence_window_end_h",
                    "brain_clipped_fraction")


def summary(ds: xr.Dataset) -> dict:
    """The JSON summary of a scenario result, with stable keys.

    Top level (`SUMMARY_KEYS`): ``scenario`` (name), ``scenario_hash``, ``seed``,
    ``ketasim_version``, ``horizon_h``, ``tests``, ``time_courses``, ``flags``.

    ``tests``: one dict per stimulus test with the keys `SUMMARY_TEST_KEYS`: ``index``,
    ``time_h``, ``kind``, ``site``, ``ketamine_plasma_ng_mL``, ``ketamine_effect_ng_mL``
    (total, ng/mL; 0 without ketamine), ``ketamine_uM`` (free at the receptor),
    ``free_uM`` ({drug: free uM} for every receptor drug), ``nmda_block`` (0-1), ``gain``
    (applied at the site), ``added_c_rate_Hz``, ``output_Hz`` (WDR output of steady
    probes), ``spikes_per_stimulus`` (list, wind-up only, else null), ``windup_ratio``,
    ``nrs`` (null for wind-up), ``perceived_nrs`` (the NRS as the cortex reports it; null
    for no report, wind-up, or brain readouts off). A readout switched off in the scenario
    gives null.

    ``time_courses``: ``time_h`` (the report grid) and lists for every variable on ``time``
    (``<species>_plasma_ng_mL``, ``<species>_effect_ng_mL``, ``<drug>_uM``, ``nmda_block``,
    ``c_rate_Hz``, ``gain``, ``W``, ``rho_bar``, ``out_Hz``, ``ongoing_nrs``, and the brain
    readouts ``responsiveness``, ``integration``, ``dissociation``, ``psychotomimetic``,
    ``emergence_risk``, ``midazolam_uM``) that the result holds.

    ``flags``: ``slow_ketamine_clipped_fraction`` (share of the horizon where free ketamine
    exceeded the slow model's table and was clipped there); with brain readouts also
    ``emergence_window_min``, ``emergence_exposure_min``, ``emergence_risk_total``,
    ``emergence_window_start_h`` and ``emergence_window_end_h`` (null without a window),
    ``brain_clipped_fraction`` (share of the minutes beyond the cortical map's range).

    Examples
    --------
    >>> from ketasim.scenarios import Scenario
    >>> s = summary(simulate(Scenario(name="x", horizon="30 min")))
    >>> sorted(s) == sorted(SUMMARY_KEYS)
    True
    """
    def get(name, i):
        return _num(ds[name].values[i]) if name in ds else None

    tests = []
    for i in range(ds.sizes.get("test", 0)):
        kind = str(ds.test_kind.values[i])
        sp = None
        if kind == "windup" and "test_spikes_per_stimulus" in ds:
            row = ds.test_spikes_per_stimulus.values[i]
            sp = [int(x) for x in row[np.isfinite(row)]]
        k_pl = get("test_ketamine_plasma_ng_mL", i)
        k_ef = get("test_ketamine_effect_ng_mL", i)
        conc_on = any(n.endswith("ng_mL") for n in ds.data_vars) or "ketamine_uM" in ds
        tests.append({
            "index": i, "time_h": float(ds.test_time_h.values[i]), "kind": kind,
            "site": str(ds.test_site.values[i]),
            "ketamine_plasma_ng_mL": k_pl if k_pl is not None else (0.0 if conc_on else None),
            "ketamine_effect_ng_mL": k_ef if k_ef is not None else (0.0 if conc_on else None),
            "ketamine_uM": get("test_ketamine_uM", i),
            "free_uM": {f[:-3]: get(f"test_{f}", i) for f in RECEPTOR_DRUGS},
            "nmda_block": get("test_nmda_block", i), "gain": get("test_gain", i),
            "added_c_rate_Hz": get("test_c_rate_Hz", i), "output_Hz": get("test_output_Hz", i),
            "spikes_per_stimulus": sp, "windup_ratio": get("test_windup_ratio", i),
            "nrs": get("test_nrs", i), "perceived_nrs": get("test_perceived_nrs", i)})
    courses = {"time_h": [float(x) for x in ds.time.values]}
    for n in ds.data_vars:
        if ds[n].dims == ("time",):
            courses[n] = [_num(x) for x in ds[n].values]
    return {"scenario": ds.attrs.get("scenario_name"),
            "scenario_hash": ds.attrs.get("scenario_hash"), "seed": int(ds.attrs["seed"]),
            "ketasim_version": ds.attrs.get("ketasim_version"),
            "horizon_h": float(ds.time.values[-1]), "tests": tests, "time_courses": courses,
            "flags": {"slow_ketamine_clipped_fraction":
                      float(ds.attrs.get("slow_ketamine_clipped_fraction", 0.0)),
                      **{k: _num(ds.attrs[k]) for k in _EMERGENCE_FLAGS if k in ds.attrs}}}
