"""The batched runner: one block of patients through the scenario chain in one pass.

It reuses `ketasim.scenarios.runner` step by step, over patients at once:

1. **PK** for every patient of the block in one exact linear solve per drug
   (`ketasim.pk.simulate.build_system` + `ketasim.pk.solver.solve_linear`, as
   `ketasim.pk.simulate` does), with each patient's covariates and, when ``iiv.pk``, the
   model's log-normal omegas drawn from the patient's own seed. Free receptor levels as the
   runner (`free_concentration_umol` of the effect site, plasma for a metabolite).
2. **Slow model** (`ketasim.spinal.slow.simulate_slow`) batched over patients as its
   ``condition`` dimension: the runner's C drive x the patient's ``afferent_drive`` scale
   (clipped to the drive table's 16 Hz top), free ketamine x ``nmda_sensitivity`` (clipped
   to the table's 3 uM top, as the runner does).
3. **Probe outcomes** (heat, pin-prick, touch) through the drive table, the spiking model's
   cached steady-state outputs (``DriveTable.output`` / ``probe``): the reduced model at the
   test's free ketamine and gain (DESIGN's "one mechanism, two resolutions"; the table is
   checked against the spiking model in the spinal tests). Heat = C drive
   `heat_to_c_rate(T)` plus, in the injured area, the condition's C drive (clipped to 16 Hz);
   pin-prick and touch use the table's probe outputs (no added C drive: a limitation of the
   table). Only ketamine is seen by the table; norketamine and hypnotics are not. Opioids
   (and a morphine ``pca``) act through `ketasim.clinical.pca.apply_opioids` on the ongoing
   output and the gain (analgesia, tolerance / OIH, PCA demand), one compiled pass per arm.
   **Wind-up** runs the spiking model: one `ketasim.spinal.simulate` call per test with
   every patient of the block as a condition (params from `runner._circuit` at the
   patient's gain; all free drug levels, ketamine and norketamine x ``nmda_sensitivity``),
   with the runner's test seed, so it equals `ketasim.simulate` of that patient's scenario.
4. **Pain**: NRS = `nrs_from_output(output x transfer scale, transfer)`.

With variability switched off (``iiv.pk: false``, CVs 0) each patient's PK, free levels,
gain and ongoing NRS equal `ketasim.simulate(patient_scenario(...))` (tested to 1e-9
relative), and the probe outputs equal the drive table at that run's test gain and level.

Examples
--------
>>> from ketasim.trials.schema import load_trial
>>> t = load_trial("postop_ketamine_vs_placebo", patients=4)
>>> r = run_block(t, 0, 4)
>>> r["outcomes"]["pain_24h"].shape
(2, 4)
"""

from __future__ import annotations

import math

import numpy as np

from ketasim.clinical.pca import expand_pca_regimens
from ketasim.scenarios.runner import (
    _FIELD_OF,
    RECEPTOR_DRUGS,
    STEP_MIN,
    _circuit,
    _initial_state,
    _schedule,
    _test_seed,
    c_drive_Hz,
)
from ketasim.trials.population import allocation, covariates, noise_seed, pd_scales, pk_etas

__all__ = ["run_block", "patient_scenario", "scenario_tests", "time_grid", "COURSES"]

#: Time courses kept per patient (on the trial's ``every`` grid).
COURSES = ("ongoing_nrs", "gain", "ketamine_plasma_ng_mL", "ketamine_uM")


def time_grid(trial, base=None) -> np.ndarray:
    """The report grid (h): 0, every, 2 every, ... and the horizon."""
    base = trial.base_scenario() if base is None else base
    hz, every = base.horizon_h, trial.every_h
    n = int(math.floor(hz / every + 1e-9))
    t = np.arange(n + 1) * every
    return t if t[-1] >= hz - 1e-9 else np.append(t, hz)


def scenario_tests(trial) -> list[dict]:
    """Stimulus tests of every arm's scenario: one per probe / wind-up outcome, in order."""
    tests = []
    for o in trial.outcomes:
        if o.kind == "heat":
            tests.append({"kind": "heat", "time": o.time, "site": o.site,
                          "temperature_C": o.temperature_C})
        elif o.kind in ("pinprick", "touch"):
            tests.append({"kind": o.kind, "time": o.time, "site": o.site})
        elif o.kind == "windup":
            tests.append({"kind": "windup", "time": o.time, "site": o.site,
                          "n_shocks": o.n_shocks, "frequency_Hz": o.frequency_Hz})
    return tests


def patient_scenario(trial, patient: int, arm: int | str):
    """The `Scenario` patient ``patient`` runs in ``arm`` (covariates, regimens, tests, the
    trial's noise seed). PD scales and PK etas are not part of a scenario: with them off,
    ``ketasim.simulate`` of this scenario equals the trial's numbers for this patient.

    >>> from ketasim.trials.schema import load_trial
    >>> s = patient_scenario(load_trial("postop_ketamine_vs_placebo", patients=3), 2, "ketamine")
    >>> s.regimens[0].drug, len(s.tests)
    ('ketamine', 3)
    """
    from ketasim.scenarios.schema import Scenario

    a = trial.arm_names.index(arm) if isinstance(arm, str) else int(arm)
    cov = covariates(trial)
    base = trial.base_scenario().model_dump(mode="json")
    base.update(
        name=f"{trial.name}.{trial.arms[a].name}.{patient}",
        patient={"weight_kg": float(cov.weight_kg[patient]),
                 "height_cm": float(cov.height_cm[patient]),
                 "age_yr": float(cov.age_yr[patient]),
                 "sex": "female" if cov.sex[patient] == 1 else "male"},
        regimens=[r.model_dump(mode="json") for r in trial.arms[a].regimens],
        tests=scenario_tests(trial), seed=noise_seed(trial))
    base["readouts"] = {**base.get("readouts", {}), "every": trial.every}
    return Scenario.model_validate(base)


# ----------------------------------------------------------------------------- PK
def _pk_block(regimens, cov, trial, idx, t_min):
    """{species: (plasma, effect | None)} (m, T) ng/mL and free levels {field: (m, T) uM}."""
    from ketasim.pk import free_concentration_umol
    from ketasim.pk.models import get_model, normalise_drug
    from ketasim.pk.simulate import absorption_routes, build_system, dose_events
    from ketasim.pk.solver import solve_linear
    from ketasim.pk.tci import regimen_events

    m = cov.n
    by_drug: dict[str, list] = {}
    for r in regimens:
        by_drug.setdefault(r.drug, []).append(r)
    conc: dict[str, tuple] = {}
    free = {f: np.zeros((m, t_min.size)) for f in RECEPTOR_DRUGS}
    for drug, regs in by_drug.items():
        d = normalise_drug(drug)
        spec = get_model(d, regs[0].model)
        params = spec.parameters(cov, check=True)
        for k, e in pk_etas(trial, spec, idx).items():
            if k in params:
                params[k] = params[k] * np.exp(e)
        sched = _schedule(regs) if any(r.doses for r in regs) else None
        routes = absorption_routes(d, sched) if sched is not None else {}
        sysm = build_system(params, species=d, metabolite=spec.metabolite,
                            routes=tuple(routes.values()))
        bol, inf = (dose_events(sched, routes, sysm, cov.weight_kg, float(t_min.max()))
                    if sched is not None else ([], []))
        inf += regimen_events(regs, d, cov, float(t_min.max()))  # TCI: typical-model pump
        y = solve_linear(sysm.A, sysm.b, sysm.C, t_min, bol, inf, dtype=np.dtype("float64"))
        outs = {name: y[:, o, :] for o, name in enumerate(sysm.outputs)}
        for name, plasma in outs.items():
            if not name.endswith("_plasma"):
                continue
            sp = name[: -len("_plasma")]
            eff = outs.get(f"{sp}_effect")
            if sp in conc:
                p0, e0 = conc[sp]
                plasma = p0 + plasma
                eff = None if eff is None or e0 is None else e0 + eff
            conc[sp] = (plasma, eff)
            field = _FIELD_OF.get(sp, _FIELD_OF.get(sp.replace("_", "-")))
            if field is not None:
                own = outs.get(f"{sp}_effect", outs[name])
                free[field] = free[field] + np.asarray(free_concentration_umol(
                    np.maximum(own, 0.0), sp.replace("_", "-")), float)
    return conc, free


# ----------------------------------------------------------------------------- one arm
def _arm(trial, base, a, idx, cov, scales, spec, table, transfer):
    from ketasim.clinical.pain import heat_to_c_rate, nrs_from_output
    from ketasim.core.record import Record
    from ketasim.pk.models.base import Covariates
    from ketasim.spinal.slow import gain_of, simulate_slow

    m = idx.size
    hz = base.horizon_h
    n_steps = max(int(math.ceil(hz * 60.0 / STEP_MIN - 1e-9)), 1)
    t_min = np.arange(n_steps + 1) * STEP_MIN
    t_h = t_min / 60.0
    regimens = trial.arms[a].regimens
    sub = Covariates(cov.weight_kg[idx], cov.age_yr[idx], cov.height_cm[idx], cov.sex[idx])
    if regimens:
        conc, free = _pk_block(expand_pca_regimens(regimens), sub, trial, idx, t_min)
    else:
        conc, free = {}, {f: np.zeros((m, t_min.size)) for f in RECEPTOR_DRUGS}

    c_top = float(table.c_rate_Hz[-1])
    k_top = float(table.ketamine_uM[-1])
    s_aff, s_tr, s_nm = (scales["afferent_drive"], scales["transfer"],
                         scales["nmda_sensitivity"])
    mid_h = (np.arange(n_steps) + 0.5) * STEP_MIN / 60.0
    c_sched = np.minimum(c_drive_Hz(base.condition, mid_h)[None, :] * s_aff[:, None], c_top)
    k_free = free["ketamine_uM"]
    k_mid = np.stack([np.interp(mid_h, t_h, k_free[j]) for j in range(m)]) * s_nm[:, None]
    clipped = np.mean(k_mid > k_top + 1e-12, axis=1)
    k_sched = np.minimum(k_mid, k_top)
    w0, rho0 = _initial_state(base.condition, spec)
    if w0 is not None:
        w0, rho0 = np.repeat(w0, m), np.repeat(rho0, m, axis=0)
    slow = simulate_slow(table, c_sched, k_sched, schedule_dt_h=f"{STEP_MIN} min",
                         dt_h=f"{STEP_MIN} min",
                         record=Record(every=f"{STEP_MIN} min", variables=("gain", "out_Hz")),
                         spec=spec, w0=w0, rho0=rho0)
    g_start = 1.0 if w0 is None else float(gain_of(w0[:1], rho0[:1], spec)[0])
    gain_f = np.concatenate([np.full((m, 1), g_start), slow.gain.values], axis=1)
    out0 = table.output(c_sched[:, 0], k_sched[:, 0],
                        np.full(m, np.clip(g_start, table.gain[0], table.gain[-1])))
    out_f = np.concatenate([out0[:, None], slow.out_Hz.values], axis=1)
    del slow
    opi = _opioids(trial, regimens, conc, free, sub, idx, t_min, c_sched, gain_f, s_tr, s_nm,
                   table, transfer)
    mg_f = np.zeros_like(gain_f)
    if opi is not None:  # opioid analgesia, tolerance/OIH and PCA (ketasim.clinical.pca)
        out_f, gain_f, mg_f = opi["out_Hz_opioid"], opi["gain_oih"], opi["morphine_mg"]

    def at(y, t):  # (m, T) on t_h -> (m,) at time t
        return np.array([np.interp(t, t_h, y[j]) for j in range(m)])

    res: dict[str, np.ndarray] = {}
    tests = scenario_tests(trial)
    ti = 0
    nseed = noise_seed(trial)
    for o in trial.outcomes:
        if o.kind == "ongoing_pain":
            res[o.name] = nrs_from_output(np.maximum(at(out_f, o.time_h), 0.0) * s_tr, transfer)
        elif o.kind in ("heat", "pinprick", "touch"):
            k = np.minimum(np.maximum(at(k_free, o.time_h), 0.0) * s_nm, k_top)
            g = at(gain_f, o.time_h) if o.site != "normal" else np.ones(m)
            g = np.clip(g, table.gain[0], table.gain[-1])
            if o.kind == "heat":
                c = np.full(m, float(heat_to_c_rate(o.temperature_C)))
                if o.site == "injured":
                    c_now = float(c_drive_Hz(base.condition, np.array([o.time_h]))[0])
                    c = c + c_now * (s_aff if base.condition.kind != "neuropathic" else 1.0)
                out = table.output(np.minimum(c, c_top), k, g)
            else:
                out = table.probe(o.kind, k, g)
            res[o.name] = nrs_from_output(np.maximum(out, 0.0) * s_tr, transfer)
            res[f"_{o.name}_output_Hz"] = out
            ti += 1
        elif o.kind == "windup":
            res[o.name] = _windup(trial, base, tests[ti], ti, nseed, m, at, free, gain_f,
                                  s_nm, spec)
            ti += 1
        elif o.kind == "opioid_consumption":
            res[o.name] = at(mg_f, o.time_h)
        elif o.kind == "peak_plasma":
            sp = "ketamine" if "ketamine" in conc else ("s_ketamine" if "s_ketamine" in conc
                                                        else None)
            res[o.name] = conc[sp][0].max(axis=1) if sp else np.zeros(m)
        elif o.kind == "event":
            v = res[o.of]
            hit = v > o.above if o.above is not None else v < o.below
            res[o.name] = np.where(np.isfinite(v), hit.astype(float), np.nan)

    t_rep = time_grid(trial, base)

    def on_grid(y):
        return np.stack([np.interp(t_rep, t_h, y[j]) for j in range(m)])

    kp = conc.get("ketamine", conc.get("s_ketamine", (np.zeros((m, t_h.size)), None)))[0]
    courses = {
        "ongoing_nrs": nrs_from_output(np.maximum(on_grid(out_f), 0.0) * s_tr[:, None],
                                       transfer),
        "gain": on_grid(gain_f), "ketamine_plasma_ng_mL": on_grid(kp),
        "ketamine_uM": on_grid(k_free)}
    res["_slow_ketamine_clipped_fraction"] = clipped
    return res, courses


def _opioids(trial, regimens, conc, free, sub, idx, t_min, c_sched, gain_f, s_tr, s_nm,
             table, transfer):
    """`ketasim.clinical.pca.apply_opioids` for a block (None without opioids)."""
    from ketasim.clinical.pca import apply_opioids, tolerant_state0
    from ketasim.scenarios.schema import Regimen

    pca = [r for r in regimens if r.pca is not None]
    unit = None
    if pca:
        one = Regimen(drug="morphine", model=pca[0].model,
                      doses=[{"kind": "bolus", "dose": "1 mg"}])
        unit = _pk_block([one], sub, trial, idx, t_min)[0]["morphine"]
        unit = (unit[0], unit[0] if unit[1] is None else unit[1])
    seeds = np.array([np.random.SeedSequence([trial.population.seed, int(i), 3])
                      .generate_state(1)[0] for i in idx], np.int64)
    c_step = np.concatenate([c_sched, c_sched[:, -1:]], axis=1)
    return apply_opioids(regimens=regimens, conc=conc, free=free, unit=unit,
                         weight_kg=sub.weight_kg, t_h=t_min / 60.0, c_step=c_step,
                         gain_f=gain_f, s_tr=s_tr, s_nm=s_nm, table=table, transfer=transfer,
                         seeds=seeds, state0=tolerant_state0(trial.base_scenario().condition))


def _windup(trial, base, test, ti, nseed, m, at, free, gain_f, s_nm, spec):
    """Wind-up ratio of every patient: one batched spiking call (runner's test seed)."""
    from ketasim.scenarios.schema import Scenario
    from ketasim.spinal import Condition, train
    from ketasim.spinal import simulate as simulate_spiking
    from ketasim.spinal.protocols import max_spikes_for

    sc = Scenario.model_validate({**base.model_dump(mode="json"), "tests": [test]})
    st = sc.tests[0]
    t = st.time_h
    g = at(gain_f, t)
    conds = []
    for j in range(m):
        params, hook = _circuit(sc, st.site, float(g[j]), spec)
        conds.append((params, hook, j))
    prot = train(st.n_shocks, st.frequency_Hz, st.intensity)
    hooks = {id(h): h for _, h, _ in conds if h is not None}
    if len(hooks) > 1:  # cannot happen: the hook depends on the site only
        raise RuntimeError("one protocol hook per test expected")
    if hooks:
        prot = next(iter(hooks.values()))(prot)
    levels = {f: np.maximum(at(free[f], t), 0.0) for f in RECEPTOR_DRUGS}
    for f in ("ketamine_uM", "norketamine_uM"):
        levels[f] = levels[f] * s_nm
    cl = [Condition(params=p, label=f"patient {j}",
                    **{f: float(levels[f][j]) for f in RECEPTOR_DRUGS}) for p, _, j in conds]
    sp = simulate_spiking(prot, cl, seed=_test_seed(nseed, ti),
                          max_spikes=max_spikes_for(prot.duration_ms))
    resp = np.asarray(sp.response.values, float)
    first, last = resp[:, 0], resp[:, -1]
    return np.where(first > 0, last / np.where(first > 0, first, 1.0), np.nan)


# ----------------------------------------------------------------------------- block
def run_block(trial, lo: int, hi: int) -> dict:
    """Run patients ``lo``..``hi - 1`` of ``trial`` in every arm they are allocated to.

    Returns ``{"lo", "hi", "outcomes": {name: (arm, m)}, "courses": {name: (arm, m, time)},
    "aux": {name: (arm, m)}, "scales": {name: (m,)}}``; NaN where a patient is not in an
    arm. Deterministic: the numbers depend on the trial and the patients only.
    """
    from ketasim.experiments._pain_common import model_spec, pain_model

    base = trial.base_scenario()
    spec = model_spec()
    table, transfer = pain_model(spec)
    cov = covariates(trial)
    alloc = allocation(trial)[:, lo:hi]
    idx_all = np.arange(lo, hi)
    scales_all = pd_scales(trial, idx_all)
    n_arms, m = alloc.shape
    nt = time_grid(trial, base).size
    out = {o.name: np.full((n_arms, m), np.nan) for o in trial.outcomes}
    aux: dict[str, np.ndarray] = {}
    courses = {c: np.full((n_arms, m, nt), np.nan, dtype=np.float32) for c in COURSES}
    for a in range(n_arms):
        sel = np.flatnonzero(alloc[a])
        if sel.size == 0:
            continue
        res, crs = _arm(trial, base, a, idx_all[sel], cov,
                        {k: v[sel] for k, v in scales_all.items()}, spec, table, transfer)
        for k, v in res.items():
            if k.startswith("_"):
                aux.setdefault(k[1:], np.full((n_arms, m), np.nan))[a, sel] = v
            else:
                out[k][a, sel] = v
        for k, v in crs.items():
            courses[k][a, sel] = v
    return {"lo": lo, "hi": hi, "outcomes": out, "courses": courses, "aux": aux,
            "scales": scales_all}
