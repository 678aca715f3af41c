"""Virtual patients and inter-individual variability, all drawn from one seed.

Covariates. Sex ~ Bernoulli(p_female); age ~ uniform on ``age_range``; height ~ normal by
sex (US adults 2015-2018: men 175.4 cm, women 161.7 cm; SD ~7.5 / 7.0 cm; fryar2021);
BMI ~ log-normal by sex with medians 28.5 (men) / 28.7 (women) kg/m^2 and log-SD 0.19
(our fit to the fryar2021 means and percentiles), truncated to ``bmi_range`` by re-drawing
(not clipping). Weight = BMI x height^2, so weight and height are correlated as in people.
The draws use one `numpy.random.SeedSequence`; covariates and parameter deviations come
from separate child streams, so the same seed and N give the same population whatever
model is simulated on it.

Parameters. Each model's typical parameters are multiplied by ``exp(eta)``,
``eta ~ N(0, Omega)`` with the model's published variances (``ModelSpec.omega_source``
says which are published and which are our 30 % CV estimate).
"""

from __future__ import annotations

import numpy as np

from ketasim.core.errors import InputError
from ketasim.core.validation import SEED, Instance, Interval, NoneOK, check_work, validate_params
from ketasim.pk.models.base import Covariates, ModelSpec

#: Default cap on the number of virtual patients of one call (``max_patients=``).
MAX_PATIENTS = 1_000_000
_SEED = SEED

# fryar2021 (US adults 20+ y): mean height, SD (cm); BMI median (our log-normal fit)
HEIGHT = {0: (175.4, 7.5), 1: (161.7, 7.0)}
BMI_MEDIAN = {0: 28.5, 1: 28.7}
BMI_LOGSD = 0.19


def _streams(seed: int | np.random.SeedSequence):
    if seed is None:  # never fall back to OS entropy: results must be reproducible
        raise InputError("seed", None, "a non-negative integer")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    cov_ss, eta_ss = ss.spawn(2)
    return np.random.default_rng(cov_ss), np.random.default_rng(eta_ss), ss


def _pair(value, field: str, lo: float, hi: float, unit: str, strict: bool):
    ok = (isinstance(value, tuple | list) and len(value) == 2
          and all(Interval(lo, hi).is_satisfied_by(
              v.item() if isinstance(v, np.generic) else v) for v in value)
          and (value[0] < value[1] if strict else value[0] <= value[1]))
    if not ok:
        rel = "<" if strict else "<="
        raise InputError(field, value, f"(low, high) with {lo:g} <= low {rel} high <= "
                         f"{hi:g} {unit}")
    return float(value[0]), float(value[1])


@validate_params({
    "n": Interval(1, None, integer=True),
    "seed": _SEED,
    "p_female": Interval(0, 1),
    "max_patients": Interval(1, None, integer=True),
    "age_range": Instance(tuple, list),
    "bmi_range": Instance(tuple, list),
})
def virtual_patients(n: int, seed: int = 0, *, age_range=(18.0, 80.0),
                     p_female: float = 0.5, bmi_range=(18.5, 40.0),
                     max_patients: int = MAX_PATIENTS) -> Covariates:
    """Draw ``n`` physiologically plausible adults from ``seed`` (default 0).

    ``age_range`` in years, ``bmi_range`` in kg/m^2; at most ``max_patients`` patients.

    Examples
    --------
    >>> c = virtual_patients(1000, seed=1)
    >>> bool(18.5 <= c.bmi.min() and c.bmi.max() <= 40.0)
    True
    """
    check_work("n (virtual patients)", n, max_patients, "pass max_patients=... to go past it")
    lo, hi = _pair(age_range, "age_range", 0, 110, "years", strict=False)
    bmi_range = _pair(bmi_range, "bmi_range", 12, 70, "kg/m^2", strict=True)
    n = int(n)
    rng, _, _ = _streams(seed)
    sex = (rng.random(n) < p_female).astype(float)
    age = rng.uniform(lo, hi, n)
    mu_h = np.where(sex == 0, HEIGHT[0][0], HEIGHT[1][0])
    sd_h = np.where(sex == 0, HEIGHT[0][1], HEIGHT[1][1])
    height = np.clip(rng.normal(mu_h, sd_h), 140, 210)  # +-4.5 SD: a numeric guard only
    med = np.where(sex == 0, BMI_MEDIAN[0], BMI_MEDIAN[1])
    bmi = med * np.exp(BMI_LOGSD * rng.standard_normal(n))
    bad = (bmi < bmi_range[0]) | (bmi > bmi_range[1])
    while np.any(bad):  # truncation by rejection, not clipping
        bmi[bad] = med[bad] * np.exp(BMI_LOGSD * rng.standard_normal(int(bad.sum())))
        bad = (bmi < bmi_range[0]) | (bmi > bmi_range[1])
    weight = bmi * (height / 100) ** 2
    return Covariates(weight, age, height, sex)


def sample_etas(spec: ModelSpec, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Log-normal deviations ``eta`` for the parameters with an omega in ``spec``."""
    names = list(spec.omega)
    if not names:
        return {}
    sd = np.sqrt([spec.omega[k] for k in names])
    corr = np.eye(len(names))
    for (a, b), rho in spec.omega_corr.items():
        i, j = names.index(a), names.index(b)
        corr[i, j] = corr[j, i] = rho
    cov = corr * np.outer(sd, sd)
    eta = rng.multivariate_normal(np.zeros(len(names)), cov, size=n, method="cholesky")
    return {k: eta[:, i] for i, k in enumerate(names)}


@validate_params({"spec": Instance(ModelSpec), "params": Instance(dict), "seed": SEED,
                  "rng": (Instance(np.random.Generator), NoneOK())})
def apply_iiv(spec: ModelSpec, params: dict[str, np.ndarray], seed: int = 0,
              rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """Individual parameters: typical x exp(eta) (eta from the seed's parameter stream;
    ``seed`` a non-negative integer, default 0, or a ready ``rng``).

    Examples
    --------
    >>> from ketasim.pk.models import get_model
    >>> m = get_model("propofol", "eleveld")
    >>> c = virtual_patients(5, seed=3)
    >>> p = apply_iiv(m, m.parameters(c), seed=3)
    >>> bool(p["CL"].std() > 0)
    True
    """
    if not isinstance(spec, ModelSpec):
        raise InputError("spec", type(spec).__name__, "a ModelSpec (e.g. get_model(...))")
    if rng is None:
        from ketasim.core.validation import check
        check("seed", seed, _SEED)
        _, rng, _ = _streams(seed)
    n = len(next(iter(params.values())))
    etas = sample_etas(spec, n, rng)
    out = dict(params)
    for k, e in etas.items():
        if k in out:
            out[k] = out[k] * np.exp(e)
    return out
