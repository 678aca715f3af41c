"""The virtual population of a trial: covariates, arm allocation, per-patient draws.

All randomness flows from ``population.seed`` (the root) through `numpy.random.SeedSequence`:

* covariates: `ketasim.pk.virtual_patients` (size, root seed): sex, age, height by sex, BMI
  by sex, weight = BMI x height^2 (fryar2021; weight and height correlate as in people),
  truncated to the covariate ranges of the arms' PK models (`covariates`);
* allocation (``randomised``): permuted blocks of ``2 x n_arms`` from
  ``SeedSequence([root, 1])``: arms stay balanced within every block of patients;
  ``all_arms``: every patient runs every arm;
* patient ``i``'s own draws (PD scales, PK etas) come from ``SeedSequence(root,
  spawn_key=(i, ...))``: they do not depend on the population size, the block size, the
  arm or the backend, so the same root seed gives the same numbers serial, multi-process
  and on Dask;
* spiking-model noise (wind-up tests): one seed per trial, ``SeedSequence([root, 2])``, so all
  patients and arms of a test share the afferent realisation (common random numbers: arm
  differences are not blurred by input noise).

PD scale factors are log-normal with median 1 (the typical patient is the base scenario):
``s = exp(sqrt(ln(1 + cv^2)) z)``.

Examples
--------
>>> from ketasim.trials.schema import load_trial
>>> t = load_trial("postop_ketamine_vs_placebo", patients=8)
>>> alloc = allocation(t)
>>> alloc.shape, alloc.sum(axis=0).tolist() == [1] * 8, alloc.sum(axis=1).tolist()
((2, 8), True, [4, 4])
"""

from __future__ import annotations

import zlib

import numpy as np

from ketasim.pk.models.base import Covariates, ModelSpec

__all__ = ["covariates", "validity_ranges", "allocation", "pd_scales", "pk_etas", "noise_seed",
           "PD_SCALES"]

PD_SCALES = ("afferent_drive", "transfer", "nmda_sensitivity")


def validity_ranges(trial) -> dict[str, tuple[float, float]]:
    """The covariate ranges every PK model of the trial's arms was studied in (intersected)."""
    from ketasim.pk.models import get_model, normalise_drug

    out: dict[str, tuple[float, float]] = {}
    for arm in trial.arms:
        for r in arm.regimens:
            pump = r.tci.model if r.tci is not None and r.tci.model else r.model  # TCI's
            for name in dict.fromkeys((r.model, pump)):
                for k, (lo, hi) in get_model(normalise_drug(r.drug), name).validity.items():
                    a, b = out.get(k, (-np.inf, np.inf))
                    out[k] = (max(a, lo), min(b, hi))
    return out


def _outside(cov: Covariates, ranges) -> np.ndarray:
    v = {**cov.as_dict(), "bmi": cov.bmi}
    bad = np.zeros(cov.n, bool)
    for k, (lo, hi) in ranges.items():
        bad |= (v[k] < lo) | (v[k] > hi)
    return bad


def covariates(trial) -> Covariates:
    """Covariates of the whole population (N floats each: small even at 10^6 patients).

    Patients outside the covariate ranges of the arms' PK models (e.g. a 198 cm man of BMI
    40 weighs 157 kg, past the 150 kg of Kamp's ketamine model) are redrawn, by rejection,
    from ``SeedSequence([root, 3, round])``: the population is truncated to the models'
    validity, as the BMI is to ``bmi_range``; the other patients do not change.

    >>> from ketasim.trials.schema import load_trial
    >>> t = load_trial("postop_ketamine_vs_placebo", patients=20000)
    >>> float(covariates(t).weight_kg.max()) <= validity_ranges(t)["weight_kg"][1]
    True
    """
    from ketasim.pk.population import virtual_patients
    from ketasim.trials.schema import Problem, TrialError

    p = trial.population
    kw = {"age_range": p.age_range, "p_female": p.p_female, "bmi_range": p.bmi_range}
    cov = virtual_patients(p.size, seed=p.seed, **kw)
    ranges = validity_ranges(trial)
    bad = _outside(cov, ranges)
    if not bad.any():
        return cov
    w, a, h, s = (np.array(x, float) for x in (cov.weight_kg, cov.age_yr, cov.height_cm,
                                                cov.sex))
    for rnd in range(50):
        k = int(bad.sum())
        seed = int(np.random.SeedSequence([p.seed, 3, rnd]).generate_state(1)[0])
        extra = virtual_patients(max(4 * k, 64), seed=seed, **kw)
        take = np.flatnonzero(~_outside(extra, ranges))[:k]
        idx = np.flatnonzero(bad)[:take.size]
        for dst, src in ((w, extra.weight_kg), (a, extra.age_yr), (h, extra.height_cm),
                         (s, extra.sex)):
            dst[idx] = np.asarray(src)[take]
        bad[idx] = False
        if not bad.any():
            return Covariates(w, a, h, s)
    raise TrialError([Problem("population", {"age_range": list(p.age_range),
                                             "bmi_range": list(p.bmi_range)},
                              "ranges that overlap those of the arms' PK models "
                              f"({ {k: list(v) for k, v in ranges.items()} })")])


def allocation(trial) -> np.ndarray:
    """Boolean (arm, patient): which patient runs which arm."""
    n, a = trial.population.size, len(trial.arms)
    if trial.allocation == "all_arms" or a == 1:
        return np.ones((a, n), bool)
    rng = np.random.default_rng(np.random.SeedSequence([trial.population.seed, 1]))
    nblk = -(-n // (2 * a))
    arm = np.concatenate([rng.permutation(np.repeat(np.arange(a), 2)) for _ in range(nblk)])[:n]
    return arm[None, :] == np.arange(a)[:, None]


def _lognormal(cv: float, z: np.ndarray) -> np.ndarray:
    return np.exp(np.sqrt(np.log1p(cv * cv)) * z)


def pd_scales(trial, idx: np.ndarray) -> dict[str, np.ndarray]:
    """PD scale factors of patients ``idx`` (median 1; CVs from ``trial.iiv``)."""
    root = trial.population.seed
    z = np.array([np.random.default_rng(np.random.SeedSequence(root, spawn_key=(int(i), 0)))
                  .standard_normal(3) for i in idx]).reshape(len(idx), 3)
    cv = (trial.iiv.afferent_drive_cv, trial.iiv.transfer_cv, trial.iiv.nmda_sensitivity_cv)
    return {k: _lognormal(c, z[:, j]) for j, (k, c) in enumerate(zip(PD_SCALES, cv, strict=True))}


def pk_etas(trial, spec: ModelSpec, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Log-normal PK deviations of patients ``idx`` for model ``spec`` (its omegas)."""
    from ketasim.pk.population import sample_etas

    if not trial.iiv.pk or not spec.omega:
        return {}
    tag = zlib.crc32(spec.key.encode())
    rows = [sample_etas(spec, 1, np.random.default_rng(np.random.SeedSequence(
        trial.population.seed, spawn_key=(int(i), 1, tag)))) for i in idx]
    return {k: np.array([r[k][0] for r in rows]) for k in spec.omega}


def noise_seed(trial) -> int:
    """Seed of the spiking model's input noise (shared by all patients and arms)."""
    return int(np.random.SeedSequence([trial.population.seed, 2]).generate_state(1)[0])
